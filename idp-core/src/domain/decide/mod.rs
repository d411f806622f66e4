//! The preview decision: given a [`Trigger`] and the environment's current record, what to do.
//!
//! This is the GitOps path of idp as one pure function, so every frontend (the Action, the CLI,
//! a webhook server) takes the same decision, and every rule has a test. Callers first ask
//! [`env_for`] which environment a trigger is about, read that environment's metadata, then
//! call [`decide`].
//!
//! | trigger | no record / `destroyed` | same branch: `active`, `updating`, `provisioning` | same branch: `failed` | same branch: `destroying` | another branch or repository |
//! |---|---|---|---|---|---|
//! | push, PR opened / synchronize / reopened | Provision | ExtendAndRedeploy | Provision (recovery) | NoOp (being destroyed) | Refuse (branch collision) |
//! | branch deleted, PR closed | NoOp (already gone) | Destroy | Destroy | NoOp (already destroying), Destroy if stuck > 2 h | NoOp (not this branch's) |
//!
//! - A schedule is [`Action::Sweep`]: the caller runs the TTL sweep over every environment.
//! - A pull request from a fork is refused (opened) or a no-op (closed): its code is untrusted
//!   and would run with the platform's credentials.
//! - A manual dispatch names its environment in its inputs; the workflow it runs in says
//!   whether to deploy or destroy it ([`decide_dispatch`]).
//! - Ownership is "same branch **and** same repository" as recorded in the metadata; a record
//!   without a branch (created by `idp create`) belongs to no branch, so it is never
//!   redeployed or destroyed by a push or a branch deletion.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::event::{Branch, IgnoredReason, Repository, Trigger};
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::{EnvName, NameError};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create the environment (build the image, apply the template, write metadata).
    Provision,
    /// Redeploy the new commit to the existing environment and extend its TTL.
    ExtendAndRedeploy,
    /// Destroy the environment and clean up its state, images and locks.
    Destroy,
    /// Run the TTL sweep over all environments.
    Sweep,
    /// Nothing to do.
    #[serde(rename = "noop")]
    NoOp {
        /// Why.
        #[serde(rename = "noop")]
        reason: NoOpReason,
    },
    /// Acting would be wrong; tell the user.
    Refuse {
        /// Why.
        refusal: Refusal,
    },
}

impl Action {
    /// A stable snake_case name (`provision`, `extend_and_redeploy`, `destroy`, `sweep`,
    /// `noop`, `refuse`), e.g. for a workflow output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::ExtendAndRedeploy => "extend_and_redeploy",
            Self::Destroy => "destroy",
            Self::Sweep => "sweep",
            Self::NoOp { .. } => "noop",
            Self::Refuse { .. } => "refuse",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why nothing needs doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoOpReason {
    /// The event itself needs nothing.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
    /// Destroy asked, but there is no record of the environment.
    AlreadyGone,
    /// Destroy asked, but the environment is already `destroyed`.
    AlreadyDestroyed,
    /// Destroy asked while a destroy is running (and not stuck).
    AlreadyDestroying,
    /// A push arrived while the environment is being destroyed.
    BeingDestroyed,
    /// Destroy asked for an environment that belongs to another branch or repository.
    NotOwned {
        /// The branch recorded in the metadata.
        existing_branch: Option<String>,
        /// The repository recorded in the metadata.
        existing_repository: Option<String>,
    },
    /// A closed pull request from a fork: no preview was ever built for it.
    FromFork,
    /// A destroy trigger for a branch that maps to no environment name.
    NoEnvironmentName,
    /// A manual dispatch: its inputs name what to run.
    ManualDispatch,
    /// The environment's template needs approval, which the pull request does not carry yet
    /// (see [`crate::domain::approval`]); nothing is provisioned.
    AwaitingApproval {
        /// Who may approve, and how.
        needed: String,
    },
}

/// Why acting would be wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// The branch maps to an environment that another branch (or repository) owns.
    BranchCollision {
        /// The branch that asked.
        branch: String,
        /// The repository that asked.
        repository: String,
        /// The branch recorded in the existing environment (`None`: created by `idp create`).
        existing_branch: Option<String>,
        /// The repository recorded in the existing environment.
        existing_repository: Option<String>,
    },
    /// A pull request from a fork: its code must not run with the platform's credentials.
    FromFork {
        /// The head repository (`None` when the fork was deleted).
        head_repository: Option<String>,
    },
    /// The branch gives no valid environment name.
    InvalidBranch {
        branch: String,
        /// Why (the naming error).
        message: String,
    },
}

impl Refusal {
    /// The stable snake_case code of the refusal (its `kind` in JSON).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BranchCollision { .. } => "branch_collision",
            Self::FromFork { .. } => "from_fork",
            Self::InvalidBranch { .. } => "invalid_branch",
        }
    }
}

