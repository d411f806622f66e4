//! Approvals on the GitOps path, end to end against the GitHub fake: real webhook payload shapes
//! (`@octokit/webhooks-examples`, pointed at the fake's repository) drive
//! `gitops::preview::preview` and `gitops::steps::plan` on the memory backend, with the GitHub
//! forge reading reviews, label events and team memberships from the fake. A costly preview
//! waits (comment + pending status, nothing written), a label added by someone without the
//! right is ignored, and an approving review by an allowed user or team member provisions it
//! on the next event.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::backend::Backend;
use idp_core::domain::approval::ApprovalMethod;
use idp_core::domain::config::Config;
use idp_core::domain::decide::{Action, NoOpReason};
use idp_core::domain::event::{Trigger, parse_event};
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::gitops::preview::{self, PreviewRequest};
use idp_core::gitops::steps::{self, Expect, PlanRequest};
use idp_core::platform::{Platform, Settings};
use idp_core::secret::Secret;
use idp_core::support::report::Outcome;
use idp_core::support::state;
use idp_test_support::github_fake::{ACTIONS_TOKEN, GitHubFake};
use serde_json::{Value, json};

const REPO: &str = "octo/app";
const BRANCH: &str = "feature/db";
const ENV: &str = "preview-db";
const PR: u64 = 7;

fn sha() -> String {
    "c".repeat(40)
}

/// A real example of `event` with `action` from the corpus, about pull request [`PR`] of
/// [`REPO`] from [`BRANCH`], sent by `sender`; `None` (after the corpus said why) without it.
fn event(event: &str, action: &str, sender: &str) -> Option<Trigger> {
    let corpus = idp_test_support::webhook_examples::all()?;
    let examples = &corpus.iter().find(|(name, _)| name == event)?.1;
    let mut v: Value = examples
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no `{event}` `{action}` example"))
        .clone();
    v["repository"]["full_name"] = json!(REPO);
    v["sender"]["login"] = json!(sender);
    let pr = &mut v["pull_request"];
    pr["number"] = json!(PR);
    pr["user"]["login"] = json!("dev");
    pr["head"]["ref"] = json!(BRANCH);
    pr["head"]["sha"] = json!(sha());
    pr["head"]["repo"]["full_name"] = json!(REPO);
    pr["base"]["repo"]["full_name"] = json!(REPO);
    if v.get("number").is_some() {
        v["number"] = json!(PR);
    }
    if v.get("label").is_some() {
        v["label"]["name"] = json!("idp-approved");
    }
    Some(parse_event(event, v.to_string().as_bytes()).expect("a valid payload"))
}

fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

