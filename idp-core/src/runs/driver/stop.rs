//! Ending a run before its orders did: the job deadline passed, or someone cancelled it. Every
//! running order is stopped (its task aborted, which kills its process group) and recorded, and
//! every pending one is skipped.

use super::Driver;
use crate::domain::orders::{OrderGraph, OrderStatus, format_duration};
use crate::error::Result;
use crate::runs::records::{CancelRecord, RunEventKind};
use crate::runs::task::Tasks;

impl Driver {
    /// The job deadline passed: stop every running order (its executor kills its process group
    /// when dropped), record it as timed out, and skip every pending one.
    pub(super) async fn time_out(
        &mut self,
        graph: &mut OrderGraph,
        tasks: &mut Tasks,
    ) -> Result<()> {
        for running in tasks.0.values() {
            running.task.abort();
        }
        let sweep = graph.time_out();
        let reason = format!(
            "the job timeout of {} passed",
            format_duration(self.job.timeout)
        );
        self.event(
            RunEventKind::JobTimedOut,
            None,
            Some(OrderStatus::TimedOut.as_str()),
            Some(reason.clone()),
        )
        .await?;
        for name in sweep.timed_out {
            let n = self.number(&name);
            let started_at = tasks.0.remove(&n).map(|r| r.started_at);
            self.record_end(&name, OrderStatus::TimedOut, started_at, &reason)
                .await?;
        }
        for name in sweep.skipped {
            self.record_end(&name, OrderStatus::Skipped, None, &reason)
                .await?;
        }
        Ok(())
    }

    /// The run was cancelled: stop every running order (its process group is killed), record it
    /// as cancelled, and skip every pending one.
    pub(super) async fn cancel(
        &mut self,
        graph: &mut OrderGraph,
        tasks: &mut Tasks,
        request: &CancelRecord,
    ) -> Result<()> {
        for running in tasks.0.values() {
            running.task.abort();
        }
        let sweep = graph.cancel();
        let reason = format!(
            "the run was cancelled by `{}`",
            request.requested_by.escape_debug()
        );
        self.event(
            RunEventKind::RunCancelled,
            None,
            Some(OrderStatus::Cancelled.as_str()),
            Some(reason.clone()),
        )
        .await?;
        for name in sweep.timed_out {
            let n = self.number(&name);
            let started_at = tasks.0.remove(&n).map(|r| r.started_at);
            self.record_end(&name, OrderStatus::Cancelled, started_at, &reason)
                .await?;
        }
        for name in sweep.skipped {
            self.record_end(&name, OrderStatus::Skipped, None, &reason)
                .await?;
        }
        Ok(())
    }
}