/// The outcome of [`decide`].
///
/// As JSON (for workflow outputs and `--output json`) the action is flattened:
/// `{"env": "preview-x", "action": "refuse", "refusal": {"kind": "branch_collision", …}, "reason": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The environment concerned (`None` for sweeps, ignored events, unnameable branches).
    pub env: Option<EnvName>,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
    /// One human-readable line saying why (values in backticks; untrusted values escaped).
    pub reason: String,
}

/// Which environment a trigger is about: `Ok(None)` for triggers about no branch, an error when
/// the branch maps to no valid name. Read this environment's metadata, then call [`decide`].
pub fn env_for(trigger: &Trigger) -> Result<Option<EnvName>, NameError> {
    trigger
        .branch()
        .map(|b| EnvName::from_branch(b.as_str()))
        .transpose()
}

/// What a trigger means for the environment `current` describes (the metadata of
/// [`env_for`]`(trigger)`, `None` if there is none). `now` decides whether a `destroying`
/// environment is stuck (see [`Metadata::is_stuck_destroying`]).
pub fn decide(trigger: &Trigger, current: Option<&Metadata>, now: DateTime<Utc>) -> Decision {
    match trigger {
        Trigger::Push {
            repository,
            branch,
            commit,
            ..
        } => deploy(branch, repository, commit.short(), current),
        Trigger::PullRequest { pr, action } => {
            if pr.from_fork {
                return refuse_fork(pr.head_repository.as_ref());
            }
            // A review or a label only matters to a preview still waiting for its approval
            // (one that was never provisioned, or was destroyed); a running one is left alone.
            if action.is_approval_event()
                && let Some(m) = current.filter(|m| m.status != Status::Destroyed)
            {
                let ignored = IgnoredReason::PullRequestAction {
                    action: action.as_str().to_owned(),
                };
                return Decision {
                    env: Some(m.name.clone()),
                    reason: format!(
                        "{ignored}: environment `{}` is already {}",
                        m.name, m.status
                    ),
                    action: Action::NoOp {
                        reason: NoOpReason::Ignored { reason: ignored },
                    },
                };
            }
            deploy(&pr.branch, &pr.repository, pr.head_sha.short(), current)
        }
        Trigger::BranchDeleted {
            repository, branch, ..
        } => destroy(branch, repository, current, now),
        Trigger::PullRequestClosed { pr, .. } => {
            if pr.from_fork {
                return Decision {
                    env: None,
                    action: Action::NoOp {
                        reason: NoOpReason::FromFork,
                    },
                    reason: "pull request from a fork: no preview was built, nothing to destroy"
                        .to_owned(),
                };
            }
            destroy(&pr.branch, &pr.repository, current, now)
        }
        Trigger::Schedule { .. } => Decision {
            env: None,
            action: Action::Sweep,
            reason: "scheduled run: sweep expired environments and retry stuck destroys".to_owned(),
        },
        Trigger::Dispatch { .. } => Decision {
            env: None,
            action: Action::NoOp {
                reason: NoOpReason::ManualDispatch,
            },
            reason: "manual dispatch: the workflow inputs say what to run".to_owned(),
        },
        Trigger::Ignored { reason } => Decision {
            env: None,
            reason: reason.to_string(),
            action: Action::NoOp {
                reason: NoOpReason::Ignored {
                    reason: reason.clone(),
                },
            },
        },
    }
}

/// Untrusted text shown in a reason line.
fn esc(s: &str) -> String {
    crate::domain::event::shown(s)
}

/// Whether `meta` was created for this branch of this repository. A record of the original
/// platform names neither, so the branch whose name maps to it adopts it, as the original did
/// ([`Metadata::adoptable`]); its first write records the branch and repository.
fn owned_by(meta: &Metadata, branch: &Branch, repository: &Repository) -> bool {
    meta.adoptable()
        || (meta.branch.as_deref() == Some(branch.as_str())
            && meta.repository.as_deref() == Some(repository.as_str()))
}

fn owner_text(branch: Option<&str>, repository: Option<&str>) -> String {
    match (branch, repository) {
        (Some(b), Some(r)) => format!("branch `{}` of `{}`", esc(b), esc(r)),
        (Some(b), None) => format!("branch `{}`", esc(b)),
        (None, Some(r)) => format!("`{}` (not a branch preview)", esc(r)),
        (None, None) => "no branch (created with `idp create`)".to_owned(),
    }
}

fn refuse_invalid_branch(branch: &Branch, e: &NameError) -> Decision {
    Decision {
        env: None,
        reason: format!("{e}: rename the branch to include letters or digits"),
        action: Action::Refuse {
            refusal: Refusal::InvalidBranch {
                branch: branch.to_string(),
                message: e.to_string(),
            },
        },
    }
}

