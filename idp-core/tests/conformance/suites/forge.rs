//! The `Forge` contract: one comment per marker, edited in place and only if idp wrote it;
//! commit statuses replaced by context; dispatched runs found and followed; listings read to
//! their last page; full refs used by their short name; failures as the port's error kinds,
//! never showing the token.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::TimeDelta;
use idp_core::domain::event::{Branch, CommitSha, Repository};
use idp_core::ports::{CommitState, CommitStatus, Forge, ForgeError, RunState, WorkflowRunStatus};

use crate::forges::{ForgeCaps, ForgeSeed};

const REPO: &str = "octo/app";
const MARKER: &str = "<!-- idp:preview:preview-payment-api -->";
const OTHER_MARKER: &str = "<!-- idp:preview:preview-search -->";
const WORKFLOW: &str = "infra.yml";

fn repo() -> Repository {
    Repository::parse(REPO).expect("a repository name")
}

fn sha(n: u8) -> String {
    format!("{n:x}").repeat(40)
}

fn branch(name: &str) -> Branch {
    Branch::parse(name).expect("a branch name")
}

fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Asserts that `error` (shown with `Display` and `Debug`) does not contain the token.
fn no_token(error: &ForgeError, caps: &ForgeCaps) {
    if let Some(secret) = &caps.secret {
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains(secret.as_str()),
            "the token leaked: {shown}"
        );
    }
}

/// Polls `run` until it completes (at most 10 polls); the statuses seen, in order.
async fn poll_to_the_end(forge: &dyn Forge, run: &RunState) -> Vec<RunState> {
    let mut seen = Vec::new();
    for _ in 0..10 {
        let now = forge.poll_run(&repo(), run.id).await.expect("poll");
        let done = now.is_completed();
        seen.push(now);
        if done {
            break;
        }
    }
    seen
}

fn rank(status: &WorkflowRunStatus) -> u8 {
    match status {
        WorkflowRunStatus::Queued => 0,
        WorkflowRunStatus::InProgress => 1,
        _ => 2,
    }
}

pub(crate) async fn comment_upsert_creates_once_then_edits_the_same_comment(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let first = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
        .await
        .expect("create");
    let second = forge
        .upsert_pr_comment(&repo(), 7, MARKER, &format!("{MARKER}\nredeployed"))
        .await
        .expect("edit");
    assert!(first.created && !second.created, "{first:?} {second:?}");
    assert_eq!(first.id, second.id);
    assert!(
        second.url.contains(&second.id.to_string()),
        "{}",
        second.url
    );
    let comments = seed.comments(REPO, 7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].body, format!("{MARKER}\nredeployed"));
    assert_eq!(comments[0].author, seed.identity());
    let missing = forge.upsert_pr_comment(&repo(), 8, MARKER, "x").await;
    assert!(
        matches!(missing, Err(ForgeError::NotFound { .. })),
        "{missing:?}"
    );
}

pub(crate) async fn two_environments_keep_two_comments(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let a = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "a")
        .await
        .expect("a");
    let b = forge
        .upsert_pr_comment(&repo(), 7, OTHER_MARKER, "b")
        .await
        .expect("b");
    let a2 = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "a again")
        .await
        .expect("a again");
    assert!(a.created && b.created && !a2.created);
    assert_ne!(a.id, b.id);
    assert_eq!(a.id, a2.id);
    let bodies: Vec<String> = seed.comments(REPO, 7).into_iter().map(|c| c.body).collect();
    assert_eq!(
        bodies,
        [format!("{MARKER}\na again"), format!("{OTHER_MARKER}\nb")]
    );
}

