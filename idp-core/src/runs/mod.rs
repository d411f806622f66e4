//! Infrastructure runs: the orchestrator that runs a job's orders in dependency order.
//!
//! [`run`] starts a run, [`resume`] continues one whose orchestrator stopped, [`status`] and
//! [`logs`] read one back. Everything a run knows is in the state store under `runs/{run_id}/`
//! (see `domain::layout`), so any orchestrator can pick it up:
//!
//! - `job.json` holds the job and its deadline; `orders/{n}/state.json` is written when order
//!   `n` starts (attempt, executor handle); `orders/{n}/result.json` is written once, create-only,
//!   when it ends (so an order has exactly one terminal result even if two writers race);
//!   `orders/{n}/log` holds the end of its output with secret values masked; `events/{seq}.json`
//!   is the append-only event log; `done` marks the end with the run's status.
//! - Results are read back from the store, never taken from a notification alone: a finished
//!   order's task writes its `result.json` and then wakes the orchestrator, and the orchestrator
//!   also re-reads the results of every running order every [`RunOptions::poll`], so a lost
//!   wake-up delays nothing by more than one poll (the original engine dropped a result that
//!   arrived while its lock was held, and the run stalled forever).
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

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::domain::event::Repository;
use crate::domain::layout;
use crate::domain::orders::{
    Job, Newly, OrderGraph, OrderStatus, OrderSummary, Outcome, RunStatus, RunSummary, Target,
    mask, run_comment, run_comment_marker,
};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::executor::{ExecHandle, ExecRequest, Executor};
use crate::ports::{ObjectStore, PutMode, StoreError};
use crate::secret::Secret;
use crate::support::lease;

/// How many lines and bytes of an order's output its result and the summary carry.
const EXCERPT_LINES: usize = 20;
const EXCERPT_BYTES: usize = 2_000;

/// How long after an order's timeout the orchestrator stops waiting for its executor.
const WATCHDOG_GRACE: Duration = Duration::from_secs(5);

/// The executors available to runs, one per target.
#[derive(Debug, Clone, Default)]
pub struct Executors(BTreeMap<Target, Arc<dyn Executor>>);

impl Executors {
    /// No executors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the local executor, resolving working directories against the current directory.
    pub fn local() -> Self {
        Self::new().with(Arc::new(crate::adapters::local::LocalExecutor::new()))
    }

    /// These executors plus `executor` (replacing one for the same target).
    #[must_use]
    pub fn with(mut self, executor: Arc<dyn Executor>) -> Self {
        self.0.insert(executor.target(), executor);
        self
    }

    /// The executor of `target`.
    pub fn get(&self, target: Target) -> Option<&Arc<dyn Executor>> {
        self.0.get(&target)
    }
}

/// What to do with an order that was running when its orchestrator stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumePolicy {
    /// Stop what is left of it and run it again (a new attempt).
    #[default]
    Rerun,
    /// Stop what is left of it and record it as failed.
    MarkFailed,
}

/// A line of a run's append-only event log; also what [`RunOptions::progress`] receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEvent {
    /// Its position in the log, from 0.
    pub seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// What happened: `run_started`, `run_resumed`, `order_started`, `order_finished`,
    /// `order_skipped`, `order_reaped`, `job_timed_out`, `comment_failed`, `run_finished`.
    pub kind: String,
    /// The order it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The order's (or at `run_finished`, the run's) status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Called with every event as it is recorded.
pub type ProgressFn = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// Called with the run's summary after every wave of dispatches and at the end (the PR comment).
pub type WaveFn = Arc<dyn Fn(&RunSummary) + Send + Sync>;

