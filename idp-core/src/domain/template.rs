//! Template names: the built-in templates and the syntax of custom ones.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The template every repository gets when its config names none.
pub const DEFAULT_TEMPLATE: &str = "api-service";

/// The templates shipped in `infrastructure/templates/`.
pub const BUILTIN_TEMPLATES: [&str; 6] = [
    "api-service",
    "api-database",
    "scheduled-worker",
    "k8s-namespace",
    "static-site",
    "lambda-api",
];

/// The built-in templates that are OpenTofu root modules (the others are applied by another
/// provisioner and hold only their `template.json`).
pub const OPENTOFU_TEMPLATES: [&str; 5] = [
    "api-service",
    "api-database",
    "scheduled-worker",
    "static-site",
    "lambda-api",
];

/// The built-in templates that run on ECS Fargate in a VPC (their own or the shared preview
/// one); `static-site` and `lambda-api` are serverless and have neither.
pub const ECS_TEMPLATES: [&str; 3] = ["api-service", "api-database", "scheduled-worker"];

/// The outputs of the `k8s-namespace` template.
pub const K8S_NAMESPACE_OUTPUTS: [&str; 3] = ["endpoint", "namespace", "application"];

/// The outputs of the `api-service` template.
pub const API_SERVICE_OUTPUTS: [&str; 5] = [
    "endpoint",
    "cluster_name",
    "service_name",
    "log_group",
    "alarm_names",
];

/// The outputs of the `api-database` template.
pub const API_DATABASE_OUTPUTS: [&str; 8] = [
    "endpoint",
    "cluster_name",
    "service_name",
    "log_group",
    "alarm_names",
    "db_endpoint",
    "db_name",
    "db_credentials_secret_arn",
];

/// The outputs of the `scheduled-worker` template.
pub const SCHEDULED_WORKER_OUTPUTS: [&str; 4] = [
    "cluster_name",
    "task_definition_arn",
    "event_rule_name",
    "log_group",
];

/// The outputs of the `static-site` template (S3 bucket behind CloudFront).
pub const STATIC_SITE_OUTPUTS: [&str; 4] =
    ["endpoint", "bucket_name", "distribution_id", "alarm_names"];

/// The outputs of the `lambda-api` template (HTTP API in front of a Lambda function).
pub const LAMBDA_API_OUTPUTS: [&str; 5] = [
    "endpoint",
    "function_name",
    "api_id",
    "log_group",
    "alarm_names",
];

/// The name of an infrastructure template (a root module under `infrastructure/templates/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateName(String);

impl TemplateName {
    /// A template name: 1–64 characters of `a-z`, `0-9`, `-`, starting with a letter.
    /// Returns `None` when the syntax is wrong (callers attach file/line context).
    pub fn new(name: &str) -> Option<Self> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.as_bytes()[0].is_ascii_lowercase()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Self(name.to_owned()))
    }

    /// The default template, `api-service`.
    pub fn default_template() -> Self {
        Self(DEFAULT_TEMPLATE.to_owned())
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this template runs on a schedule and has no HTTP endpoint.
    pub fn is_scheduled(&self) -> bool {
        self.0 == "scheduled-worker"
    }

    /// Whether this template serves HTTP and reports an `endpoint` output (a load balancer,
    /// CloudFront or API Gateway in front of it).
    pub fn has_endpoint(&self) -> bool {
        !self.is_scheduled()
    }

    /// Whether this template is usage-priced and runs no container on ECS: `static-site` and
    /// `lambda-api`, which have no VPC, no image to roll out and no ECS service to redeploy.
    pub fn is_serverless(&self) -> bool {
        matches!(self.0.as_str(), "static-site" | "lambda-api")
    }

    /// Whether this is `static-site`, whose deploy uploads the repository's `site_dir` to its
    /// bucket and invalidates its CloudFront cache.
    pub fn is_static_site(&self) -> bool {
        self.0 == "static-site"
    }

    /// Whether this template is a namespace on the shared Kubernetes cluster, applied by the
    /// Kubernetes provisioner rather than OpenTofu.
    pub fn is_kubernetes(&self) -> bool {
        self.0 == crate::domain::kubernetes::namespace::TEMPLATE
    }

    /// What applies this template: `kubernetes` for a namespace preview, else `opentofu` (the
    /// `provisioner` of its `template.json`). A CI workflow runs `tofu` itself only for the
    /// latter and hands the others to idp's own provisioner.
    pub fn provisioner(&self) -> &'static str {
        if self.is_kubernetes() {
            "kubernetes"
        } else {
            "opentofu"
        }
    }

    /// Whether this is one of [`BUILTIN_TEMPLATES`].
    pub fn is_builtin(&self) -> bool {
        BUILTIN_TEMPLATES.contains(&self.0.as_str())
    }

    /// The OpenTofu outputs a built-in template declares (empty for custom templates, whose
    /// outputs are whatever they declare).
    pub fn expected_outputs(&self) -> &'static [&'static str] {
        match self.0.as_str() {
            "api-service" => &API_SERVICE_OUTPUTS,
            "api-database" => &API_DATABASE_OUTPUTS,
            "scheduled-worker" => &SCHEDULED_WORKER_OUTPUTS,
            "k8s-namespace" => &K8S_NAMESPACE_OUTPUTS,
            "static-site" => &STATIC_SITE_OUTPUTS,
            "lambda-api" => &LAMBDA_API_OUTPUTS,
            _ => &[],
        }
    }
}

impl Default for TemplateName {
    fn default() -> Self {
        Self::default_template()
    }
}

impl fmt::Display for TemplateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
