//! The records a run keeps under `runs/{run_id}/`, as they are serialized.
//!
//! Readers accept every record an earlier version wrote: event kinds serialize to the same
//! snake_case strings, and unknown fields are ignored.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::orders::{OrderStatus, RunId, RunStatus};
use crate::ports::executor::ExecHandle;

/// The version of the result format this version writes.
pub(super) const RESULT_SCHEMA_VERSION: u32 = 1;

/// `runs/{run_id}/job.json`: the job as it was when the run started, and its deadline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct JobRecord {
    pub(super) run_id: RunId,
    pub(super) started_at: DateTime<Utc>,
    pub(super) deadline: DateTime<Utc>,
    /// The job file in JSON (`Job::to_json`), validated again when read back.
    pub(super) job: serde_json::Value,
}

/// `runs/{run_id}/orders/{n}/state.json`: written when order `n` starts; the executor's handle
/// is added once the executor reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StateRecord {
    pub(super) name: String,
    pub(super) attempt: u32,
    pub(super) started_at: DateTime<Utc>,
    #[serde(default)]
    pub(super) handle: Option<ExecHandle>,
}

/// `runs/{run_id}/orders/{n}/result.json`: how order `n` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResult {
    /// The result format; readers accept versions they know and ignore unknown fields.
    pub schema_version: u32,
    /// The order's name.
    pub name: String,
    /// Its terminal status.
    pub status: OrderStatus,
    /// The exit code of its last command.
    pub exit_code: Option<i32>,
    /// Which attempt this was (1 unless a resumed run ran it again).
    pub attempt: u32,
    /// When it started (`None` when it was skipped).
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// How long it ran.
    pub duration_ms: Option<u64>,
    /// The end of its output, secrets masked.
    pub log_excerpt: String,
    /// Why it ended that way, when it was not its commands' doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl OrderResult {
    /// A result the orchestrator decides (skipped, timed out, failed without a result of its
    /// own): no exit code and no output, `reason` says why.
    pub(super) fn decided(
        name: &str,
        status: OrderStatus,
        attempt: u32,
        started_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        reason: String,
    ) -> Self {
        Self {
            schema_version: RESULT_SCHEMA_VERSION,
            name: name.to_owned(),
            status,
            exit_code: None,
            attempt,
            started_at,
            finished_at: now,
            duration_ms: started_at
                .map(|s| u64::try_from((now - s).num_milliseconds()).unwrap_or(0)),
            log_excerpt: String::new(),
            reason: Some(reason),
        }
    }
}

/// `runs/{run_id}/done`: the end of a run and its counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DoneRecord {
    pub(super) run_id: RunId,
    pub(super) status: RunStatus,
    pub(super) finished_at: DateTime<Utc>,
    pub(super) succeeded: usize,
    pub(super) failed: usize,
    pub(super) timed_out: usize,
    pub(super) skipped: usize,
    #[serde(default)]
    pub(super) cancelled: usize,
}

/// `runs/{run_id}/cancel.json`: someone asked for the run to stop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CancelRecord {
    pub(super) requested_at: DateTime<Utc>,
    pub(super) requested_by: String,
}

/// What a [`RunEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunEventKind {
    /// A run started (message: how many orders).
    RunStarted,
    /// A stopped run was picked up again (message: how many orders had ended).
    RunResumed,
    /// An order was dispatched to its executor (message: the attempt).
    OrderStarted,
    /// An order ended (status: how).
    OrderFinished,
    /// An order will never run (message: why).
    OrderSkipped,
    /// An order that was running when its orchestrator stopped was stopped by [`super::resume`].
    OrderReaped,
    /// The job timeout passed; running orders were stopped and pending ones skipped.
    JobTimedOut,
    /// The run was cancelled (message: by whom); running orders were stopped and pending ones
    /// skipped.
    RunCancelled,
    /// Updating the pull request comment failed; the run went on.
    CommentFailed,
    /// The run ended (status: the run's).
    RunFinished,
}

impl RunEventKind {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RunStarted => "run_started",
            Self::RunResumed => "run_resumed",
            Self::OrderStarted => "order_started",
            Self::OrderFinished => "order_finished",
            Self::OrderSkipped => "order_skipped",
            Self::OrderReaped => "order_reaped",
            Self::JobTimedOut => "job_timed_out",
            Self::RunCancelled => "run_cancelled",
            Self::CommentFailed => "comment_failed",
            Self::RunFinished => "run_finished",
        }
    }
}

impl fmt::Display for RunEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line of a run's append-only event log (`runs/{run_id}/events/{seq}.json`); also what
/// [`super::RunOptions::progress`] receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEvent {
    /// Its position in the log, from 0.
    pub seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: RunEventKind,
    /// The order it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The order's (or at [`RunEventKind::RunFinished`], the run's) status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_are_stored_as_the_strings_earlier_records_hold() {
        let kinds = [
            (RunEventKind::RunStarted, "run_started"),
            (RunEventKind::RunResumed, "run_resumed"),
            (RunEventKind::OrderStarted, "order_started"),
            (RunEventKind::OrderFinished, "order_finished"),
            (RunEventKind::OrderSkipped, "order_skipped"),
            (RunEventKind::OrderReaped, "order_reaped"),
            (RunEventKind::JobTimedOut, "job_timed_out"),
            (RunEventKind::RunCancelled, "run_cancelled"),
            (RunEventKind::CommentFailed, "comment_failed"),
            (RunEventKind::RunFinished, "run_finished"),
        ];
        for (kind, text) in kinds {
            assert_eq!(kind.as_str(), text);
            assert_eq!(serde_json::to_value(kind).unwrap(), text);
        }
        let stored = r#"{"seq":3,"at":"2026-03-01T12:00:00Z","kind":"order_finished","order":"plan","status":"failed","message":"exit 2"}"#;
        let event: RunEvent = serde_json::from_str(stored).unwrap();
        assert_eq!(event.kind, RunEventKind::OrderFinished);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::from_str::<serde_json::Value>(stored).unwrap()
        );
    }
}