pub(crate) async fn a_marker_comment_by_someone_else_is_left_alone(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let starts = format!("{MARKER}\nSpoofed preview: https://evil.example.com");
    let contains = format!("look: {MARKER}");
    let spoofed = seed.add_comment(REPO, 7, "mallory", &starts);
    let quoted = seed.add_comment(REPO, 7, "mallory", &contains);
    let ours = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
        .await
        .expect("a new comment, not an edit of mallory's");
    assert!(ours.created, "{ours:?}");
    assert!(ours.id != spoofed && ours.id != quoted);
    let again = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "redeployed")
        .await
        .expect("edit ours");
    assert_eq!((again.id, again.created), (ours.id, false));
    let comments = seed.comments(REPO, 7);
    let by_id = |id: u64| comments.iter().find(|c| c.id == id).expect("a comment");
    assert_eq!(by_id(spoofed).body, starts);
    assert_eq!(by_id(quoted).body, contains);
    assert_eq!(by_id(ours.id).body, format!("{MARKER}\nredeployed"));
    assert_eq!(by_id(ours.id).author, seed.identity());
}

pub(crate) async fn idps_own_comment_not_starting_with_the_marker_is_not_adopted(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let quoting = format!("> {MARKER}\nquoted by idp elsewhere");
    let old = seed.add_comment(REPO, 7, &seed.identity(), &quoting);
    let ours = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
        .await
        .expect("upsert");
    assert!(ours.created && ours.id != old, "{ours:?}");
    let comments = seed.comments(REPO, 7);
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].body, quoting);
}

pub(crate) async fn the_marker_comment_is_found_past_the_first_pages(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    caps: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    for n in 0..caps.page_size * 2 + 1 {
        seed.add_comment(REPO, 7, "reviewer", &format!("comment {n}"));
    }
    let ours = seed.add_comment(REPO, 7, &seed.identity(), &format!("{MARKER}\nold"));
    let got = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "new")
        .await
        .expect("upsert");
    assert_eq!((got.id, got.created), (ours, false));
    assert_eq!(seed.comments(REPO, 7).len(), caps.page_size * 2 + 2);
}

pub(crate) async fn commit_status_is_set_and_replaced_by_context(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let commit = CommitSha::parse(&sha(1)).expect("a sha");
    let status = |context: &str, state, description: &str| CommitStatus {
        context: context.to_owned(),
        state,
        target_url: Some("https://preview-payment-api.example.com".to_owned()),
        description: Some(description.to_owned()),
    };
    let context = "idp/preview/preview-payment-api";
    for s in [
        status(context, CommitState::Pending, "deploying"),
        status("idp/preview/preview-search", CommitState::Failure, "failed"),
        status(context, CommitState::Success, &"ü".repeat(200)),
    ] {
        forge
            .set_commit_status(&repo(), &commit, &s)
            .await
            .expect("status");
    }
    let latest = seed.latest_statuses(REPO, &sha(1));
    assert_eq!(
        latest
            .iter()
            .map(|s| (s.context.as_str(), s.state.as_str()))
            .collect::<Vec<_>>(),
        [
            ("idp/preview/preview-payment-api", "success"),
            ("idp/preview/preview-search", "failure")
        ]
    );
    let description = latest[0].description.as_deref().unwrap_or_default();
    assert_eq!(description.chars().count(), 140);
    assert_eq!(
        latest[0].target_url.as_deref(),
        Some("https://preview-payment-api.example.com")
    );
}

pub(crate) async fn the_open_pr_of_a_branch_is_the_lowest_numbered_on_any_page(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    caps: &ForgeCaps,
) {
    let count = u64::try_from(caps.page_size * 2 + 1).unwrap_or(5);
    for number in 21..21 + count {
        seed.open_pr(REPO, number, "feature/payment-api", &sha(2));
    }
    seed.open_pr(REPO, 3, "feature/other", &sha(3));
    let found = forge
        .find_open_pr(&repo(), &branch("feature/payment-api"))
        .await
        .expect("find");
    let found = found.expect("an open pull request");
    assert_eq!(
        (found.number, found.head_sha.as_str()),
        (21, sha(2).as_str())
    );
    assert!(found.url.ends_with("/pull/21"), "{}", found.url);
    assert_eq!(
        forge
            .find_open_pr(&repo(), &branch("feature/none"))
            .await
            .expect("find"),
        None
    );
}

