//! What only the AWS adapters do, beyond the port contracts: request batching, the item layout
//! shared with OpenTofu, server-side log filtering, error classification, the wiring of
//! `Backend::from_aws`, and how moto's ECS rollout looks through the port.

use std::sync::{Arc, Mutex};

use aws_sdk_ecr::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ecr::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecr::error::BoxError;
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::Bytes;
use chrono::TimeDelta;
use idp_core::adapters::aws::{AwsAdapters, AwsConfig, EcrRegistry, S3Store};
use idp_core::backend::Backend;
use idp_core::ports::{
    ImageRegistry, LeaseRequest, LockError, LockTable, LogQuery, ObjectStore as _, PutMode,
    RolloutState, StoreError,
};

use crate::moto::{Moto, fixture_in, manifest, require_moto};

/// Records how many image ids each `BatchDeleteImage` request carried.
#[derive(Debug, Clone, Default)]
struct BatchSizes(Arc<Mutex<Vec<usize>>>);

impl Intercept for BatchSizes {
    fn name(&self) -> &'static str {
        "BatchSizes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        if target.ends_with(".BatchDeleteImage") {
            let body: serde_json::Value =
                serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            let ids = body["imageIds"].as_array().map_or(0, Vec::len);
            self.0.lock().map_err(|_| "poisoned")?.push(ids);
        }
        Ok(())
    }
}

/// Records how many keys each S3 `DeleteObjects` request carried.
#[derive(Debug, Clone, Default)]
struct DeleteSizes(Arc<Mutex<Vec<usize>>>);

impl aws_sdk_s3::config::Intercept for DeleteSizes {
    fn name(&self) -> &'static str {
        "DeleteSizes"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        _: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.method() == "POST" && request.uri().contains("?delete") {
            let body = std::str::from_utf8(request.body().bytes().unwrap_or_default())?;
            self.0
                .lock()
                .map_err(|_| "poisoned")?
                .push(body.matches("<Object>").count());
        }
        Ok(())
    }
}

async fn moto_with_bucket_and_table(endpoint: &str) -> Moto {
    let moto = Moto::new(endpoint).await;
    moto.create_bucket_and_table().await;
    moto
}

#[tokio::test]
async fn ecr_deletes_150_tags_in_requests_of_at_most_100_and_reports_the_missing_ones() {
    let endpoint = require_moto!();
    let moto = Moto::new(&endpoint).await;
    let ecr = moto.ecr();
    ecr.create_repository()
        .repository_name("previews")
        .send()
        .await
        .expect("repository");
    let present: Vec<String> = (0..140).map(|i| format!("preview-a-{i:07}")).collect();
    for tag in &present {
        let push = ecr
            .put_image()
            .repository_name("previews")
            .image_manifest(manifest("previews", tag))
            .image_tag(tag);
        push.send().await.expect("push");
    }
    let missing: Vec<String> = (140..150).map(|i| format!("preview-a-{i:07}")).collect();
    let requested: Vec<String> = present.iter().chain(&missing).cloned().collect();

    let sizes = BatchSizes::default();
    let config = aws_sdk_ecr::config::Builder::from(&moto.sdk)
        .interceptor(moto.account.clone())
        .interceptor(sizes.clone())
        .build();
    let registry = EcrRegistry::new(aws_sdk_ecr::Client::from_conf(config));
    let report = registry
        .delete_images("previews", &requested)
        .await
        .expect("delete");

    // moto accepts any number of ids in one request; real ECR refuses more than 100.
    assert_eq!(*sizes.0.lock().expect("sizes"), [100, 50]);
    assert_eq!(report.deleted.len(), 140);
    let failed: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.tag.as_str(), f.reason.as_str()))
        .collect();
    let expected: Vec<(&str, &str)> = missing.iter().map(|t| (t.as_str(), "not found")).collect();
    assert_eq!(failed, expected);
    assert_eq!(registry.list_images("previews").await.expect("list"), []);
}