fn refuse_fork(head: Option<&Repository>) -> Decision {
    let from = head.map_or_else(
        || "a deleted fork".to_owned(),
        |r| format!("fork `{}`", esc(r.as_str())),
    );
    Decision {
        env: None,
        action: Action::Refuse {
            refusal: Refusal::FromFork {
                head_repository: head.map(|r| r.to_string()),
            },
        },
        reason: format!(
            "pull request from {from}: previews of forks are not built, because their code would run with the platform's credentials; push the branch to this repository instead"
        ),
    }
}

fn deploy(
    branch: &Branch,
    repository: &Repository,
    commit: &str,
    current: Option<&Metadata>,
) -> Decision {
    let env = match EnvName::from_branch(branch.as_str()) {
        Ok(env) => env,
        Err(e) => return refuse_invalid_branch(branch, &e),
    };
    let (action, reason) = match current {
        None => (
            Action::Provision,
            format!(
                "no environment `{env}` yet: provision it for branch `{}`",
                esc(branch.as_str())
            ),
        ),
        Some(m) if m.status == Status::Destroyed => (
            Action::Provision,
            format!(
                "environment `{env}` was destroyed: provision it again for branch `{}`",
                esc(branch.as_str())
            ),
        ),
        Some(m) if !owned_by(m, branch, repository) => (
            Action::Refuse {
                refusal: Refusal::BranchCollision {
                    branch: branch.to_string(),
                    repository: repository.to_string(),
                    existing_branch: m.branch.clone(),
                    existing_repository: m.repository.clone(),
                },
            },
            format!(
                "environment `{env}` belongs to {}, not to {}: rename this branch (both map to `{env}`) or destroy the other environment first",
                owner_text(m.branch.as_deref(), m.repository.as_deref()),
                owner_text(Some(branch.as_str()), Some(repository.as_str())),
            ),
        ),
        Some(m) => match m.status {
            Status::Destroying => (
                Action::NoOp {
                    reason: NoOpReason::BeingDestroyed,
                },
                format!("environment `{env}` is being destroyed; push again when it is gone"),
            ),
            Status::Failed => (
                Action::Provision,
                format!("environment `{env}` failed last time: provision it again to recover"),
            ),
            status @ (Status::Active | Status::Updating | Status::Provisioning) => (
                Action::ExtendAndRedeploy,
                format!(
                    "environment `{env}` is `{status}`: redeploy commit `{commit}` and extend its TTL"
                ),
            ),
            // Handled by the arm above; kept so the match stays exhaustive without a wildcard.
            Status::Destroyed => (
                Action::Provision,
                format!("environment `{env}` was destroyed: provision it again"),
            ),
        },
    };
    Decision {
        env: Some(env),
        action,
        reason,
    }
}

fn destroy(
    branch: &Branch,
    repository: &Repository,
    current: Option<&Metadata>,
    now: DateTime<Utc>,
) -> Decision {
    let Ok(env) = EnvName::from_branch(branch.as_str()) else {
        return Decision {
            env: None,
            action: Action::NoOp {
                reason: NoOpReason::NoEnvironmentName,
            },
            reason: format!(
                "branch `{}` maps to no environment name, so it never had one",
                esc(branch.as_str())
            ),
        };
    };
    let noop = |reason: NoOpReason, text: String| (Action::NoOp { reason }, text);
    let (action, reason) = match current {
        None => noop(
            NoOpReason::AlreadyGone,
            format!("environment `{env}` does not exist: already gone"),
        ),
        Some(m) if m.status == Status::Destroyed => noop(
            NoOpReason::AlreadyDestroyed,
            format!("environment `{env}` is already destroyed"),
        ),
        Some(m) if !owned_by(m, branch, repository) => noop(
            NoOpReason::NotOwned {
                existing_branch: m.branch.clone(),
                existing_repository: m.repository.clone(),
            },
            format!(
                "environment `{env}` belongs to {}, not to {}: left alone",
                owner_text(m.branch.as_deref(), m.repository.as_deref()),
                owner_text(Some(branch.as_str()), Some(repository.as_str())),
            ),
        ),
        Some(m) if m.status == Status::Destroying => {
            if m.is_stuck_destroying(now) {
                (
                    Action::Destroy,
                    format!(
                        "environment `{env}` has been `destroying` since {}: retry the destroy",
                        m.status_changed_at.format("%Y-%m-%d %H:%M UTC")
                    ),
                )
            } else {
                noop(
                    NoOpReason::AlreadyDestroying,
                    format!("environment `{env}` is already destroying"),
                )
            }
        }
        Some(m) => (
            Action::Destroy,
            format!(
                "environment `{env}` (`{}`) of branch `{}`: destroy it",
                m.status,
                esc(branch.as_str())
            ),
        ),
    };
    Decision {
        env: Some(env),
        action,
        reason,
    }
}

pub mod dispatch;
#[cfg(test)]
mod tests;

pub use dispatch::{DispatchInputs, Expect, decide_dispatch};
