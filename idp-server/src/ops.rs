//! Long operations (create, destroy, runs, webhook deliveries): each runs as a background task
//! and is reported at `/v1/operations/{id}` — running, then its final report or its problem.
//!
//! One subject (an environment, a run) has at most one operation running in this server; a
//! second request gets 409 naming the running one. Across servers sharing a state store the
//! use cases' leases give the same guarantee. Records live in memory (the last
//! [`KEEP_FINISHED`] finished ones): what an operation changed is in the state store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::state::AppState;

/// How many finished operations are kept.
pub(crate) const KEEP_FINISHED: usize = 1000;
/// How many progress lines an operation keeps (the newest).
pub(crate) const KEEP_PROGRESS: usize = 200;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OpKind {
    Create,
    Destroy,
    Run,
    Resume,
    Webhook,
}

impl OpKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Destroy => "destroy",
            OpKind::Run => "run",
            OpKind::Resume => "resume",
            OpKind::Webhook => "webhook",
        }
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OpStatus {
    Running,
    Succeeded,
    Failed,
}

/// A long operation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Operation {
    /// Its id (32 hex digits).
    pub(crate) id: String,
    pub(crate) kind: OpKind,
    /// What it acts on (`environment:<name>`, `run:<id>`, `delivery:<id>`).
    pub(crate) subject: String,
    pub(crate) status: OpStatus,
    /// Who asked for it (a token id).
    pub(crate) requested_by: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// What it has done so far, oldest first (at most the newest 200 lines): for a run, one
    /// line per event (`order_started plan running`, …).
    pub(crate) progress: Vec<String>,
    /// The use case's report once it succeeded (the same JSON as the CLI's `--output json`).
    #[schema(value_type = Option<Object>)]
    pub(crate) result: Option<serde_json::Value>,
    /// Why it failed.
    pub(crate) error: Option<Problem>,
}

#[derive(Debug, Default)]
struct Inner {
    ops: HashMap<String, Operation>,
    active: HashMap<String, String>,
    finished: VecDeque<String>,
}

/// Every operation of this server.
#[derive(Debug, Default)]
pub(crate) struct Operations {
    inner: Mutex<Inner>,
}

impl Operations {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start an operation on `subject`, or give back the one already running on it.
    fn begin(
        &self,
        kind: OpKind,
        subject: String,
        by: String,
        now: DateTime<Utc>,
    ) -> Result<Operation, Operation> {
        let mut inner = self.lock();
        if let Some(running) = inner.active.get(&subject).and_then(|id| inner.ops.get(id)) {
            return Err(running.clone());
        }
        let op = Operation {
            id: uuid::Uuid::new_v4().simple().to_string(),
            kind,
            subject: subject.clone(),
            status: OpStatus::Running,
            requested_by: by,
            created_at: now,
            finished_at: None,
            progress: Vec::new(),
            result: None,
            error: None,
        };
        inner.active.insert(subject, op.id.clone());
        inner.ops.insert(op.id.clone(), op.clone());
        Ok(op)
    }

    fn finish(&self, id: &str, outcome: Result<serde_json::Value, Problem>, now: DateTime<Utc>) {
        let mut inner = self.lock();
        let Some(op) = inner.ops.get_mut(id) else {
            return;
        };
        op.finished_at = Some(now);
        match outcome {
            Ok(v) => {
                op.status = OpStatus::Succeeded;
                op.result = Some(v);
            }
            Err(p) => {
                op.status = OpStatus::Failed;
                op.error = Some(p);
            }
        }
        let subject = op.subject.clone();
        if inner.active.get(&subject).is_some_and(|a| a == id) {
            inner.active.remove(&subject);
        }
        inner.finished.push_back(id.to_owned());
        while inner.finished.len() > KEEP_FINISHED {
            if let Some(old) = inner.finished.pop_front() {
                inner.ops.remove(&old);
            }
        }
    }

    fn note(&self, id: &str, line: String) {
        let mut inner = self.lock();
        if let Some(op) = inner.ops.get_mut(id) {
            if op.progress.len() >= KEEP_PROGRESS {
                op.progress.remove(0);
            }
            op.progress.push(line);
        }
    }

    /// One operation.
    pub(crate) fn get(&self, id: &str) -> Option<Operation> {
        self.lock().ops.get(id).cloned()
    }

    /// Every kept operation, newest first.
    pub(crate) fn list(&self) -> Vec<Operation> {
        let mut all: Vec<Operation> = self.lock().ops.values().cloned().collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        all
    }
}

/// Where a running operation writes its progress.
#[derive(Clone)]
pub(crate) struct Progress {
    state: Arc<AppState>,
    id: String,
}

impl Progress {
    /// Adds a line to the operation's `progress`.
    pub(crate) fn note(&self, line: impl Into<String>) {
        self.state.ops.note(&self.id, line.into());
    }

    /// A run's progress callback: one line per run event.
    pub(crate) fn run_events(&self) -> idp_core::runs::ProgressFn {
        let progress = self.clone();
        Arc::new(move |event: &idp_core::runs::RunEvent| {
            let mut line = event.kind.as_str().to_owned();
            for part in [&event.order, &event.status, &event.message]
                .into_iter()
                .flatten()
            {
                line.push(' ');
                line.push_str(part);
            }
            progress.note(line);
        })
    }
}

/// Start `work` as a background operation on `subject`; `work` gets the operation's
/// [`Progress`]. 503 while draining; 409 (naming the running operation) when one already acts
/// on the subject.
pub(crate) fn spawn<W, F>(
    state: &Arc<AppState>,
    kind: OpKind,
    subject: String,
    by: &str,
    work: W,
) -> Result<Operation, Problem>
where
    W: FnOnce(Progress) -> F,
    F: Future<Output = Result<serde_json::Value, Problem>> + Send + 'static,
{
    if state.draining() {
        return Err(Problem::draining());
    }
    let now = state.platform.backend.clock.now();
    let op = state
        .ops
        .begin(kind, subject.clone(), by.to_owned(), now)
        .map_err(|running| {
            let mut p = Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "`{subject}` already has a {} operation running (`{}`)",
                    running.kind.as_str(),
                    running.id
                ),
            )
            .hint(format!(
                "follow it at /v1/operations/{} instead of starting another",
                running.id
            ));
            p.operation = Some(running.id);
            p
        })?;
    let guard = state.task();
    let st = state.clone();
    let id = op.id.clone();
    let work = work(Progress {
        state: state.clone(),
        id: id.clone(),
    });
    tokio::spawn(async move {
        let _guard = guard;
        let outcome = std::panic::AssertUnwindSafe(work)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the operation ended unexpectedly; its subject's lease expires by itself",
                ))
            });
        let label = if outcome.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        st.metrics.operation(kind.as_str(), label);
        let now = st.platform.backend.clock.now();
        st.ops.finish(&id, outcome, now);
    });
    Ok(op)
}
