//! Opening the backend the flags, environment and defaults select (flag > `IDP_*` environment
//! variable > default).

use std::sync::Arc;

use idp_core::adapters::aws::AwsConfig;
use idp_core::adapters::tofu::{TofuConfig, TofuProvisioner};
use idp_core::backend::Backend;
use idp_core::env_vars;
use idp_core::error::{Error, Result};
use idp_core::platform::{Platform, Settings};

use crate::cli::{AwsArgs, BackendKind, Cli};

/// The platform selected by `--backend`.
pub(crate) async fn platform(cli: &Cli) -> Result<Platform> {
    let mut settings = Settings {
        actor: env_vars::actor(),
        ..Settings::default()
    };
    let backend = match cli.backend {
        BackendKind::Local => {
            let dir = cli.state_dir.clone().unwrap_or_else(env_vars::default_state_dir);
            Backend::local(dir)
        }
        BackendKind::Aws => {
            let cfg = aws_config(&cli.aws)?;
            let data_dir = cli.state_dir.clone().unwrap_or_else(env_vars::default_state_dir).join("tofu");
            let mut tofu = TofuConfig::new(
                &cli.aws.templates_dir,
                data_dir,
                &cfg.state_bucket,
                &cfg.lock_table,
                &cfg.region,
            );
            tofu.program = cli.aws.tofu.clone();
            settings.state_bucket = cfg.state_bucket.clone();
            settings.image_repository = cfg.ecr_repository.clone();
            settings.region = cfg.region.clone();
            Backend::aws(cfg, Arc::new(TofuProvisioner::new(tofu))).await
        }
    };
    Ok(Platform::new(backend).with_settings(settings))
}

fn aws_config(args: &AwsArgs) -> Result<AwsConfig> {
    let missing = |flag: &str, var: &str| Error::Refused {
        reason: "aws_backend_unconfigured".into(),
        message: format!("the AWS backend needs `--{flag}` (or `{var}`)"),
    };
    let bucket = args.state_bucket.clone().ok_or_else(|| missing("state-bucket", "IDP_STATE_BUCKET"))?;
    let table = args.lock_table.clone().ok_or_else(|| missing("lock-table", "IDP_LOCK_TABLE"))?;
    let region = args.region.clone().ok_or_else(|| missing("region", "IDP_REGION"))?;
    let mut cfg = AwsConfig::new(region, bucket, table, args.ecr_repository.clone());
    if let Some(url) = &args.endpoint_url {
        cfg = cfg.with_endpoint_url(url);
    }
    if let Some(profile) = &args.profile {
        cfg = cfg.with_profile(profile);
    }
    Ok(cfg)
}
