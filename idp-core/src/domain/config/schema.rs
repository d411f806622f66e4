//! The raw, serde-level shape of `.idp/config.yml` and its JSON Schema.
//!
//! [`RawConfig`] is the file as written: every key optional, nothing checked beyond its type.
//! It is what editors validate against ([`json_schema`]) and what [`super::Config::to_yaml`]
//! writes. Reading does not go through its `Deserialize` derive but through a positioned YAML
//! tree (`read.rs`), so that one pass reports every problem at the line and column of its key.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, json_schema};
use serde::{Deserialize, Serialize};

/// The Fargate CPU values (CPU units) the `cpu` key accepts.
pub const CPU_VALUES: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// The retention periods (days) CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Every top-level key of `.idp/config.yml`.
pub const KEYS: [&str; 21] = [
    "template",
    "container_port",
    "ttl",
    "cpu",
    "memory",
    "log_retention_days",
    "dockerfile",
    "build_context",
    "image",
    "container_image",
    "environment",
    "secrets",
    "health_check_path",
    "use_shared_networking",
    "use_shared_ingress",
    "schedule_expression",
    "s3_bucket_arn",
    "site_dir",
    "region",
    "local",
    "kubernetes",
];

/// Every key of the `kubernetes:` section (template `k8s-namespace`).
pub const KUBERNETES_KEYS: [&str; 13] = [
    "repo_url",
    "path",
    "cpu",
    "memory",
    "pods",
    "default_cpu",
    "default_memory",
    "role_arn",
    "group",
    "viewer_group",
    "ingress_class",
    "ingress_namespace",
    "tls_secret",
];

/// Every key of the `local:` section.
pub const LOCAL_KEYS: [&str; 1] = ["command"];

/// `.idp/config.yml` as written: every key optional, values only type-checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "idp repository configuration (.idp/config.yml)",
    description = "How idp builds and runs the preview environments of this repository. Every key is optional."
)]
pub struct RawConfig {
    /// The infrastructure template: `api-service` (HTTP service behind a load balancer),
    /// `api-database` (the same plus PostgreSQL), `scheduled-worker` (a task on a schedule), or
    /// a custom template of the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "api-service", "examples" = ["api-service", "api-database", "scheduled-worker"]))]
    pub template: Option<String>,

    /// The port the container listens on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535), extend("default" = 80))]
    pub container_port: Option<u32>,

    /// How long an environment lives after its last push: a whole number and a unit
    /// (`m` minutes, `h` hours, `d` days, `w` weeks), within the platform's bounds (by default
    /// 1h to 30d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[mhdw]$"), extend("default" = "7d"))]
    pub ttl: Option<String>,

    /// Fargate CPU units (1024 = 1 vCPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [256, 512, 1024, 2048, 4096, 8192, 16384], "default" = 256))]
    pub cpu: Option<u32>,

    /// Fargate memory in MiB; must be a combination AWS supports for `cpu` (256: 512, 1024,
    /// 2048; 512: 1024–4096; 1024: 2048–8192; 2048: 4096–16384; 4096: 8192–30720, all in steps of
    /// 1024; 8192: 16384–61440 in steps of 4096; 16384: 32768–122880 in steps of 8192).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 512, max = 122880), extend("multipleOf" = 512, "default" = 512))]
    pub memory: Option<u32>,

    /// How many days CloudWatch keeps the container logs (a value CloudWatch Logs accepts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], "default" = 3))]
    pub log_retention_days: Option<u32>,

    /// The Dockerfile to build, relative to the repository root. When unset, `./Dockerfile` is
    /// used if it exists, otherwise `image` runs as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,

    /// The docker build context, relative to the repository root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "."))]
    pub build_context: Option<String>,

    /// The container image to run when the repository has no Dockerfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "nginx:alpine"))]
    pub image: Option<String>,

    /// The former spelling of `image`, still accepted. Do not set both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("deprecated" = true))]
    pub container_image: Option<String>,

    /// Plain environment variables of the container. Names match `^[A-Za-z_][A-Za-z0-9_]*$`;
    /// values are taken as text exactly as written (`PORT: 8080` is `"8080"`, `DEBUG: no` is
    /// `"no"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "environment_schema")]
    pub environment: Option<BTreeMap<String, String>>,

    /// Secrets of the container: variable name → Secrets Manager secret ARN, optionally
    /// followed by `:json-key:version-stage:version-id` (the ECS `valueFrom` form). The value is
    /// resolved by ECS at start-up and never passes through idp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "secrets_schema")]
    pub secrets: Option<BTreeMap<String, String>>,

    /// The HTTP path the load balancer health-checks; must start with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^/\S*$"), extend("default" = "/"))]
    pub health_check_path: Option<String>,

    /// Run in the platform's shared preview VPC instead of a VPC per environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub use_shared_networking: Option<bool>,

    /// Serve through the platform's shared load balancer (`shared/preview-ingress`, on the
    /// shared VPC) instead of a load balancer per environment: `api-service` and
    /// `api-database` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub use_shared_ingress: Option<bool>,

    /// When a `scheduled-worker` runs: `rate(N unit)` (`minute(s)`, `hour(s)`, `day(s)`;
    /// singular only for 1) or `cron(minutes hours day-of-month month day-of-week year)`.
    /// Required by `scheduled-worker`, rejected by the other templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("examples" = ["rate(1 hour)", "rate(15 minutes)", "cron(0 6 * * ? *)"]))]
    pub schedule_expression: Option<String>,

    /// The ARN of an S3 bucket a `scheduled-worker` may read (`arn:aws:s3:::bucket`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"))]
    pub s3_bucket_arn: Option<String>,

