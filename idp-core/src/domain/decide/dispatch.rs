//! The decision for a manual dispatch (`workflow_dispatch`): its inputs name the environment,
//! and the workflow it runs in says what to do with it, so a provision workflow never destroys
//! and a destroy workflow never provisions.
//!
//! The input names are the ones the platform's `provision.yml` and `destroy.yml` declare; the
//! dispatching side ([`crate::github::workflows`]) and the reading side ([`DispatchInputs`])
//! take them from the constants here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Action, Decision, NoOpReason};
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;

/// Input: the environment name (both workflows).
pub const INPUT_ENVIRONMENT_NAME: &str = "environment_name";
/// Input: the template (`provision.yml`); empty means the repository's config.
pub const INPUT_TEMPLATE: &str = "template";
/// Input: the TTL (`provision.yml`); empty means the config's.
pub const INPUT_TTL: &str = "ttl";

/// Which kind of work the calling workflow does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Provision or redeploy.
    Deploy,
    Destroy,
}

/// What a manual dispatch asks for, read from its inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchInputs {
    pub environment_name: Option<String>,
    /// Overrides the config's template.
    pub template: Option<String>,
    /// Overrides the config's TTL.
    pub ttl: Option<String>,
}

impl DispatchInputs {
    /// The inputs of a dispatch event (unknown inputs are ignored: the workflow declares them).
    pub fn from_inputs(inputs: &BTreeMap<String, String>) -> Self {
        let get = |name: &str| inputs.get(name).cloned();
        Self {
            environment_name: get(INPUT_ENVIRONMENT_NAME),
            template: get(INPUT_TEMPLATE),
            ttl: get(INPUT_TTL),
        }
    }
}

/// What a dispatch for `env` means in a workflow that does `expect`, given its record.
pub fn decide_dispatch(
    env: &EnvName,
    expect: Option<Expect>,
    current: Option<&Metadata>,
    now: DateTime<Utc>,
) -> Decision {
    let noop = |reason: NoOpReason, text: String| Decision {
        env: Some(env.clone()),
        action: Action::NoOp { reason },
        reason: text,
    };
    let act = |action: Action, text: String| Decision {
        env: Some(env.clone()),
        action,
        reason: text,
    };
    match (expect, current) {
        (None, _) => noop(
            NoOpReason::ManualDispatch,
            "manual dispatch: the workflow says whether to deploy or destroy".to_owned(),
        ),
        (Some(Expect::Deploy), None) => act(
            Action::Provision,
            format!("no environment `{env}` yet: provision it"),
        ),
        (Some(Expect::Deploy), Some(m)) => match m.status {
            Status::Destroyed | Status::Failed => act(
                Action::Provision,
                format!("environment `{env}` is `{}`: provision it again", m.status),
            ),
            Status::Destroying => noop(
                NoOpReason::BeingDestroyed,
                format!("environment `{env}` is being destroyed; run again when it is gone"),
            ),
            status => act(
                Action::ExtendAndRedeploy,
                format!("environment `{env}` is `{status}`: redeploy it and extend its TTL"),
            ),
        },
        (Some(Expect::Destroy), None) => noop(
            NoOpReason::AlreadyGone,
            format!("environment `{env}` does not exist: already gone"),
        ),
        (Some(Expect::Destroy), Some(m)) => match m.status {
            Status::Destroyed => noop(
                NoOpReason::AlreadyDestroyed,
                format!("environment `{env}` is already destroyed"),
            ),
            Status::Destroying if !m.is_stuck_destroying(now) => noop(
                NoOpReason::AlreadyDestroying,
                format!("environment `{env}` is already destroying"),
            ),
            status => act(
                Action::Destroy,
                format!("environment `{env}` (`{status}`): destroy it"),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::TemplateName;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn inputs_are_read_by_their_declared_names() {
        let inputs = BTreeMap::from([
            (INPUT_ENVIRONMENT_NAME.to_owned(), "demo".to_owned()),
            (INPUT_TTL.to_owned(), "2d".to_owned()),
            ("unknown".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(
            DispatchInputs::from_inputs(&inputs),
            DispatchInputs {
                environment_name: Some("demo".to_owned()),
                template: None,
                ttl: Some("2d".to_owned()),
            }
        );
    }

    #[test]
    fn a_destroying_environment_is_not_redeployed_by_a_dispatch() {
        let mut meta = Metadata::new(
            EnvName::parse("demo").unwrap(),
            TemplateName::default_template(),
            "octocat".to_owned(),
            now(),
            now(),
        );
        meta.status = Status::Destroying;
        meta.status_changed_at = now();
        let d = decide_dispatch(&meta.name.clone(), Some(Expect::Deploy), Some(&meta), now());
        assert!(matches!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::BeingDestroyed
            }
        ));
        let d = decide_dispatch(
            &meta.name.clone(),
            Some(Expect::Destroy),
            Some(&meta),
            now(),
        );
        assert!(matches!(
            d.action,
            Action::NoOp {
                reason: NoOpReason::AlreadyDestroying
            }
        ));
        let later = now() + chrono::TimeDelta::hours(3);
        let d = decide_dispatch(
            &meta.name.clone(),
            Some(Expect::Destroy),
            Some(&meta),
            later,
        );
        assert_eq!(
            d.action,
            Action::Destroy,
            "a destroy stuck for more than 2 h is retried"
        );
    }
}
