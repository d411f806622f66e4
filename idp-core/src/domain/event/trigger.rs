//! The typed triggers an event becomes, and the pull requests they carry.

use super::{Branch, CommitSha, Repository, shown};

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A pull request action that (re)deploys the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrAction {
    /// `opened`
    Opened,
    /// `synchronize`: new commits were pushed to the head branch.
    Synchronize,
    /// `reopened`
    Reopened,
    /// `labeled`: a label was added (it may be the approval label of a costly template).
    Labeled,
    /// A `pull_request_review` was `submitted` (it may approve a costly template).
    Reviewed,
}

impl PrAction {
    /// GitHub's name of the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Synchronize => "synchronize",
            Self::Reopened => "reopened",
            Self::Labeled => "labeled",
            Self::Reviewed => "review_submitted",
        }
    }

    /// Whether the action can only approve a waiting preview (a review or a label), not
    /// change a running one.
    pub fn is_approval_event(self) -> bool {
        matches!(self, Self::Labeled | Self::Reviewed)
    }
}

/// The parts of a pull request a preview needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    /// The pull request number.
    pub number: u64,
    /// The head branch (`head.ref`), the branch the preview is named after.
    pub branch: Branch,
    /// The head commit (`head.sha`).
    pub head_sha: CommitSha,
    /// The base repository (where the workflow runs and the environment belongs).
    pub repository: Repository,
    /// The head repository; `None` when the fork was deleted.
    pub head_repository: Option<Repository>,
    /// The author's login.
    pub author: String,
    /// The title, as typed by the author (untrusted: escape before rendering).
    pub title: String,
    /// The base branch (`base.ref`).
    pub base_branch: Branch,
    /// Whether the head is in another repository (a fork), or its repository is gone.
    /// **A fork's code is untrusted: never build or run its preview with secrets.**
    pub from_fork: bool,
}

/// Why an event needs no action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IgnoredReason {
    /// A tag was pushed (or deleted by a push).
    TagPush {
        /// The tag name.
        tag: String,
    },
    /// A tag was deleted (`delete` event).
    TagDeleted {
        /// The tag name.
        tag: String,
    },
    /// A `delete` event for a ref type other than `branch` or `tag`.
    OtherRefType {
        /// The `ref_type`.
        ref_type: String,
    },
    /// A push to the default branch, which gets no preview.
    DefaultBranch { branch: Branch },
    /// A push to a ref that is neither a branch nor a tag (e.g. `refs/notes/…`).
    OtherRef {
        /// The full ref.
        git_ref: String,
    },
    /// A pull request action that changes nothing (`labeled`, `assigned`, …).
    PullRequestAction { action: String },
    /// An event idp does not handle.
    UnsupportedEvent {
        /// The event name.
        event: String,
    },
}

impl fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TagPush { tag } => write!(f, "push of tag `{}`: tags get no preview", shown(tag)),
            Self::TagDeleted { tag } => {
                write!(f, "tag `{}` was deleted: tags have no preview", shown(tag))
            }
            Self::OtherRefType { ref_type } => {
                write!(
                    f,
                    "deleted ref of type `{}` is not a branch",
                    shown(ref_type)
                )
            }
            Self::DefaultBranch { branch } => write!(
                f,
                "push to the default branch `{}`: the default branch gets no preview",
                shown(branch.as_str())
            ),
            Self::OtherRef { git_ref } => {
                write!(f, "push to `{}`, which is not a branch", shown(git_ref))
            }
            Self::PullRequestAction { action } => write!(
                f,
                "pull request action `{}` does not change the preview",
                shown(action)
            ),
            Self::UnsupportedEvent { event } => {
                write!(f, "event `{}` is not handled by idp", shown(event))
            }
        }
    }
}

/// What a GitHub event asks idp to do, before looking at any state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Commits were pushed to a (non-default) branch.
    Push {
        /// `owner/name`.
        repository: Repository,
        /// The branch pushed to.
        branch: Branch,
        /// The new head commit (`after`).
        commit: CommitSha,
        /// Who pushed (`sender.login`, else `pusher.name`).
        actor: String,
        /// The repository's default branch, when the payload says.
        default_branch: Option<Branch>,
    },
    /// A branch was deleted (`delete` event, or a `push` with `deleted: true`).
    BranchDeleted {
        /// `owner/name`.
        repository: Repository,
        /// The deleted branch.
        branch: Branch,
        /// Who deleted it.
        actor: String,
    },
    /// A pull request was opened, reopened or got new commits.
    PullRequest {
        /// What happened.
        action: PrAction,
        /// The pull request.
        pr: PullRequest,
    },
    /// A pull request was closed, merged or not.
    PullRequestClosed {
        /// Whether it was merged.
        merged: bool,
        /// The pull request.
        pr: PullRequest,
    },
    /// A scheduled workflow run (the TTL sweep).
    Schedule {
        /// The cron expression, when the payload has it.
        cron: Option<String>,
        /// The repository, when the payload has it.
        repository: Option<Repository>,
    },
    /// A manual `workflow_dispatch`.
    Dispatch {
        /// `owner/name`.
        repository: Repository,
        /// The ref the workflow runs on, e.g. `refs/heads/main`.
        git_ref: String,
        /// The inputs, as strings (booleans and numbers are written out).
        inputs: BTreeMap<String, String>,
    },
    /// Nothing to do, and why.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
}

impl Trigger {
    /// A stable snake_case name of the variant (`push`, `branch_deleted`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Push { .. } => "push",
            Self::BranchDeleted { .. } => "branch_deleted",
            Self::PullRequest { .. } => "pull_request",
            Self::PullRequestClosed { .. } => "pull_request_closed",
            Self::Schedule { .. } => "schedule",
            Self::Dispatch { .. } => "dispatch",
            Self::Ignored { .. } => "ignored",
        }
    }

    /// The branch the trigger is about, if any.
    pub fn branch(&self) -> Option<&Branch> {
        match self {
            Self::Push { branch, .. } | Self::BranchDeleted { branch, .. } => Some(branch),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => Some(&pr.branch),
            Self::Schedule { .. } | Self::Dispatch { .. } | Self::Ignored { .. } => None,
        }
    }

    /// The repository the trigger comes from, if the payload names it.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            Self::Push { repository, .. }
            | Self::BranchDeleted { repository, .. }
            | Self::Dispatch { repository, .. } => Some(repository),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => {
                Some(&pr.repository)
            }
            Self::Schedule { repository, .. } => repository.as_ref(),
            Self::Ignored { .. } => None,
        }
    }

    /// The commit the trigger is about: the pushed head, or the pull request's head.
    pub fn commit(&self) -> Option<&CommitSha> {
        match self {
            Self::Push { commit, .. } => Some(commit),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => Some(&pr.head_sha),
            Self::BranchDeleted { .. }
            | Self::Schedule { .. }
            | Self::Dispatch { .. }
            | Self::Ignored { .. } => None,
        }
    }

    /// The pull request's number, for pull-request triggers.
    pub fn pr_number(&self) -> Option<u64> {
        match self {
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => Some(pr.number),
            _ => None,
        }
    }

    /// Who caused it: the pusher or deleter of a branch, the author of a pull request.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Self::Push { actor, .. } | Self::BranchDeleted { actor, .. } => Some(actor),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => Some(&pr.author),
            Self::Schedule { .. } | Self::Dispatch { .. } | Self::Ignored { .. } => None,
        }
    }
}