    /// The folder of the built site a `static-site` serves (e.g. `dist` or `site/public`),
    /// relative to the repository root and inside it: every deploy uploads it to the
    /// environment's bucket and invalidates the CDN's cache. Only `static-site` takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(pattern = r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_.][A-Za-z0-9._-]*)*/?$"),
        extend("default" = "public", "examples" = ["dist", "build", "site/public"])
    )]
    pub site_dir: Option<String>,

    /// The AWS region to run in (the platform default when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"))]
    pub region: Option<String>,

    /// Settings of the local backend (`idp create` without AWS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<RawLocal>,

    /// Settings of the `k8s-namespace` template: a namespace on the shared cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<RawKubernetes>,
}

/// The `kubernetes:` section as written (template `k8s-namespace`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKubernetes {
    /// The repository Argo CD syncs (default: the pull request's repository on GitHub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(https://|ssh://|git@)\S+$"))]
    pub repo_url: Option<String>,
    /// The folder of manifests in the repository (default `k8s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "k8s"))]
    pub path: Option<String>,
    /// CPU the namespace may use in total (default `2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "2"))]
    pub cpu: Option<String>,
    /// Memory the namespace may use in total (default `4Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "4Gi"))]
    pub memory: Option<String>,
    /// Pods at most (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub pods: Option<u32>,
    /// The CPU limit of a container that sets none (default `500m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "500m"))]
    pub default_cpu: Option<String>,
    /// The memory limit of a container that sets none (default `512Mi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "512Mi"))]
    pub default_memory: Option<String>,
    /// The IAM role the pods' service account assumes through IRSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The group bound to the developer role (default: the owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The group bound to the viewer role (default `idp:viewers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_group: Option<String>,
    /// The shared ingress class (default `alb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class: Option<String>,
    /// The namespace of the ingress controller (default `kube-system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_namespace: Option<String>,
    /// The secret with the wildcard certificate, for controllers that read one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret: Option<String>,
}

/// The `local:` section as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLocal {
    /// The command that starts the app on this machine; it must listen on `$PORT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

fn environment_schema(_: &mut schemars::SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
        "additionalProperties": { "type": ["string", "number", "boolean"] },
        "default": {}
    })
}

fn secrets_schema(_: &mut schemars::SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
        "additionalProperties": {
            "type": "string",
            "pattern": "^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?$"
        },
        "default": {}
    })
}

/// The JSON Schema (draft 2020-12) of `.idp/config.yml`, for editors and `idp config schema`.
///
/// Generated from [`RawConfig`]: descriptions, defaults, the accepted `cpu` and
/// `log_retention_days` values, and `additionalProperties: false`. The schema checks shapes;
/// rules that combine keys (CPU/memory pairs, `schedule_expression` per template) are checked by
/// [`super::Config::from_yaml`].
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(RawConfig);
    schema.to_value()
}

/// A commented `.idp/config.yml` documenting every key with its default. Parsing it gives
/// [`super::Config::default`].
pub const EXAMPLE_YAML: &str = r#"# .idp/config.yml: how idp builds and runs this repository's preview environments.
# Every key is optional; the values below are the defaults.

# The infrastructure template: api-service (HTTP behind a load balancer), api-database
# (the same plus PostgreSQL), scheduled-worker (a task on a schedule), or a custom one.
template: api-service

# How long an environment lives after its last push: 30m, 12h, 7d, 2w (1h to 30d).
ttl: 7d

# The container image to run when the repository has no Dockerfile.
image: nginx:alpine

# The Dockerfile to build and its context, relative to the repository root.
# When dockerfile is unset, ./Dockerfile is used if it exists.
# dockerfile: docker/Dockerfile
build_context: .

# The port the container listens on, and the path the load balancer health-checks.
container_port: 80
health_check_path: /

# Fargate size: cpu in units (1024 = 1 vCPU), memory in MiB, as a pair AWS supports
# (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720).
cpu: 256
memory: 512

# Days CloudWatch keeps the logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...
log_retention_days: 3

# Plain environment variables. Values are text exactly as written: 8080 is "8080", no is "no".
environment: {}
#   LOG_LEVEL: debug
#   FEATURE_FLAG: "on"

# Secrets: variable name -> Secrets Manager ARN (optionally :json-key:version-stage:version-id;
# quote a value that ends with `:`).
secrets: {}
#   DATABASE_PASSWORD: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf:password::"

# Run in the platform's shared preview VPC instead of one VPC per environment.
use_shared_networking: false

# Serve through the platform's shared load balancer (on the shared VPC) instead of one load
# balancer per environment (api-service, api-database): cheaper and minutes faster to create.
use_shared_ingress: false

# scheduled-worker only (required there): rate(1 hour), rate(15 minutes), cron(0 6 * * ? *).
# schedule_expression: rate(1 hour)
# An S3 bucket the scheduled worker may read.
# s3_bucket_arn: arn:aws:s3:::my-bucket

# static-site only: the folder of the built site, uploaded on every deploy (default: public).
# site_dir: dist

# The AWS region (the platform default when unset).
# region: eu-west-1

# The local backend (no AWS): the command that starts the app; it must listen on $PORT.
# local:
#   command: npm start

# Template k8s-namespace (a namespace on the shared cluster): its quota, default container
# limits, who may work in it, and what Argo CD syncs (the branch's k8s/ folder).
# kubernetes:
#   cpu: "2"
#   memory: 4Gi
#   pods: 20
#   default_cpu: 500m
#   default_memory: 512Mi
#   path: k8s
#   group: acme/payments
#   role_arn: arn:aws:iam::123456789012:role/payments-preview
"#;
