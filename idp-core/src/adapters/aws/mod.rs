//! The AWS backend: S3 for state, DynamoDB for leases and OpenTofu locks, ECS for redeploys,
//! CloudWatch Logs for logs and ECR for images.
//!
//! This module only builds the SDK clients (region, profile, endpoint override, retries and
//! timeouts set explicitly) and hands each to its adapter. The adapters translate port calls into
//! SDK calls and SDK errors into port errors; they hold no naming or ownership rules, which stay in
//! the domain. Every adapter also works against an S3/DynamoDB-compatible endpoint such as moto,
//! which is how `tests/conformance` runs them.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};

mod alarms;
mod budgets;
mod cost_explorer;
mod dynamodb;
mod ecr;
mod ecs;
mod error;
mod logs;
mod orphans;
mod s3;
mod secrets;
mod site;

pub use alarms::CloudWatchAlarms;
pub use budgets::AwsBudgets;
pub use cost_explorer::{COST_EXPLORER_REGION, CostExplorerBilling};
pub use dynamodb::DynamoDbLockTable;
pub use ecr::EcrRegistry;
pub use ecs::EcsDeployer;
pub use site::SitePublisher;

/// The region CloudFront's API is signed for (the service is global).
const CLOUDFRONT_REGION: &str = "us-east-1";
pub use logs::CloudWatchLogSource;
pub use orphans::{OrphanReaper, Reaping};
pub use s3::S3Store;
pub use secrets::AwsSecrets;

/// How many times an SDK call is tried in all (the first try and 3 retries) before its error is
/// returned. Throttling, 5xx answers and dropped connections are retried with jittered
/// exponential backoff starting at [`INITIAL_BACKOFF`].
pub const MAX_ATTEMPTS: u32 = 4;
/// The first retry's backoff; each later one doubles, up to 20 s (the SDK's cap).
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
/// How long to wait for a TCP/TLS connection to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one try of a call may take (a state file download included).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a call may take over all its tries and backoffs.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

/// Where the AWS backend keeps things, and how to reach AWS.
///
/// Credentials come from the standard chain (environment, `profile`, SSO, web identity as in
/// GitHub Actions OIDC, container and instance roles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// The region of every resource, e.g. `us-east-1`.
    pub region: String,
    /// The S3 bucket holding environment state (and OpenTofu's state files).
    pub state_bucket: String,
    /// The DynamoDB table with partition key `LockID` (string): the table OpenTofu's S3 backend
    /// locks with, which also holds idp's leases.
    pub lock_table: String,
    /// The ECR repository the environments' images are pushed to.
    pub ecr_repository: String,
    /// An endpoint that replaces every AWS endpoint (an S3/DynamoDB-compatible service, or moto
    /// in tests). S3 is then addressed path-style (`endpoint/bucket/key`).
    pub endpoint_url: Option<String>,
    /// The shared-config profile to take credentials and settings from, instead of the default.
    pub profile: Option<String>,
}

impl AwsConfig {
    /// A configuration with the default endpoints and credential chain.
    pub fn new(
        region: impl Into<String>,
        state_bucket: impl Into<String>,
        lock_table: impl Into<String>,
        ecr_repository: impl Into<String>,
    ) -> Self {
        Self {
            region: region.into(),
            state_bucket: state_bucket.into(),
            lock_table: lock_table.into(),
            ecr_repository: ecr_repository.into(),
            endpoint_url: None,
            profile: None,
        }
    }

    /// The same configuration with every AWS endpoint replaced by `endpoint_url`.
    #[must_use]
    pub fn with_endpoint_url(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }

    /// The same configuration reading credentials from the shared-config profile `profile`.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The SDK configuration loader with this region, profile and endpoint, and with idp's
    /// retries ([`MAX_ATTEMPTS`], [`INITIAL_BACKOFF`]) and timeouts ([`CONNECT_TIMEOUT`],
    /// [`ATTEMPT_TIMEOUT`], [`OPERATION_TIMEOUT`]).
    ///
    /// Change it before loading to supply other credentials, e.g. static test credentials for
    /// an endpoint like moto: `cfg.sdk_config_loader().test_credentials().load().await`.
    pub fn sdk_config_loader(&self) -> ConfigLoader {
        let retry = RetryConfig::standard()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_initial_backoff(INITIAL_BACKOFF);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        loader
    }

    /// Loads the SDK configuration from [`AwsConfig::sdk_config_loader`] and the standard
    /// credential chain.
    pub async fn load_sdk_config(&self) -> SdkConfig {
        self.sdk_config_loader().load().await
    }
}