#[tokio::test]
async fn ecr_in_another_region_lists_and_deletes_the_images_of_that_regions_repository() {
    let endpoint = require_moto!();
    let moto = Moto::new(&endpoint).await;
    let far = "eu-west-1";
    let there = aws_sdk_ecr::Client::from_conf(
        aws_sdk_ecr::config::Builder::from(&moto.sdk)
            .interceptor(moto.account.clone())
            .region(aws_sdk_ecr::config::Region::new(far))
            .build(),
    );
    there
        .create_repository()
        .repository_name("previews")
        .send()
        .await
        .expect("repository in eu-west-1");
    there
        .put_image()
        .repository_name("previews")
        .image_manifest(manifest("previews", "preview-far-0000001"))
        .image_tag("preview-far-0000001")
        .send()
        .await
        .expect("push");

    // The platform's registry (its own region) has no such repository; the one `in_region`
    // gives keeps the platform's endpoint and account and finds it.
    let home = EcrRegistry::new(moto.ecr());
    assert_ne!(
        moto.sdk.region().map(aws_sdk_ecr::config::Region::as_ref),
        Some(far)
    );
    assert!(home.list_images("previews").await.is_err());
    let registry = home.in_region(far).expect("ECR serves every region");
    let tags: Vec<String> = registry
        .list_images("previews")
        .await
        .expect("list there")
        .into_iter()
        .map(|i| i.tag)
        .collect();
    assert_eq!(tags, ["preview-far-0000001"]);
    let report = registry
        .delete_images("previews", &tags)
        .await
        .expect("delete there");
    assert_eq!(report.deleted.len(), 1);
    assert_eq!(registry.list_images("previews").await.expect("list"), []);
}

#[tokio::test]
async fn a_forced_deployment_on_moto_gets_a_new_id_and_stays_in_progress() {
    let endpoint = require_moto!();
    let fixture = fixture_in(&moto_with_bucket_and_table(&endpoint).await);
    fixture.seed.service("previews", "preview-a", 2).await;
    let before = fixture
        .deployer
        .describe("previews", "preview-a")
        .await
        .expect("describe");
    let id = fixture
        .deployer
        .force_new_deployment("previews", "preview-a")
        .await
        .expect("force");
    let after = fixture
        .deployer
        .describe("previews", "preview-a")
        .await
        .expect("describe");
    // moto swaps its single PRIMARY deployment for one with a new id, never starts a task
    // (running stays 0, pending = desired) and never completes the rollout. Real ECS reaches
    // `Completed` once the new tasks are healthy. So on moto the service never turns healthy.
    assert_ne!(before.last_deployment.map(|d| d.id), Some(id.clone()));
    let deployment = after.last_deployment.clone().expect("a deployment");
    assert_eq!(
        (deployment.id.as_str(), deployment.rollout_state),
        (id.as_str(), RolloutState::InProgress)
    );
    assert_eq!((after.desired, after.running, after.pending), (2, 0, 2));
    assert!(!after.is_healthy());
}

/// `idp exec` on ECS: ListTasks of the environment's service on moto, which never starts a task,
/// so the answer is "no running task" (a NotFound). moto implements neither RunTask for a
/// Fargate task nor ExecuteCommand, and no Session Manager runs here: the request that follows
/// (ExecuteCommand, then the plugin) is covered by the adapter's unit tests of its arguments.
#[tokio::test]
async fn exec_on_a_service_without_a_running_task_is_not_found() {
    let endpoint = require_moto!();
    let fixture = fixture_in(&moto_with_bucket_and_table(&endpoint).await);
    fixture.seed.service("previews", "preview-a", 1).await;
    let target = idp_core::ports::ExecTarget {
        env: idp_core::domain::naming::EnvName::parse("preview-a").expect("a name"),
        cluster: Some("previews".into()),
        service: Some("preview-a".into()),
        container: None,
    };
    let err = fixture
        .deployer
        .exec(&target, &["sh".to_owned()])
        .await
        .expect_err("no task runs on moto");
    assert!(
        matches!(err, idp_core::ports::DeployError::NotFound { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("no running task"), "{err}");
    let untargeted = idp_core::ports::ExecTarget {
        cluster: None,
        service: None,
        ..target
    };
    let err = fixture
        .deployer
        .exec(&untargeted, &["sh".to_owned()])
        .await
        .expect_err("no service named");
    assert!(err.to_string().contains("cluster_name"), "{err}");
}

#[tokio::test]
async fn the_filter_pattern_is_applied_by_cloudwatch_so_a_limited_page_is_full() {
    let endpoint = require_moto!();
    let fixture = fixture_in(&moto_with_bucket_and_table(&endpoint).await);
    let start = fixture.caps.now - TimeDelta::minutes(10);
    let events: Vec<_> = (0..30)
        .map(|i| {
            (
                start + TimeDelta::seconds(i),
                if i % 2 == 1 {
                    format!("ERROR {i}")
                } else {
                    format!("ok {i}")
                },
            )
        })
        .collect();
    fixture
        .seed
        .log_events("/ecs/preview-a", "web", &events)
        .await;
    // Were the pattern only applied to the page after it came back, this page would hold the
    // 2 errors among the first 5 events, not 5 errors.
    let query = LogQuery {
        filter_pattern: Some("ERROR".into()),
        limit: Some(5),
        ..LogQuery::new("/ecs/preview-a", start)
    };
    let page = fixture.logs.events(&query).await.expect("events");
    let messages: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        ["ERROR 1", "ERROR 3", "ERROR 5", "ERROR 7", "ERROR 9"]
    );
    assert!(page.next.is_some());
}

#[tokio::test]
async fn exclusions_hold_even_where_the_service_ignores_them() {
    let endpoint = require_moto!();
    let fixture = fixture_in(&moto_with_bucket_and_table(&endpoint).await);
    let start = fixture.caps.now - TimeDelta::minutes(10);
    let events = [
        (start, "ERROR db".to_owned()),
        (start + TimeDelta::seconds(1), "ERROR cache".to_owned()),
    ];
    fixture
        .seed
        .log_events("/ecs/preview-a", "web", &events)
        .await;
    // moto picks its filter by the pattern's first character: a letter means "every word must
    // appear literally", a quote one phrase, anything else (`-term`, `?term`) no filter at all.
    // CloudWatch applies these patterns itself; the adapter applies the pattern to the page
    // again, so moto's unfiltered answer becomes the port's answer too. (A pattern like
    // `ERROR -cache` cannot be fixed this way: moto looks for the literal word `-cache`.)
    for (pattern, expected) in [
        ("-cache ERROR", ["ERROR db"]),
        ("?db ?nothing", ["ERROR db"]),
    ] {
        let query = LogQuery {
            filter_pattern: Some(pattern.into()),
            ..LogQuery::new("/ecs/preview-a", start)
        };
        let page = fixture.logs.events(&query).await.expect("events");
        let messages: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, expected, "{pattern}");
    }
}

