//! The guardrail on every path that provisions a new environment: refused with the figures and
//! nothing provisioned, passed by an admin's override (recorded), refused for anyone else's
//! override, and never applied to a redeploy.

use chrono::TimeDelta;
use idp_core::budgets::guard::{self, NewEnvironment};
use idp_core::budgets::sync::{SyncRequest, sync};
use idp_core::domain::config::Config;
use idp_core::domain::event::{Branch, CommitSha, Repository, Trigger};
use idp_core::domain::naming::EnvName;
use idp_core::environments::create::{self, CreateRequest};
use idp_core::error::{Error, ErrorKind, ExitCode};
use idp_core::gitops::preview::{self, PreviewRequest};
use idp_core::gitops::steps::{self, Expect, PlanRequest};
use idp_core::platform::Platform;
use idp_core::ports::CommitState;
use idp_core::support::report::Outcome;
use idp_core::support::state;

use crate::{as_actor, platform, policy};

fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

/// The lifetime estimate of a default environment (the default TTL).
fn estimate() -> f64 {
    let config = Config::default();
    guard::estimate_usd(&NewEnvironment {
        name: &name("x-estimate"),
        owner: "alice",
        config: &config,
        ttl: config.ttl,
    })
}

async fn sync_limit(p: &Platform, limit: f64) {
    sync(
        p,
        SyncRequest {
            policy: policy(limit),
            source: "platform.yml".into(),
        },
    )
    .await
    .unwrap();
}

fn create_req(env: &str, owner: &str, override_reason: Option<&str>) -> CreateRequest {
    CreateRequest {
        name: name(env),
        config: Config::default(),
        ttl: None,
        owner: Some(owner.to_owned()),
        image: None,
        source: Default::default(),
        budget_override: override_reason.map(str::to_owned),
    }
}

fn push(branch: &str, commit: &str) -> Trigger {
    Trigger::Push {
        repository: Repository::parse("acme/shop").unwrap(),
        branch: Branch::parse(branch).unwrap(),
        commit: CommitSha::parse(commit).unwrap(),
        actor: "alice".into(),
        default_branch: Some(Branch::parse("main").unwrap()),
    }
}

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const SHA2: &str = "1123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn create_past_the_team_budget_is_refused_with_the_figures_and_nothing_provisioned() {
    let (p, h) = platform("alice");
    let est = estimate();
    assert!(est > 1.0, "a default environment costs something: {est}");
    sync_limit(&p, (est * 1.5 * 100.0).round() / 100.0).await;

    create::create(&p, create_req("pay-one", "alice", None))
        .await
        .unwrap();
    // Five days later the first has spent 5/7 of its estimate: a second does not fit.
    h.clock.advance(TimeDelta::days(5));
    let err = create::create(&p, create_req("pay-two", "bob-smith", None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExceeded, "{err}");
    assert_eq!(err.kind().as_str(), "budget_exceeded");
    assert_eq!(ExitCode::from(err.kind()) as u8, 5);
    let Error::BudgetExceeded { overrun, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(overrun.scope.to_string(), "team `payments`");
    let message = err.to_string();
    assert!(message.contains("team `payments`"), "{message}");
    assert!(
        message.contains(&idp_core::domain::cost::format_usd(overrun.spent_usd)),
        "{message}"
    );
    assert!(
        message.contains(&idp_core::domain::cost::format_usd(overrun.limit_usd)),
        "{message}"
    );
    assert!(
        err.hints().iter().any(|h| h.contains("--override-budget")),
        "{:?}",
        err.hints()
    );
    assert!(
        !h.provisioner.is_applied(&name("pay-two")),
        "nothing provisioned"
    );
    assert!(
        state::load(&*p.backend.store, &name("pay-two"))
            .await
            .unwrap()
            .is_none(),
        "no record"
    );

    // Someone with no budget (dana is on no team) is not concerned.
    create::create(&p, create_req("dana-one", "dana", None))
        .await
        .unwrap();
}

#[tokio::test]
async fn only_an_admin_may_override_and_the_reason_is_kept_in_the_metadata() {
    let (p, h) = platform("alice");
    sync_limit(&p, 0.01).await;

    let err = create::create(&p, create_req("pay-x", "alice", Some("please")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Refused { reason, .. } if reason == "budget_override_not_allowed"),
        "{err}"
    );
    assert!(err.to_string().contains("platform-lead"), "{err}");
    assert!(!h.provisioner.is_applied(&name("pay-x")));

    let admin = as_actor(&p, "platform-lead");
    let report = create::create(
        &admin,
        create_req("pay-x", "alice", Some("board demo on Friday")),
    )
    .await
    .unwrap();
    assert_eq!(report.outcome, Outcome::Created);
    let meta = state::load_existing(&*p.backend.store, &name("pay-x"))
        .await
        .unwrap()
        .meta;
    let o = meta.budget_override.expect("the override is recorded");
    assert_eq!(o.by, "platform-lead");
    assert_eq!(o.reason, "board demo on Friday");
    assert_eq!(o.budget, "team `payments`");
    assert!(o.figures.contains("limit $0.01"), "{}", o.figures);
    assert_eq!(meta.owner, "alice");
}

#[tokio::test]
async fn an_override_that_is_not_needed_is_not_recorded() {
    let (p, _) = platform("platform-lead");
    sync_limit(&p, 100_000.0).await;
    create::create(&p, create_req("pay-y", "alice", Some("just in case")))
        .await
        .unwrap();
    let meta = state::load_existing(&*p.backend.store, &name("pay-y"))
        .await
        .unwrap()
        .meta;
    assert_eq!(meta.budget_override, None);
}

#[tokio::test]
async fn a_push_past_the_budget_is_refused_on_the_pr_and_a_redeploy_never_is() {
    let (p, h) = platform("idp");
    h.forge.open_pr("acme/shop", 7, "feature/pay", SHA);
    h.forge.open_pr("acme/shop", 8, "feature/more", SHA2);
    sync_limit(&p, (estimate() * 1.2 * 100.0).round() / 100.0).await;

    let req = |branch: &str, sha: &str| PreviewRequest {
        trigger: push(branch, sha),
        config: Config::default(),
        image: None,
        owner: Some("alice".into()),
    };
    let first = preview::preview(&p, req("feature/pay", SHA)).await.unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    h.clock.advance(TimeDelta::days(3));

    // A new branch does not fit: refused, the PR says why, the status fails.
    let err = preview::preview(&p, req("feature/more", SHA2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExceeded, "{err}");
    let comments = h.forge.comments("acme/shop", 8);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("not created: over budget"),
        "{}",
        comments[0].body
    );
    assert!(
        comments[0].body.contains("team `payments`"),
        "{}",
        comments[0].body
    );
    let last = h
        .forge
        .statuses()
        .into_iter()
        .rev()
        .find(|s| s.sha == SHA2)
        .unwrap();
    assert_eq!(last.status.state, CommitState::Failure);
    assert!(!h.provisioner.is_applied(&name("preview-more")));
    assert!(
        state::load(&*p.backend.store, &name("preview-more"))
            .await
            .unwrap()
            .is_none()
    );

    // The existing branch's next push redeploys, budget or not.
    let again = preview::preview(&p, req("feature/pay", SHA2))
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Redeployed);
}

