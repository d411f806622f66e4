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
//! - A manual dispatch is a no-op here: its inputs name the use case to run.
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
    NoOp {
        /// Why.
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
        /// The branch.
        branch: String,
        /// Why (the naming error).
        message: String,
    },
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The environment concerned (`None` for sweeps, ignored events, unnameable branches).
    pub env: Option<EnvName>,
    /// What to do.
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
        Trigger::PullRequest { pr, .. } => {
            if pr.from_fork {
                return refuse_fork(pr.head_repository.as_ref());
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

/// Whether `meta` was created for this branch of this repository.
fn owned_by(meta: &Metadata, branch: &Branch, repository: &Repository) -> bool {
    meta.branch.as_deref() == Some(branch.as_str())
        && meta.repository.as_deref() == Some(repository.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{CommitSha, PrAction, PullRequest};
    use crate::domain::template::TemplateName;
    use chrono::Duration;

    const SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    const REPO: &str = "octo-org/octo-repo";

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn push(branch: &str) -> Trigger {
        Trigger::Push {
            repository: Repository::parse(REPO).unwrap(),
            branch: Branch::parse(branch).unwrap(),
            commit: CommitSha::parse(SHA).unwrap(),
            actor: "octocat".into(),
            default_branch: Branch::parse("main").ok(),
        }
    }

    fn deleted(branch: &str) -> Trigger {
        Trigger::BranchDeleted {
            repository: Repository::parse(REPO).unwrap(),
            branch: Branch::parse(branch).unwrap(),
            actor: "octocat".into(),
        }
    }

    fn pull(branch: &str, from_fork: bool) -> PullRequest {
        PullRequest {
            number: 7,
            branch: Branch::parse(branch).unwrap(),
            head_sha: CommitSha::parse(SHA).unwrap(),
            repository: Repository::parse(REPO).unwrap(),
            head_repository: Repository::parse(if from_fork { "mallory/octo-repo" } else { REPO }),
            author: "octocat".into(),
            title: "Add payments".into(),
            base_branch: Branch::parse("main").unwrap(),
            from_fork,
        }
    }

    fn closed(branch: &str) -> Trigger {
        Trigger::PullRequestClosed {
            merged: true,
            pr: pull(branch, false),
        }
    }

    fn meta(branch: &str, status: Status) -> Metadata {
        let mut m = Metadata::new(
            EnvName::from_branch(branch).unwrap(),
            TemplateName::default_template(),
            "octocat".into(),
            now() - Duration::days(1),
            now() + Duration::days(6),
        );
        m.branch = Some(branch.into());
        m.repository = Some(REPO.into());
        m.status = status;
        m.status_changed_at = now() - Duration::minutes(10);
        m
    }

    #[test]
    fn push_without_metadata_provisions_the_documented_name() {
        let d = decide(&push("feature/payment-api"), None, now());
        assert_eq!(d.action, Action::Provision);
        assert_eq!(d.env.unwrap().as_str(), "preview-payment-api");
        assert_eq!(
            d.reason,
            "no environment `preview-payment-api` yet: provision it for branch `feature/payment-api`"
        );
    }

    #[test]
    fn push_after_a_destroyed_tombstone_provisions_again() {
        let m = meta("feature/x", Status::Destroyed);
        assert_eq!(
            decide(&push("feature/x"), Some(&m), now()).action,
            Action::Provision
        );
    }

    #[test]
    fn push_to_a_live_environment_of_the_same_branch_extends_and_redeploys() {
        for status in [Status::Active, Status::Updating, Status::Provisioning] {
            let m = meta("feature/x", status);
            let d = decide(&push("feature/x"), Some(&m), now());
            assert_eq!(d.action, Action::ExtendAndRedeploy, "{status}");
            assert!(
                d.reason.contains("redeploy commit `6113728`"),
                "{}",
                d.reason
            );
        }
    }

    #[test]
    fn push_to_a_failed_environment_provisions_to_recover() {
        let m = meta("feature/x", Status::Failed);
        assert_eq!(
            decide(&push("feature/x"), Some(&m), now()).action,
            Action::Provision
        );
    }

    #[test]
    fn push_while_destroying_waits() {
        let m = meta("feature/x", Status::Destroying);
        let d = decide(&push("feature/x"), Some(&m), now());
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::BeingDestroyed
            }
        );
        let env = EnvName::from_branch("feature/x").unwrap();
        assert_eq!(
            d.reason,
            format!("environment `{env}` is being destroyed; push again when it is gone")
        );
    }

    #[test]
    fn push_of_another_branch_with_the_same_name_is_refused_not_overwritten() {
        // feature/x and bugfix/x both map to preview-x.
        let m = meta("feature/x", Status::Active);
        let d = decide(&push("bugfix/x"), Some(&m), now());
        assert_eq!(
            d.action,
            Action::Refuse {
                refusal: Refusal::BranchCollision {
                    branch: "bugfix/x".into(),
                    repository: REPO.into(),
                    existing_branch: Some("feature/x".into()),
                    existing_repository: Some(REPO.into()),
                }
            }
        );
        assert!(
            d.reason
                .contains("branch `feature/x` of `octo-org/octo-repo`"),
            "{}",
            d.reason
        );
        assert!(
            d.reason.contains("not to branch `bugfix/x`"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn push_of_the_same_branch_from_another_repository_is_refused() {
        let mut m = meta("feature/x", Status::Active);
        m.repository = Some("other-org/other".into());
        let d = decide(&push("feature/x"), Some(&m), now());
        assert_eq!(d.action.as_str(), "refuse");
    }

    #[test]
    fn push_onto_a_cli_created_environment_is_refused() {
        let mut m = meta("feature/x", Status::Active);
        m.branch = None;
        m.repository = None;
        let d = decide(&push("feature/x"), Some(&m), now());
        assert_eq!(d.action.as_str(), "refuse");
        assert!(
            d.reason.contains("created with `idp create`"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn branch_that_gives_no_name_is_refused_on_push_and_ignored_on_delete() {
        let d = decide(&push("___"), None, now());
        assert_eq!(d.action.as_str(), "refuse");
        assert_eq!(d.env, None);
        let d = decide(&deleted("___"), None, now());
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::NoEnvironmentName
            }
        );
    }

    #[test]
    fn delete_or_close_destroys_a_live_environment_of_the_same_branch() {
        for status in [
            Status::Active,
            Status::Updating,
            Status::Provisioning,
            Status::Failed,
        ] {
            let m = meta("feature/x", status);
            assert_eq!(
                decide(&deleted("feature/x"), Some(&m), now()).action,
                Action::Destroy
            );
            assert_eq!(
                decide(&closed("feature/x"), Some(&m), now()).action,
                Action::Destroy
            );
        }
    }

    #[test]
    fn delete_without_metadata_or_after_destroyed_is_a_noop() {
        let d = decide(&deleted("feature/x"), None, now());
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::AlreadyGone
            }
        );
        assert!(d.reason.ends_with("already gone"));
        let m = meta("feature/x", Status::Destroyed);
        let d = decide(&closed("feature/x"), Some(&m), now());
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::AlreadyDestroyed
            }
        );
    }

    #[test]
    fn second_destroy_trigger_sees_destroying_and_does_nothing() {
        // PR merged: the close destroys and marks the environment destroying ...
        let mut m = meta("feature/x", Status::Active);
        assert_eq!(
            decide(&closed("feature/x"), Some(&m), now()).action,
            Action::Destroy
        );
        m.transition(Status::Destroying, now()).unwrap();
        // ... then the branch auto-delete arrives a second later.
        let d = decide(
            &deleted("feature/x"),
            Some(&m),
            now() + Duration::seconds(1),
        );
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::AlreadyDestroying
            }
        );
        let env = EnvName::from_branch("feature/x").unwrap();
        assert_eq!(
            d.reason,
            format!("environment `{env}` is already destroying")
        );
    }

    #[test]
    fn destroy_stuck_for_more_than_two_hours_is_retried() {
        let mut m = meta("feature/x", Status::Destroying);
        m.status_changed_at = now() - Duration::hours(2);
        assert_eq!(
            decide(&deleted("feature/x"), Some(&m), now())
                .action
                .as_str(),
            "noop"
        );
        m.status_changed_at = now() - Duration::hours(2) - Duration::seconds(1);
        let d = decide(&deleted("feature/x"), Some(&m), now());
        assert_eq!(d.action, Action::Destroy);
        assert!(d.reason.contains("retry the destroy"), "{}", d.reason);
    }

    #[test]
    fn deleting_a_branch_never_destroys_another_branchs_environment() {
        let m = meta("feature/x", Status::Active);
        let d = decide(&deleted("bugfix/x"), Some(&m), now());
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::NotOwned {
                    existing_branch: Some("feature/x".into()),
                    existing_repository: Some(REPO.into()),
                }
            }
        );
        assert!(d.reason.ends_with("left alone"));
    }

    #[test]
    fn pull_request_updates_deploy_like_pushes() {
        let m = meta("feature/x", Status::Active);
        let t = Trigger::PullRequest {
            action: PrAction::Synchronize,
            pr: pull("feature/x", false),
        };
        assert_eq!(
            decide(&t, Some(&m), now()).action,
            Action::ExtendAndRedeploy
        );
        let t = Trigger::PullRequest {
            action: PrAction::Opened,
            pr: pull("feature/x", false),
        };
        assert_eq!(decide(&t, None, now()).action, Action::Provision);
    }

    #[test]
    fn pull_requests_from_forks_are_refused_and_their_close_is_a_noop() {
        let t = Trigger::PullRequest {
            action: PrAction::Opened,
            pr: pull("feature/x", true),
        };
        let d = decide(&t, None, now());
        assert_eq!(
            d.action,
            Action::Refuse {
                refusal: Refusal::FromFork {
                    head_repository: Some("mallory/octo-repo".into())
                }
            }
        );
        assert!(d.reason.contains("credentials"));
        let t = Trigger::PullRequestClosed {
            merged: false,
            pr: pull("feature/x", true),
        };
        let m = meta("feature/x", Status::Active);
        assert_eq!(
            decide(&t, Some(&m), now()).action,
            Action::NoOp {
                reason: NoOpReason::FromFork
            }
        );
    }

    #[test]
    fn schedule_sweeps_dispatch_and_ignored_events_do_nothing() {
        let d = decide(
            &Trigger::Schedule {
                cron: None,
                repository: None,
            },
            None,
            now(),
        );
        assert_eq!((d.action, d.env), (Action::Sweep, None));
        let t = Trigger::Dispatch {
            repository: Repository::parse(REPO).unwrap(),
            git_ref: "refs/heads/main".into(),
            inputs: Default::default(),
        };
        assert_eq!(
            decide(&t, None, now()).action,
            Action::NoOp {
                reason: NoOpReason::ManualDispatch
            }
        );
        let reason = IgnoredReason::TagPush { tag: "v1".into() };
        let d = decide(
            &Trigger::Ignored {
                reason: reason.clone(),
            },
            None,
            now(),
        );
        assert_eq!(d.reason, "push of tag `v1`: tags get no preview");
        assert_eq!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::Ignored { reason }
            }
        );
    }

    #[test]
    fn env_for_names_the_environment_to_read() {
        assert_eq!(
            env_for(&push("feature/payment-api"))
                .unwrap()
                .unwrap()
                .as_str(),
            "preview-payment-api"
        );
        assert_eq!(
            env_for(&Trigger::Schedule {
                cron: None,
                repository: None
            })
            .unwrap(),
            None
        );
        assert!(env_for(&push("___")).is_err());
    }
}
