//! Opening the platform the workflow's environment variables select: `IDP_BACKEND` (`local`,
//! the default, or `aws`) and the `IDP_*` settings of the AWS backend and the templates.

use std::path::PathBuf;
use std::sync::Arc;

use idp_core::adapters::aws::AwsConfig;
use idp_core::adapters::tofu::{TofuConfig, TofuProvisioner};
use idp_core::backend::Backend;
use idp_core::domain::tfvars::PlatformVars;
use idp_core::env_vars::{self, EnvVars};
use idp_core::error::{Error, Result};
use idp_core::platform::{Platform, Settings};

/// The environment variables read here besides [`EnvVars`].
pub(crate) mod vars {
    /// The ECR repository of preview images.
    pub(crate) const IDP_ECR_REPOSITORY: &str = "IDP_ECR_REPOSITORY";
    /// The directory of OpenTofu templates (used by `sweep`, which destroys).
    pub(crate) const IDP_TEMPLATES_DIR: &str = "IDP_TEMPLATES_DIR";
    /// The OpenTofu binary (used by `sweep`).
    pub(crate) const IDP_TOFU: &str = "IDP_TOFU";
    /// The ACM certificate of preview HTTPS listeners.
    pub(crate) const IDP_ACM_CERTIFICATE_ARN: &str = "IDP_ACM_CERTIFICATE_ARN";
    /// The Route 53 zone of the preview domain.
    pub(crate) const IDP_ROUTE53_ZONE_ID: &str = "IDP_ROUTE53_ZONE_ID";
    /// The preview domain.
    pub(crate) const IDP_PREVIEW_DOMAIN: &str = "IDP_PREVIEW_DOMAIN";
    /// The bucket of ALB access logs.
    pub(crate) const IDP_ALB_ACCESS_LOGS_BUCKET: &str = "IDP_ALB_ACCESS_LOGS_BUCKET";
    /// The cost-center tag.
    pub(crate) const IDP_COST_CENTER: &str = "IDP_COST_CENTER";
    /// A per-job scratch directory (set by the runner).
    pub(crate) const RUNNER_TEMP: &str = "RUNNER_TEMP";
}

fn get(name: &str) -> Option<String> {
    env_vars::get(name)
}

/// The platform selected by `IDP_BACKEND`.
pub(crate) async fn platform() -> Result<Platform> {
    let mut settings = Settings {
        actor: env_vars::actor(),
        ..Settings::default()
    };
    if let Some(repo) = get(vars::IDP_ECR_REPOSITORY) {
        settings.image_repository = repo;
    }
    settings.platform_vars = PlatformVars {
        state_bucket: get(EnvVars::IDP_STATE_BUCKET).unwrap_or_default(),
        acm_certificate_arn: get(vars::IDP_ACM_CERTIFICATE_ARN).unwrap_or_default(),
        route53_zone_id: get(vars::IDP_ROUTE53_ZONE_ID).unwrap_or_default(),
        preview_domain: get(vars::IDP_PREVIEW_DOMAIN).unwrap_or_default(),
        alb_access_logs_bucket: get(vars::IDP_ALB_ACCESS_LOGS_BUCKET).unwrap_or_default(),
        cost_center: get(vars::IDP_COST_CENTER).unwrap_or_else(|| PlatformVars::default().cost_center),
    };
    let scratch = get(vars::RUNNER_TEMP).map_or_else(env_vars::default_state_dir, PathBuf::from);
    let backend = match get(EnvVars::IDP_BACKEND).as_deref().unwrap_or("local") {
        "local" => Backend::local(get(EnvVars::IDP_STATE_DIR).map_or_else(env_vars::default_state_dir, PathBuf::from)),
        "aws" => {
            let missing = |var: &str| Error::Refused {
                reason: "aws_backend_unconfigured".into(),
                message: format!("the AWS backend needs `{var}`: set it in the workflow's `env:`"),
            };
            let bucket = get(EnvVars::IDP_STATE_BUCKET).ok_or_else(|| missing(EnvVars::IDP_STATE_BUCKET))?;
            let table = get(EnvVars::IDP_LOCK_TABLE).ok_or_else(|| missing(EnvVars::IDP_LOCK_TABLE))?;
            let region = get(EnvVars::IDP_REGION).ok_or_else(|| missing(EnvVars::IDP_REGION))?;
            let mut cfg = AwsConfig::new(&region, &bucket, &table, settings.image_repository.clone());
            if let Some(url) = get(EnvVars::IDP_ENDPOINT_URL) {
                cfg = cfg.with_endpoint_url(&url);
            }
            let templates = get(vars::IDP_TEMPLATES_DIR).unwrap_or_else(|| "infrastructure/templates".to_owned());
            let mut tofu = TofuConfig::new(templates, scratch.join("idp-tofu"), &bucket, &table, &region);
            if let Some(program) = get(vars::IDP_TOFU) {
                tofu.program = PathBuf::from(program);
            }
            settings.state_bucket = bucket;
            settings.region = region;
            Backend::aws(cfg, Arc::new(TofuProvisioner::new(tofu))).await
        }
        other => {
            return Err(Error::Refused {
                reason: "unknown_backend".into(),
                message: format!("`IDP_BACKEND` is `{}`: use `local` or `aws`", other.escape_debug()),
            });
        }
    };
    Ok(Platform::new(backend).with_settings(settings))
}
