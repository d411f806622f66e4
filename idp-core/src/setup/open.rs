//! Opening a [`Platform`] from a backend choice: the one place that turns "local in this
//! directory" or "AWS with this bucket, table and region" into ports and settings, so every
//! frontend (CLI, Python, the Action) opens backends the same way.

use std::path::PathBuf;

use crate::backend::Backend;
use crate::error::Result;
use crate::platform::{Platform, Settings};
use crate::setup::env_vars;

/// Which backend to open.
#[derive(Debug, Clone)]
pub enum BackendChoice {
    /// The embedded local backend in `state_dir` (default: [`env_vars::default_state_dir`]).
    Local {
        /// The state directory.
        state_dir: Option<PathBuf>,
    },
    /// S3 + DynamoDB + ECS + CloudWatch Logs + ECR, applied with OpenTofu.
    #[cfg(feature = "aws")]
    Aws(AwsOptions),
}

/// Where the AWS backend keeps state and how it runs OpenTofu.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// The S3 bucket holding environment state.
    pub state_bucket: Option<String>,
    /// The DynamoDB table of leases and OpenTofu locks (partition key `LockID`).
    pub lock_table: Option<String>,
    /// The AWS region.
    pub region: Option<String>,
    /// An endpoint override (S3/DynamoDB-compatible services, a local AWS double).
    pub endpoint_url: Option<String>,
    /// The AWS profile (else the standard credential chain).
    pub profile: Option<String>,
    /// The ECR repository holding preview images.
    pub ecr_repository: String,
    /// The directory of OpenTofu templates.
    pub templates_dir: PathBuf,
    /// The OpenTofu (or Terraform) binary.
    pub tofu_program: PathBuf,
    /// Where each environment's `TF_DATA_DIR` goes (default: `<default state dir>/tofu`).
    pub data_dir: Option<PathBuf>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            state_bucket: None,
            lock_table: None,
            region: None,
            endpoint_url: None,
            profile: None,
            ecr_repository: "idp-preview".to_owned(),
            templates_dir: PathBuf::from("infrastructure/templates"),
            tofu_program: PathBuf::from("tofu"),
            data_dir: None,
        }
    }
}

/// Open the platform `choice` names, with default settings and the acting user from the
/// environment ([`env_vars::actor`]).
pub async fn open(choice: BackendChoice) -> Result<Platform> {
    let settings = Settings {
        actor: env_vars::actor(),
        ..Settings::default()
    };
    let (backend, settings) = match choice {
        BackendChoice::Local { state_dir } => (
            Backend::local(state_dir.unwrap_or_else(env_vars::default_state_dir)),
            settings,
        ),
        #[cfg(feature = "aws")]
        BackendChoice::Aws(opts) => aws::open(opts, settings).await?,
    };
    Ok(Platform::new(backend).with_settings(settings))
}

#[cfg(feature = "aws")]
mod aws {
    use std::sync::Arc;

    use super::AwsOptions;
    use crate::adapters::aws::AwsConfig;
    use crate::adapters::tofu::{TofuConfig, TofuProvisioner};
    use crate::backend::Backend;
    use crate::error::{Error, Result};
    use crate::platform::Settings;
    use crate::setup::env_vars::{self, EnvVars};

    fn missing(what: &str, flag: &str, var: &str) -> Error {
        Error::Refused {
            reason: "aws_backend_unconfigured".into(),
            message: format!("the AWS backend needs {what}: pass `{flag}` or set `{var}`"),
        }
    }

    pub(super) async fn open(
        opts: AwsOptions,
        mut settings: Settings,
    ) -> Result<(Backend, Settings)> {
        let bucket = opts.state_bucket.ok_or_else(|| {
            missing(
                "a state bucket",
                "--state-bucket",
                EnvVars::IDP_STATE_BUCKET,
            )
        })?;
        let table = opts
            .lock_table
            .ok_or_else(|| missing("a lock table", "--lock-table", EnvVars::IDP_LOCK_TABLE))?;
        let region = opts
            .region
            .ok_or_else(|| missing("a region", "--region", EnvVars::IDP_REGION))?;
        let mut cfg = AwsConfig::new(region, bucket, table, opts.ecr_repository);
        if let Some(url) = opts.endpoint_url {
            cfg = cfg.with_endpoint_url(url);
        }
        if let Some(profile) = opts.profile {
            cfg = cfg.with_profile(profile);
        }
        let data_dir = opts
            .data_dir
            .unwrap_or_else(|| env_vars::default_state_dir().join("tofu"));
        let mut tofu = TofuConfig::new(
            opts.templates_dir,
            data_dir,
            &cfg.state_bucket,
            &cfg.lock_table,
            &cfg.region,
        );
        tofu.program = opts.tofu_program;
        settings.state_bucket = cfg.state_bucket.clone();
        settings.image_repository = cfg.ecr_repository.clone();
        settings.region = cfg.region.clone();
        let backend = Backend::aws(cfg, Arc::new(TofuProvisioner::new(tofu))).await;
        Ok((backend, settings))
    }
}