#[tokio::test]
async fn the_workflow_plan_step_refuses_before_writing_and_comments() {
    let (p, h) = platform("idp");
    h.forge.open_pr("acme/shop", 9, "feature/wf", SHA);
    sync_limit(&p, 0.01).await;
    let err = steps::plan(
        &p,
        PlanRequest {
            trigger: push("feature/wf", SHA),
            config: Config::default(),
            image: None,
            owner: Some("bob-smith".into()),
            expect: Some(Expect::Deploy),
            begin: true,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExceeded, "{err}");
    assert!(
        state::load(&*p.backend.store, &name("preview-wf"))
            .await
            .unwrap()
            .is_none()
    );
    let comments = h.forge.comments("acme/shop", 9);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("over budget"));
    let last = h.forge.statuses().into_iter().next_back().unwrap();
    assert_eq!(last.status.state, CommitState::Failure);
}

/// The one-process GitOps path on the loopback GitHub stand-in: the real GitHub forge posts
/// the refusal comment and the failed status.
#[cfg(feature = "github")]
#[tokio::test]
async fn on_github_the_refusal_is_a_pr_comment_and_a_failed_status() {
    use std::sync::Arc;
    use std::time::Duration;

    use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
    use idp_core::secret::Secret;
    use idp_test_support::github_fake::{GitHubFake, PAT};

    let fake = GitHubFake::start().await;
    fake.add_repo("acme/shop");
    fake.open_pr("acme/shop", 12, "acme/shop", "feature/gh", SHA);
    let cfg =
        GitHubConfig::new(fake.uri(), Some(Secret::new(PAT.to_owned()))).with_retry(RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(1),
        });
    let (p, h) = platform("idp");
    let p = Platform {
        backend: p
            .backend
            .clone()
            .with_forge(Arc::new(GitHubForge::new(&cfg).unwrap())),
        ..p
    };
    sync_limit(&p, 0.01).await;
    let err = preview::preview(
        &p,
        PreviewRequest {
            trigger: push("feature/gh", SHA),
            config: Config::default(),
            image: None,
            owner: Some("alice".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExceeded);
    let comments = fake.comments("acme/shop", 12);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0]
            .body
            .starts_with("<!-- idp:preview:preview-gh -->")
    );
    assert!(
        comments[0].body.contains("Monthly budget | $0.01"),
        "{}",
        comments[0].body
    );
    let statuses = fake.statuses("acme/shop");
    assert_eq!(statuses.last().unwrap().state, "failure", "{statuses:?}");
    assert!(!h.provisioner.is_applied(&name("preview-gh")));

    // An admin raises the budget: the next push provisions and edits the same comment.
    sync_limit(&p, 100_000.0).await;
    let ok = preview::preview(
        &p,
        PreviewRequest {
            trigger: push("feature/gh", SHA),
            config: Config::default(),
            image: None,
            owner: Some("alice".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(ok.outcome, Outcome::Created);
    let comments = fake.comments("acme/shop", 12);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("Preview environment created"));
}

#[tokio::test]
async fn billed_spend_counts_toward_the_budget() {
    let (p, h) = platform("alice");
    sync_limit(&p, 100.0).await;
    create::create(&p, create_req("pay-billed", "alice", None))
        .await
        .unwrap();
    // The bill says the first environment already cost $95 on the day it was created.
    h.billing.add(
        idp_core::ports::ENVIRONMENT_TAG,
        crate::t0().date_naive(),
        "pay-billed",
        95.0,
    );
    h.clock.advance(TimeDelta::days(2));
    let err = create::create(&p, create_req("pay-next", "bob-smith", None))
        .await
        .unwrap_err();
    let Error::BudgetExceeded { overrun, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        overrun.spent_usd >= 95.0,
        "billed spend counts: {overrun:?}"
    );
    let shown = idp_core::budgets::show::show(&p).await.unwrap();
    assert!(
        shown.spend_source.contains("billed"),
        "{}",
        shown.spend_source
    );
    assert!(shown.budgets[0].spent_usd >= 95.0);
}
