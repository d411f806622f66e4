//! The GitHub forge against a GitHub stand-in on loopback (wiremock), answering with the REST
//! API's documented response shapes (`tests/fixtures/github`). A catch-all mock fails every test
//! that sends a request nobody expected, naming it; nothing reaches the network.
#![cfg(feature = "github")]
#![allow(
    clippy::disallowed_methods,
    reason = "the tests read their fixtures and measure how long a rate limit was waited"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::domain::event::{Branch, CommitSha, Repository};
use idp_core::ports::{CommitState, CommitStatus, Forge, ForgeError, RunStatus};
use idp_core::secret::Secret;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghp_s3cr3tT0kenValue0000000000000000000";
const MARKER: &str = "<!-- idp:preview:preview-payment-api -->";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

fn comment(id: u64, body: &str) -> Value {
    let mut c = fixture("issue-comment.json");
    c["id"] = json!(id);
    c["body"] = json!(body);
    c["html_url"] = json!(format!(
        "https://github.com/octo/app/pull/7#issuecomment-{id}"
    ));
    c
}

fn run(
    id: u64,
    event: &str,
    branch: &str,
    status: &str,
    conclusion: Option<&str>,
    created_at: &str,
) -> Value {
    let mut r = fixture("workflow-run.json");
    r["id"] = json!(id);
    r["event"] = json!(event);
    r["head_branch"] = json!(branch);
    r["status"] = json!(status);
    r["conclusion"] = json!(conclusion);
    r["created_at"] = json!(created_at);
    r["html_url"] = json!(format!("https://github.com/octo/app/actions/runs/{id}"));
    r
}

fn repo() -> Repository {
    Repository::parse("octo/app").unwrap()
}

/// A stand-in GitHub whose catch-all mock answers every request no other mock expected with a
/// 418 naming it (so the forge's error names it too) and records it; [`Stand::finish`] fails
/// the test if there was any, then checks every mock's expected call count.
struct Stand {
    server: MockServer,
    forge: GitHubForge,
    unexpected: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Stand {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let unexpected = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = unexpected.clone();
        Mock::given(wiremock::matchers::any())
            .respond_with(move |req: &Request| {
                let seen = format!("{} {}", req.method, req.url);
                record.lock().unwrap().push(seen.clone());
                ResponseTemplate::new(418)
                    .set_body_json(json!({"message": format!("unexpected request: {seen}")}))
            })
            .with_priority(u8::MAX)
            .mount(&server)
            .await;
        let cfg = GitHubConfig::new(server.uri(), Some(Secret::new(TOKEN.to_owned()))).with_retry(
            RetryPolicy {
                max_retries: 3,
                initial_backoff: Duration::from_millis(10),
                max_total_wait: Duration::from_secs(5),
            },
        );
        let forge = GitHubForge::new(&cfg).unwrap();
        Self {
            server,
            forge,
            unexpected,
        }
    }

    async fn finish(self) {
        let unexpected = self.unexpected.lock().unwrap().clone();
        assert!(unexpected.is_empty(), "unexpected requests: {unexpected:?}");
        self.server.verify().await;
    }
}

#[tokio::test]
async fn a_comment_with_the_marker_on_page_3_is_found_and_edited() {
    let stand = Stand::new().await;
    let base = stand.server.uri();
    let list = "/repos/octo/app/issues/7/comments";
    let page = |n: u32| format!("{base}{list}?per_page=100&page={n}");
    let link = |next: u32| {
        format!(
            "<{}>; rel=\"next\", <{}>; rel=\"last\"",
            page(next),
            page(3)
        )
    };
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(3).as_str())
                .set_body_json(json!([comment(21, "lgtm"), comment(22, "ship it")])),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            comment(31, "nit"),
            comment(33, &format!("{MARKER}\nold body"))
        ])))
        .expect(1)
        .mount(&stand.server)
        .await;
    // The first page has no `page` parameter.
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("per_page", "100"))
        .and(|r: &Request| {
            !r.url.query().unwrap_or("").contains("page=2")
                && !r.url.query().unwrap_or("").contains("page=3")
        })
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(2).as_str())
                .set_body_json(json!([comment(11, "first"), comment(12, "second")])),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/app/issues/comments/33"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(
            json!({"body": format!("{MARKER}\nnew body")}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(comment(33, &format!("{MARKER}\nnew body"))),
        )
        .expect(1)
        .mount(&stand.server)
        .await;

    let got = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, &format!("{MARKER}\nnew body"))
        .await
        .unwrap();
    assert_eq!(got.id, 33);
    assert!(!got.created);
    assert_eq!(
        got.url,
        "https://github.com/octo/app/pull/7#issuecomment-33"
    );
    stand.finish().await;
}

#[tokio::test]
async fn two_upserts_leave_one_comment() {
    let stand = Stand::new().await;
    let list = "/repos/octo/app/issues/7/comments";
    let posted = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let store = posted.clone();
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(200).set_body_json(Value::Array(store.lock().unwrap().clone()))
        })
        .mount(&stand.server)
        .await;
    let store = posted.clone();
    Mock::given(method("POST"))
        .and(path(list))
        .respond_with(move |r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let c = comment(501, body["body"].as_str().unwrap());
            store.lock().unwrap().push(c.clone());
            ResponseTemplate::new(201).set_body_json(c)
        })
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/app/issues/comments/501"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(501, "edited")))
        .expect(1)
        .mount(&stand.server)
        .await;

    let first = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
        .await
        .unwrap();
    let second = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, "redeployed")
        .await
        .unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.id, second.id);
    assert_eq!(posted.lock().unwrap().len(), 1);
    assert!(
        posted.lock().unwrap()[0]["body"]
            .as_str()
            .unwrap()
            .starts_with(MARKER)
    );
    stand.finish().await;
}

