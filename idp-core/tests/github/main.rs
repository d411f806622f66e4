//! The GitHub forge against GitHub stand-ins on loopback (wiremock), answering with whole
//! GitHub objects (`tests/support/fixtures/github`, the examples of GitHub's OpenAPI description):
//!
//! - `comments`, `requests`, `runs`: one mock per expected request, for the adapter's own
//!   behaviour (pages, retries, rate limits, the order of requests). A catch-all mock fails
//!   every test that sends a request nobody expected, naming it.
//! - `identity`: the stateful fake (`fake/`, also behind the `Forge` conformance suite), for who
//!   idp writes as.
//! - `oauth`: signing in with GitHub (the OAuth App's web flow, the user's teams and
//!   organizations) against the fake, and against stand-ins for hostile answers.
//! - `schema`: every body the fake serves, and every fixture, validated against the OpenAPI
//!   description of its operation (npm `@octokit/openapi`).
//!
//! Nothing reaches the network.
#![cfg(feature = "github")]
#![allow(
    clippy::disallowed_methods,
    reason = "the tests read their fixtures and the OpenAPI description, check `CI`, and measure how long a rate limit was waited"
)]
#![allow(
    clippy::print_stderr,
    reason = "a skipped schema test says so loudly on stderr"
)]

mod approvals;
mod comments;
mod identity;
mod oauth;
mod requests;
mod runs;
mod schema;

use std::time::Duration;

use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::domain::event::Repository;
use idp_core::secret::Secret;
use idp_test_support::github_fake as fake;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub(crate) use fake::bodies::fixture;

const TOKEN: &str = fake::PAT;
const MARKER: &str = "<!-- idp:preview:preview-payment-api -->";

/// A comment by `octocat` (the fixture's author).
fn comment(id: u64, body: &str) -> Value {
    let mut c = fixture("issue-comment.json");
    c["id"] = json!(id);
    c["body"] = json!(body);
    c["html_url"] = json!(format!(
        "https://github.com/octo/app/pull/7#issuecomment-{id}"
    ));
    c
}

/// The same comment written by `login`.
fn comment_by(id: u64, body: &str, login: &str) -> Value {
    let mut c = comment(id, body);
    c["user"] = fake::bodies::simple_user(login);
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