async fn platform(fake: &GitHubFake) -> Platform {
    let (mut backend, _) = Backend::memory_at(now());
    let cfg = GitHubConfig::new(fake.uri(), Some(Secret::new(ACTIONS_TOKEN.to_owned())))
        .with_retry(RetryPolicy {
            max_retries: 0,
            initial_backoff: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(1),
        });
    backend.forge = Arc::new(GitHubForge::new(&cfg).expect("a forge"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/templates");
    let settings = Settings {
        approval_rules: idp_core::repo::templates::approval_rules(&dir).expect("the rules"),
        ..Settings::default()
    };
    Platform::new(backend).with_settings(settings)
}

fn costly() -> Config {
    Config {
        template: TemplateName::new("api-database").unwrap(),
        ..Config::default()
    }
}

fn request(trigger: Trigger) -> PreviewRequest {
    PreviewRequest {
        trigger,
        config: costly(),
        image: Some("nginx:1.27".into()),
        owner: Some("dev".into()),
    }
}

fn env() -> EnvName {
    EnvName::parse(ENV).unwrap()
}

/// The fake's comment of the environment, and the state of its latest status.
fn told(fake: &GitHubFake) -> (String, String, Option<String>) {
    let marker = format!("<!-- idp:preview:{ENV} -->");
    let comments: Vec<_> = fake
        .comments(REPO, PR)
        .into_iter()
        .filter(|c| c.body.starts_with(&marker))
        .collect();
    assert_eq!(comments.len(), 1, "one comment per environment");
    let status = fake
        .statuses(REPO)
        .into_iter()
        .rev()
        .find(|s| s.context == format!("idp/preview/{ENV}"))
        .expect("a status");
    (comments[0].body.clone(), status.state, status.description)
}

async fn nothing_written(platform: &Platform) {
    assert!(
        state::load(&*platform.backend.store, &env())
            .await
            .unwrap()
            .is_none(),
        "no record while waiting"
    );
    let objects = platform
        .backend
        .store
        .list_all("environments/")
        .await
        .unwrap();
    assert!(
        objects.is_empty(),
        "nothing applied or written: {objects:?}"
    );
}

#[tokio::test]
async fn a_costly_preview_waits_ignores_an_outsiders_label_and_provisions_after_an_approving_review()
 {
    let Some(opened) = event("pull_request", "opened", "dev") else {
        return;
    };
    let fake = GitHubFake::start().await;
    fake.open_pr(REPO, PR, REPO, BRANCH, &sha());
    let platform = platform(&fake).await;

    let waiting = preview::preview(&platform, request(opened)).await.unwrap();
    assert_eq!(waiting.outcome, Outcome::NoOp);
    assert!(
        waiting
            .reason
            .as_deref()
            .unwrap()
            .contains("waits for approval"),
        "{waiting:?}"
    );
    let (comment, state, description) = told(&fake);
    assert!(comment.contains("waiting for approval"), "{comment}");
    assert!(comment.contains("`@platform-lead`"), "{comment}");
    assert!(comment.contains("`idp-approved`"), "{comment}");
    assert_eq!(state, "pending");
    assert!(description.unwrap().starts_with("Waiting for approval"));
    nothing_written(&platform).await;

    // The label, added by someone who may not approve: ignored, and the comment says so.
    fake.label(REPO, PR, "mallory", "idp-approved", true);
    let labeled = event("pull_request", "labeled", "mallory").unwrap();
    let still = preview::preview(&platform, request(labeled)).await.unwrap();
    assert_eq!(still.outcome, Outcome::NoOp);
    let (comment, state, _) = told(&fake);
    assert!(
        comment.contains("was added by `@mallory`, who may not approve"),
        "{comment}"
    );
    assert_eq!(state, "pending");
    nothing_written(&platform).await;

    // An approving review by an allowed user: the review event provisions it.
    fake.add_review(REPO, PR, "platform-lead", "APPROVED");
    let reviewed = event("pull_request_review", "submitted", "platform-lead").unwrap();
    let created = preview::preview(&platform, request(reviewed))
        .await
        .unwrap();
    assert_eq!(created.outcome, Outcome::Created, "{created:?}");
    let meta = created.environment.unwrap();
    let approval = meta.approval.expect("the approval is recorded");
    assert_eq!(approval.by, "platform-lead");
    assert_eq!(approval.how, ApprovalMethod::Review);
    assert_eq!(approval.template.as_str(), "api-database");
    let (comment, state, _) = told(&fake);
    assert!(!comment.contains("waiting for approval"), "{comment}");
    assert_eq!(state, "success");

    // A later label changes nothing on the running preview.
    let again = event("pull_request", "labeled", "platform-lead").unwrap();
    let noop = preview::preview(&platform, request(again)).await.unwrap();
    assert_eq!(noop.outcome, Outcome::NoOp);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn the_workflow_steps_wait_then_a_team_members_review_lets_begin_provision() {
    let Some(opened) = event("pull_request", "opened", "dev") else {
        return;
    };
    let fake = GitHubFake::start().await;
    fake.open_pr(REPO, PR, REPO, BRANCH, &sha());
    let platform = platform(&fake).await;
    let plan = |trigger: Trigger, begin: bool| PlanRequest {
        trigger,
        config: costly(),
        image: Some("nginx:1.27".into()),
        owner: Some("dev".into()),
        expect: Some(Expect::Deploy),
        begin,
    };

    for begin in [false, true] {
        let planned = steps::plan(&platform, plan(opened.clone(), begin))
            .await
            .unwrap();
        assert!(
            matches!(
                planned.decision.action,
                Action::NoOp {
                    reason: NoOpReason::AwaitingApproval { .. }
                }
            ),
            "{:?}",
            planned.decision
        );
        assert!(planned.tfvars.is_none(), "nothing to apply");
        nothing_written(&platform).await;
    }
    assert_eq!(told(&fake).1, "pending");

    // carol is no approver by name; her review counts once the team says she is a member.
    fake.add_review(REPO, PR, "carol", "APPROVED");
    let reviewed = event("pull_request_review", "submitted", "carol").unwrap();
    let planned = steps::plan(&platform, plan(reviewed.clone(), true))
        .await
        .unwrap();
    assert!(matches!(
        planned.decision.action,
        Action::NoOp {
            reason: NoOpReason::AwaitingApproval { .. }
        }
    ));
    fake.add_team_member("acme", "platform-leads", "carol");
    let planned = steps::plan(&platform, plan(reviewed, true)).await.unwrap();
    assert_eq!(planned.decision.action, Action::Provision);
    let meta = planned.environment.expect("the record begun");
    assert_eq!(meta.approval.as_ref().unwrap().by, "carol");
    assert!(planned.tfvars.is_some());
    assert!(
        fake.requests("GET", "/orgs/acme/teams/platform-leads/memberships/carol")
            .await
            >= 2
    );
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}
