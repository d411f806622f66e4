//! The REST API on every backend: memory, local (a temporary directory) and, with a moto
//! server, S3 + DynamoDB. Each scenario is written once and drives the server's router in
//! process; the provisioner is the memory one everywhere (OpenTofu against moto is the stack
//! suite's job), so what differs between backends is state, tokens, leases and deliveries.
//! The served binary itself (signals, SSE over TCP, schemathesis) is tested in `tests/serve.rs`.

#![allow(
    clippy::disallowed_methods,
    clippy::print_stderr,
    reason = "a test suite reads its fixtures and environment, measures time and reports skips"
)]

mod auth;
mod environments;
mod portal;
mod runs;
mod support;
mod webhooks;

macro_rules! api {
    ($backend:ident, $fixture:expr) => {
        mod $backend {
            use crate::support::Server;

            async fn server() -> Option<Server> {
                $fixture
            }

            macro_rules! scenario {
                ($name:ident, $path:path) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        let Some(s) = server().await else { return };
                        $path(&s).await;
                    }
                };
            }

            scenario!(
                meta_routes_answer_without_a_token,
                crate::environments::meta_routes
            );
            scenario!(templates_list_the_catalog, crate::environments::templates);
            scenario!(
                portal_signs_in_serves_its_pages_and_a_helpful_404,
                crate::portal::sign_in_pages_and_not_found
            );
            scenario!(
                portal_creates_extends_and_destroys_through_its_forms,
                crate::portal::create_extend_destroy_through_forms
            );
            scenario!(
                portal_roles_and_csrf_guard_every_change,
                crate::portal::roles_and_csrf_guard_every_change
            );
            scenario!(
                an_environment_is_created_followed_extended_and_destroyed,
                crate::environments::lifecycle
            );
            scenario!(
                listing_filters_and_pages_by_cursor,
                crate::environments::list_filters_and_pages
            );
            scenario!(
                logs_are_read_and_followed_over_sse,
                crate::environments::logs_and_sse
            );
            scenario!(
                sixteen_concurrent_deletes_destroy_once,
                crate::environments::concurrent_deletes
            );
            scenario!(
                bad_requests_get_problem_documents,
                crate::environments::bad_requests
            );
            scenario!(every_role_may_do_exactly_its_routes, crate::auth::matrix);
            scenario!(
                a_costly_create_is_refused_until_an_admin_approves_it,
                crate::environments::approval
            );
            scenario!(
                a_secret_outside_the_allow_list_is_refused_with_403,
                crate::environments::secret_refused
            );
            scenario!(
                tokens_expire_and_are_revoked,
                crate::auth::expiry_and_revocation
            );
            scenario!(jwts_are_checked_for_signature_and_expiry, crate::auth::jwts);
            scenario!(
                a_run_is_submitted_listed_read_and_its_logs_followed,
                crate::runs::submit_and_read
            );
            scenario!(a_run_is_cancelled, crate::runs::cancel);
            scenario!(
                the_job_runner_envelope_runs_and_reports,
                crate::runs::init_envelope
            );
            scenario!(
                a_bad_envelope_gets_every_error_at_once,
                crate::runs::init_rejections
            );
            scenario!(
                signatures_are_checked_before_anything_acts,
                crate::webhooks::signatures
            );
            scenario!(
                a_signed_push_provisions_and_a_redelivery_does_nothing,
                crate::webhooks::push_and_redelivery
            );
            scenario!(
                a_closed_pull_request_destroys_its_preview,
                crate::webhooks::pr_closed
            );
        }
    };
}

api!(memory, Some(Server::memory().await));
api!(local, Some(Server::local().await));
api!(moto, Server::moto().await);

/// Every push, delete and pull_request payload of `@octokit/webhooks-examples` through the
/// endpoint: each is answered 2xx or with a 4xx problem, never a 5xx, and a redelivery of any of
/// them acts at most once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_webhook_corpus_goes_through_the_endpoint() {
    webhooks::corpus(&support::Server::memory().await).await;
}

/// More requests than the rate limit allows get 429 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_answers_429_with_retry_after() {
    auth::rate_limit().await;
}

/// CORS headers only for the configured origins; none at all by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cors_is_off_unless_configured() {
    use axum::http::{Method, Request};
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/environments")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let plain = support::Server::memory().await;
    let a = plain.send(preflight("https://portal.example.com")).await;
    assert!(
        !a.headers.contains_key("access-control-allow-origin"),
        "{:?}",
        a.headers
    );
    let (backend, _) = idp_core::backend::Backend::memory_at(support::t0());
    let configured = support::Server::with_options(
        backend,
        None,
        idp_server::ServeOptions {
            cors_origins: vec!["https://portal.example.com".into()],
            ..idp_server::ServeOptions::default()
        },
    )
    .await;
    let a = configured
        .send(preflight("https://portal.example.com"))
        .await;
    assert_eq!(
        a.headers["access-control-allow-origin"],
        "https://portal.example.com"
    );
    let other = configured.send(preflight("https://evil.example.com")).await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
}

/// The committed `idp-server/openapi.json` is the document the code generates.
#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = idp_server::openapi_json();
    use idp_core::setup::env_vars::{self, EnvVars};
    if env_vars::get(EnvVars::IDP_UPDATE_OPENAPI).is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the document the code generates: run `IDP_UPDATE_OPENAPI=1 cargo test -p idp-server --test api the_committed_openapi` and commit it",
        path.display()
    );
}