pub(crate) async fn a_dispatch_finds_its_own_run_and_polls_it_to_completion(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    caps: &ForgeCaps,
) {
    seed.add_workflow(REPO, WORKFLOW, &["stack"]);
    let older = seed.seed_run(
        REPO,
        WORKFLOW,
        "main",
        "workflow_dispatch",
        caps.now - TimeDelta::minutes(1),
    );
    let dispatch = forge
        .dispatch_workflow(&repo(), WORKFLOW, "main", &inputs(&[("stack", "net")]))
        .await
        .expect("dispatch");
    assert_eq!(dispatch.earlier_runs, [older]);
    assert_eq!(dispatch.git_ref, "main");
    let run = forge
        .find_dispatched_run(&dispatch)
        .await
        .expect("find")
        .expect("the dispatched run shows");
    assert_ne!(run.id, older);
    assert!(run.created_at >= dispatch.dispatched_at);
    let seen = poll_to_the_end(forge.as_ref(), &run).await;
    assert!(seen.last().is_some_and(RunState::succeeded), "{seen:?}");
    let ranks: Vec<u8> = seen.iter().map(|s| rank(&s.status)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let runs = seed.runs(REPO);
    let dispatched = runs.iter().find(|r| r.id == run.id).expect("recorded");
    assert_eq!(dispatched.inputs, inputs(&[("stack", "net")]));
    assert_eq!(
        forge
            .latest_run_url(&repo(), WORKFLOW)
            .await
            .expect("latest"),
        Some(run.html_url.clone())
    );
    let missing = forge.poll_run(&repo(), 999_999_999).await;
    assert!(
        matches!(missing, Err(ForgeError::NotFound { .. })),
        "{missing:?}"
    );
}

pub(crate) async fn the_dispatched_run_is_found_past_the_first_pages(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    caps: &ForgeCaps,
) {
    seed.add_workflow(REPO, WORKFLOW, &[]);
    let first = forge
        .dispatch_workflow(&repo(), WORKFLOW, "main", &BTreeMap::new())
        .await
        .expect("dispatch");
    let mut later = Vec::new();
    for _ in 0..caps.page_size * 2 + 1 {
        later.push(
            forge
                .dispatch_workflow(&repo(), WORKFLOW, "main", &BTreeMap::new())
                .await
                .expect("dispatch"),
        );
    }
    let run = forge
        .find_dispatched_run(&first)
        .await
        .expect("find")
        .expect("the first dispatched run");
    let oldest = seed
        .runs(REPO)
        .into_iter()
        .map(|r| r.id)
        .min()
        .expect("runs");
    assert_eq!(run.id, oldest);
    let last = later.last().expect("a later dispatch");
    let newest = forge
        .find_dispatched_run(last)
        .await
        .expect("find")
        .expect("the last dispatched run");
    assert_ne!(newest.id, run.id);
}

pub(crate) async fn a_full_ref_is_used_by_its_short_name(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.add_workflow(REPO, WORKFLOW, &[]);
    seed.open_pr(REPO, 9, "feature/payment-api", &sha(4));
    let dispatch = forge
        .dispatch_workflow(&repo(), WORKFLOW, "refs/heads/main", &BTreeMap::new())
        .await
        .expect("dispatch on refs/heads/main");
    assert_eq!(dispatch.git_ref, "main");
    let run = forge
        .find_dispatched_run(&dispatch)
        .await
        .expect("find")
        .expect("the run on main");
    let runs = seed.runs(REPO);
    let recorded = runs.iter().find(|r| r.id == run.id).expect("recorded");
    assert_eq!(recorded.branch, "main");
    let pr = forge
        .find_open_pr(&repo(), &branch("refs/heads/feature/payment-api"))
        .await
        .expect("find");
    assert_eq!(pr.map(|p| p.number), Some(9));
}

pub(crate) async fn a_ref_resolves_to_the_commit_it_names(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    _: &ForgeCaps,
) {
    seed.add_tag(REPO, "v1", &sha(1), None);
    seed.add_tag(REPO, "v2", &sha(2), Some(&sha(9)));
    seed.add_branch(REPO, "release/2026", &sha(3));
    seed.add_branch(REPO, "v1", &sha(4));
    let resolve = |r: &'static str| {
        let forge = forge.clone();
        async move { forge.resolve_ref(&repo(), r).await }
    };
    assert_eq!(
        resolve("v1").await.expect("v1").as_str(),
        sha(1),
        "a tag wins"
    );
    assert_eq!(
        resolve("v2").await.expect("v2").as_str(),
        sha(2),
        "an annotated tag is followed to its commit"
    );
    assert_eq!(
        resolve("release/2026").await.expect("branch").as_str(),
        sha(3)
    );
    assert_eq!(
        resolve("refs/heads/v1").await.expect("branch v1").as_str(),
        sha(4)
    );
    let full = sha(5);
    let given = forge
        .resolve_ref(&repo(), &full)
        .await
        .expect("a commit id");
    assert_eq!(given.as_str(), full, "a commit id is used as it is");
    for missing in ["v9", "refs/tags/release/2026"] {
        assert!(
            matches!(resolve(missing).await, Err(ForgeError::NotFound { .. })),
            "{missing}"
        );
    }
    let nowhere = Repository::parse("octo/missing").expect("a name");
    assert!(matches!(
        forge.resolve_ref(&nowhere, "v1").await,
        Err(ForgeError::NotFound { .. })
    ));
}

