//! `--via-github`: the workflow is dispatched on a GitHub API double (wiremock on loopback) with
//! exactly the inputs the platform's workflows declare, and the run is followed to its end.

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::{idp, run, snapshot};

const RUNS: &str = "/repos/acme/idp/actions/workflows/destroy.yml/runs";

fn workflow_run(conclusion: &str) -> serde_json::Value {
    json!({
        "id": 200,
        "event": "workflow_dispatch",
        "head_branch": "main",
        "status": "completed",
        "conclusion": conclusion,
        "html_url": "https://github.com/acme/idp/actions/runs/200",
        "created_at": "2026-03-01T12:00:02Z"
    })
}

async fn github(conclusion: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RUNS))
        .and(|r: &Request| !r.url.query().unwrap_or("").contains("created="))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("date", "Sun, 01 Mar 2026 12:00:00 GMT")
                .set_body_json(json!({"total_count": 0, "workflow_runs": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/repos/acme/idp/actions/workflows/destroy.yml/dispatches",
        ))
        .and(body_partial_json(
            json!({"ref": "main", "inputs": {"environment_name": "demo"}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RUNS))
        .and(|r: &Request| r.url.query().unwrap_or("").contains("created="))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"total_count": 1, "workflow_runs": [workflow_run(conclusion)]}),
            ),
        )
        .mount(&server)
        .await;
    server
}

fn via_github(state: &std::path::Path, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = idp(state);
    cmd.env("GITHUB_API_URL", server.uri())
        .env("GH_TOKEN", "ghp_test")
        .args([
            "--repo",
            "acme/idp",
            "destroy",
            "demo",
            "--yes",
            "--via-github",
        ]);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_via_github_dispatches_destroy_yml_and_prints_the_run_url() {
    let server = github("success").await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(&mut via_github(dir.path(), &server));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("via_github_destroy", snapshot(&r));
    let doc: serde_json::Value = serde_json::from_str(
        &run(via_github(dir.path(), &github("success").await)
            .arg("-o")
            .arg("json"))
        .stdout,
    )
    .unwrap();
    assert_eq!(doc["inputs"], json!({"environment_name": "demo"}));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_workflow_run_exits_1_with_its_url() {
    let server = github("failure").await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(&mut via_github(dir.path(), &server));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("https://github.com/acme/idp/actions/runs/200"),
        "{}",
        r.stderr
    );
}

#[test]
fn via_github_needs_a_repository_and_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["destroy", "demo", "--yes", "--via-github"]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("via_github_no_repo", snapshot(&r));
    let r = run(idp(dir.path()).args([
        "--repo",
        "acme/idp",
        "extend",
        "demo",
        "--ttl",
        "1d",
        "--via-github",
    ]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("via_github_no_token", snapshot(&r));
}
