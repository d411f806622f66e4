//! Infrastructure runs: the orchestrator that runs a job's orders in dependency order.
//!
//! [`run`] starts a run, [`resume`] continues one whose orchestrator stopped, [`cancel`] stops
//! one, [`status`] and [`logs`] read one back. Everything a run knows is in the state store under `runs/{run_id}/`
//! (see `domain::layout`), so any orchestrator can pick it up:
//!
//! - `job.json` holds the job and its deadline; `orders/{n}/state.json` is written when order
//!   `n` starts (attempt, executor handle); `orders/{n}/result.json` is written once, create-only,
//!   when it ends (so an order has exactly one terminal result even if two writers race);
//!   `orders/{n}/log` holds the end of its output with secret values masked; `events/{seq}.json`
//!   is the append-only event log; `done` marks the end with the run's status; `cancel.json`
//!   records a cancel request, which the orchestrator reads back every turn;
//!   `orders/{n}/bundle.age` holds order `n`'s secret variables encrypted with age to the run's
//!   key, and `orders/{n}/bundle.json` their names (see `intake` for where the key lives).
//! - Results are read back from the store, never taken from a notification alone: a finished
//!   order's task writes its `result.json` and then wakes the orchestrator, and the orchestrator
//!   also re-reads the results of every running order every [`RunOptions::poll`], so a lost
//!   wake-up delays nothing by more than one poll.
//! - Ready orders are dispatched as soon as they are ready, at most [`RunOptions::max_parallel`]
//!   at once. Each order's timeout is enforced by its executor and, as a watchdog, by the
//!   orchestrator a few seconds later; the job timeout ends every running order (its process
//!   group is killed) and skips every pending one.
//! - A run holds the lease `run/{run_id}` (renewed while it runs), so two orchestrators never
//!   drive one run.
//!
//! **Resume policy.** An order recorded as started but without a result was running when the
//! orchestrator stopped. [`resume`] first stops whatever is left of it (the executor's `reap`:
//! the local executor kills its process group if it is still the same process), then, with
//! [`ResumePolicy::Rerun`] (the default), runs it again as a new attempt; with
//! [`ResumePolicy::MarkFailed`] it records it as failed. Orders that had ended keep their
//! results; the job deadline is the one recorded when the run started.
//!
//! The parts: `records` (what is stored), `store` (reading and writing it with the rules
//! above), `driver` (the orchestrator loop), `task` (one order's dispatch and result),
//! `queries` (reading a run back), `options` (how a run is driven).

mod driver;
mod intake;
mod options;
mod queries;
mod records;
mod store;
mod task;

pub use driver::{CancelOutcome, CancelReport, cancel, resume, run};
pub use options::{Executors, PrTarget, ProgressFn, ResumePolicy, RunOptions, WaveFn};
pub use queries::{Listed, events, job_of, list, logs, status};
pub use records::{OrderResult, RunEvent, RunEventKind};

pub use crate::domain::orders::{InvalidRunId, RunId};
use crate::error::Error;

/// An invalid run id is refused as bad input, like every other invalid argument.
impl From<InvalidRunId> for Error {
    fn from(e: InvalidRunId) -> Self {
        Error::Refused {
            reason: "invalid_run_id".into(),
            message: e.to_string(),
        }
    }
}
