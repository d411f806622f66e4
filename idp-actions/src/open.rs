//! Opening the platform the workflow's environment variables select, through idp-core's
//! `setup::open`: `IDP_BACKEND` (`local`, the default, or `aws`) with the `IDP_*` settings,
//! the platform-wide template inputs (certificate, DNS zone, preview domain), and the GitHub
//! forge (`GITHUB_API_URL`, `GITHUB_TOKEN`) for pull-request comments.

use std::path::PathBuf;
use std::sync::Arc;

use idp_core::adapters::github::{GitHubConfig, GitHubForge};
use idp_core::domain::tfvars::PlatformVars;
use idp_core::error::{Error, Result};
use idp_core::platform::Platform;
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::open::{self as core_open, AwsOptions, BackendChoice};

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
    /// The workflow's token (pull-request comments).
    pub(crate) const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
}

fn get(name: &str) -> Option<String> {
    env_vars::get(name)
}

/// The platform selected by `IDP_BACKEND`.
pub(crate) async fn platform() -> Result<Platform> {
    let choice = match get(EnvVars::IDP_BACKEND).as_deref().unwrap_or("local") {
        "local" => BackendChoice::Local {
            state_dir: get(EnvVars::IDP_STATE_DIR).map(PathBuf::from),
        },
        "aws" => {
            let defaults = AwsOptions::default();
            BackendChoice::Aws(AwsOptions {
                state_bucket: get(EnvVars::IDP_STATE_BUCKET),
                lock_table: get(EnvVars::IDP_LOCK_TABLE),
                region: get(EnvVars::IDP_REGION),
                endpoint_url: get(EnvVars::IDP_ENDPOINT_URL),
                profile: None,
                ecr_repository: get(vars::IDP_ECR_REPOSITORY).unwrap_or(defaults.ecr_repository),
                templates_dir: get(vars::IDP_TEMPLATES_DIR)
                    .map_or(defaults.templates_dir, PathBuf::from),
                tofu_program: get(vars::IDP_TOFU).map_or(defaults.tofu_program, PathBuf::from),
                data_dir: get(vars::RUNNER_TEMP).map(|t| PathBuf::from(t).join("idp-tofu")),
            })
        }
        other => {
            return Err(Error::Refused {
                reason: "unknown_backend".into(),
                message: format!(
                    "`IDP_BACKEND` is `{}`: use `local` or `aws`",
                    other.escape_debug()
                ),
            });
        }
    };
    let mut platform = core_open::open(choice).await?;
    let settings = &mut platform.settings;
    if let Some(repo) = get(vars::IDP_ECR_REPOSITORY) {
        settings.image_repository = repo;
    }
    settings.platform_vars = PlatformVars {
        state_bucket: get(EnvVars::IDP_STATE_BUCKET).unwrap_or_default(),
        acm_certificate_arn: get(vars::IDP_ACM_CERTIFICATE_ARN).unwrap_or_default(),
        route53_zone_id: get(vars::IDP_ROUTE53_ZONE_ID).unwrap_or_default(),
        preview_domain: get(vars::IDP_PREVIEW_DOMAIN).unwrap_or_default(),
        alb_access_logs_bucket: get(vars::IDP_ALB_ACCESS_LOGS_BUCKET).unwrap_or_default(),
        cost_center: get(vars::IDP_COST_CENTER)
            .unwrap_or_else(|| PlatformVars::default().cost_center),
    };
    if get(vars::GITHUB_TOKEN).is_some() {
        let forge = GitHubForge::new(&GitHubConfig::from_env()).map_err(|e| Error::Refused {
            reason: "github_unconfigured".into(),
            message: format!("cannot set up the GitHub client: {e}"),
        })?;
        platform.backend = platform.backend.with_forge(Arc::new(forge));
    }
    Ok(platform)
}
