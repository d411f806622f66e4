//! Resuming a run whose orchestrator stopped: ended orders keep their results, an order that
//! was running is stopped through its executor's `reap` and then run again or recorded as
//! failed, by the [`ResumePolicy`].

use std::collections::HashMap;

use super::{Driver, check_runnable, take_lease};
use crate::domain::orders::{OrderGraph, OrderStatus, RunId, RunSummary};
use crate::error::Result;
use crate::platform::Platform;
use crate::runs::intake;
use crate::runs::options::{ResumePolicy, RunOptions};
use crate::runs::records::{OrderResult, RunEventKind};
use crate::runs::store::RunStore;

/// Continues a run whose orchestrator stopped (crashed, killed, cancelled), from what the store
/// recorded; see the documentation of `runs` for the policy. A finished run is only read back.
pub async fn resume(
    platform: &Platform,
    run_id: &RunId,
    options: RunOptions,
) -> Result<RunSummary> {
    let store = RunStore::new(platform.backend.store.clone(), run_id.clone());
    let (record, job) = store.job().await?;
    check_runnable(&job, &options)?;
    let guard = take_lease(platform, run_id, Some(options.lease_wait)).await?;
    let outcome = async {
        if store.is_done().await? {
            return crate::runs::queries::status(platform, run_id).await;
        }
        let resolved = intake::resolve(platform, &job, &options).await?;
        let seq = store.next_event_seq().await?;
        // This process never had the key of the bundles stored so far: seal new ones.
        let mask = resolved.mask.clone();
        let sealed = intake::seal(&store, &job, resolved).await?;
        let mut driver = Driver::new(platform, store, job, record.deadline, options, seq);
        driver.seal(sealed, mask);
        let graph = driver.restore().await?;
        driver.drive(graph).await
    }
    .await;
    guard.release().await;
    outcome
}

impl Driver {
    /// Rebuilds the graph from the store: ended orders keep their results; an order that was
    /// running is stopped (reaped) and, under [`ResumePolicy::MarkFailed`], recorded as failed.
    pub(super) async fn restore(&mut self) -> Result<OrderGraph> {
        let mut recorded: HashMap<String, OrderStatus> = HashMap::new();
        for (i, order) in self.job.orders.clone().iter().enumerate() {
            let n = i + 1;
            if let Some(result) = self.store.result(n).await? {
                recorded.insert(order.name.clone(), result.status);
                self.results.insert(n, result);
                continue;
            }
            let Some(state) = self.store.state(n).await? else {
                continue;
            };
            self.attempts.insert(n, state.attempt);
            let mut alive = false;
            if let Some(handle) = &state.handle
                && let Some(executor) = self.options.executors.get(handle.target)
            {
                alive = executor.reap(handle).await.unwrap_or(false);
            }
            let note = format!(
                "attempt {} was running when the orchestrator stopped{}",
                state.attempt,
                if alive {
                    "; what was left of it was killed"
                } else {
                    ""
                }
            );
            self.event(
                RunEventKind::OrderReaped,
                Some(&order.name),
                None,
                Some(note.clone()),
            )
            .await?;
            if self.options.resume_policy == ResumePolicy::MarkFailed {
                let mut result = OrderResult::decided(
                    &order.name,
                    OrderStatus::Failed,
                    state.attempt,
                    Some(state.started_at),
                    self.now(),
                    note,
                );
                // How long it ran before the orchestrator stopped is not known.
                result.duration_ms = None;
                let result = self.store.put_result(n, &result).await?;
                recorded.insert(order.name.clone(), result.status);
                self.results.insert(n, result);
            }
        }
        let (graph, newly) = OrderGraph::restore(&self.job, |name| recorded.get(name).copied());
        self.event(
            RunEventKind::RunResumed,
            None,
            None,
            Some(format!("{} orders had ended", recorded.len())),
        )
        .await?;
        self.record_skipped(&newly, "a dependency that must succeed did not")
            .await?;
        Ok(graph)
    }
}
