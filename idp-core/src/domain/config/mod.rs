//! `.idp/config.yml`: the per-repository configuration of preview environments.
//!
//! [`Config`] is the validated form every other part of idp reads. When the file is absent,
//! [`Config::default`] gives the documented defaults. [`Config::from_yaml`] reads the file and
//! reports every problem at once, each at the line and column of its key ([`ConfigErrors`]);
//! [`Config::to_yaml`] writes a complete file back; [`json_schema`] and [`EXAMPLE_YAML`] document
//! the format for editors and `idp init`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::template::{BUILTIN_TEMPLATES, TemplateName};
use crate::domain::ttl::{Ttl, TtlPolicy};

pub mod error;
mod kubernetes;
pub(in crate::domain) mod read;
pub mod schema;
mod validate;

pub use error::{ConfigError, ConfigErrors};
pub use schema::{EXAMPLE_YAML, RawConfig, RawKubernetes, RawLocal, json_schema};
pub use validate::is_region;

/// Where a repository keeps its configuration, relative to its root.
pub const DEFAULT_PATH: &str = ".idp/config.yml";

/// The default container image when the repository has no Dockerfile.
pub const DEFAULT_IMAGE: &str = "nginx:alpine";

/// The validated configuration of a repository's preview environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// The infrastructure template (`api-service`, `api-database`, `scheduled-worker`, or custom).
    pub template: TemplateName,
    /// The port the container listens on (1–65535).
    pub container_port: u16,
    /// How long an environment lives after its last push.
    pub ttl: Ttl,
    /// Fargate CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
    pub cpu: u32,
    /// Fargate memory in MiB, valid for `cpu`.
    pub memory: u32,
    /// CloudWatch log retention in days (a value CloudWatch accepts).
    pub log_retention_days: u32,
    /// The Dockerfile to build, relative to the repository root (auto-detected when unset).
    pub dockerfile: Option<String>,
    /// The docker build context.
    pub build_context: String,
    /// The image to run when there is no Dockerfile.
    pub image: String,
    /// Plain environment variables of the container.
    pub environment: BTreeMap<String, String>,
    /// Secrets of the container: variable name → Secrets Manager ARN (`valueFrom`).
    pub secrets: BTreeMap<String, String>,
    /// The HTTP path the load balancer (and the local runtime) health-checks.
    pub health_check_path: String,
    /// Use the shared preview VPC instead of one VPC per environment.
    pub use_shared_networking: bool,
    /// Serve through the platform's shared load balancer (`shared/preview-ingress`, on the shared
    /// VPC) instead of a load balancer per environment (`api-service`, `api-database`).
    pub use_shared_ingress: bool,
    /// `rate(...)` or `cron(...)`; required by `scheduled-worker`.
    pub schedule_expression: Option<String>,
    /// An S3 bucket the scheduled worker may read.
    pub s3_bucket_arn: Option<String>,
    /// The folder of the built site `static-site` uploads, relative to the repository root.
    pub site_dir: Option<String>,
    /// The AWS region (the platform default when unset).
    pub region: Option<String>,
    /// Settings of the local backend.
    pub local: LocalConfig,
    /// Settings of the `k8s-namespace` template.
    pub kubernetes: KubernetesConfig,
}

/// Settings of the `k8s-namespace` template (the `kubernetes:` section): what the preview's
/// namespace may use and who may work in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubernetesConfig {
    /// The repository Argo CD syncs; `None`: the pull request's repository.
    pub repo_url: Option<String>,
    /// The folder of manifests in the repository.
    pub path: String,
    /// CPU in total (a Kubernetes quantity).
    pub cpu: String,
    /// Memory in total (a Kubernetes quantity).
    pub memory: String,
    /// Pods at most.
    pub pods: u32,
    /// The CPU limit of a container that sets none.
    pub default_cpu: String,
    /// The memory limit of a container that sets none.
    pub default_memory: String,
    /// The IAM role of the pods' service account (IRSA).
    pub role_arn: Option<String>,
    /// The group bound to the developer role; `None`: the owner.
    pub group: Option<String>,
    /// The group bound to the viewer role.
    pub viewer_group: String,
    /// The shared ingress class.
    pub ingress_class: String,
    /// The namespace of the ingress controller.
    pub ingress_namespace: String,
    /// The secret with the wildcard certificate, if the controller reads one.
    pub tls_secret: Option<String>,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        let quota = crate::domain::kubernetes::namespace::Quota::default();
        Self {
            repo_url: None,
            path: "k8s".to_owned(),
            cpu: quota.cpu,
            memory: quota.memory,
            pods: quota.pods,
            default_cpu: quota.default_cpu,
            default_memory: quota.default_memory,
            role_arn: None,
            group: None,
            viewer_group: "idp:viewers".to_owned(),
            ingress_class: "alb".to_owned(),
            ingress_namespace: "kube-system".to_owned(),
            tls_secret: None,
        }
    }
}

