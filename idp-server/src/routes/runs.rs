//! `/v1/runs`: submit a job, list runs, get one (orders with states), its events, an order's
//! output (optionally followed over SSE), resume, cancel.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use idp_core::domain::access::Action;
use idp_core::domain::orders::{Job, JobErrors, RunStatus};
use idp_core::error::Error;
use idp_core::runs::{self, Executors, Listed, PrTarget, RunId, RunOptions};
use idp_core::secret::Secret;
use idp_core::setup::env_vars;

use super::{Json, Path, Query, accepted};
use crate::auth::Caller;
use crate::model::{
    OrderLog, OrderLogParams, Run, RunCancel, RunList, SubmitRun, UnreadableRecord,
};
use crate::ops::{self, OpKind, Operation};
use crate::problem::{ApiResult, CommonErrors, ObjectErrors, Problem};
use crate::state::AppState;

fn run_id(text: &str) -> Result<RunId, Problem> {
    RunId::parse(text).map_err(|e| Problem::from(Error::from(e)))
}

/// A job that does not validate: 400 with every problem.
pub(crate) fn invalid_job(errors: &JobErrors) -> Problem {
    let n = errors.errors.len();
    let mut p = Problem::invalid(format!(
        "the job is invalid ({n} problem{})",
        if n == 1 { "" } else { "s" }
    ));
    p.errors = errors.errors.iter().map(ToString::to_string).collect();
    p
}

/// The prefix of the server's environment variables that runs may read as secrets: an order's
/// secret `DB_PASSWORD` is `IDP_SECRET_DB_PASSWORD` of the server. No other variable of the
/// server (its own credentials, the webhook or JWT secret) is ever handed to an order.
pub(crate) const RUN_SECRET_PREFIX: &str = "IDP_SECRET_";

/// How this server drives a run: local executors in its runs directory, secrets by name from
/// its own `IDP_SECRET_*` variables (masked in every output, never stored).
pub(crate) fn options(
    state: &AppState,
    job: &Job,
    max_parallel: usize,
    extra_secrets: BTreeMap<String, Secret<String>>,
    comment: Option<PrTarget>,
) -> RunOptions {
    let mut secrets: BTreeMap<String, Secret<String>> = job
        .orders
        .iter()
        .flat_map(|o| o.secrets.iter())
        .filter(|n| !n.is_empty())
        .filter_map(|n| {
            env_vars::get(&format!("{RUN_SECRET_PREFIX}{n}")).map(|v| (n.clone(), Secret::new(v)))
        })
        .collect();
    secrets.extend(extra_secrets);
    RunOptions {
        executors: Executors::local(),
        max_parallel: max_parallel.max(1),
        working_dir: state.options.runs_dir.clone(),
        secrets,
        comment,
        ..RunOptions::default()
    }
}

