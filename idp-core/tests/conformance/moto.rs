//! The AWS adapters on moto: the fixture every conformance suite runs on, and `require_moto!`.
//!
//! moto (`.ci/moto.sh start`) is an AWS double speaking the real wire protocols, so these tests
//! exercise the adapters' actual SDK calls, conditions and error mappings. Its endpoint comes from
//! `IDP_TEST_AWS_ENDPOINT`; without it the tests are skipped with one loud line, except in CI
//! (`CI` set), where they fail.
//!
//! Tests share one moto server and run in parallel, so every fixture works in its own AWS account
//! (moto's `x-moto-account-id` header, added to every request) and its own uniquely named bucket
//! and table (`idp-test-{uuid}`). Fixed names in the suites (cluster `previews`, log group
//! `/ecs/preview-a`) therefore never collide, and the server is never reset.

#![allow(
    clippy::disallowed_methods,
    reason = "CloudWatch Logs keeps only recent events: the log tests need the real time"
)]
#![allow(clippy::print_stderr, reason = "a skipped suite says so on stderr")]

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use idp_core::adapters::aws::{
    CloudWatchAlarms, CloudWatchLogSource, DynamoDbLockTable, EcrRegistry, EcsDeployer, S3Store,
};
use idp_core::ports::{LockTable, ObjectStore};

use crate::adapters::{Caps, Fixture, Seed};

pub(crate) use idp_test_support::moto::{Moto, create_lock_table, endpoint};

/// Returns from the calling test (after one loud `SKIPPED` line) unless moto is configured;
/// evaluates to the endpoint.
macro_rules! require_moto {
    () => {
        match $crate::moto::endpoint() {
            Some(endpoint) => endpoint,
            None => return,
        }
    };
}
pub(crate) use require_moto;

/// A made-up but well-formed image manifest whose one layer is unique to `tag`, so that moto
/// (which derives the digest from the layer digests) gives every tag its own image digest.
pub(crate) fn manifest(repository: &str, tag: &str) -> String {
    use sha2::{Digest, Sha256};
    let layer = Sha256::digest(format!("{repository}:{tag}"));
    let layer: String = layer.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1469,
            "digest": format!("sha256:{}", "0".repeat(64)),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 2048,
            "digest": format!("sha256:{layer}"),
        }],
    })
    .to_string()
}

/// Writes test data with plain SDK calls, in the fixture's account.
struct MotoSeed {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    ecs: aws_sdk_ecs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    ecr: aws_sdk_ecr::Client,
}

