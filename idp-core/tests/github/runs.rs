//! Workflow runs: a dispatch finds its own run and follows it; refusals carry GitHub's message.

use std::collections::BTreeMap;
use std::time::Duration;

use idp_core::ports::{Forge, ForgeError, WorkflowRunStatus};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::{Stand, fixture, repo, run};

#[tokio::test]
async fn a_dispatch_finds_its_own_run_not_an_older_one_and_polls_it_to_success() {
    let stand = Stand::new().await;
    let runs = "/repos/octo/app/actions/workflows/infra.yml/runs";
    let older = run(
        100,
        "workflow_dispatch",
        "main",
        "completed",
        Some("failure"),
        "2026-03-01T11:59:00Z",
    );
    // Before the dispatch: only the older run; the server's clock says 12:00:00.
    Mock::given(method("GET"))
        .and(path(runs))
        .and(|r: &Request| !r.url.query().unwrap_or("").contains("created="))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("date", "Sun, 01 Mar 2026 12:00:00 GMT")
                .set_body_json(json!({"total_count": 1, "workflow_runs": [older]})),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/repos/octo/app/actions/workflows/infra.yml/dispatches",
        ))
        .and(body_partial_json(
            json!({"ref": "main", "inputs": {"stack": "shared"}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&stand.server)
        .await;
    // After: an older run created before the dispatch but listed (clock skew) and ours.
    let sneaky = run(
        150,
        "workflow_dispatch",
        "main",
        "in_progress",
        None,
        "2026-03-01T11:59:59Z",
    );
    let ours = run(
        200,
        "workflow_dispatch",
        "main",
        "queued",
        None,
        "2026-03-01T12:00:02Z",
    );
    Mock::given(method("GET"))
        .and(path(runs))
        .and(query_param("event", "workflow_dispatch"))
        .and(|r: &Request| r.url.query().unwrap_or("").contains("created="))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"total_count": 3, "workflow_runs": [ours, sneaky, older]})),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = polls.clone();
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/runs/200"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = match n {
                0 => run(
                    200,
                    "workflow_dispatch",
                    "main",
                    "in_progress",
                    None,
                    "2026-03-01T12:00:02Z",
                ),
                _ => run(
                    200,
                    "workflow_dispatch",
                    "main",
                    "completed",
                    Some("success"),
                    "2026-03-01T12:00:02Z",
                ),
            };
            ResponseTemplate::new(200).set_body_json(body)
        })
        .expect(2)
        .mount(&stand.server)
        .await;

    let inputs = BTreeMap::from([("stack".to_owned(), "shared".to_owned())]);
    let dispatch = stand
        .forge
        .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
        .await
        .unwrap();
    assert_eq!(dispatch.earlier_runs, [100]);
    let mut seen = Vec::new();
    let done = idp_core::github::wait::wait_for_run(
        &stand.forge,
        &dispatch,
        idp_core::github::wait::WaitOptions {
            timeout: Duration::from_secs(10),
            initial_interval: Duration::from_millis(5),
            max_interval: Duration::from_millis(20),
        },
        |r| seen.push((r.id, r.status.clone())),
    )
    .await
    .unwrap();
    assert_eq!(done.id, 200);
    assert!(done.succeeded());
    assert_eq!(
        seen,
        [
            (200, WorkflowRunStatus::Queued),
            (200, WorkflowRunStatus::InProgress),
            (200, WorkflowRunStatus::Completed)
        ]
    );
    stand.finish().await;
}

#[tokio::test]
async fn an_undeclared_workflow_input_is_reported_with_githubs_message() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/workflows/preview.yml/runs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"total_count": 0, "workflow_runs": []})),
        )
        .mount(&stand.server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/repos/octo/app/actions/workflows/preview.yml/dispatches",
        ))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(fixture("error-unexpected-inputs.json")),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    let inputs = BTreeMap::from([("environment_name".to_owned(), "preview-a".to_owned())]);
    let error = stand
        .forge
        .dispatch_workflow(&repo(), "preview.yml", "main", &inputs)
        .await
        .unwrap_err();
    match &error {
        ForgeError::Unprocessable { message } => assert_eq!(
            message,
            "Unexpected inputs provided: [\"environment_name\"]"
        ),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("Unexpected inputs provided"));
    stand.finish().await;
}

#[tokio::test]
async fn the_latest_run_url_is_the_newest_runs_page() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/workflows/infra.yml/runs"))
        .and(query_param("per_page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"total_count": 5, "workflow_runs": [fixture("workflow-run.json")]}),
        ))
        .expect(1)
        .mount(&stand.server)
        .await;
    let url = stand
        .forge
        .latest_run_url(&repo(), "infra.yml")
        .await
        .unwrap();
    assert_eq!(
        url.as_deref(),
        Some("https://github.com/octo-org/octo-repo/actions/runs/30433642")
    );
    stand.finish().await;
}