/// The AWS adapter of every port the AWS backend provides, sharing one SDK configuration.
#[derive(Debug, Clone)]
pub struct AwsAdapters {
    /// The state bucket.
    pub store: S3Store,
    /// Leases and OpenTofu lock items.
    pub locks: DynamoDbLockTable,
    /// Service redeploys and health.
    pub deployer: EcsDeployer,
    /// Environment logs.
    pub logs: CloudWatchLogSource,
    /// Container images.
    pub registry: EcrRegistry,
    /// Cost budgets (AWS Budgets) and their alert topic (SNS).
    pub budgets: AwsBudgets,
    /// Billed cost, from Cost Explorer (always in its region, `us-east-1`).
    pub billing: CostExplorerBilling,
    /// Order secrets: SSM parameters and Secrets Manager secrets.
    pub secrets: AwsSecrets,
}

impl AwsAdapters {
    /// Builds every client from `sdk` and points the adapters at the resources named in `cfg`.
    pub fn new(cfg: &AwsConfig, sdk: &SdkConfig) -> Self {
        // An endpoint override is usually an IP or a host without wildcard DNS, where the
        // virtual-host style `bucket.host` cannot resolve.
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(cfg.endpoint_url.is_some())
            .build();
        Self {
            store: S3Store::new(
                aws_sdk_s3::Client::from_conf(s3_config.clone()),
                cfg.state_bucket.clone(),
            ),
            locks: DynamoDbLockTable::new(
                aws_sdk_dynamodb::Client::new(sdk),
                cfg.lock_table.clone(),
            ),
            deployer: EcsDeployer::new(aws_sdk_ecs::Client::new(sdk))
                .with_load_balancers(aws_sdk_elasticloadbalancingv2::Client::new(sdk))
                .with_alarms(cloudwatch_alarms(sdk))
                .with_sites(SitePublisher::new(
                    aws_sdk_s3::Client::from_conf(s3_config),
                    // CloudFront is global: its API is signed for us-east-1.
                    aws_sdk_cloudfront::Client::from_conf(
                        aws_sdk_cloudfront::config::Builder::from(sdk)
                            .region(Region::new(CLOUDFRONT_REGION))
                            .build(),
                    ),
                )),
            logs: CloudWatchLogSource::new(aws_sdk_cloudwatchlogs::Client::new(sdk)),
            registry: EcrRegistry::new(aws_sdk_ecr::Client::new(sdk)),
            budgets: AwsBudgets::new(
                aws_sdk_budgets::Client::new(sdk),
                aws_sdk_sns::Client::new(sdk),
                aws_sdk_sts::Client::new(sdk),
            ),
            billing: CostExplorerBilling::new(aws_sdk_costexplorer::Client::from_conf(
                aws_sdk_costexplorer::config::Builder::from(sdk)
                    .region(Region::new(COST_EXPLORER_REGION))
                    .build(),
            )),
            secrets: AwsSecrets::new(
                aws_sdk_ssm::Client::new(sdk),
                aws_sdk_secretsmanager::Client::new(sdk),
            ),
        }
    }

    /// Loads the SDK configuration for `cfg` (standard credential chain) and builds the adapters.
    pub async fn load(cfg: &AwsConfig) -> Self {
        Self::new(cfg, &cfg.load_sdk_config().await)
    }
}

/// The alarms reader of `sdk`'s region, and of us-east-1 (CloudFront's alarms) when that is
/// another region.
fn cloudwatch_alarms(sdk: &SdkConfig) -> CloudWatchAlarms {
    let alarms = CloudWatchAlarms::new(aws_sdk_cloudwatch::Client::new(sdk));
    if sdk.region().map(Region::as_ref) == Some(CLOUDFRONT_REGION) {
        return alarms;
    }
    alarms.with_us_east_1(aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(sdk)
            .region(Region::new(CLOUDFRONT_REGION))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_loader_sets_region_endpoint_retries_and_timeouts() {
        let cfg =
            AwsConfig::new("eu-west-1", "b", "t", "r").with_endpoint_url("http://127.0.0.1:1");
        let sdk = cfg
            .sdk_config_loader()
            .test_credentials()
            .empty_test_environment()
            .load()
            .await;
        assert_eq!(sdk.region().map(Region::as_ref), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:1"));
        let retry = sdk
            .retry_config()
            .map(|r| (r.max_attempts(), r.initial_backoff()));
        assert_eq!(retry, Some((MAX_ATTEMPTS, INITIAL_BACKOFF)));
        let timeouts = sdk.timeout_config().map(|t| {
            (
                t.connect_timeout(),
                t.operation_attempt_timeout(),
                t.operation_timeout(),
            )
        });
        assert_eq!(
            timeouts,
            Some((
                Some(CONNECT_TIMEOUT),
                Some(ATTEMPT_TIMEOUT),
                Some(OPERATION_TIMEOUT)
            ))
        );
    }
}
