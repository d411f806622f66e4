//! The global flags as the resolver's explicit inputs. idp-core applies the precedence (flag >
//! environment variable > settings file > default) and opens the platform.

use std::path::PathBuf;

use idp_core::error::Result;
use idp_core::platform::Platform;
use idp_core::setup::open::{self, Options};
use idp_core::setup::settings::{self as settings_file, Key, Resolved};

use crate::cli::{BackendKind, Cli};

/// The settings given as flags.
pub(crate) fn options(cli: &Cli) -> Options {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|d| d.display().to_string());
    let (aws, inputs) = (&cli.aws, &cli.aws.templates);
    Options::new()
        .set(
            Key::Backend,
            cli.backend.map(|b| match b {
                BackendKind::Local => "local",
                BackendKind::Aws => "aws",
            }),
        )
        .set(Key::StateDir, path(&cli.state_dir))
        .set(Key::AwsStateBucket, aws.state_bucket.clone())
        .set(Key::AwsLockTable, aws.lock_table.clone())
        .set(Key::AwsRegion, aws.region.clone())
        .set(Key::AwsEndpointUrl, aws.endpoint_url.clone())
        .set(Key::AwsProfile, aws.profile.clone())
        .set(Key::AwsEcrRepo, aws.ecr_repository.clone())
        .set(Key::AwsTemplatesDir, path(&aws.templates_dir))
        .set(Key::AwsTeamTemplatesDirs, aws.team_templates_dirs.clone())
        .set(Key::AwsTofu, path(&aws.tofu))
        .set(
            Key::AwsAcmCertificateArn,
            inputs.acm_certificate_arn.clone(),
        )
        .set(Key::AwsRoute53ZoneId, inputs.route53_zone_id.clone())
        .set(Key::AwsPreviewDomain, inputs.preview_domain.clone())
        .set(
            Key::AwsAlbAccessLogsBucket,
            inputs.alb_access_logs_bucket.clone(),
        )
        .set(Key::AwsCostCenter, inputs.cost_center.clone())
        .set(
            Key::AwsNatGatewayPerAz,
            inputs.nat_gateway_per_az.map(|b| b.to_string()),
        )
        .set(
            Key::AwsVpcFlowLogs,
            inputs.vpc_flow_logs.map(|b| b.to_string()),
        )
        .set(
            Key::AwsUseSharedIngress,
            inputs.use_shared_ingress.map(|b| b.to_string()),
        )
        .set(Key::AwsSecretPatterns, inputs.secret_patterns.clone())
        .set(
            Key::AwsPermissionsBoundary,
            inputs.permissions_boundary.clone(),
        )
        .set(
            Key::AwsRegionalCertificates,
            inputs.regional_certificates.clone(),
        )
        .set(Key::AwsAlarmTopicArn, inputs.alarm_topic_arn.clone())
        .set(Key::GithubRepo, cli.repo.clone())
        .set(Key::TtlMin, cli.ttl_min.clone())
        .set(Key::TtlMax, cli.ttl_max.clone())
}

/// The settings file's path.
pub(crate) fn settings_path() -> PathBuf {
    settings_file::default_path()
}

/// Every setting after the precedence rule.
pub(crate) fn settings(cli: &Cli) -> Result<Resolved> {
    open::resolve(&options(cli))
}

/// The platform the settings select.
pub(crate) async fn platform(cli: &Cli) -> Result<Platform> {
    open::open(&options(cli)).await
}
