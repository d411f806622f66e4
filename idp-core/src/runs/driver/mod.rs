//! The orchestrator: [`run`], [`resume`] and [`cancel`] take the run's lease and drive its order
//! graph to the end (`stop.rs`: ending it early, at the job deadline or on a cancel request).
//!
//! Each turn of the loop dispatches every ready order (at most `max_parallel` running), then
//! waits for a task's wake-up, a poll interval or the job deadline, and reads the results of
//! the running orders back from the store. A finished order's dependents become ready or are
//! skipped; at the job deadline, or once a cancel request is in the store (read every turn),
//! every running order is stopped and every pending one skipped.
//! After every wave of dispatches and at the end, the summary goes to `on_wave` and to the pull
//! request comment.

mod cancel;
mod resume;
mod stop;

pub use cancel::{CancelOutcome, CancelReport, cancel};
pub use resume::resume;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::intake::{self, Sealed};
use super::options::RunOptions;
use super::records::{DoneRecord, JobRecord, OrderResult, RunEvent, RunEventKind, StateRecord};
use super::store::{RunStore, corrupt};
use super::task::{OrderTask, Running, Tasks};
use crate::domain::orders::{
    Job, Newly, OrderGraph, OrderOutcome, OrderStatus, OrderSummary, RunId, RunSummary,
    run_comment, run_comment_marker,
};
use crate::domain::redact;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::executor::ExecRequest;
use crate::support::lease;