#[async_trait]
impl Seed for MotoSeed {
    async fn terraform_lock(&self, lock_id: &str, info_json: &str) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.dynamodb
            .put_item()
            .table_name(&self.table)
            .item("LockID", AttributeValue::S(lock_id.to_owned()))
            .item("Info", AttributeValue::S(info_json.to_owned()))
            .send()
            .await
            .expect("seed an OpenTofu lock item");
    }

    async fn terraform_digest(&self, digest_id: &str, digest: &str) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.dynamodb
            .put_item()
            .table_name(&self.table)
            .item("LockID", AttributeValue::S(digest_id.to_owned()))
            .item("Digest", AttributeValue::S(digest.to_owned()))
            .send()
            .await
            .expect("seed an OpenTofu digest item");
    }

    async fn alarm(&self, name: &str, state: &str, reason: &str) {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/ApplicationELB")
            .metric_name("UnHealthyHostCount")
            .dimensions(
                Dimension::builder()
                    .name("TargetGroup")
                    .value("targetgroup/idp-conformance-tg/0123456789abcdef")
                    .build(),
            )
            .statistic(Statistic::Maximum)
            .period(60)
            .evaluation_periods(1)
            .threshold(0.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("seed an alarm (PutMetricAlarm)");
        self.cloudwatch
            .set_alarm_state()
            .alarm_name(name)
            .state_value(StateValue::from(state))
            .state_reason(reason)
            .send()
            .await
            .expect("seed an alarm's state (SetAlarmState)");
    }

    async fn service(&self, cluster: &str, service: &str, desired: u32) {
        use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, LaunchType, NetworkMode};
        self.ecs
            .create_cluster()
            .cluster_name(cluster)
            .send()
            .await
            .expect("seed a cluster");
        // EC2 launch type with bridge networking: an awsvpc (Fargate) service needs subnets that
        // exist in moto's EC2, and without `securityGroups` moto answers HTTP 500. The adapter's
        // calls (UpdateService, DescribeServices) are the same for either launch type.
        let container = ContainerDefinition::builder()
            .name("app")
            .image("nginx:alpine")
            .memory(128)
            .build();
        self.ecs
            .register_task_definition()
            .family(service)
            .network_mode(NetworkMode::Bridge)
            .requires_compatibilities(Compatibility::Ec2)
            .container_definitions(container)
            .send()
            .await
            .expect("seed a task definition");
        self.ecs
            .create_service()
            .cluster(cluster)
            .service_name(service)
            .task_definition(service)
            .desired_count(i32::try_from(desired).expect("a small count"))
            .launch_type(LaunchType::Ec2)
            .send()
            .await
            .expect("seed a service");
    }

    async fn log_events(&self, group: &str, stream: &str, events: &[(DateTime<Utc>, String)]) {
        use aws_sdk_cloudwatchlogs::types::InputLogEvent;
        match self
            .logs
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
        {
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
            Err(err) => panic!("seed a log group: {err:?}"),
        }
        self.logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
            .expect("seed a stream");
        let events: Vec<InputLogEvent> = events
            .iter()
            .map(|(at, message)| {
                InputLogEvent::builder()
                    .timestamp(at.timestamp_millis())
                    .message(message)
                    .build()
                    .expect("event")
            })
            .collect();
        self.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .expect("seed log events");
    }

    async fn images(&self, repository: &str, tags: &[String]) -> Vec<String> {
        match self
            .ecr
            .create_repository()
            .repository_name(repository)
            .send()
            .await
        {
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_already_exists_exception()) => {}
            Err(err) => panic!("seed a repository: {err:?}"),
        }
        let mut digests = Vec::with_capacity(tags.len());
        for tag in tags {
            let pushed = self
                .ecr
                .put_image()
                .repository_name(repository)
                .image_manifest(manifest(repository, tag))
                .image_tag(tag)
                .send()
                .await
                .expect("seed an image");
            let digest = pushed
                .image()
                .and_then(|i| i.image_id())
                .and_then(|id| id.image_digest());
            digests.push(digest.expect("moto names the digest").to_owned());
        }
        digests
    }
}

/// A fresh account on moto with a new bucket and lock table, the AWS adapters on them, and
/// `None` when moto is not configured (see [`endpoint`]).
pub(crate) async fn fixture() -> Option<Fixture> {
    let moto = Moto::new(&endpoint()?).await;
    moto.create_bucket_and_table().await;
    Some(fixture_in(&moto))
}

/// The AWS adapters on the bucket and table of `moto` (created by the caller), in its account.
pub(crate) fn fixture_in(moto: &Moto) -> Fixture {
    let (bucket, table) = (moto.cfg.state_bucket.clone(), moto.cfg.lock_table.clone());
    let (m1, b1) = (moto.clone(), bucket.clone());
    let (m2, t2) = (moto.clone(), table.clone());
    // CloudWatch Logs refuses events older than 14 days, so the suites measure from now.
    let now = Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("a whole second");
    Fixture {
        store: Arc::new(S3Store::new(moto.s3(), bucket)),
        // Every handle is a new client (own connections), as another process would have.
        store_handle: Arc::new(move || {
            Arc::new(S3Store::new(m1.s3(), b1.clone())) as Arc<dyn ObjectStore>
        }),
        locks: Arc::new(DynamoDbLockTable::new(moto.dynamodb(), table.clone())),
        locks_handle: Arc::new(move || {
            Arc::new(DynamoDbLockTable::new(m2.dynamodb(), t2.clone())) as Arc<dyn LockTable>
        }),
        deployer: Arc::new(
            EcsDeployer::new(moto.ecs()).with_alarms(CloudWatchAlarms::new(moto.cloudwatch())),
        ),
        logs: Arc::new(CloudWatchLogSource::new(moto.logs())),
        registry: Arc::new(EcrRegistry::new(moto.ecr())),
        seed: Arc::new(MotoSeed {
            dynamodb: moto.dynamodb(),
            table,
            ecs: moto.ecs(),
            cloudwatch: moto.cloudwatch(),
            logs: moto.logs(),
            ecr: moto.ecr(),
        }),
        // 1,100 keys make two list pages at moto's ~240 requests a second; 150 tags make two
        // `BatchDeleteImage` requests.
        caps: Caps {
            list_keys: 1100,
            rejects_hostile_keys: false,
            many_images: 150,
            now,
            alarms: true,
        },
        _guard: None,
    }
}