/// Settings used only by the embedded local backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LocalConfig {
    /// The command that starts the app locally; it must listen on `$PORT`.
    pub command: Option<String>,
}

/// The folder `static-site` uploads when the config sets no `site_dir`.
pub const DEFAULT_SITE_DIR: &str = "public";

impl Config {
    /// The folder of the built site a `static-site` uploads: `site_dir`, else
    /// [`DEFAULT_SITE_DIR`], relative to the repository root.
    pub fn site_dir(&self) -> &str {
        self.site_dir.as_deref().unwrap_or(DEFAULT_SITE_DIR)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            template: TemplateName::default_template(),
            container_port: 80,
            ttl: Ttl::DEFAULT,
            cpu: 256,
            memory: 512,
            log_retention_days: 3,
            dockerfile: None,
            build_context: ".".to_owned(),
            image: DEFAULT_IMAGE.to_owned(),
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            health_check_path: "/".to_owned(),
            use_shared_networking: false,
            use_shared_ingress: false,
            schedule_expression: None,
            s3_bucket_arn: None,
            site_dir: None,
            region: None,
            local: LocalConfig::default(),
            kubernetes: KubernetesConfig::default(),
        }
    }
}

/// What [`Config::from_yaml_with`] checks against: the platform's TTL bounds and templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOptions {
    /// The TTL bounds (default: 1h to 30d).
    pub ttl_policy: TtlPolicy,
    /// The templates the platform offers (default: [`BUILTIN_TEMPLATES`]).
    pub templates: Vec<TemplateName>,
}

impl Default for ConfigOptions {
    fn default() -> Self {
        Self {
            ttl_policy: TtlPolicy::default(),
            templates: BUILTIN_TEMPLATES
                .iter()
                .filter_map(|t| TemplateName::new(t))
                .collect(),
        }
    }
}

impl Config {
    /// Parse and validate the text of `.idp/config.yml` with the default [`ConfigOptions`].
    ///
    /// `file` is the name used in errors (e.g. `.idp/config.yml`). An empty document (or one
    /// with only comments) gives [`Config::default`]; so does a missing file, which the caller
    /// handles by not calling this. Every problem is reported, sorted by position.
    ///
    /// ```
    /// use idp_core::domain::config::Config;
    ///
    /// let config = Config::from_yaml("cpu: 512\nmemory: 1024\nenvironment:\n  PORT: 8080\n", ".idp/config.yml")?;
    /// assert_eq!(config.environment["PORT"], "8080");
    ///
    /// let errors = Config::from_yaml("cpu: 512\nmemroy: 1024\n", ".idp/config.yml").unwrap_err();
    /// assert_eq!(errors.len(), 2); // every problem at once, in file order
    /// assert_eq!(
    ///     errors.0[1].to_string(),
    ///     ".idp/config.yml:2:1: key `memroy`: unknown key `memroy`\n  hint: did you mean `memory`?",
    /// );
    /// # Ok::<(), idp_core::domain::config::ConfigErrors>(())
    /// ```
    pub fn from_yaml(text: &str, file: &str) -> Result<Self, ConfigErrors> {
        Self::from_yaml_with(text, file, &ConfigOptions::default())
    }

    /// The configuration of a repository whose file at [`DEFAULT_PATH`] has `bytes`, or does not
    /// exist (`None`): then the defaults apply. Bytes that are not UTF-8 text (or are binary)
    /// are one error at the first offending byte. A file named anywhere else must exist; finding
    /// it is [`crate::setup::config_file`]'s job.
    pub fn from_bytes_or_defaults(bytes: Option<&[u8]>, file: &str) -> Result<Self, ConfigErrors> {
        Self::from_bytes_or_defaults_with(bytes, file, &ConfigOptions::default())
    }