#[tokio::test]
async fn leases_keep_the_ttl_attribute_in_whole_seconds_next_to_opentofu_items() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let endpoint = require_moto!();
    let moto = moto_with_bucket_and_table(&endpoint).await;
    let fixture = fixture_in(&moto);
    let now = fixture.caps.now + TimeDelta::milliseconds(250);
    let request = LeaseRequest {
        key: "environments/a".into(),
        owner: "alice".into(),
        ttl: TimeDelta::seconds(60),
    };
    let lease = fixture.locks.acquire(&request, now).await.expect("acquire");

    let item = moto
        .dynamodb()
        .get_item()
        .table_name(&moto.cfg.lock_table)
        .key("LockID", AttributeValue::S("environments/a".into()));
    let item = item
        .send()
        .await
        .expect("get item")
        .item
        .expect("the lease item");
    let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).cloned();
    // `ExpiresAt` is what a DynamoDB TTL on the table reads: epoch seconds, rounded up.
    assert_eq!(
        number("ExpiresAt"),
        Some((lease.expires_at.timestamp() + 1).to_string())
    );
    assert_eq!(
        item.get("Owner")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("alice")
    );

    // An OpenTofu lock item under a key is never taken over by a lease.
    let lock_id = "state-bucket/environments/a/terraform.tfstate";
    fixture
        .seed
        .terraform_lock(lock_id, r#"{"ID":"1","Who":"ci"}"#)
        .await;
    let taken = fixture
        .locks
        .acquire(
            &LeaseRequest {
                key: lock_id.into(),
                ..request
            },
            now,
        )
        .await;
    assert!(
        matches!(&taken, Err(LockError::Malformed { key, .. }) if key == lock_id),
        "{taken:?}"
    );
    assert_eq!(
        fixture
            .locks
            .terraform_lock(lock_id)
            .await
            .expect("read")
            .map(|l| l.who),
        Some("ci".to_owned())
    );
}

