//! Shared by the test binaries that run on moto: the endpoint (skip loudly outside CI, fail in
//! CI), a fresh moto account per fixture, and the SDK clients reaching it.
//!
//! Tests share one moto server and run in parallel, so every fixture works in its own AWS account
//! (moto's `x-moto-account-id` header, added to every request) and its own uniquely named bucket
//! and table (`idp-test-{uuid}`); the server is never reset.

#![allow(clippy::print_stderr, reason = "a skipped suite says so on stderr")]

use std::sync::Once;

use aws_config::SdkConfig;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use idp_core::adapters::aws::AwsConfig;
use idp_core::setup::env_vars::{self, EnvVars};

/// The moto endpoint, or `None` (after printing why) when the AWS tests are to be skipped.
///
/// Panics when the endpoint is unset in CI: there a skipped AWS suite is a failure.
pub fn endpoint() -> Option<String> {
    if let Some(endpoint) = env_vars::get(EnvVars::IDP_TEST_AWS_ENDPOINT) {
        return Some(endpoint);
    }
    assert!(
        env_vars::get(EnvVars::CI).is_none(),
        "`{}` is not set but `CI` is: start moto with `eval \"$(.ci/moto.sh start)\"` before the AWS tests",
        EnvVars::IDP_TEST_AWS_ENDPOINT
    );
    static SKIP: Once = Once::new();
    SKIP.call_once(|| {
        eprintln!(
            "SKIPPED: the AWS adapter tests need moto; set {} (see .ci/moto.sh: eval \"$(.ci/moto.sh start)\")",
            EnvVars::IDP_TEST_AWS_ENDPOINT
        );
    });
    None
}

/// Puts every request of a client into one moto account.
#[derive(Debug, Clone)]
pub struct MotoAccount(pub String);

impl Intercept for MotoAccount {
    fn name(&self) -> &'static str {
        "MotoAccount"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

/// A fresh moto account and the SDK configuration reaching it.
#[derive(Debug, Clone)]
pub struct Moto {
    pub cfg: AwsConfig,
    pub sdk: SdkConfig,
    pub account: MotoAccount,
}

impl Moto {
    /// A new account with a unique bucket and table name in `cfg` (not created yet).
    pub async fn new(endpoint: &str) -> Self {
        let id = uuid::Uuid::new_v4();
        let account = format!("{:012}", id.as_u128() % 1_000_000_000_000);
        let cfg = AwsConfig::new(
            "us-east-1",
            format!("idp-test-{id}"),
            format!("idp-test-{id}"),
            "previews",
        )
        .with_endpoint_url(endpoint);
        let sdk = cfg
            .sdk_config_loader()
            .test_credentials()
            .empty_test_environment()
            .load()
            .await;
        Self {
            cfg,
            sdk,
            account: MotoAccount(account),
        }
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(true)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        let config = aws_sdk_ecs::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    pub fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        let config = aws_sdk_cloudwatch::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_cloudwatch::Client::from_conf(config)
    }

    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        let config = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(config)
    }

    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        let config = aws_sdk_ecr::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_ecr::Client::from_conf(config)
    }

    pub fn budgets(&self) -> aws_sdk_budgets::Client {
        let config = aws_sdk_budgets::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_budgets::Client::from_conf(config)
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        let config = aws_sdk_sns::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_sns::Client::from_conf(config)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::config::Builder::from(&self.sdk)
            .interceptor(self.account.clone())
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// The budgets adapter on this account (AWS Budgets, SNS and STS on moto).
    pub fn budgets_adapter(&self) -> idp_core::adapters::aws::AwsBudgets {
        idp_core::adapters::aws::AwsBudgets::new(self.budgets(), self.sns(), self.sts())
    }

    /// A Cost Explorer client in this account (Cost Explorer answers in `us-east-1` only).
    pub fn ce(&self) -> aws_sdk_costexplorer::Client {
        let config = aws_sdk_costexplorer::config::Builder::from(&self.sdk)
            .region(aws_config::Region::new("us-east-1"))
            .interceptor(self.account.clone())
            .build();
        aws_sdk_costexplorer::Client::from_conf(config)
    }

    /// Queues `GetCostAndUsage` answers (Cost Explorer's JSON shape, one per request) in this
    /// account: moto binds each to the first request body that asks after it was queued.
    pub async fn queue_cost_and_usage(&self, results: &[serde_json::Value]) {
        let body = serde_json::json!({ "account_id": self.account.0, "results": results });
        let status = moto_api_post(
            self.cfg.endpoint_url.as_deref().unwrap_or_default(),
            "/moto-api/static/ce/cost-and-usage-results",
            &body,
        )
        .await;
        assert_eq!(status, 201, "moto refused the Cost Explorer results");
    }

    /// Creates the bucket and the lock table named in `cfg`, as the README's setup does.
    pub async fn create_bucket_and_table(&self) {
        self.s3()
            .create_bucket()
            .bucket(&self.cfg.state_bucket)
            .send()
            .await
            .expect("create the state bucket");
        create_lock_table(&self.dynamodb(), &self.cfg.lock_table).await;
    }
}

/// Creates a lock table as OpenTofu's S3 backend expects it: partition key `LockID` (string).
pub async fn create_lock_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let attribute = AttributeDefinition::builder()
        .attribute_name("LockID")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute");
    let key = KeySchemaElement::builder()
        .attribute_name("LockID")
        .key_type(KeyType::Hash)
        .build()
        .expect("key");
    let created = client
        .create_table()
        .table_name(table)
        .attribute_definitions(attribute)
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // The SDK retried a create whose first answer was slow (moto serves one request at a
        // time for every suite): the table of this test's unique name is there.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => panic!("create the lock table: {e:?}"),
    }
}

/// POSTs `body` as JSON to `path` of moto's configuration API at `endpoint`
/// (`http://127.0.0.1:PORT`) and returns the HTTP status. One HTTP/1.1 request on a plain TCP
/// connection: moto runs on loopback, and this keeps an HTTP client out of the test support.
pub async fn moto_api_post(endpoint: &str, path: &str, body: &serde_json::Value) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = endpoint
        .strip_prefix("http://")
        .expect("moto's configuration API is reached over plain HTTP")
        .trim_end_matches('/');
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to moto");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send to moto");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("read moto's answer");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
