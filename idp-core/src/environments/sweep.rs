//! `sweep`: destroy expired environments and retry destroys stuck for more than two hours.
//! Run every 4 hours by the `ttl-cleanup` workflow, or by hand (`idp sweep --dry-run`).

use serde::Serialize;

use crate::domain::lifecycle::{Metadata, Status};
use crate::environments::destroy::{self, DestroyRequest};
use crate::environments::list::{self, ListRequest};
use crate::error::Result;
use crate::platform::Platform;
use crate::support::index;
use crate::support::report::Outcome;

/// Sweep options.
#[derive(Debug, Clone, Copy, Default)]
pub struct SweepRequest {
    /// Only report what would be done.
    pub dry_run: bool,
}

/// What the sweep did (or would do) to each environment it looked at.
#[derive(Debug, Clone, Serialize)]
pub struct SweepReport {
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// How many environments were looked at.
    pub examined: usize,
    /// One entry per environment acted on (or that would be).
    pub actions: Vec<SweepAction>,
    /// Environments whose destroy failed, with the error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<SweepError>,
    /// Records that cannot be read, so the sweep cannot tell whether they are due: each one may
    /// be a running environment nobody cleans up. Always present in JSON (`[]` when none).
    pub unreadable: Vec<list::Unreadable>,
    /// How many of the examined records are still in the original platform's layout.
    pub legacy: usize,
}

/// One environment the sweep acts on.
#[derive(Debug, Clone, Serialize)]
pub struct SweepAction {
    /// The environment.
    pub name: String,
    /// Why: `expired` or `stuck_destroying`.
    pub reason: SweepReason,
    /// What happened: `destroyed`, `no-op` (someone else is on it), or `None` in a dry run.
    pub outcome: Option<Outcome>,
}

/// Why the sweep acts on an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepReason {
    /// Its TTL ran out.
    Expired,
    /// A destroy started more than two hours ago and never finished.
    StuckDestroying,
}

impl SweepReason {
    /// The stable code of the reason, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::StuckDestroying => "stuck_destroying",
        }
    }
}

/// A destroy the sweep could not finish.
#[derive(Debug, Clone, Serialize)]
pub struct SweepError {
    /// The environment.
    pub name: String,
    /// The error's kind code.
    pub kind: &'static str,
    /// The error.
    pub message: String,
}

/// Which environments a sweep at `now` acts on, and why. Environments that are provisioning
/// or updating are left to finish (their deploy holds the lease).
pub fn due(meta: &Metadata, now: chrono::DateTime<chrono::Utc>) -> Option<SweepReason> {
    match meta.status {
        Status::Destroying if meta.is_stuck_destroying(now) => Some(SweepReason::StuckDestroying),
        Status::Active | Status::Failed if meta.is_expired(now) => Some(SweepReason::Expired),
        _ => None,
    }
}

/// How the sweep reads the environments.
#[derive(Debug, Clone, Copy, Default)]
pub struct SweepOptions {
    /// Rebuild the environment index from every metadata object first, instead of checking it
    /// and repairing only the rows that do not match (`idp sweep --reindex`).
    pub reindex: bool,
}

/// Sweep every environment.
pub async fn sweep(platform: &Platform, req: SweepRequest) -> Result<SweepReport> {
    sweep_with(platform, req, SweepOptions::default()).await
}

/// Sweep every environment, reading them as `options` says.
pub async fn sweep_with(
    platform: &Platform,
    req: SweepRequest,
    options: SweepOptions,
) -> Result<SweepReport> {
    // A dry run reads the index as `list` does (two requests) and writes nothing, not even a
    // repaired index; a sweep that acts checks every row against the metadata objects first, so
    // it never acts on a row written around idp.
    let verified = match (options.reindex, req.dry_run) {
        (true, true) => index::scan(platform).await?,
        (true, false) => index::rebuild(platform).await?,
        (false, true) => index::peek(platform).await?,
        (false, false) => index::load_checked(platform).await?,
    };
    let listed = list::report(
        &verified.index,
        ListRequest {
            all: false,
            spend: false,
        },
    );
    let now = platform.backend.clock.now();
    let mut report = SweepReport {
        dry_run: req.dry_run,
        examined: listed.environments.len(),
        actions: Vec::new(),
        errors: Vec::new(),
        legacy: listed.legacy(),
        unreadable: listed.unreadable.clone(),
    };
    for meta in listed.environments {
        let Some(reason) = due(&meta, now) else {
            continue;
        };
        let name = meta.name.to_string();
        if req.dry_run {
            report.actions.push(SweepAction {
                name,
                reason,
                outcome: None,
            });
            continue;
        }
        match destroy::destroy(platform, DestroyRequest::new(meta.name.clone())).await {
            Ok(done) => report.actions.push(SweepAction {
                name,
                reason,
                outcome: Some(done.outcome),
            }),
            Err(e) => report.errors.push(SweepError {
                name,
                kind: e.kind().as_str(),
                message: e.to_string(),
            }),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod reason_tests {
    use super::SweepReason;

    #[test]
    fn reason_codes_are_the_json_values() {
        for r in [SweepReason::Expired, SweepReason::StuckDestroying] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }
}
