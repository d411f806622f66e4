//! `.idp/config.yml`: the per-repository configuration of preview environments.
//!
//! [`Config`] is the validated form every other part of idp reads. When the file is absent,
//! [`Config::default`] gives the documented defaults.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::template::TemplateName;
use crate::domain::ttl::Ttl;

pub mod error;
pub mod schema;

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
    /// Fargate CPU units (256, 512, 1024, 2048, 4096).
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
    /// `rate(...)` or `cron(...)`; required by `scheduled-worker`.
    pub schedule_expression: Option<String>,
    /// An S3 bucket the scheduled worker may read.
    pub s3_bucket_arn: Option<String>,
    /// The AWS region (the platform default when unset).
    pub region: Option<String>,
    /// Settings of the local backend.
    pub local: LocalConfig,
}

/// Settings used only by the embedded local backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LocalConfig {
    /// The command that starts the app locally; it must listen on `$PORT`.
    pub command: Option<String>,
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
            schedule_expression: None,
            s3_bucket_arn: None,
            region: None,
            local: LocalConfig::default(),
        }
    }
}