/// Refuses a job whose targets have no executor or whose secrets are not supplied.
pub(super) fn check_runnable(job: &Job, options: &RunOptions) -> Result<()> {
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

/// A new random run id (32 hex digits).
fn new_run_id() -> RunId {
    RunId::parse(&uuid::Uuid::new_v4().simple().to_string())
        .unwrap_or_else(|_| unreachable!("32 hex digits are a valid run id"))
}

/// Starts a run of `job` and drives it to the end; `run_id` defaults to a new random id.
pub async fn run(
    platform: &Platform,
    job: Job,
    run_id: Option<RunId>,
    options: RunOptions,
) -> Result<RunSummary> {
    check_runnable(&job, &options)?;
    let resolved = intake::resolve(platform, &job, &options).await?;
    let run_id = run_id.unwrap_or_else(new_run_id);
    let store = RunStore::new(platform.backend.store.clone(), run_id.clone());
    let guard = take_lease(platform, &run_id, None).await?;
    let outcome = async {
        let now = platform.backend.clock.now();
        let record = JobRecord {
            run_id: run_id.clone(),
            started_at: now,
            deadline: now + TimeDelta::from_std(job.timeout).unwrap_or(TimeDelta::MAX),
            job: serde_json::to_value(&job).map_err(|e| corrupt("job.json", e))?,
        };
        if !store.create_job(&record).await? {
            return Err(Error::Refused {
                reason: "run_exists".into(),
                message: format!("run `{run_id}` already exists: pick another id, or resume it"),
            });
        }
        let mask = resolved.mask.clone();
        let sealed = intake::seal(&store, &job, resolved).await?;
        let mut driver = Driver::new(platform, store, job, record.deadline, options, 0);
        driver.seal(sealed, mask);
        let message = format!("{} orders", driver.job.orders.len());
        driver
            .event(RunEventKind::RunStarted, None, None, Some(message))
            .await?;
        let graph = OrderGraph::new(&driver.job);
        driver.drive(graph).await
    }
    .await;
    guard.release().await;
    outcome
}

pub(super) async fn take_lease(
    platform: &Platform,
    run_id: &RunId,
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

/// The state of one orchestrator driving one run.
pub(super) struct Driver {
    platform: Platform,
    store: RunStore,
    job: Job,
    deadline: DateTime<Utc>,
    options: RunOptions,
    /// The number of the next event.
    seq: u64,
    /// Results read back, by order number.
    results: HashMap<usize, OrderResult>,
    /// The last attempt started, by order number.
    attempts: HashMap<usize, u32>,
    secret_values: Arc<Vec<String>>,
    last_comment: Option<tokio::time::Instant>,
    /// The run's key and bundles (`intake`); `None` until sealed.
    sealed: Option<Sealed>,
}

impl Driver {
    fn new(
        platform: &Platform,
        store: RunStore,
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
            platform: platform.clone(),
            store,
            job,
            deadline,
            options,
            seq,
            results: HashMap::new(),
            attempts: HashMap::new(),
            secret_values,
            last_comment: None,
            sealed: None,
        }
    }

    /// Takes the run's sealed bundles and masks every resolved value.
    fn seal(&mut self, sealed: Sealed, mask: Vec<String>) {
        let mut values: Vec<String> = self.secret_values.iter().cloned().chain(mask).collect();
        values.sort();
        values.dedup();
        self.secret_values = Arc::new(values);
        self.sealed = Some(sealed);
    }

    fn run_id(&self) -> &RunId {
        self.store.run_id()
    }

    fn now(&self) -> DateTime<Utc> {
        self.platform.backend.clock.now()
    }

    /// Appends an event (taking the next free number) and tells `progress`.
    async fn event(
        &mut self,
        kind: RunEventKind,
        order: Option<&str>,
        status: Option<&str>,
        message: Option<String>,
    ) -> Result<()> {
        loop {
            let event = RunEvent {
                seq: self.seq,
                at: self.now(),
                kind,
                order: order.map(str::to_owned),
                status: status.map(str::to_owned),
                message: message.clone(),
            };
            self.seq += 1;
            // Never overwrite the log: a taken number means take the next one.
            if self.store.append_event(&event).await? {
                if let Some(progress) = &self.options.progress {
                    progress(&event);
                }
                return Ok(());
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

    /// Records an ending the orchestrator decided (skipped, job timeout).
    async fn record_end(
        &mut self,
        name: &str,
        status: OrderStatus,
        started_at: Option<DateTime<Utc>>,
        reason: &str,
    ) -> Result<()> {
        let n = self.number(name);
        let attempt = self.attempts.get(&n).copied().unwrap_or(0);
        let result = OrderResult::decided(
            name,
            status,
            attempt,
            started_at,
            self.now(),
            reason.to_owned(),
        );
        let result = self.store.put_result(n, &result).await?;
        let kind = if status == OrderStatus::Skipped {
            RunEventKind::OrderSkipped
        } else {
            RunEventKind::OrderFinished
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
            run_id: self.run_id().clone(),
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
        let marker = run_comment_marker(self.run_id());
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
            self.event(RunEventKind::CommentFailed, None, None, Some(message))
                .await?;
        }
        Ok(())
    }

    /// Dispatches order `name`: records its state, then spawns its task.
    async fn start(
        &mut self,
        graph: &mut OrderGraph,
        name: &str,
        tasks: &mut Tasks,
        wake: &UnboundedSender<usize>,
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
        let started_at = self.now();
        let state = StateRecord {
            name: name.to_owned(),
            attempt,
            started_at,
            handle: None,
        };
        self.store.put_state(n, &state).await?;
        self.event(
            RunEventKind::OrderStarted,
            Some(name),
            Some(OrderStatus::Running.as_str()),
            Some(format!("attempt {attempt}")),
        )
        .await?;
        let executor = self
            .options
            .executors
            .get(order.target)
            .cloned()
            .ok_or_else(|| corrupt(name, format!("no executor for `{}`", order.target)))?;
        // The order's secret variables come from its bundle only, decrypted with the key this
        // process holds, and go to the executor (the child process's environment) only.
        let secrets = match &self.sealed {
            Some(sealed) => sealed.open(&self.store, n).await?,
            None if order.secrets.is_empty()
                && order.ssm_paths.is_empty()
                && order.secret_manager_paths.is_empty() =>
            {
                BTreeMap::new()
            }
            // Only `cancel` drives without sealing, and it starts nothing.
            None => {
                return Err(corrupt(
                    name,
                    "the order needs secrets but this orchestrator sealed none",
                ));
            }
        };
        let request = ExecRequest {
            run_id: self.run_id().clone(),
            order: name.to_owned(),
            cmds: order.cmds.clone(),
            env: order.env.clone(),
            secrets,
            working_dir: match &order.working_dir {
                Some(dir) => self.options.working_dir.join(dir),
                None => self.options.working_dir.clone(),
            },
            timeout: order.timeout,
            output_cap: self.options.output_cap,
        };
        let task = OrderTask {
            store: self.store.clone(),
            clock: self.platform.backend.clock.clone(),
            executor,
            request,
            state,
            secret_values: self.secret_values.clone(),
            wake: wake.clone(),
            n,
        }
        .spawn();
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
        let mut tasks = Tasks::default();
        let left = (self.deadline - self.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let deadline = tokio::time::Instant::now() + left;
        let mut timed_out = false;
        let mut cancelled = None;
        loop {
            // A cancel request is read back from the store, so whoever asked (another process,
            // another server) is heard within one poll.
            if let Some(request) = self.store.cancel_request().await? {
                cancelled = Some(request);
                break;
            }
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
        if let Some(request) = cancelled {
            self.cancel(&mut graph, &mut tasks, &request).await?;
        } else if timed_out {
            self.time_out(&mut graph, &mut tasks).await?;
        }
        self.finish(&graph).await
    }

    /// Records the end of the run (event, done marker, last comment) and returns its summary.
    async fn finish(&mut self, graph: &OrderGraph) -> Result<RunSummary> {
        let summary = self.summary(graph);
        let done = DoneRecord {
            run_id: self.run_id().clone(),
            status: summary.status,
            finished_at: self.now(),
            succeeded: summary.count(OrderStatus::Succeeded),
            failed: summary.count(OrderStatus::Failed),
            timed_out: summary.count(OrderStatus::TimedOut),
            skipped: summary.count(OrderStatus::Skipped),
            cancelled: summary.count(OrderStatus::Cancelled),
        };
        self.event(
            RunEventKind::RunFinished,
            None,
            Some(summary.status.as_str()),
            None,
        )
        .await?;
        self.store.put_done(&done).await?;
        self.wave(graph, true).await?;
        Ok(summary)
    }

    /// Reads back the result of every running order; an order whose task ended without one
    /// (its store write failed) is recorded as failed with the task's error.
    async fn collect(&mut self, graph: &mut OrderGraph, tasks: &mut Tasks) -> Result<()> {
        let mut running: Vec<usize> = tasks.0.keys().copied().collect();
        running.sort_unstable();
        for n in running {
            let result = match self.store.result(n).await? {
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
                    let secrets: Vec<&str> =
                        self.secret_values.iter().map(String::as_str).collect();
                    let failed = OrderResult::decided(
                        &name,
                        OrderStatus::Failed,
                        r.attempt,
                        Some(r.started_at),
                        self.now(),
                        redact::mask(&error, &secrets, false),
                    );
                    self.store.put_result(n, &failed).await?
                }
            };
            let outcome = match result.status {
                OrderStatus::Succeeded => OrderOutcome::Succeeded,
                OrderStatus::TimedOut => OrderOutcome::TimedOut,
                _ => OrderOutcome::Failed,
            };
            let name = result.name.clone();
            self.event(
                RunEventKind::OrderFinished,
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
}