/// How a run is driven.
#[derive(Clone)]
pub struct RunOptions {
    /// The executors; a job whose orders need a missing one is refused before anything starts.
    pub executors: Executors,
    /// The most orders running at once.
    pub max_parallel: usize,
    /// The most output bytes kept per order (the end is kept).
    pub output_cap: usize,
    /// The directory orders' `working_dir` is relative to.
    pub working_dir: PathBuf,
    /// Secret values by name; every name an order lists must be here. Their values are masked
    /// in every order's output and never stored.
    pub secrets: BTreeMap<String, Secret<String>>,
    /// What [`resume`] does with an order that was running.
    pub resume_policy: ResumePolicy,
    /// How often the results of running orders are re-read from the store.
    pub poll: Duration,
    /// How long [`resume`] waits for the lease of a stopped orchestrator to expire.
    pub lease_wait: Duration,
    /// Receives every event.
    pub progress: Option<ProgressFn>,
    /// Receives the summary after every wave.
    pub on_wave: Option<WaveFn>,
    /// The pull request whose one run comment is kept up to date through the forge.
    pub comment: Option<PrTarget>,
    /// The least time between two comment updates (the last one is always made).
    pub comment_every: Duration,
}

/// A pull request: where a run's comment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrTarget {
    /// The repository.
    pub repo: Repository,
    /// The pull request's number.
    pub pr: u64,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("executors", &self.executors)
            .field("max_parallel", &self.max_parallel)
            .field("output_cap", &self.output_cap)
            .field("working_dir", &self.working_dir)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("resume_policy", &self.resume_policy)
            .field("poll", &self.poll)
            .field("comment", &self.comment)
            .finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            executors: Executors::local(),
            max_parallel: 8,
            output_cap: 256 * 1024,
            working_dir: PathBuf::from("."),
            secrets: BTreeMap::new(),
            resume_policy: ResumePolicy::Rerun,
            poll: Duration::from_secs(1),
            lease_wait: Duration::from_secs(60),
            progress: None,
            on_wave: None,
            comment: None,
            comment_every: Duration::from_secs(10),
        }
    }
}

/// `runs/{run_id}/job.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobRecord {
    run_id: String,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    job: serde_json::Value,
}

/// `runs/{run_id}/orders/{n}/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateRecord {
    name: String,
    attempt: u32,
    started_at: DateTime<Utc>,
    #[serde(default)]
    handle: Option<ExecHandle>,
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

/// `runs/{run_id}/done`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DoneRecord {
    run_id: String,
    status: RunStatus,
    finished_at: DateTime<Utc>,
    succeeded: usize,
    failed: usize,
    timed_out: usize,
    skipped: usize,
}

fn key<T>(built: std::result::Result<T, layout::LayoutError>) -> Result<T> {
    built.map_err(|e| Error::Refused {
        reason: "invalid_run_id".into(),
        message: e.to_string(),
    })
}

fn corrupt(key: &str, e: impl std::fmt::Display) -> Error {
    Error::CorruptState {
        key: key.to_owned(),
        message: e.to_string(),
    }
}

fn run_not_found(run_id: &str, key: &str) -> Error {
    Error::Io {
        path: PathBuf::from(key),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("run `{run_id}` does not exist in this backend"),
        ),
    }
}