    /// [`Config::from_bytes_or_defaults`] against `options` (the platform's TTL bounds and
    /// template list).
    pub fn from_bytes_or_defaults_with(
        bytes: Option<&[u8]>,
        file: &str,
        options: &ConfigOptions,
    ) -> Result<Self, ConfigErrors> {
        match bytes.map(crate::domain::text::utf8).transpose() {
            Ok(None) => Ok(Self::default()),
            Ok(Some(text)) => Self::from_yaml_with(text, file, options),
            Err(e) => Err(ConfigErrors(vec![error::ConfigError {
                file: file.to_owned(),
                line: e.line,
                column: e.column,
                key: String::new(),
                value: None,
                message: format!("`{file}` {}", e.what),
                fix: crate::domain::text::NotText::FIX.to_owned(),
            }])),
        }
    }

    /// Parse the text of `.idp/config.yml`, or give the defaults when there is no file.
    pub fn from_file_or_defaults(text: Option<&str>, file: &str) -> Result<Self, ConfigErrors> {
        match text {
            Some(text) => Self::from_yaml(text, file),
            None => Ok(Self::default()),
        }
    }

    /// Parse and validate the text of `.idp/config.yml` against `options` (the platform's TTL
    /// bounds and template list).
    pub fn from_yaml_with(
        text: &str,
        file: &str,
        options: &ConfigOptions,
    ) -> Result<Self, ConfigErrors> {
        let mut report = read::Report::new(file);
        let parsed = read::parse(text, &mut report);
        let config = validate::validate(&parsed, options, &mut report);
        match report.finish() {
            Some(errors) => Err(errors),
            None => Ok(config),
        }
    }

    /// The configuration as a complete `.idp/config.yml` (every key with a value, none left to
    /// defaults) that [`Config::from_yaml`] reads back to an equal `Config`.
    pub fn to_yaml(&self) -> String {
        match serde_saphyr::to_string(&self.to_raw()) {
            Ok(text) => text,
            // Unreachable for these plain types; keep the output a valid (empty) document.
            Err(err) => format!("# could not write the configuration: {err}\n"),
        }
    }

    /// The configuration in its file shape, with every key set.
    pub fn to_raw(&self) -> RawConfig {
        RawConfig {
            template: Some(self.template.to_string()),
            container_port: Some(u32::from(self.container_port)),
            ttl: Some(self.ttl.to_string()),
            cpu: Some(self.cpu),
            memory: Some(self.memory),
            log_retention_days: Some(self.log_retention_days),
            dockerfile: self.dockerfile.clone(),
            build_context: Some(self.build_context.clone()),
            image: Some(self.image.clone()),
            container_image: None,
            environment: Some(self.environment.clone()),
            secrets: Some(self.secrets.clone()),
            health_check_path: Some(self.health_check_path.clone()),
            use_shared_networking: Some(self.use_shared_networking),
            use_shared_ingress: Some(self.use_shared_ingress),
            schedule_expression: self.schedule_expression.clone(),
            s3_bucket_arn: self.s3_bucket_arn.clone(),
            site_dir: self.site_dir.clone(),
            region: self.region.clone(),
            local: self.local.command.clone().map(|command| RawLocal {
                command: Some(command),
            }),
            kubernetes: (self.kubernetes != KubernetesConfig::default()).then(|| {
                let k = &self.kubernetes;
                RawKubernetes {
                    repo_url: k.repo_url.clone(),
                    path: Some(k.path.clone()),
                    cpu: Some(k.cpu.clone()),
                    memory: Some(k.memory.clone()),
                    pods: Some(k.pods),
                    default_cpu: Some(k.default_cpu.clone()),
                    default_memory: Some(k.default_memory.clone()),
                    role_arn: k.role_arn.clone(),
                    group: k.group.clone(),
                    viewer_group: Some(k.viewer_group.clone()),
                    ingress_class: Some(k.ingress_class.clone()),
                    ingress_namespace: Some(k.ingress_namespace.clone()),
                    tls_secret: k.tls_secret.clone(),
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests;