/// Waits until run `rid`, started by operation `op_id`, has its record in the store, so that a
/// client reading the run right after the answer finds it; gives back the operation's problem
/// when it failed before that (another run of that id, a lease held). At most 10 s.
pub(crate) async fn recorded(state: &AppState, rid: &RunId, op_id: &str) -> Result<(), Problem> {
    for _ in 0..1000 {
        if runs::job_of(&state.platform, rid).await.is_ok() {
            return Ok(());
        }
        if let Some(op) = state.ops.get(op_id)
            && let Some(problem) = op.error
        {
            return Err(problem);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Start a run of a job. Answers `202` with the operation once the run is recorded.
#[utoipa::path(post, path = "/v1/runs", tag = "runs", security(("bearer" = [])),
    request_body = SubmitRun,
    responses(
        (status = 202, description = "the run started; `Location` is its operation", body = Operation,
            headers(("Location" = String, description = "/v1/operations/{id}"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<SubmitRun>,
) -> ApiResult<Response> {
    caller.may(Action::SubmitRun)?;
    let job = Job::from_json(&body.job.to_string(), "job").map_err(|e| invalid_job(&e))?;
    let id = match &body.run_id {
        Some(id) => run_id(id)?,
        None => RunId::parse(&uuid::Uuid::new_v4().simple().to_string())
            .map_err(|e| Problem::from(Error::from(e)))?,
    };
    if runs::job_of(&state.platform, &id).await.is_ok() {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            format!("run `{id}` already exists"),
        )
        .hint(format!(
            "omit `run_id` for a new run, or continue this one with POST /v1/runs/{id}/resume"
        )));
    }
    let max_parallel = body.max_parallel.unwrap_or(4);
    if !(1..=64).contains(&max_parallel) {
        return Err(Problem::invalid(format!(
            "`max_parallel` is {max_parallel}: give 1 to 64"
        )));
    }
    let options = options(&state, &job, max_parallel as usize, BTreeMap::new(), None);
    let op = start(&state, job, id, options, &caller.0.token_id).await?;
    Ok(accepted(&op))
}

/// Starts run `rid` of `job` as an operation and answers once the run is recorded (see
/// [`recorded`]); the operation's progress is the run's events.
pub(crate) async fn start(
    state: &Arc<AppState>,
    job: Job,
    rid: RunId,
    options: RunOptions,
    by: &str,
) -> Result<Operation, Problem> {
    let platform = state.platform.clone();
    let id = rid.clone();
    let op = ops::spawn(
        state,
        OpKind::Run,
        format!("run:{rid}"),
        by,
        move |progress| async move {
            let options = RunOptions {
                progress: Some(progress.run_events()),
                ..options
            };
            let summary = runs::run(&platform, job, Some(id), options).await?;
            Ok(serde_json::to_value(Run::from(&summary)).unwrap_or_default())
        },
    )?;
    recorded(state, &rid, &op.id).await?;
    Ok(op)
}

/// Every run in the state store, by id.
#[utoipa::path(get, path = "/v1/runs", tag = "runs", security(("bearer" = [])),
    responses((status = 200, description = "the runs", body = RunList), CommonErrors))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<RunList>> {
    caller.may(Action::Read)?;
    let mut list = RunList {
        runs: Vec::new(),
        unreadable: Vec::new(),
    };
    for listed in runs::list(&state.platform).await? {
        match listed {
            Listed::Run(summary) => list.runs.push(Run::from(&summary)),
            Listed::Unreadable { run_id, reason } => list.unreadable.push(UnreadableRecord {
                key: format!("runs/{run_id}/job.json"),
                name: run_id,
                reason,
            }),
        }
    }
    Ok(axum::Json(list))
}

/// A run and the state of each order.
#[utoipa::path(get, path = "/v1/runs/{run_id}", tag = "runs", security(("bearer" = [])),
    params(("run_id" = String, Path, description = "the run")),
    responses((status = 200, description = "the run", body = Run), ObjectErrors, CommonErrors))]
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Run>> {
    caller.may(Action::Read)?;
    let summary = runs::status(&state.platform, &run_id(&id)?).await?;
    Ok(axum::Json(Run::from(&summary)))
}

/// A run's event log, in order.
#[utoipa::path(get, path = "/v1/runs/{run_id}/events", tag = "runs", security(("bearer" = [])),
    params(("run_id" = String, Path, description = "the run")),
    responses((status = 200, description = "the events, as `idp run status --output json` has them", body = Vec<Object>), ObjectErrors, CommonErrors))]
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    caller.may(Action::Read)?;
    let events = runs::events(&state.platform, &run_id(&id)?).await?;
    Ok(axum::Json(
        serde_json::to_value(&events).unwrap_or_default(),
    ))
}

