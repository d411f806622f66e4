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
    // The record on this name was written for feature/x (prefix stripping maps both there).
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

#[test]
fn decisions_serialize_flat_for_workflow_outputs() {
    let m = meta("feature/x", Status::Active);
    let refused = serde_json::to_value(decide(&push("bugfix/x"), Some(&m), now())).unwrap();
    let env = EnvName::from_branch("feature/x").unwrap();
    assert_eq!(refused["env"], env.as_str());
    assert_eq!(refused["action"], "refuse");
    assert_eq!(refused["refusal"]["kind"], "branch_collision");
    assert_eq!(refused["refusal"]["existing_branch"], "feature/x");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("rename this branch")
    );
    let noop = serde_json::to_value(decide(&deleted("feature/x"), None, now())).unwrap();
    assert_eq!(noop["action"], "noop");
    assert_eq!(noop["noop"]["kind"], "already_gone");
    let provision = serde_json::to_value(decide(&push("feature/x"), None, now())).unwrap();
    assert_eq!(provision.as_object().unwrap().len(), 3, "{provision}");
    assert_eq!(provision["action"], "provision");
}

#[test]
fn refusal_codes_are_the_json_kinds() {
    let refusals = [
        Refusal::BranchCollision {
            branch: "a".into(),
            repository: REPO.into(),
            existing_branch: None,
            existing_repository: None,
        },
        Refusal::FromFork {
            head_repository: None,
        },
        Refusal::InvalidBranch {
            branch: "-".into(),
            message: "m".into(),
        },
    ];
    for r in refusals {
        assert_eq!(serde_json::to_value(&r).unwrap()["kind"], r.code());
    }
}