#[tokio::test]
async fn a_secondary_rate_limit_403_with_retry_after_is_waited_and_retried() {
    let stand = Stand::new().await;
    let sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
    let statuses = format!("/repos/octo/app/statuses/{sha}");
    Mock::given(method("POST"))
        .and(path(statuses.as_str()))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(fixture("error-secondary-rate-limit.json")),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("POST")).and(path(statuses.as_str()))
        .and(body_partial_json(json!({"state": "success", "context": "idp/preview/preview-a", "target_url": "https://a.example.com"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture("status.json")))
        .expect(1).with_priority(2).mount(&stand.server).await;

    let started = Instant::now();
    stand
        .forge
        .set_commit_status(
            &repo(),
            &CommitSha::parse(sha).unwrap(),
            &CommitStatus {
                context: "idp/preview/preview-a".into(),
                state: CommitState::Success,
                target_url: Some("https://a.example.com".into()),
                description: Some("ready".into()),
            },
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stand.server.received_requests().await.unwrap().len(), 2);
    stand.finish().await;
}

#[tokio::test]
async fn a_primary_rate_limit_beyond_the_wait_cap_fails_at_once_as_rate_limited() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/runs/9"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "4102444800")
                .set_body_json(json!({"message": "API rate limit exceeded for user ID 1."})),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    let error = stand.forge.poll_run(&repo(), 9).await.unwrap_err();
    assert!(
        matches!(
            error,
            ForgeError::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{error:?}"
    );
    stand.finish().await;
}

#[tokio::test]
async fn a_500_then_a_200_is_retried() {
    let stand = Stand::new().await;
    let run_path = "/repos/octo/app/actions/runs/30433642";
    Mock::given(method("GET"))
        .and(path(run_path))
        .respond_with(ResponseTemplate::new(500).set_body_json(fixture("error-server.json")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("GET"))
        .and(path(run_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("workflow-run.json")))
        .expect(1)
        .with_priority(2)
        .mount(&stand.server)
        .await;
    let state = stand.forge.poll_run(&repo(), 30_433_642).await.unwrap();
    assert_eq!(state.status, RunStatus::Queued);
    stand.finish().await;
}

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
            (200, RunStatus::Queued),
            (200, RunStatus::InProgress),
            (200, RunStatus::Completed)
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
async fn a_missing_pull_request_is_not_found_and_the_open_pr_of_a_branch_ignores_forks() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/issues/404/comments"))
        .respond_with(ResponseTemplate::new(404).set_body_json(fixture("error-not-found.json")))
        .expect(1)
        .mount(&stand.server)
        .await;
    let mut fork = fixture("pull-request.json");
    fork["number"] = json!(3);
    fork["head"]["repo"]["full_name"] = json!("mallory/app");
    let mut own = fixture("pull-request.json");
    own["number"] = json!(8);
    own["head"]["repo"]["full_name"] = json!("octo/app");
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("head", "octo:feature/payment-api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fork, own])))
        .expect(1)
        .mount(&stand.server)
        .await;

    let error = stand
        .forge
        .upsert_pr_comment(&repo(), 404, MARKER, "x")
        .await
        .unwrap_err();
    assert!(matches!(error, ForgeError::NotFound { .. }), "{error:?}");
    let pr = stand
        .forge
        .find_open_pr(&repo(), &Branch::parse("feature/payment-api").unwrap())
        .await
        .unwrap();
    assert_eq!(pr.map(|p| p.number), Some(8));
    stand.finish().await;
}

#[tokio::test]
async fn the_token_never_appears_in_debug_or_error_output() {
    let stand = Stand::new().await;
    Mock::given(method("GET")).and(path("/repos/octo/app/actions/runs/1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})))
        .expect(1).mount(&stand.server).await;
    let error = stand.forge.poll_run(&repo(), 1).await.unwrap_err();
    assert!(
        matches!(error, ForgeError::Unauthorized { .. }),
        "{error:?}"
    );
    let cfg = GitHubConfig::new(
        "https://ghe.example.com/api/v3/",
        Some(Secret::new(TOKEN.to_owned())),
    );
    let shown = format!("{error} {error:?} {:?} {cfg:?}", stand.forge);
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("Bad credentials"));
    assert_eq!(cfg.api_url, "https://ghe.example.com/api/v3");
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

#[tokio::test]
async fn a_body_over_githubs_limit_is_sent_cut_with_a_truncation_note() {
    let stand = Stand::new().await;
    let list = "/repos/octo/app/issues/7/comments";
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("POST"))
        .and(path(list))
        .and(|r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let text = body["body"].as_str().unwrap();
            text.len() <= 65_536
                && text.starts_with(MARKER)
                && text.contains("truncated to fit GitHub's 65,536-character limit")
        })
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(9, "cut")))
        .expect(1)
        .mount(&stand.server)
        .await;
    let huge = format!("{MARKER}\n{}", "log line ✓\n".repeat(10_000));
    let got = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, &huge)
        .await
        .unwrap();
    assert!(got.created);
    stand.finish().await;
}

#[tokio::test]
async fn a_server_error_that_persists_is_unavailable_after_the_bounded_retries() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/runs/5"))
        .respond_with(ResponseTemplate::new(502).set_body_json(fixture("error-server.json")))
        .expect(4)
        .mount(&stand.server)
        .await;
    let error = stand.forge.poll_run(&repo(), 5).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(
        matches!(
            error,
            ForgeError::Unavailable {
                backend: "github",
                ..
            }
        ),
        "{error:?}"
    );
    stand.finish().await;
}
