//! Requests: rate limits waited or refused, server errors retried within bounds, the token never
//! shown.

use std::time::{Duration, Instant};

use idp_core::adapters::github::GitHubConfig;
use idp_core::domain::event::CommitSha;
use idp_core::ports::{CommitState, CommitStatus, Forge, ForgeError, WorkflowRunStatus};
use idp_core::secret::Secret;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::{Stand, TOKEN, fixture, repo};

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
                .set_body_json(fixture("error-rate-limit.json")),
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
    assert_eq!(state.status, WorkflowRunStatus::Queued);
    stand.finish().await;
}

#[tokio::test]
async fn the_token_never_appears_in_debug_or_error_output() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/actions/runs/1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fixture("error-bad-credentials.json")),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
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
