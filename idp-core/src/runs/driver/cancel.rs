//! Cancelling a run: a request recorded in the store that whichever orchestrator drives the run
//! reads back within one poll; a run nobody drives (its orchestrator stopped) is ended here.

use serde::Serialize;

use super::{Driver, take_lease};
use crate::domain::orders::{RunId, RunSummary};
use crate::error::{ErrorKind, Result};
use crate::platform::Platform;
use crate::runs::options::RunOptions;
use crate::runs::records::CancelRecord;
use crate::runs::store::RunStore;

/// What [`cancel`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// Nobody was driving the run: this call stopped its running orders, skipped its pending ones
    /// and ended it as `cancelled`.
    Cancelled,
    /// An orchestrator drives the run; it stops the run within one poll.
    Requested,
    /// The run had already ended; nothing changed.
    Finished,
}

/// The report of [`cancel`].
#[derive(Debug, Clone, Serialize)]
pub struct CancelReport {
    pub run_id: RunId,
    pub outcome: CancelOutcome,
    /// The run as it stands after the call (still `running` when the cancel was only requested).
    pub summary: RunSummary,
}

/// Cancels run `run_id` on behalf of `by` (recorded in the run's events). Idempotent: a second
/// cancel finds the request (or the end) already there. `options` are used only when the run is
/// ended here: its executors stop what is left of orders that were running.
pub async fn cancel(
    platform: &Platform,
    run_id: &RunId,
    by: &str,
    options: RunOptions,
) -> Result<CancelReport> {
    let store = RunStore::new(platform.backend.store.clone(), run_id.clone());
    let (record, job) = store.job().await?;
    let report = |outcome, summary| CancelReport {
        run_id: run_id.clone(),
        outcome,
        summary,
    };
    if store.is_done().await? {
        let summary = crate::runs::queries::status(platform, run_id).await?;
        return Ok(report(CancelOutcome::Finished, summary));
    }
    store
        .put_cancel(&CancelRecord {
            requested_at: platform.backend.clock.now(),
            requested_by: by.to_owned(),
        })
        .await?;
    let guard = match take_lease(platform, run_id, None).await {
        Ok(guard) => guard,
        Err(e) if e.kind() == ErrorKind::LockHeld => {
            let summary = crate::runs::queries::status(platform, run_id).await?;
            return Ok(report(CancelOutcome::Requested, summary));
        }
        Err(e) => return Err(e),
    };
    let outcome = async {
        if store.is_done().await? {
            let summary = crate::runs::queries::status(platform, run_id).await?;
            return Ok(report(CancelOutcome::Finished, summary));
        }
        let seq = store.next_event_seq().await?;
        let mut driver = Driver::new(platform, store, job, record.deadline, options, seq);
        let graph = driver.restore().await?;
        let summary = driver.drive(graph).await?;
        Ok(report(CancelOutcome::Cancelled, summary))
    }
    .await;
    guard.release().await;
    outcome
}
