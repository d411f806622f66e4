//! Reading a run back from the store: its summary, its job, an order's output, its events.
//! Nothing here writes, so any process can ask about any run while it runs.

use super::records::{OrderResult, RunEvent};
use super::store::RunStore;
use crate::domain::orders::{Job, OrderStatus, OrderSummary, RunId, RunStatus, RunSummary};
use crate::error::{Error, Result};
use crate::platform::Platform;

fn store(platform: &Platform, run_id: &RunId) -> RunStore {
    RunStore::new(platform.backend.store.clone(), run_id.clone())
}

/// The summary of a run as the store has it: finished orders from their results, started ones
/// as running, the rest pending; the run's status from its done marker.
pub async fn status(platform: &Platform, run_id: &RunId) -> Result<RunSummary> {
    let store = store(platform, run_id);
    let (_, job) = store.job().await?;
    let done = store.done().await?;
    let present = store.present().await?;
    let mut orders = Vec::with_capacity(job.orders.len());
    for (i, order) in job.orders.iter().enumerate() {
        let n = i + 1;
        let result: Option<OrderResult> = if present.ended(n) {
            store.result(n).await?
        } else {
            None
        };
        orders.push(match result {
            Some(r) => OrderSummary {
                name: order.name.clone(),
                status: r.status,
                exit_code: r.exit_code,
                duration_ms: r.duration_ms,
                log_excerpt: r.log_excerpt,
            },
            None => OrderSummary {
                name: order.name.clone(),
                status: if present.started(n) {
                    OrderStatus::Running
                } else {
                    OrderStatus::Pending
                },
                exit_code: None,
                duration_ms: None,
                log_excerpt: String::new(),
            },
        });
    }
    Ok(RunSummary {
        run_id: run_id.clone(),
        status: done.map_or(RunStatus::Running, |d| d.status),
        orders,
    })
}

/// The job of a run, as it was stored when the run started.
pub async fn job_of(platform: &Platform, run_id: &RunId) -> Result<Job> {
    Ok(store(platform, run_id).job().await?.1)
}

/// The stored output of order `order` of a run (the end of it, secrets masked).
pub async fn logs(platform: &Platform, run_id: &RunId, order: &str) -> Result<String> {
    let store = store(platform, run_id);
    let (_, job) = store.job().await?;
    let n = job.number_of(order).ok_or_else(|| Error::UnknownOrder {
        message: format!(
            "run `{run_id}` has no order `{order}`; its orders are {}",
            job.orders
                .iter()
                .map(|o| format!("`{}`", o.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    store.log(n).await
}

/// The run's event log, in order.
pub async fn events(platform: &Platform, run_id: &RunId) -> Result<Vec<RunEvent>> {
    store(platform, run_id).events().await
}

/// A run of [`list`]: its summary, or why it cannot be read (never left out).
#[derive(Debug, Clone)]
pub enum Listed {
    /// A readable run.
    Run(RunSummary),
    /// A run whose records cannot be read.
    Unreadable {
        /// The run's id as its key has it.
        run_id: String,
        /// Why.
        reason: String,
    },
}

/// Every run in the store, by id (one LIST of `runs/`, then each run's records).
pub async fn list(platform: &Platform) -> Result<Vec<Listed>> {
    let objects = platform
        .backend
        .store
        .list_all(crate::domain::layout::RUNS_PREFIX)
        .await?;
    let mut ids: Vec<String> = objects
        .iter()
        .filter_map(|o| {
            o.key
                .strip_prefix(crate::domain::layout::RUNS_PREFIX)?
                .strip_suffix("/job.json")
                .filter(|id| !id.contains('/'))
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids.dedup();
    let mut runs = Vec::with_capacity(ids.len());
    for id in ids {
        let listed = match RunId::parse(&id) {
            Ok(run_id) => match status(platform, &run_id).await {
                Ok(summary) => Listed::Run(summary),
                Err(e) if e.kind() == crate::error::ErrorKind::BackendUnavailable => {
                    return Err(e);
                }
                Err(e) => Listed::Unreadable {
                    run_id: id,
                    reason: e.to_string(),
                },
            },
            Err(e) => Listed::Unreadable {
                run_id: id,
                reason: e.to_string(),
            },
        };
        runs.push(listed);
    }
    Ok(runs)
}
