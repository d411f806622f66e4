//! One order's task: dispatch it to its executor, wait for it (bounded by the order's timeout
//! plus a watchdog grace), store its masked log and its result, then wake the orchestrator.
//!
//! The result is written before the wake-up, and the orchestrator reads results from the store,
//! so a lost wake-up costs at most one poll. Aborting the task drops the executor's future,
//! which stops the order (the local executor kills its process group).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::records::{OrderResult, RESULT_SCHEMA_VERSION, StateRecord};
use super::store::RunStore;
use crate::domain::orders::OrderStatus;
use crate::domain::redact;
use crate::ports::Clock;
use crate::ports::executor::{ExecHandle, ExecRequest, Executor};

/// How many lines and bytes of an order's output its result and the summary carry.
const EXCERPT_LINES: usize = 20;
const EXCERPT_BYTES: usize = 2_000;

/// How long after an order's timeout the task stops waiting for its executor.
pub(super) const WATCHDOG_GRACE: Duration = Duration::from_secs(5);

/// What an order's task reports when it could not record its own result.
pub(super) type TaskOutcome = std::result::Result<(), String>;

/// A dispatched order.
pub(super) struct Running {
    pub(super) task: JoinHandle<TaskOutcome>,
    pub(super) attempt: u32,
    pub(super) started_at: DateTime<Utc>,
}

/// The running orders by number; aborts every task when dropped, so a cancelled orchestrator
/// stops its orders.
#[derive(Default)]
pub(super) struct Tasks(pub(super) HashMap<usize, Running>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for running in self.0.values() {
            running.task.abort();
        }
    }
}

/// Everything one order's task needs.
pub(super) struct OrderTask {
    pub(super) store: RunStore,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) executor: Arc<dyn Executor>,
    pub(super) request: ExecRequest,
    pub(super) state: StateRecord,
    pub(super) secret_values: Arc<Vec<String>>,
    pub(super) wake: UnboundedSender<usize>,
    pub(super) n: usize,
}

impl OrderTask {
    /// Starts the task.
    pub(super) fn spawn(self) -> JoinHandle<TaskOutcome> {
        tokio::spawn(self.run())
    }

    /// Runs the order and writes its log and result; then wakes the orchestrator.
    async fn run(self) -> TaskOutcome {
        let (handles, mut handle_rx) = tokio::sync::mpsc::unbounded_channel::<ExecHandle>();
        let started = tokio::time::Instant::now();
        let limit = self.request.timeout + WATCHDOG_GRACE;
        let executor = self.executor.clone();
        let request = self.request.clone();
        let execute = async move {
            let report = move |handle: ExecHandle| {
                let _ = handles.send(handle);
            };
            tokio::time::timeout(limit, executor.execute(&request, &report)).await
        };
        let store = self.store.clone();
        let n = self.n;
        let mut state = self.state.clone();
        let record_handles = async move {
            while let Some(handle) = handle_rx.recv().await {
                state.handle = Some(handle);
                if let Err(e) = store.put_state(n, &state).await {
                    tracing::warn!(error = %e, "recording an order's executor handle failed");
                }
            }
        };
        let (executed, ()) = futures::future::join(execute, record_handles).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let secrets: Vec<&str> = self.secret_values.iter().map(String::as_str).collect();
        let (status, exit_code, output, reason) = match executed {
            Ok(Ok(result)) => (
                OrderStatus::from(result.outcome),
                result.exit_code,
                result.output,
                None,
            ),
            Ok(Err(e)) => (
                OrderStatus::Failed,
                None,
                String::new(),
                Some(format!("the executor failed: {e}")),
            ),
            Err(_) => (
                OrderStatus::TimedOut,
                None,
                String::new(),
                Some(
                    "the executor did not stop at the order's timeout; the watchdog stopped it"
                        .to_owned(),
                ),
            ),
        };
        // Executors mask their output; masking again here keeps the store free of secrets
        // whatever an executor returns.
        let output = redact::mask(&output, &secrets, false);
        let reason = reason.map(|r| redact::mask(&r, &secrets, false));
        if let Err(e) = self.store.put_log(self.n, output.clone()).await {
            tracing::warn!(error = %e, "storing an order's log failed");
        }
        let result = OrderResult {
            schema_version: RESULT_SCHEMA_VERSION,
            name: self.request.order.clone(),
            status,
            exit_code,
            attempt: self.state.attempt,
            started_at: Some(self.state.started_at),
            finished_at: self.clock.now(),
            duration_ms: Some(duration_ms),
            log_excerpt: redact::excerpt(&output, EXCERPT_LINES, EXCERPT_BYTES),
            reason,
        };
        let written = self.store.put_result(self.n, &result).await;
        let _ = self.wake.send(self.n);
        written
            .map(|_| ())
            .map_err(|e| format!("recording the result failed: {e}"))
    }
}