/// An order's captured output (its end, secrets masked); with `follow=true`, a
/// `text/event-stream` of `output` events (the new text) until the order ends.
#[utoipa::path(get, path = "/v1/runs/{run_id}/orders/{order}/logs", tag = "runs", security(("bearer" = [])),
    params(("run_id" = String, Path, description = "the run"), ("order" = String, Path, description = "the order's name"), OrderLogParams),
    responses(
        (status = 200, description = "the output; with `follow=true` a stream of `output` events and one `end` event",
            content((OrderLog = "application/json"), (String = "text/event-stream"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn order_logs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, order)): Path<(String, String)>,
    Query(params): Query<OrderLogParams>,
) -> ApiResult<Response> {
    caller.may(Action::Read)?;
    let rid = run_id(&id)?;
    let log = runs::logs(&state.platform, &rid, &order).await?;
    if params.follow != Some(true) {
        return Ok(axum::Json(OrderLog {
            run_id: id,
            order,
            log,
        })
        .into_response());
    }
    let platform = state.platform.clone();
    let poll = state.options.follow_poll;
    let stream = futures::stream::unfold(
        (Some(log), 0usize, false, platform),
        move |(first, sent, ended, platform)| {
            let (rid, order) = (rid.clone(), order.clone());
            async move {
                if ended {
                    return None;
                }
                let mut sent = sent;
                let mut text = first;
                loop {
                    let log = match text.take() {
                        Some(log) => log,
                        None => {
                            tokio::time::sleep(poll).await;
                            match runs::logs(&platform, &rid, &order).await {
                                Ok(log) => log,
                                Err(e) => {
                                    let ev = Event::default()
                                        .event("error")
                                        .json_data(Problem::from(e))
                                        .unwrap_or_default();
                                    return Some((ev, (None, sent, true, platform)));
                                }
                            }
                        }
                    };
                    let done = runs::status(&platform, &rid).await.ok().is_some_and(|s| {
                        s.status != RunStatus::Running
                            || s.orders
                                .iter()
                                .any(|o| o.name == order && o.status.is_terminal())
                    });
                    // The stored output is the end of it: when it was cut at the front, send it
                    // whole again rather than a wrong slice.
                    let new = if log.len() >= sent && log.is_char_boundary(sent) {
                        log[sent..].to_owned()
                    } else {
                        log.clone()
                    };
                    sent = log.len();
                    if !new.is_empty() {
                        let ev = Event::default().event("output").data(new);
                        return Some((ev, (None, sent, false, platform)));
                    }
                    if done {
                        let ev = Event::default().event("end").data("the order ended");
                        return Some((ev, (None, sent, true, platform)));
                    }
                }
            }
        },
    )
    .map(Ok::<_, Infallible>)
    .take_until(state.drained());
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Continue a run whose orchestrator stopped. Answers `202` with the operation.
#[utoipa::path(post, path = "/v1/runs/{run_id}/resume", tag = "runs", security(("bearer" = [])),
    params(("run_id" = String, Path, description = "the run")),
    responses(
        (status = 202, description = "the resume runs; `Location` is its operation", body = Operation,
            headers(("Location" = String, description = "/v1/operations/{id}"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn resume(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    caller.may(Action::ManageRun)?;
    let rid = run_id(&id)?;
    let job = runs::job_of(&state.platform, &rid).await?;
    let options = options(&state, &job, 4, BTreeMap::new(), None);
    let platform = state.platform.clone();
    let op = ops::spawn(
        &state,
        OpKind::Resume,
        format!("run:{rid}"),
        &caller.0.token_id,
        move |progress| async move {
            let options = RunOptions {
                progress: Some(progress.run_events()),
                ..options
            };
            let summary = runs::resume(&platform, &rid, options).await?;
            Ok(serde_json::to_value(Run::from(&summary)).unwrap_or_default())
        },
    )?;
    Ok(accepted(&op))
}

/// Cancel a run: its running orders are stopped and recorded `cancelled`, its pending ones
/// skipped. When this server (or another) drives the run, it stops within one poll
/// (`outcome: requested`); a run nobody drives is ended at once (`cancelled`); an ended run is
/// left as it is (`finished`).
#[utoipa::path(post, path = "/v1/runs/{run_id}/cancel", tag = "runs", security(("bearer" = [])),
    params(("run_id" = String, Path, description = "the run")),
    responses((status = 200, description = "what the cancel did", body = RunCancel), ObjectErrors, CommonErrors))]
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<RunCancel>> {
    caller.may(Action::ManageRun)?;
    let rid = run_id(&id)?;
    let job = runs::job_of(&state.platform, &rid).await?;
    let options = options(&state, &job, 4, BTreeMap::new(), None);
    let by = format!("{} (token {})", caller.owner(), caller.0.token_id);
    let report = runs::cancel(&state.platform, &rid, &by, options).await?;
    Ok(axum::Json(RunCancel::from(&report)))
}