pub(crate) async fn failures_are_the_ports_error_kinds_without_the_token(
    forge: Arc<dyn Forge>,
    seed: Arc<dyn ForgeSeed>,
    caps: &ForgeCaps,
) {
    seed.add_workflow(REPO, WORKFLOW, &["stack"]);
    seed.open_pr(REPO, 7, "feature/payment-api", &sha(1));
    let nowhere = Repository::parse("octo/missing").expect("a name");
    let commit = CommitSha::parse(&sha(1)).expect("a sha");
    let status = CommitStatus {
        context: "idp/preview/x".to_owned(),
        state: CommitState::Pending,
        target_url: None,
        description: None,
    };
    let errors = [
        forge
            .upsert_pr_comment(&nowhere, 7, MARKER, "x")
            .await
            .err(),
        forge
            .find_open_pr(&nowhere, &branch("feature/payment-api"))
            .await
            .err(),
        forge
            .set_commit_status(&nowhere, &commit, &status)
            .await
            .err(),
        forge.latest_run_url(&repo(), "nope.yml").await.err(),
        forge
            .dispatch_workflow(&repo(), "nope.yml", "main", &BTreeMap::new())
            .await
            .err(),
    ];
    for error in &errors {
        let error = error.as_ref().expect("an error");
        assert!(matches!(error, ForgeError::NotFound { .. }), "{error:?}");
        no_token(error, caps);
    }
    let refused = forge
        .dispatch_workflow(&repo(), WORKFLOW, "main", &inputs(&[("nope", "1")]))
        .await
        .expect_err("an undeclared input");
    match &refused {
        ForgeError::Unprocessable { message } => {
            assert_eq!(message, "Unexpected inputs provided: [\"nope\"]");
        }
        other => panic!("{other:?}"),
    }
    no_token(&refused, caps);

    seed.read_only_token();
    let forbidden = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "x")
        .await
        .expect_err("a read-only token cannot comment");
    assert!(
        matches!(forbidden, ForgeError::Unauthorized { .. }),
        "{forbidden:?}"
    );
    no_token(&forbidden, caps);
    let readable = forge
        .find_open_pr(&repo(), &branch("feature/payment-api"))
        .await
        .expect("a read-only token still reads");
    assert_eq!(readable.map(|p| p.number), Some(7));

    seed.revoke_token();
    let revoked = forge
        .find_open_pr(&repo(), &branch("feature/payment-api"))
        .await
        .expect_err("a revoked token");
    assert!(
        matches!(revoked, ForgeError::Unauthorized { .. }),
        "{revoked:?}"
    );
    assert!(!revoked.is_retryable());
    no_token(&revoked, caps);
}
