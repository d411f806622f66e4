//! Infrastructure runs end to end: the orchestrator with the local executor, state on memory,
//! a local directory and (with the `aws` feature and moto) S3 + DynamoDB. Each scenario is
//! written once in `scenarios.rs`.

#![allow(
    clippy::disallowed_methods,
    reason = "the scenarios read the files orders wrote and measure wall-clock time"
)]
mod scenarios;
mod support;

#[cfg(feature = "aws")]
use idp_test_support::moto as moto_support;

macro_rules! fixture_or_skip {
    () => {
        match fixture().await {
            Some(f) => f,
            None => return,
        }
    };
}

macro_rules! runs {
    ($backend:ident, $fixture:expr) => {
        mod $backend {
            use crate::scenarios;
            #[allow(unused_imports)]
            use crate::support::*;

            async fn fixture() -> Option<Fixture> {
                $fixture
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_single_order_runs_and_its_result_is_stored() {
                scenarios::a_single_order_runs_and_its_result_is_stored(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ten_orders_run_in_dependency_order() {
                scenarios::ten_orders_run_in_dependency_order(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_failing_branch_skips_its_dependents_and_an_optional_failure_does_not() {
                scenarios::a_failing_branch_skips_its_dependents_and_an_optional_failure_does_not(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_hanging_order_is_killed_at_its_timeout_with_its_children() {
                scenarios::a_hanging_order_is_killed_at_its_timeout_with_its_children(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_job_timeout_ends_the_run() {
                scenarios::the_job_timeout_ends_the_run(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_run_resumes_after_its_orchestrator_was_killed() {
                scenarios::a_run_resumes_after_its_orchestrator_was_killed(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn secrets_never_reach_logs_results_or_events() {
                scenarios::secrets_never_reach_logs_results_or_events(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sourced_secrets_are_sealed_masked_and_stored_nowhere_in_clear() {
                scenarios::sourced_secrets_are_sealed_masked_and_stored_nowhere_in_clear(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_cancelled_run_stops_whoever_drives_it() {
                scenarios::a_cancelled_run_stops_whoever_drives_it(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn two_orchestrators_never_drive_one_run() {
                scenarios::two_orchestrators_never_drive_one_run(&fixture_or_skip!()).await;
            }
        }
    };
}

runs!(memory, Some(Fixture::memory()));
runs!(local, Some(Fixture::local()));
#[cfg(feature = "aws")]
runs!(moto, Fixture::moto().await);

// 1,000 orders write ~5,000 state objects: on memory and the local directory only (on moto,
// one HTTP round trip per object would make it a load test of moto).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_orders_finish_with_bounded_concurrency_on_memory() {
    scenarios::a_thousand_orders_finish_with_bounded_concurrency(&support::Fixture::memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_orders_finish_with_bounded_concurrency_on_local() {
    scenarios::a_thousand_orders_finish_with_bounded_concurrency(&support::Fixture::local()).await;
}

#[test]
fn dangling_dependencies_and_cycles_are_all_listed() {
    let yaml = "orders:\n  - {name: a, cmds: [\"true\"], timeout: 1m, depends_on: [c]}\n  - {name: b, cmds: [\"true\"], timeout: 1m, depends_on: [a, ghost]}\n  - {name: c, cmds: [\"true\"], timeout: 1m, depends_on: [b]}\n";
    let errors = idp_core::domain::orders::Job::from_yaml(yaml, "job.yml").unwrap_err();
    let text: Vec<String> = errors.errors.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].contains("unknown order `ghost`"), "{text:?}");
    assert!(text[1].contains("`a -> c -> b -> a`"), "{text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_pull_request_comment_tracks_the_run_wave_by_wave() {
    use std::sync::Arc;

    use idp_core::adapters::memory::MemoryForge;
    use idp_core::domain::event::Repository;
    use idp_core::runs::{self, PrTarget};

    let forge = Arc::new(MemoryForge::new());
    forge.add_repo("acme/infra");
    forge.open_pr("acme/infra", 7, "feature/x", &"a".repeat(40));
    let mut fixture = support::Fixture::memory();
    fixture.platform.backend = fixture.platform.backend.clone().with_forge(forge.clone());
    let job = support::job(
        "orders:\n  - {name: plan, cmds: [\"echo planned\"], timeout: 30s}\n  - {name: apply, cmds: [\"echo nope; exit 2\"], timeout: 30s, depends_on: [plan]}\n  - {name: notify, cmds: [\"true\"], timeout: 30s, depends_on: [apply]}\n",
    );
    let mut options = fixture.options();
    options.comment = Some(PrTarget {
        repo: Repository::parse("acme/infra").unwrap(),
        pr: 7,
    });
    options.comment_every = std::time::Duration::ZERO;
    let summary = runs::run(
        &fixture.platform,
        job,
        Some(runs::RunId::parse("commented").unwrap()),
        options,
    )
    .await
    .unwrap();
    let comments = forge.comments("acme/infra", 7);
    assert_eq!(comments.len(), 1, "one comment, updated in place");
    let comment = &comments[0];
    assert!(
        comment.edits >= 2,
        "updated per wave and at the end: {}",
        comment.edits
    );
    assert!(comment.body.starts_with("<!-- idp:run:commented -->"));
    assert!(comment.body.contains("❌ Run failed"));
    assert!(
        comment.body.contains("nope"),
        "the failing order's output is shown"
    );
    assert_eq!(
        summary.orders[2].status,
        idp_core::domain::orders::OrderStatus::Skipped
    );
}

/// A resumed run cannot open the bundles of the process that started it (that key was only in
/// its memory): it reads the parameters again and seals new bundles with a new key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resumed_run_seals_new_bundles_with_a_new_key() {
    use std::sync::Arc;
    use std::time::Duration;

    use idp_core::adapters::memory::MemorySecrets;
    use idp_core::domain::orders::{OrderStatus, RunStatus};
    use idp_core::runs::{self, RunId};

    let sources = Arc::new(MemorySecrets::new());
    sources.put_parameter("/resume/api-key", "k3y-Resumed-0042");
    let mut fixture = support::Fixture::memory();
    fixture.platform.backend = fixture.platform.backend.clone().with_secrets(sources);
    let job = support::job(
        "orders:\n  - name: slow\n    cmds: [\"sleep 3\", \"echo key=$API_KEY\", \"test \\\"$(printf %s \\\"$API_KEY\\\" | rev)\\\" = 2400-demuseR-y3k\"]\n    timeout: 30s\n    ssm_paths: [/resume/api-key]\n",
    );
    let run_id = RunId::parse(&format!("resealed-{}", uuid::Uuid::new_v4().simple())).unwrap();
    let manifest = |platform: idp_core::platform::Platform, id: RunId| async move {
        let key = format!("runs/{id}/orders/1/bundle.json");
        let bytes = platform.backend.store.get(&key).await.unwrap().bytes;
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };
    let (platform, id, options) = (fixture.platform.clone(), run_id.clone(), fixture.options());
    let first = tokio::spawn(async move { runs::run(&platform, job, Some(id), options).await });
    let mut running = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(s) = runs::status(&fixture.platform, &run_id).await
            && s.orders[0].status == OrderStatus::Running
        {
            running = true;
            break;
        }
    }
    assert!(running, "the order never started");
    first.abort();
    let _ = first.await;
    let before = manifest(fixture.platform.clone(), run_id.clone()).await;
    let summary = runs::resume(&fixture.platform, &run_id, fixture.options())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Succeeded, "{summary:?}");
    let after = manifest(fixture.platform.clone(), run_id.clone()).await;
    assert_eq!(after["variables"], serde_json::json!(["API_KEY"]));
    assert_ne!(
        before["recipient"], after["recipient"],
        "the resumed run sealed with its own key"
    );
    let log = runs::logs(&fixture.platform, &run_id, "slow")
        .await
        .unwrap();
    assert!(log.contains("key=****"), "{log}");
    assert!(!log.contains("k3y-Resumed-0042"));
}
