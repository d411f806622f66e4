//! The approval gate of the GitOps path, shared by [`super::preview`] and [`super::steps`]:
//! before a preview of a template whose `template.json` asks for approval is provisioned, the
//! pull request's reviews and label history are read from the forge and judged by
//! [`crate::domain::approval`]. While it waits, nothing is written to the state store and
//! nothing is applied: the pull request gets the waiting comment and a `pending` commit status,
//! and the next event (a review, a label, a push) or a re-run of the workflow asks again.
//! An admin's approval on the CLI or API (`approvals/{name}.json`) opens the gate too.

use std::collections::BTreeSet;

use crate::domain::approval::{self, Approval, Evidence, Requirement, team_parts};
use crate::domain::config::Config;
use crate::domain::event::{CommitSha, Repository};
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::environments::approve;
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::{CommitState, ForgeError};
use crate::support::notify;

/// What the gate says.
#[derive(Debug, Clone)]
pub(crate) enum Gate {
    /// Provision; with the approval to record, when one was needed.
    Open(Option<Approval>),
    /// Wait for approval.
    Wait {
        requirement: Requirement,
        /// Evidence that was ignored, and forge problems, as lines for the comment.
        ignored: Vec<String>,
    },
}

/// Whether the preview of `env` may be provisioned now. `current` is its record (a `failed`
/// one that was approved for the same template keeps its approval); `pr` the pull request;
/// `author` who cannot approve (the pull request's author, or the pusher).
pub(crate) async fn check(
    platform: &Platform,
    config: &Config,
    env: &EnvName,
    repo: Option<&Repository>,
    pr: Option<u64>,
    author: Option<&str>,
    current: Option<&Metadata>,
) -> Result<Gate> {
    let Some(requirement) = approve::requirement_for(platform, config, config.ttl)? else {
        return Ok(Gate::Open(None));
    };
    if let Some(kept) = current
        .and_then(|m| m.approval.clone())
        .filter(|a| a.template == config.template)
    {
        return Ok(Gate::Open(Some(kept)));
    }
    if let Some(admin) = approve::admin_approval(platform, env, &config.template).await? {
        return Ok(Gate::Open(Some(admin)));
    }
    let (Some(repo), Some(pr)) = (repo, pr) else {
        return Ok(Gate::Wait {
            requirement,
            ignored: vec![
                "No pull request is open for this branch: open one so it can be approved, or ask an admin to run `idp approve`.".to_owned(),
            ],
        });
    };
    let forge = &platform.backend.forge;
    let mut ignored = Vec::new();
    let reviews = match forge.list_pr_reviews(repo, pr).await {
        Ok(r) => r,
        Err(e) => {
            problem(&mut ignored, "the reviews could not be read", &e);
            Vec::new()
        }
    };
    let label_events = if requirement.label.is_some() {
        match forge.list_label_events(repo, pr).await {
            Ok(e) => e,
            Err(e) => {
                problem(&mut ignored, "the label history could not be read", &e);
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let none = BTreeSet::new();
    let first = Evidence {
        author,
        reviews: &reviews,
        label_events: &label_events,
        memberships: &none,
    };
    let mut memberships = BTreeSet::new();
    for login in approval::candidates(&requirement, &first) {
        for team in &requirement.approvers.teams {
            let Some((org, slug)) = team_parts(team) else {
                continue;
            };
            match forge.is_team_member(org, slug, &login).await {
                Ok(true) => {
                    memberships.insert((team.to_ascii_lowercase(), login.clone()));
                }
                Ok(false) => {}
                Err(e) => problem(
                    &mut ignored,
                    &format!(
                        "the members of team `{team}` could not be read (the token needs the organization's members: read permission)"
                    ),
                    &e,
                ),
            }
        }
    }
    let evidence = Evidence {
        memberships: &memberships,
        ..first
    };
    if let Some(approval) = approval::evaluate(&requirement, &evidence) {
        return Ok(Gate::Open(Some(approval)));
    }
    ignored.extend(approval::ignored_evidence(&requirement, &evidence));
    Ok(Gate::Wait {
        requirement,
        ignored,
    })
}

fn problem(lines: &mut Vec<String>, what: &str, error: &ForgeError) {
    if matches!(error, ForgeError::NotConfigured) {
        return;
    }
    tracing::warn!(%error, "{what}");
    lines.push(format!("{what}: {error}"));
}

/// Tell the pull request that `env` waits: the waiting comment and a `pending` status.
pub(crate) async fn notify_waiting(
    platform: &Platform,
    env: &EnvName,
    repo: Option<&Repository>,
    sha: Option<&CommitSha>,
    pr: Option<u64>,
    (requirement, ignored): (&Requirement, &[String]),
    notices: &mut Vec<String>,
) {
    let description = format!("Waiting for approval: {}", requirement.who());
    let status = notify::env_status(env.as_str(), CommitState::Pending, None, description);
    notify::status(platform, repo, sha, status, notices).await;
    if let (Some(repo), Some(pr)) = (repo, pr) {
        let body = approval::waiting_comment(env, requirement, ignored);
        let marker = crate::domain::render::comment_marker(env);
        if let Err(error) = platform
            .backend
            .forge
            .upsert_pr_comment(repo, pr, &marker, &body)
            .await
            && !matches!(error, ForgeError::NotConfigured)
        {
            notices.push(format!(
                "could not update the pull request comment: {error}"
            ));
        }
    }
}

/// The reason line of a preview that waits.
pub(crate) fn waiting_reason(env: &EnvName, requirement: &Requirement) -> String {
    format!(
        "environment `{env}` waits for approval: {}; needed: {}",
        requirement.reason(),
        requirement.who()
    )
}
