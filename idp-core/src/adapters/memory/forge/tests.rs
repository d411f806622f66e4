//! Unit tests of the memory forge that read its recorded state directly.

use chrono::TimeZone;

use super::*;
use crate::ports::{CommitState, FixedClock};

fn repo() -> Repository {
    Repository::parse("octo/app").unwrap_or_else(|| unreachable!())
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0)
        .single()
        .unwrap_or_default()
}

fn forge() -> MemoryForge {
    let forge = MemoryForge::with_clock(Arc::new(FixedClock::new(at(12, 0))));
    forge.open_pr("octo/app", 7, "feature/x", "abc");
    forge.add_workflow("octo/app", "infra.yml", &["stack"]);
    forge
}

#[tokio::test]
async fn upserting_twice_edits_the_one_comment_carrying_the_marker() -> Result<(), ForgeError> {
    let forge = forge();
    let first = forge
        .upsert_pr_comment(&repo(), 7, "<!-- m -->", "one")
        .await?;
    let second = forge
        .upsert_pr_comment(&repo(), 7, "<!-- m -->", "two")
        .await?;
    assert!(first.created && !second.created);
    assert_eq!(first.id, second.id);
    let comments = forge.comments("octo/app", 7);
    assert_eq!(comments.len(), 1);
    assert_eq!(
        comments.first().map(|c| c.body.as_str()),
        Some("<!-- m -->\ntwo")
    );
    let other = forge
        .upsert_pr_comment(&repo(), 7, "<!-- n -->", "x")
        .await?;
    assert!(other.created);
    let missing = forge.upsert_pr_comment(&repo(), 8, "<!-- m -->", "x").await;
    assert!(matches!(missing, Err(ForgeError::NotFound { .. })));
    Ok(())
}

#[tokio::test]
async fn statuses_are_recorded_in_order_and_open_prs_found_by_branch() -> Result<(), ForgeError> {
    let forge = forge();
    let sha = CommitSha::parse(&"a".repeat(40)).unwrap_or_else(|| unreachable!());
    for state in [CommitState::Pending, CommitState::Success] {
        let status = CommitStatus {
            context: "idp/preview/p".into(),
            state,
            target_url: None,
            description: Some("d".repeat(300)),
        };
        forge.set_commit_status(&repo(), &sha, &status).await?;
    }
    let states: Vec<_> = forge.statuses().iter().map(|s| s.status.state).collect();
    assert_eq!(states, [CommitState::Pending, CommitState::Success]);
    assert!(forge.statuses().iter().all(|s| {
        s.status
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() == 140)
    }));
    let branch = Branch::parse("feature/x").map_err(|_| ForgeError::NotConfigured)?;
    assert_eq!(
        forge
            .find_open_pr(&repo(), &branch)
            .await?
            .map(|p| p.number),
        Some(7)
    );
    forge.close_pr("octo/app", 7);
    assert_eq!(forge.find_open_pr(&repo(), &branch).await?, None);
    Ok(())
}

#[tokio::test]
async fn a_dispatch_creates_a_run_that_completes_and_older_runs_are_ignored()
-> Result<(), ForgeError> {
    let forge = forge();
    let older = forge.seed_run(
        "octo/app",
        "infra.yml",
        "main",
        "workflow_dispatch",
        at(11, 59),
    );
    let inputs = BTreeMap::from([("stack".to_owned(), "net".to_owned())]);
    let dispatch = forge
        .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
        .await?;
    assert_eq!(dispatch.earlier_runs, [older]);
    let run = forge.find_dispatched_run(&dispatch).await?;
    let run = run.ok_or(ForgeError::NotConfigured)?;
    assert_ne!(run.id, older);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(forge.poll_run(&repo(), run.id).await?);
    }
    assert!(statuses.last().is_some_and(RunState::succeeded));
    assert_eq!(
        forge.latest_run_url(&repo(), "infra.yml").await?,
        Some(format!(
            "https://github.com/octo/app/actions/runs/{}",
            run.id
        ))
    );
    Ok(())
}

#[tokio::test]
async fn an_undeclared_input_is_refused_with_githubs_message() {
    let forge = forge();
    let inputs = BTreeMap::from([("environment_name".to_owned(), "x".to_owned())]);
    let error = forge
        .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
        .await;
    match error {
        Err(ForgeError::Unprocessable { message }) => {
            assert_eq!(
                message,
                "Unexpected inputs provided: [\"environment_name\"]"
            );
        }
        other => panic!("{other:?}"),
    }
}
