//! The parts of GitHub's response objects the forge reads.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::request::Answer;
use crate::ports::{ForgeError, RunState, WorkflowRunStatus};

/// `GET /repos/{owner}/{repo}/git/ref/{ref}` (a "git-ref").
#[derive(Debug, Deserialize)]
pub(super) struct GitRef {
    pub(super) object: GitObject,
}

/// `GET /repos/{owner}/{repo}/git/tags/{tag_sha}` (a "git-tag").
#[derive(Debug, Deserialize)]
pub(super) struct GitTag {
    pub(super) object: GitObject,
}

/// What a ref or tag points at: `commit`, `tag` or `tree`, by id.
#[derive(Debug, Deserialize)]
pub(super) struct GitObject {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) sha: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct User {
    pub(super) login: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Comment {
    pub(super) id: u64,
    #[serde(default)]
    pub(super) body: Option<String>,
    pub(super) html_url: String,
    /// `null` for a deleted account.
    #[serde(default)]
    pub(super) user: Option<User>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PullHead {
    pub(super) sha: String,
    #[serde(default)]
    pub(super) repo: Option<PullHeadRepo>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PullHeadRepo {
    pub(super) full_name: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Pull {
    pub(super) number: u64,
    pub(super) html_url: String,
    pub(super) head: PullHead,
}

#[derive(Debug, Deserialize)]
pub(super) struct Run {
    pub(super) id: u64,
    pub(super) status: Option<String>,
    pub(super) conclusion: Option<String>,
    pub(super) html_url: String,
    pub(super) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(super) event: String,
    #[serde(default)]
    pub(super) head_branch: Option<String>,
}

impl Run {
    pub(super) fn state(self) -> RunState {
        RunState {
            id: self.id,
            status: WorkflowRunStatus::from_github(self.status.as_deref().unwrap_or("queued")),
            conclusion: self.conclusion,
            html_url: self.html_url,
            created_at: self.created_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Runs {
    pub(super) workflow_runs: Vec<Run>,
}

pub(super) fn runs_of(answer: &Answer) -> Result<Vec<Run>, ForgeError> {
    Ok(answer.json::<Runs>()?.workflow_runs)
}

/// A pull-request review (`pull-request-review`).
#[derive(Debug, Deserialize)]
pub(super) struct PullReview {
    /// `null` for a deleted account.
    #[serde(default)]
    pub(super) user: Option<User>,
    pub(super) state: String,
    #[serde(default)]
    pub(super) submitted_at: Option<DateTime<Utc>>,
}

/// A label as an issue event names it.
#[derive(Debug, Deserialize)]
pub(super) struct EventLabel {
    pub(super) name: String,
}

/// An issue event (`issue-event-for-issue`); only `labeled` and `unlabeled` carry a label.
#[derive(Debug, Deserialize)]
pub(super) struct IssueEvent {
    pub(super) event: String,
    #[serde(default)]
    pub(super) actor: Option<User>,
    pub(super) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(super) label: Option<EventLabel>,
}

/// A team membership (`team-membership`).
#[derive(Debug, Deserialize)]
pub(super) struct TeamMembership {
    pub(super) state: String,
}
