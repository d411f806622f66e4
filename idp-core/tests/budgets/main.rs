//! Budgets end to end: `budgets sync` against the memory adapter and AWS Budgets + SNS on moto,
//! and the guardrail on every path that provisions a new environment — `create` (the CLI and
//! the API), the GitOps push in one process and as the workflow's `plan --begin` — with the
//! pull-request comment on the loopback GitHub stand-in; and, on the same paths, the refusal of
//! a secret outside the repository's allow-list (`secret_allow_list.rs`).

#![allow(
    clippy::disallowed_methods,
    reason = "the moto tests compare against the real month"
)]

mod guard;
#[cfg(feature = "aws")]
mod moto;
mod secret_allow_list;
mod sync;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use idp_core::backend::{Backend, MemoryHandles};
use idp_core::domain::policy::Policy;
use idp_core::platform::{Platform, Settings};

pub(crate) const POLICY: &str = "\
teams:
  payments: [alice, bob-smith]
admins: [platform-lead]
budgets:
  - team: payments
    monthly_usd: LIMIT
    alert_at: [50, 80, 100]
    notify: [finops@example.com]
  - owner: carol
    monthly_usd: 1000
";

/// The policy with the payments team's limit set to `limit`.
pub(crate) fn policy(limit: f64) -> Policy {
    Policy::from_yaml(
        &POLICY.replace("LIMIT", &format!("{limit:.2}")),
        "platform.yml",
    )
    .unwrap()
}

pub(crate) fn t0() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

/// A memory platform acting as `actor`, with its handles.
pub(crate) fn platform(actor: &str) -> (Platform, MemoryHandles) {
    let (backend, handles) = Backend::memory_at(t0());
    let settings = Settings {
        actor: actor.to_owned(),
        ..Settings::default()
    };
    (Platform::new(backend).with_settings(settings), handles)
}

/// The same state as `platform`, acting as someone else.
pub(crate) fn as_actor(platform: &Platform, actor: &str) -> Platform {
    let mut other = platform.clone();
    other.settings.actor = actor.to_owned();
    other
}

#[allow(dead_code, reason = "kept for the moto module")]
pub(crate) fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
