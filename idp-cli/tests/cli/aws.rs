//! The state and lock commands with `--backend aws`, against moto (S3 + DynamoDB) on loopback,
//! with metadata seeded the way the platform writes it. Provisioning on AWS runs OpenTofu, which
//! this machine does not have, so `create` and a real `sweep` are covered elsewhere (the use-case
//! tests on moto with the memory provisioner, the tofu contract tests).

#![allow(clippy::print_stderr, reason = "a skipped suite says so on stderr")]
#![allow(
    clippy::disallowed_methods,
    reason = "seeded environments are relative to the real clock the CLI reads"
)]

use std::path::Path;

use chrono::{TimeDelta, Utc};
use idp_core::domain::lifecycle::{Metadata, Status};
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;

use crate::{idp, run};

pub(crate) struct Moto {
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) table: String,
}

pub(crate) async fn moto() -> Option<Moto> {
    let Some(endpoint) = idp_core::setup::env_vars::get("IDP_TEST_AWS_ENDPOINT") else {
        assert!(
            idp_core::setup::env_vars::get("CI").is_none(),
            "IDP_TEST_AWS_ENDPOINT is not set but CI is: start moto first"
        );
        eprintln!(
            "SKIPPED: the AWS CLI tests need moto; set IDP_TEST_AWS_ENDPOINT (see .ci/moto.sh)"
        );
        return None;
    };
    let id = uuid::Uuid::new_v4();
    let m = Moto {
        endpoint,
        bucket: format!("idp-cli-{id}"),
        table: format!("idp-cli-{id}"),
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&m.endpoint)
        .test_credentials()
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(&m.bucket).send().await.unwrap();
    idp_test_support::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &m.table).await;
    let now = Utc::now();
    let seed = |name: &str, status: Status, age: TimeDelta, ttl: TimeDelta, since: TimeDelta| {
        let created = now - age;
        let mut m = Metadata::new(
            EnvName::parse(name).unwrap(),
            TemplateName::default_template(),
            "dev@example.com".into(),
            created,
            created + ttl,
        );
        m.status = status;
        m.status_changed_at = now - since;
        m
    };
    for meta in [
        seed(
            "alpha",
            Status::Active,
            TimeDelta::hours(1),
            TimeDelta::days(2),
            TimeDelta::hours(1),
        ),
        seed(
            "beta",
            Status::Active,
            TimeDelta::days(3),
            TimeDelta::days(1),
            TimeDelta::days(3),
        ),
        seed(
            "gamma",
            Status::Destroying,
            TimeDelta::days(2),
            TimeDelta::days(1),
            TimeDelta::hours(3),
        ),
    ] {
        s3.put_object()
            .bucket(&m.bucket)
            .key(format!("environments/{}/metadata.json", meta.name))
            .body(meta.to_json().into())
            .send()
            .await
            .unwrap();
    }
    Some(m)
}

pub(crate) fn aws(state: &Path, m: &Moto) -> assert_cmd::Command {
    let mut cmd = idp(state);
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .args([
            "--backend",
            "aws",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &m.endpoint,
        ])
        .args([
            "--state-bucket",
            &m.bucket,
            "--lock-table",
            &m.table,
            "--output",
            "json",
        ]);
    cmd
}

fn json(r: &crate::Run) -> serde_json::Value {
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[tokio::test]
async fn list_status_extend_sweep_and_unlock_on_s3_and_dynamodb() {
    let Some(m) = moto().await else { return };
    let dir = tempfile::tempdir().unwrap();

    let envs = json(&run(aws(dir.path(), &m).arg("list")));
    let names: Vec<&str> = envs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);

    let status = json(&run(aws(dir.path(), &m).args(["status", "alpha"])));
    assert_eq!(status["environment"]["status"], "active");
    assert_eq!(status["runtime"]["state"], "unknown");

    let extended = json(&run(
        aws(dir.path(), &m).args(["extend", "alpha", "--ttl", "1d"])
    ));
    assert_eq!(extended["outcome"], "extended");
    assert_eq!(extended["environment"]["created_at"], envs[0]["created_at"]);
    assert!(extended["environment"]["expires_at"].as_str() > envs[0]["expires_at"].as_str());

    let sweep = json(&run(aws(dir.path(), &m).args(["sweep", "--dry-run"])));
    let planned: Vec<(&str, &str)> = sweep["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        planned,
        [("beta", "expired"), ("gamma", "stuck_destroying")]
    );

    let unlock = json(&run(aws(dir.path(), &m).args(["unlock", "alpha", "--yes"])));
    assert_eq!(unlock["unlocked"], false);

    let missing = run(aws(dir.path(), &m).args(["status", "nope"]));
    assert_eq!(missing.code, 3);
}

#[test]
fn the_aws_backend_without_a_bucket_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path())
        .env_remove("IDP_STATE_BUCKET")
        .args(["--backend", "aws", "list"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--state-bucket"), "{}", r.stderr);
}

#[tokio::test]
async fn the_aws_backend_configured_in_the_settings_file_serves_list_cost_dashboard_and_unlock() {
    let Some(m) = moto().await else { return };
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("backend", "aws"),
        ("aws.stateBucket", m.bucket.as_str()),
        ("aws.lockTable", m.table.as_str()),
        ("aws.region", "us-east-1"),
        ("aws.endpointUrl", m.endpoint.as_str()),
    ] {
        let r = run(idp(dir.path()).args(["config", "set", key, value]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let with_creds = |cmd: &mut assert_cmd::Command| {
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .arg("-o")
            .arg("json");
    };
    let mut list = idp(dir.path());
    with_creds(&mut list);
    let envs = json(&run(list.arg("list")));
    assert_eq!(envs.as_array().unwrap().len(), 3);

    let mut cost = idp(dir.path());
    with_creds(&mut cost);
    let doc = json(&run(cost.args(["cost", "beta"])));
    assert_eq!(
        (doc["subject"].as_str(), doc["estimate"]["hours"].as_f64()),
        (Some("environment"), Some(24.0))
    );

    let mut dashboard = idp(dir.path());
    with_creds(&mut dashboard);
    let doc = json(&run(dashboard.arg("dashboard")));
    assert_eq!(doc["environments"], 3);
    assert!(
        doc["content"].as_str().unwrap().contains("| `gamma` |")
            || doc["content"].as_str().unwrap().contains("gamma")
    );

    let mut unlock = idp(dir.path());
    with_creds(&mut unlock);
    let doc = json(&run(unlock.args(["unlock", "beta", "--yes"])));
    assert_eq!(doc["unlocked"], false);

    let mut local = idp(dir.path());
    with_creds(&mut local);
    let doc = json(&run(local.args(["--backend", "local", "list"])));
    assert_eq!(
        doc,
        serde_json::json!([]),
        "a flag overrides the file's backend"
    );
}