#[tokio::test]
async fn backend_from_aws_reaches_the_configured_bucket_and_table_path_style() {
    let endpoint = require_moto!();
    // The default account, no test interceptors: exactly what `Backend::aws` builds, with test
    // credentials instead of the credential chain.
    let cfg = AwsConfig::new(
        "us-east-1",
        format!("idp-test-{}", uuid::Uuid::new_v4()),
        format!("idp-test-{}", uuid::Uuid::new_v4()),
        "previews",
    )
    .with_endpoint_url(endpoint);
    let sdk = cfg
        .sdk_config_loader()
        .test_credentials()
        .empty_test_environment()
        .load()
        .await;
    aws_sdk_s3::Client::new(&sdk)
        .create_bucket()
        .bucket(&cfg.state_bucket)
        .send()
        .await
        .expect("bucket");
    crate::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &cfg.lock_table).await;
    let backend = Backend::from_aws(
        AwsAdapters::new(&cfg, &sdk),
        std::sync::Arc::new(idp_core::adapters::memory::MemoryProvisioner::new()),
    );

    let etag = backend
        .store
        .put(
            "environments/a/metadata.json",
            Bytes::from_static(b"{}"),
            PutMode::CreateOnly,
        )
        .await
        .expect("put");
    assert_eq!(
        backend
            .store
            .get("environments/a/metadata.json")
            .await
            .expect("get")
            .etag,
        etag
    );
    let request = LeaseRequest {
        key: "environments/a".into(),
        owner: "alice".into(),
        ttl: TimeDelta::minutes(1),
    };
    backend
        .locks
        .acquire(&request, backend.clock.now())
        .await
        .expect("acquire");
    assert!(
        backend
            .registry
            .list_images("missing")
            .await
            .is_err_and(|e| matches!(e, idp_core::ports::RegistryError::NotFound { .. }))
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retryable_and_keeps_the_whole_error_chain() {
    // Port 1 on the loopback refuses connections at once: no moto needed.
    let cfg = AwsConfig::new("us-east-1", "bucket", "table", "repo")
        .with_endpoint_url("http://127.0.0.1:1");
    let sdk = cfg
        .sdk_config_loader()
        .test_credentials()
        .empty_test_environment()
        .load()
        .await;
    let adapters = AwsAdapters::new(&cfg, &sdk);
    let err = idp_core::ports::ObjectStore::get(&adapters.store, "environments/a/metadata.json")
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                backend: "s3",
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
    let chain = DisplayErrorContext(&err).to_string();
    assert!(
        chain.contains("`GetObject` on `s3://bucket/environments/a/metadata.json` failed"),
        "{chain}"
    );
    assert!(chain.contains("dispatch failure"), "{chain}");
    let lock = adapters
        .locks
        .get("environments/a")
        .await
        .expect_err("refused");
    assert!(lock.is_retryable(), "{lock:?}");
}

#[tokio::test]
async fn delete_prefix_sends_at_most_1000_keys_a_request() {
    use futures::StreamExt as _;
    let endpoint = require_moto!();
    let moto = moto_with_bucket_and_table(&endpoint).await;
    let store = S3Store::new(moto.s3(), moto.cfg.state_bucket.clone());
    let keys: Vec<String> = (0..1100)
        .map(|i| format!("environments/a/{i:05}"))
        .collect();
    let writes: Vec<_> = futures::stream::iter(&keys)
        .map(|key| store.put(key, Bytes::from_static(b"x"), PutMode::Overwrite))
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(writes.iter().all(Result::is_ok));
    store
        .put(
            "environments/ab/kept",
            Bytes::from_static(b"x"),
            PutMode::Overwrite,
        )
        .await
        .expect("put");

    let sizes = DeleteSizes::default();
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk)
        .force_path_style(true)
        .interceptor(moto.account.clone())
        .interceptor(sizes.clone())
        .build();
    let counted = S3Store::new(
        aws_sdk_s3::Client::from_conf(config),
        moto.cfg.state_bucket.clone(),
    );
    assert_eq!(
        counted
            .delete_prefix("environments/a/")
            .await
            .expect("delete_prefix"),
        1100
    );
    // S3 refuses a `DeleteObjects` of more than 1,000 keys (moto does not check).
    assert_eq!(*sizes.0.lock().expect("sizes"), [1000, 100]);
    let left: Vec<String> = store
        .list_all("")
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(left, ["environments/ab/kept"]);
}

#[tokio::test]
async fn a_missing_bucket_or_table_is_a_backend_error_with_a_fix_not_a_missing_key() {
    let endpoint = require_moto!();
    let moto = Moto::new(&endpoint).await;
    let store = S3Store::new(moto.s3(), "idp-test-never-created");
    for mode in [
        PutMode::Overwrite,
        PutMode::IfMatch(idp_core::ports::Etag::new("\"0\"")),
    ] {
        let err = store
            .put("k", Bytes::from_static(b"x"), mode)
            .await
            .expect_err("no bucket");
        let chain = DisplayErrorContext(&err).to_string();
        assert!(
            matches!(err, StoreError::Backend { backend: "s3", .. }),
            "{chain}"
        );
        assert!(
            chain.contains("NoSuchBucket") && chain.contains("create the state bucket"),
            "{chain}"
        );
    }
    let locks =
        idp_core::adapters::aws::DynamoDbLockTable::new(moto.dynamodb(), "idp-test-never-created");
    let request = LeaseRequest {
        key: "k".into(),
        owner: "alice".into(),
        ttl: TimeDelta::minutes(1),
    };
    let err = locks
        .acquire(&request, chrono::DateTime::UNIX_EPOCH)
        .await
        .expect_err("no table");
    let chain = DisplayErrorContext(&err).to_string();
    assert!(
        matches!(
            err,
            LockError::Backend {
                backend: "dynamodb",
                ..
            }
        ),
        "{chain}"
    );
    assert!(chain.contains("partition key `LockID` (string)"), "{chain}");
}