async fn get_json<T: for<'de> Deserialize<'de>>(
    store: &dyn ObjectStore,
    key: &str,
) -> Result<Option<T>> {
    match store.get(key).await {
        Ok(object) => serde_json::from_slice(&object.bytes)
            .map(Some)
            .map_err(|e| corrupt(key, e)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn to_json<T: Serialize>(value: &T) -> Bytes {
    Bytes::from(serde_json::to_vec_pretty(value).unwrap_or_default())
}

/// Writes a result create-only; an existing result wins (it is returned instead).
async fn put_result(
    store: &dyn ObjectStore,
    key: &str,
    result: &OrderResult,
) -> Result<OrderResult> {
    match store.put(key, to_json(result), PutMode::CreateOnly).await {
        Ok(_) => Ok(result.clone()),
        Err(StoreError::AlreadyExists { .. }) => Ok(get_json(store, key)
            .await?
            .unwrap_or_else(|| result.clone())),
        Err(e) => Err(e.into()),
    }
}

/// Refuses a job whose targets have no executor or whose secrets are not supplied.
fn check_runnable(job: &Job, options: &RunOptions) -> Result<()> {
    let mut problems = Vec::new();
    for target in job.targets() {
        if options.executors.get(target).is_none() {
            problems.push(format!(
                "no executor for target `{target}` (only `local` runs today)"
            ));
        }
    }
    for order in &job.orders {
        for secret in &order.secrets {
            if !options.secrets.contains_key(secret) {
                problems.push(format!(
                    "order `{}` needs secret `{secret}`: set it in the environment",
                    order.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused {
            reason: "job_not_runnable".into(),
            message: problems.join("; "),
        })
    }
}

/// Starts a run of `job` and drives it to the end; `run_id` defaults to a new random id.
pub async fn run(
    platform: &Platform,
    job: Job,
    run_id: Option<String>,
    options: RunOptions,
) -> Result<RunSummary> {
    check_runnable(&job, &options)?;
    let run_id = run_id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let store = platform.backend.store.clone();
    let job_key = key(layout::run_job_key(&run_id))?;
    let guard = take_lease(platform, &run_id, None).await?;
    let now = platform.backend.clock.now();
    let record = JobRecord {
        run_id: run_id.clone(),
        started_at: now,
        deadline: now + TimeDelta::from_std(job.timeout).unwrap_or(TimeDelta::MAX),
        job: serde_json::to_value(&job).map_err(|e| corrupt(&job_key, e))?,
    };
    match store
        .put(&job_key, to_json(&record), PutMode::CreateOnly)
        .await
    {
        Ok(_) => {}
        Err(StoreError::AlreadyExists { .. }) => {
            guard.release().await;
            return Err(Error::Refused {
                reason: "run_exists".into(),
                message: format!("run `{run_id}` already exists: pick another id, or resume it"),
            });
        }
        Err(e) => {
            guard.release().await;
            return Err(e.into());
        }
    }
    let mut driver = Driver::new(platform, run_id, job, record.deadline, options, 0);
    driver
        .event(
            "run_started",
            None,
            None,
            Some(format!("{} orders", driver.job.orders.len())),
        )
        .await?;
    let outcome = driver.drive(OrderGraph::new(&driver.job.clone())).await;
    guard.release().await;
    outcome
}

/// Continues a run whose orchestrator stopped (crashed, killed, cancelled), from what the store
/// recorded; see the module documentation for the policy. A finished run is only read back.
pub async fn resume(platform: &Platform, run_id: &str, options: RunOptions) -> Result<RunSummary> {
    let store = platform.backend.store.clone();
    let job_key = key(layout::run_job_key(run_id))?;
    let record: JobRecord = get_json(store.as_ref(), &job_key)
        .await?
        .ok_or_else(|| run_not_found(run_id, &job_key))?;
    let job =
        Job::from_json(&record.job.to_string(), &job_key).map_err(|e| corrupt(&job_key, e))?;
    check_runnable(&job, &options)?;
    let guard = take_lease(platform, run_id, Some(options.lease_wait)).await?;
    if store
        .head(&key(layout::run_done_key(run_id))?)
        .await
        .is_ok()
    {
        guard.release().await;
        return status(platform, run_id).await;
    }
    let seq = match store
        .list_all(&key(layout::run_events_prefix(run_id))?)
        .await?
        .last()
    {
        Some(last) => last
            .key
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(0, |n| n + 1),
        None => 0,
    };
    let mut driver = Driver::new(
        platform,
        run_id.to_owned(),
        job,
        record.deadline,
        options,
        seq,
    );
    let outcome = async {
        let mut recorded: HashMap<String, OrderStatus> = HashMap::new();
        for (i, order) in driver.job.orders.clone().iter().enumerate() {
            let n = i + 1;
            let result_key = key(layout::order_result_key(run_id, n))?;
            if let Some(result) = get_json::<OrderResult>(store.as_ref(), &result_key).await? {
                recorded.insert(order.name.clone(), result.status);
                driver.results.insert(n, result);
                continue;
            }
            let state_key = key(layout::order_state_key(run_id, n))?;
            let Some(state) = get_json::<StateRecord>(store.as_ref(), &state_key).await? else {
                continue;
            };
            driver.attempts.insert(n, state.attempt);
            let mut alive = false;
            if let Some(handle) = &state.handle
                && let Some(executor) = driver.options.executors.get(handle.target)
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
            driver
                .event("order_reaped", Some(&order.name), None, Some(note.clone()))
                .await?;
            if driver.options.resume_policy == ResumePolicy::MarkFailed {
                let result = OrderResult {
                    schema_version: 1,
                    name: order.name.clone(),
                    status: OrderStatus::Failed,
                    exit_code: None,
                    attempt: state.attempt,
                    started_at: Some(state.started_at),
                    finished_at: driver.platform.backend.clock.now(),
                    duration_ms: None,
                    log_excerpt: String::new(),
                    reason: Some(note),
                };
                let result = put_result(store.as_ref(), &result_key, &result).await?;
                recorded.insert(order.name.clone(), result.status);
                driver.results.insert(n, result);
            }
        }
        let (graph, newly) = OrderGraph::restore(&driver.job, |name| recorded.get(name).copied());
        driver
            .event(
                "run_resumed",
                None,
                None,
                Some(format!("{} orders had ended", recorded.len())),
            )
            .await?;
        driver
            .record_skipped(&newly, "a dependency that must succeed did not")
            .await?;
        driver.drive(graph).await
    }
    .await;
    guard.release().await;
    outcome
}

async fn take_lease(
    platform: &Platform,
    run_id: &str,
    wait: Option<Duration>,
) -> Result<lease::Guard> {
    lease::acquire_key(
        &platform.backend.locks,
        &platform.backend.clock,
        format!("run/{run_id}"),
        format!(
            "run:{}:{}",
            platform.settings.actor,
            uuid::Uuid::new_v4().simple()
        ),
        &format!("run {run_id}"),
        platform.settings.lease_ttl,
        wait.map(|w| TimeDelta::from_std(w).unwrap_or(TimeDelta::MAX)),
    )
    .await
}

/// What an order's task reports when it could not record its own result.
type TaskOutcome = std::result::Result<(), String>;

struct Running {
    task: JoinHandle<TaskOutcome>,
    attempt: u32,
    started_at: DateTime<Utc>,
}

/// Aborts every order task when dropped, so a cancelled orchestrator stops its orders (the
/// executors kill their process groups when their futures are dropped).
struct Tasks(HashMap<usize, Running>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for running in self.0.values() {
            running.task.abort();
        }
    }
}

struct Driver {
    platform: Platform,
    store: Arc<dyn ObjectStore>,
    run_id: String,
    job: Job,
    deadline: DateTime<Utc>,
    options: RunOptions,
    seq: u64,
    results: HashMap<usize, OrderResult>,
    attempts: HashMap<usize, u32>,
    secret_values: Arc<Vec<String>>,
    last_comment: Option<tokio::time::Instant>,
}

impl Driver {
    fn new(
        platform: &Platform,
        run_id: String,
        job: Job,
        deadline: DateTime<Utc>,
        options: RunOptions,
        seq: u64,
    ) -> Self {
        let secret_values = Arc::new(
            options
                .secrets
                .values()
                .map(|s| s.expose().clone())
                .filter(|s| !s.is_empty())
                .collect(),
        );
        Self {
            store: platform.backend.store.clone(),
            platform: platform.clone(),
            run_id,
            job,
            deadline,
            options,
            seq,
            results: HashMap::new(),
            attempts: HashMap::new(),
            secret_values,
            last_comment: None,
        }
    }

    async fn event(
        &mut self,
        kind: &str,
        order: Option<&str>,
        status: Option<&str>,
        message: Option<String>,
    ) -> Result<()> {
        loop {
            let event = RunEvent {
                seq: self.seq,
                at: self.platform.backend.clock.now(),
                kind: kind.to_owned(),
                order: order.map(str::to_owned),
                status: status.map(str::to_owned),
                message: message.clone(),
            };
            let event_key = key(layout::run_event_key(&self.run_id, self.seq))?;
            self.seq += 1;
            match self
                .store
                .put(&event_key, to_json(&event), PutMode::CreateOnly)
                .await
            {
                Ok(_) => {
                    if let Some(progress) = &self.options.progress {
                        progress(&event);
                    }
                    return Ok(());
                }
                // Never overwrite the log: take the next number.
                Err(StoreError::AlreadyExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn number(&self, name: &str) -> usize {
        self.job.number_of(name).unwrap_or(0)
    }

    async fn record_skipped(&mut self, newly: &Newly, reason: &str) -> Result<()> {
        for name in &newly.skipped {
            self.record_end(name, OrderStatus::Skipped, None, reason)
                .await?;
        }
        Ok(())
    }

    /// Records an ending the orchestrator decided (skipped, job timeout, watchdog).
    async fn record_end(
        &mut self,
        name: &str,
        status: OrderStatus,
        started_at: Option<DateTime<Utc>>,
        reason: &str,
    ) -> Result<()> {
        let n = self.number(name);
        let now = self.platform.backend.clock.now();
        let result = OrderResult {
            schema_version: 1,
            name: name.to_owned(),
            status,
            exit_code: None,
            attempt: self.attempts.get(&n).copied().unwrap_or(0),
            started_at,
            finished_at: now,
            duration_ms: started_at
                .map(|s| u64::try_from((now - s).num_milliseconds()).unwrap_or(0)),
            log_excerpt: String::new(),
            reason: Some(reason.to_owned()),
        };
        let result = put_result(
            self.store.as_ref(),
            &key(layout::order_result_key(&self.run_id, n))?,
            &result,
        )
        .await?;
        let kind = if status == OrderStatus::Skipped {
            "order_skipped"
        } else {
            "order_finished"
        };
        self.event(
            kind,
            Some(name),
            Some(result.status.as_str()),
            Some(reason.to_owned()),
        )
        .await?;
        self.results.insert(n, result);
        Ok(())
    }

    fn summary(&self, graph: &OrderGraph) -> RunSummary {
        RunSummary {
            run_id: self.run_id.clone(),
            status: graph.run_status(),
            orders: graph
                .statuses()
                .map(|(name, status)| {
                    let result = self.results.get(&self.number(name));
                    OrderSummary {
                        name: name.to_owned(),
                        status,
                        exit_code: result.and_then(|r| r.exit_code),
                        duration_ms: result.and_then(|r| r.duration_ms),
                        log_excerpt: result.map(|r| r.log_excerpt.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }

    /// After a wave: tell the frontend, and update the PR comment (at most every
    /// `comment_every`, always at the end). A forge failure is logged as an event; the run goes on.
    async fn wave(&mut self, graph: &OrderGraph, last: bool) -> Result<()> {
        let summary = self.summary(graph);
        if let Some(on_wave) = &self.options.on_wave {
            on_wave(&summary);
        }
        let Some(target) = self.options.comment.clone() else {
            return Ok(());
        };
        let due = self
            .last_comment
            .is_none_or(|at| at.elapsed() >= self.options.comment_every);
        if !(last || due) {
            return Ok(());
        }
        self.last_comment = Some(tokio::time::Instant::now());
        let marker = run_comment_marker(&self.run_id);
        let body = run_comment(&summary);
        if let Err(e) = self
            .platform
            .backend
            .forge
            .upsert_pr_comment(&target.repo, target.pr, &marker, &body)
            .await
        {
            let message = format!(
                "updating the comment on pull request #{} failed: {e}",
                target.pr
            );
            tracing::warn!("{message}");
            self.event("comment_failed", None, None, Some(message))
                .await?;
        }
        Ok(())
    }

    async fn start(
        &mut self,
        graph: &mut OrderGraph,
        name: &str,
        tasks: &mut Tasks,
        wake: &tokio::sync::mpsc::UnboundedSender<usize>,
    ) -> Result<()> {
        let n = self.number(name);
        let order = self
            .job
            .order(n)
            .cloned()
            .ok_or_else(|| corrupt(name, "order missing from the job"))?;
        graph.start(name).map_err(|e| corrupt(name, e))?;
        let attempt = self.attempts.get(&n).copied().unwrap_or(0) + 1;
        self.attempts.insert(n, attempt);
        let started_at = self.platform.backend.clock.now();
        let state_key = key(layout::order_state_key(&self.run_id, n))?;
        let state = StateRecord {
            name: name.to_owned(),
            attempt,
            started_at,
            handle: None,
        };
        self.store
            .put(&state_key, to_json(&state), PutMode::Overwrite)
            .await?;
        self.event(
            "order_started",
            Some(name),
            Some("running"),
            Some(format!("attempt {attempt}")),
        )
        .await?;
        let executor = self
            .options
            .executors
            .get(order.target)
            .cloned()
            .ok_or_else(|| corrupt(name, format!("no executor for `{}`", order.target)))?;
        let request = ExecRequest {
            run_id: self.run_id.clone(),
            order: name.to_owned(),
            cmds: order.cmds.clone(),
            env: order.env.clone(),
            secrets: order
                .secrets
                .iter()
                .filter_map(|s| self.options.secrets.get(s).map(|v| (s.clone(), v.clone())))
                .collect(),
            working_dir: match &order.working_dir {
                Some(dir) => self.options.working_dir.join(dir),
                None => self.options.working_dir.clone(),
            },
            timeout: order.timeout,
            output_cap: self.options.output_cap,
        };
        let task = tokio::spawn(order_task(OrderTask {
            store: self.store.clone(),
            clock: self.platform.backend.clock.clone(),
            executor,
            request,
            result_key: key(layout::order_result_key(&self.run_id, n))?,
            log_key: key(layout::order_log_key(&self.run_id, n))?,
            state_key,
            state,
            secret_values: self.secret_values.clone(),
            wake: wake.clone(),
            n,
        }));
        tasks.0.insert(
            n,
            Running {
                task,
                attempt,
                started_at,
            },
        );
        Ok(())
    }

    /// Runs the graph to the end: dispatch, wait for a wake-up or a poll, read results back.
    async fn drive(&mut self, mut graph: OrderGraph) -> Result<RunSummary> {
        let (wake, mut woken) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let mut tasks = Tasks(HashMap::new());
        let left = (self.deadline - self.platform.backend.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let deadline = tokio::time::Instant::now() + left;
        let mut timed_out = false;
        loop {
            let mut dispatched = false;
            for name in graph
                .ready()
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
            {
                if tasks.0.len() >= self.options.max_parallel.max(1) {
                    break;
                }
                self.start(&mut graph, &name, &mut tasks, &wake).await?;
                dispatched = true;
            }
            if dispatched {
                self.wave(&graph, false).await?;
            }
            if graph.is_finished() {
                break;
            }
            tokio::select! {
                _ = woken.recv() => {
                    // Take every pending wake-up at once; the store says what ended.
                    while woken.try_recv().is_ok() {}
                }
                () = tokio::time::sleep(self.options.poll) => {}
                () = tokio::time::sleep_until(deadline) => {
                    timed_out = true;
                }
            }
            if timed_out {
                break;
            }
            self.collect(&mut graph, &mut tasks).await?;
        }
        if timed_out {
            // Stop every running order (its executor kills its process group when dropped).
            for running in tasks.0.values() {
                running.task.abort();
            }
            let sweep = graph.time_out();
            let reason = format!(
                "the job timeout of {} passed",
                crate::domain::orders::format_duration(self.job.timeout)
            );
            self.event(
                "job_timed_out",
                None,
                Some("timed_out"),
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
        }
        let summary = self.summary(&graph);
        let done = DoneRecord {
            run_id: self.run_id.clone(),
            status: summary.status,
            finished_at: self.platform.backend.clock.now(),
            succeeded: summary.count(OrderStatus::Succeeded),
            failed: summary.count(OrderStatus::Failed),
            timed_out: summary.count(OrderStatus::TimedOut),
            skipped: summary.count(OrderStatus::Skipped),
        };
        self.event("run_finished", None, Some(summary.status.as_str()), None)
            .await?;
        let done_key = key(layout::run_done_key(&self.run_id))?;
        match self
            .store
            .put(&done_key, to_json(&done), PutMode::CreateOnly)
            .await
        {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.wave(&graph, true).await?;
        Ok(summary)
    }

    /// Reads back the result of every running order; an order whose task ended without one
    /// (its store write failed) is recorded as failed with the task's error.
    async fn collect(&mut self, graph: &mut OrderGraph, tasks: &mut Tasks) -> Result<()> {
        let mut running: Vec<usize> = tasks.0.keys().copied().collect();
        running.sort_unstable();
        for n in running {
            let result_key = key(layout::order_result_key(&self.run_id, n))?;
            let result = match get_json::<OrderResult>(self.store.as_ref(), &result_key).await? {
                Some(result) => {
                    if let Some(r) = tasks.0.remove(&n) {
                        r.task.abort();
                    }
                    result
                }
                None => {
                    if !tasks.0.get(&n).is_some_and(|r| r.task.is_finished()) {
                        continue;
                    }
                    let Some(r) = tasks.0.remove(&n) else {
                        continue;
                    };
                    let error = match r.task.await {
                        Ok(Ok(())) => "the order ended without recording a result".to_owned(),
                        Ok(Err(e)) => e,
                        Err(e) => format!("the order's task ended: {e}"),
                    };
                    let name = self
                        .job
                        .order(n)
                        .map(|o| o.name.clone())
                        .unwrap_or_default();
                    let now = self.platform.backend.clock.now();
                    let failed = OrderResult {
                        schema_version: 1,
                        name,
                        status: OrderStatus::Failed,
                        exit_code: None,
                        attempt: r.attempt,
                        started_at: Some(r.started_at),
                        finished_at: now,
                        duration_ms: u64::try_from((now - r.started_at).num_milliseconds()).ok(),
                        log_excerpt: String::new(),
                        reason: Some(mask::mask(&error, &self.secret_strs(), false)),
                    };
                    put_result(self.store.as_ref(), &result_key, &failed).await?
                }
            };
            let outcome = match result.status {
                OrderStatus::Succeeded => Outcome::Succeeded,
                OrderStatus::TimedOut => Outcome::TimedOut,
                _ => Outcome::Failed,
            };
            let name = result.name.clone();
            self.event(
                "order_finished",
                Some(&name),
                Some(result.status.as_str()),
                result.reason.clone(),
            )
            .await?;
            self.results.insert(n, result);
            let newly = graph
                .finish(&name, outcome)
                .map_err(|e| corrupt(&name, e))?;
            self.record_skipped(&newly, &format!("dependency `{name}` did not succeed"))
                .await?;
        }
        Ok(())
    }

    fn secret_strs(&self) -> Vec<&str> {
        self.secret_values.iter().map(String::as_str).collect()
    }
}

struct OrderTask {
    store: Arc<dyn ObjectStore>,
    clock: Arc<dyn crate::ports::Clock>,
    executor: Arc<dyn Executor>,
    request: ExecRequest,
    result_key: String,
    log_key: String,
    state_key: String,
    state: StateRecord,
    secret_values: Arc<Vec<String>>,
    wake: tokio::sync::mpsc::UnboundedSender<usize>,
    n: usize,
}

/// Runs one order and writes its log and result; then wakes the orchestrator.
async fn order_task(task: OrderTask) -> TaskOutcome {
    let (handles, mut handle_rx) = tokio::sync::mpsc::unbounded_channel::<ExecHandle>();
    let started = tokio::time::Instant::now();
    let limit = task.request.timeout + WATCHDOG_GRACE;
    let executor = task.executor.clone();
    let request = task.request.clone();
    let execute = async move {
        let report = move |handle: ExecHandle| {
            let _ = handles.send(handle);
        };
        tokio::time::timeout(limit, executor.execute(&request, &report)).await
    };
    let store = task.store.clone();
    let state_key = task.state_key.clone();
    let mut state = task.state.clone();
    let record_handles = async move {
        while let Some(handle) = handle_rx.recv().await {
            state.handle = Some(handle);
            if let Err(e) = store
                .put(&state_key, to_json(&state), PutMode::Overwrite)
                .await
            {
                tracing::warn!(error = %e, "recording an order's executor handle failed");
            }
        }
    };
    let (executed, ()) = futures::future::join(execute, record_handles).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let secrets: Vec<&str> = task.secret_values.iter().map(String::as_str).collect();
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
    let output = mask::mask(&output, &secrets, false);
    if let Err(e) = task
        .store
        .put(
            &task.log_key,
            Bytes::from(output.clone()),
            PutMode::Overwrite,
        )
        .await
    {
        tracing::warn!(error = %e, "storing an order's log failed");
    }
    let result = OrderResult {
        schema_version: 1,
        name: task.request.order.clone(),
        status,
        exit_code,
        attempt: task.state.attempt,
        started_at: Some(task.state.started_at),
        finished_at: task.clock.now(),
        duration_ms: Some(duration_ms),
        log_excerpt: mask::excerpt(&output, EXCERPT_LINES, EXCERPT_BYTES),
        reason,
    };
    let written = put_result(task.store.as_ref(), &task.result_key, &result).await;
    let _ = task.wake.send(task.n);
    written
        .map(|_| ())
        .map_err(|e| format!("recording the result failed: {e}"))
}

/// The summary of a run as the store has it: finished orders from their results, started ones
/// as running, the rest pending; the run's status from its done marker.
pub async fn status(platform: &Platform, run_id: &str) -> Result<RunSummary> {
    let store = platform.backend.store.as_ref();
    let job_key = key(layout::run_job_key(run_id))?;
    let record: JobRecord = get_json(store, &job_key)
        .await?
        .ok_or_else(|| run_not_found(run_id, &job_key))?;
    let job =
        Job::from_json(&record.job.to_string(), &job_key).map_err(|e| corrupt(&job_key, e))?;
    let done: Option<DoneRecord> = get_json(store, &key(layout::run_done_key(run_id))?).await?;
    let present: std::collections::HashSet<String> = store
        .list_all(&key(layout::run_orders_prefix(run_id))?)
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect();
    let mut orders = Vec::with_capacity(job.orders.len());
    for (i, order) in job.orders.iter().enumerate() {
        let n = i + 1;
        let result_key = key(layout::order_result_key(run_id, n))?;
        let result: Option<OrderResult> = if present.contains(&result_key) {
            get_json(store, &result_key).await?
        } else {
            None
        };
        let started = present.contains(&key(layout::order_state_key(run_id, n))?);
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
                status: if started {
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
        run_id: run_id.to_owned(),
        status: done.map_or(RunStatus::Running, |d| d.status),
        orders,
    })
}

/// The job of a run, as it was stored when the run started.
pub async fn job_of(platform: &Platform, run_id: &str) -> Result<Job> {
    let job_key = key(layout::run_job_key(run_id))?;
    let record: JobRecord = get_json(platform.backend.store.as_ref(), &job_key)
        .await?
        .ok_or_else(|| run_not_found(run_id, &job_key))?;
    Job::from_json(&record.job.to_string(), &job_key).map_err(|e| corrupt(&job_key, e))
}

/// The stored output of order `order` of a run (the end of it, secrets masked).
pub async fn logs(platform: &Platform, run_id: &str, order: &str) -> Result<String> {
    let store = platform.backend.store.as_ref();
    let job = job_of(platform, run_id).await?;
    let n = job.number_of(order).ok_or_else(|| Error::Refused {
        reason: "unknown_order".into(),
        message: format!(
            "run `{run_id}` has no order `{order}`; its orders are {}",
            job.orders
                .iter()
                .map(|o| format!("`{}`", o.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    match store.get(&key(layout::order_log_key(run_id, n))?).await {
        Ok(object) => Ok(String::from_utf8_lossy(&object.bytes).into_owned()),
        Err(e) if e.is_not_found() => Ok(String::new()),
        Err(e) => Err(e.into()),
    }
}

/// The run's event log, in order.
pub async fn events(platform: &Platform, run_id: &str) -> Result<Vec<RunEvent>> {
    let store = platform.backend.store.as_ref();
    let mut events = Vec::new();
    for object in store
        .list_all(&key(layout::run_events_prefix(run_id))?)
        .await?
    {
        if let Some(event) = get_json::<RunEvent>(store, &object.key).await? {
            events.push(event);
        }
    }
    Ok(events)
}
