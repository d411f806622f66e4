//! `/v1/environments`: list, get, create, extend, destroy, status, logs, cost, unlock.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use idp_core::domain::access::Action;
use idp_core::domain::config::Config;
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::domain::ttl::{self, Ttl};
use idp_core::environments::approve::{self, ApproveRequest};
use idp_core::environments::cost::{self, CostRequest};
use idp_core::environments::create::{self, CreateRequest};
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::environments::list::{self, ListQuery};
use idp_core::environments::logs::{self, LogsRequest};
use idp_core::environments::{status, unlock};
use idp_core::error::Error;

use super::{Json, Path, Query, accepted};
use crate::auth::Caller;
use crate::model::{
    Alarm, ApproveEnvironment, Change, CreateEnvironment, Environment, EnvironmentPage,
    EnvironmentStatus, ExtendEnvironment, HistoryEvent, ListParams, LogEntry, LogPage, LogParams,
};
use crate::ops::{self, OpKind, Operation};
use crate::problem::{ApiResult, CommonErrors, ObjectErrors, Problem};
use crate::state::AppState;

/// The default and the largest page size of a listing.
const PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

fn env_name(name: &str) -> Result<EnvName, Problem> {
    EnvName::parse(name).map_err(|e| Problem::from(Error::from(e)))
}

/// List environments, filtered and paged by name.
#[utoipa::path(get, path = "/v1/environments", tag = "environments", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, description = "a page of environments", body = EnvironmentPage), CommonErrors))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<axum::Json<EnvironmentPage>> {
    caller.may(Action::Read)?;
    let limit = params.limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::invalid(format!(
            "`limit` is {limit}: give 1 to {MAX_PAGE}"
        )));
    }
    let query = ListQuery {
        all: false,
        status: params.status.map(Into::into).into_iter().collect(),
        owner: params.owner,
        template: params.template,
        expiring_before: params.expiring_before,
        name_contains: None,
        after: params.cursor,
        limit: limit as usize,
    };
    let page = list::query(&state.platform, &query).await?;
    Ok(axum::Json(EnvironmentPage::from(&page)))
}

/// One environment's record.
#[utoipa::path(get, path = "/v1/environments/{name}", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    responses((status = 200, description = "the record", body = Environment), ObjectErrors, CommonErrors))]
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Environment>> {
    caller.may(Action::Read)?;
    let meta = status::record(&state.platform, &env_name(&name)?).await?;
    Ok(axum::Json(Environment::from(&meta)))
}

/// Create an environment. Answers `202` with the operation; follow it at its `Location`.
#[utoipa::path(post, path = "/v1/environments", tag = "environments", security(("bearer" = [])),
    request_body = CreateEnvironment,
    responses(
        (status = 202, description = "the create runs; `Location` is its operation", body = Operation,
            headers(("Location" = String, description = "/v1/operations/{id}"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<CreateEnvironment>,
) -> ApiResult<Response> {
    caller.may(Action::CreateEnvironment {
        owner: body.owner.as_deref(),
    })?;
    let name = env_name(&body.name)?;
    let owner = body.owner.unwrap_or_else(|| caller.owner().to_owned());
    let settings = &state.platform.settings;
    let mut config: Config = match &body.config {
        Some(text) => Config::from_yaml_with(text, "config", &settings.config_options())
            .map_err(Error::from)?,
        None => state.options.config.clone(),
    };
    if let Some(t) = &body.template {
        config.template = TemplateName::new(t).ok_or_else(|| {
            Problem::invalid(format!(
                "template `{}` is not a valid template name",
                t.escape_debug()
            ))
            .hint("list the templates with GET /v1/templates")
        })?;
    }
    if let Some(region) = &body.region {
        idp_core::environments::create::in_region(&mut config, region)?;
    }
    let ttl = match &body.ttl {
        Some(t) => Some(
            settings
                .ttl_policy
                .check(Ttl::parse(t).map_err(Error::from)?)
                .map_err(Error::from)?,
        ),
        None => None,
    };
    let platform = state.platform.clone();
    let req = CreateRequest {
        name: name.clone(),
        config,
        ttl,
        owner: Some(owner),
        image: None,
        source: Default::default(),
        budget_override: None,
    };
    // A template that needs approval is refused now (403 `approval_required`), not in the
    // background operation.
    create::check_approval(&platform, &req).await?;
    let op = ops::spawn(
        &state,
        OpKind::Create,
        format!("environment:{name}"),
        &caller.0.token_id,
        move |progress| async move {
            progress.note(format!(
                "creating `{}` from template `{}`",
                req.name, req.config.template
            ));
            let report = create::create(&platform, req).await?;
            progress.note(report.outcome.code());
            Ok(serde_json::to_value(Change::from(&report)).unwrap_or_default())
        },
    )?;
    Ok(accepted(&op))
}

/// Destroy an environment. Answers `202` with the operation; a second destroy while one runs
/// gets `409` naming it.
#[utoipa::path(delete, path = "/v1/environments/{name}", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    responses(
        (status = 202, description = "the destroy runs; `Location` is its operation", body = Operation,
            headers(("Location" = String, description = "/v1/operations/{id}"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn destroy(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let name = env_name(&name)?;
    let meta = status::record(&state.platform, &name).await?;
    caller.may(Action::ChangeEnvironment {
        owner: Some(&meta.owner),
    })?;
    let platform = state.platform.clone();
    let op = ops::spawn(
        &state,
        OpKind::Destroy,
        format!("environment:{name}"),
        &caller.0.token_id,
        move |progress| async move {
            progress.note(format!("destroying `{name}`"));
            let report = destroy::destroy(&platform, DestroyRequest::new(name)).await?;
            progress.note(report.outcome.code());
            Ok(serde_json::to_value(Change::from(&report)).unwrap_or_default())
        },
    )?;
    Ok(accepted(&op))
}

/// Add time to an environment's TTL.
#[utoipa::path(post, path = "/v1/environments/{name}/extend", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    request_body = ExtendEnvironment,
    responses((status = 200, description = "the new expiry", body = Change), ObjectErrors, CommonErrors))]
pub(crate) async fn extend(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<ExtendEnvironment>,
) -> ApiResult<axum::Json<Change>> {
    let name = env_name(&name)?;
    let ttl = Ttl::parse(&body.ttl).map_err(Error::from)?;
    let meta = status::record(&state.platform, &name).await?;
    caller.may(Action::ChangeEnvironment {
        owner: Some(&meta.owner),
    })?;
    if state.draining() {
        return Err(Problem::draining());
    }
    let report = extend::extend(&state.platform, ExtendRequest { name, ttl }).await?;
    Ok(axum::Json(Change::from(&report)))
}

/// The record with live health (the local process, or the ECS service).
#[utoipa::path(get, path = "/v1/environments/{name}/status", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    responses((status = 200, description = "status and health", body = EnvironmentStatus), ObjectErrors, CommonErrors))]
pub(crate) async fn status(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<EnvironmentStatus>> {
    caller.may(Action::Read)?;
    let report = status::status(&state.platform, &env_name(&name)?).await?;
    Ok(axum::Json(EnvironmentStatus {
        environment: Environment::from(&report.environment),
        expires: report.expires.clone(),
        outputs: report.outputs.clone(),
        runtime: report
            .runtime
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
        service: report
            .service
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok()),
        alarms: report.alarms.iter().map(Alarm::from).collect(),
        warnings: report.warnings.clone(),
        history: report
            .environment
            .history
            .iter()
            .map(HistoryEvent::from)
            .collect(),
    }))
}

/// `since`: a duration back from now (`10m`, `2h`) or an RFC 3339 time; default `1h`.
fn since(text: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Problem> {
    ttl::since(text.unwrap_or("1h"), now).map_err(|e| {
        Problem::from(Error::from(e))
            .hint("give `since` as a duration such as `10m` or `2h`, or an RFC 3339 time")
    })
}

fn page_of(report: &logs::LogsReport) -> LogPage {
    LogPage {
        group: report.group.clone(),
        events: report
            .events
            .iter()
            .map(|e| LogEntry {
                timestamp: e.timestamp,
                stream: e.stream.clone(),
                message: e.message.clone(),
            })
            .collect(),
        next_token: report.next_token.clone(),
    }
}

/// A page of the environment's logs, or with `follow=true` a `text/event-stream` with one `log`
/// event per line as they arrive (until the client goes or the server shuts down).
#[utoipa::path(get, path = "/v1/environments/{name}/logs", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment"), LogParams),
    responses(
        (status = 200, description = "a page of log events; with `follow=true`, a stream of `log` events whose data is a LogEntry",
            content((LogPage = "application/json"), (String = "text/event-stream"))),
        ObjectErrors, CommonErrors))]
pub(crate) async fn logs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    Query(params): Query<LogParams>,
) -> ApiResult<Response> {
    caller.may(Action::Read)?;
    let name = env_name(&name)?;
    let now = state.platform.backend.clock.now();
    let req = LogsRequest {
        name,
        since: since(params.since.as_deref(), now)?,
        filter: params.filter,
        next_token: params.next_token,
        limit: None,
    };
    let first = logs::logs(&state.platform, req.clone()).await?;
    if params.follow != Some(true) {
        return Ok(axum::Json(page_of(&first)).into_response());
    }
    let poll = state.options.follow_poll;
    let platform = state.platform.clone();
    // The stream: the first page, then every page after it; between empty pages it waits
    // `poll` and asks for what came after the newest event seen.
    let stream = futures::stream::unfold(
        (Some(first), req, platform),
        move |(pending, mut req, platform)| async move {
            let page = match pending {
                Some(page) => page,
                None => loop {
                    match logs::logs(&platform, req.clone()).await {
                        Ok(page) if !page.events.is_empty() => break page,
                        Ok(page) => {
                            if page.next_token.is_some() {
                                req.next_token = page.next_token;
                            }
                            tokio::time::sleep(poll).await;
                        }
                        Err(e) => {
                            let problem = Problem::from(e);
                            let event = Event::default()
                                .event("error")
                                .json_data(&problem)
                                .unwrap_or_default();
                            return Some((vec![event], (None, req, platform)));
                        }
                    }
                },
            };
            if let Some(last) = page.events.iter().map(|e| e.timestamp).max() {
                req.since = req.since.max(last + chrono::TimeDelta::milliseconds(1));
            }
            req.next_token = page.next_token.clone();
            if req.next_token.is_some() && page.events.is_empty() {
                req.next_token = None;
            }
            let events = page_of(&page)
                .events
                .iter()
                .map(|e| {
                    Event::default()
                        .event("log")
                        .json_data(e)
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>();
            Some((events, (None, req, platform)))
        },
    )
    .flat_map(|events| futures::stream::iter(events.into_iter().map(Ok::<_, Infallible>)))
    .take_until(state.drained());
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The estimated cost of an environment over its lifetime (list prices).
#[utoipa::path(get, path = "/v1/environments/{name}/cost", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    responses((status = 200, description = "the estimate, as `idp cost --output json`", body = Object), ObjectErrors, CommonErrors))]
pub(crate) async fn cost(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    caller.may(Action::Read)?;
    let report = cost::cost(
        &state.platform,
        CostRequest::Environment {
            name: env_name(&name)?,
            config: state.options.config.clone(),
        },
    )
    .await?;
    Ok(axum::Json(
        serde_json::to_value(&report).unwrap_or_default(),
    ))
}

/// Break the environment's lease and OpenTofu lock (admins only): for a holder that died.
#[utoipa::path(post, path = "/v1/environments/{name}/unlock", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment")),
    responses((status = 200, description = "what was held and whether it was broken, as `idp unlock --output json`", body = Object), ObjectErrors, CommonErrors))]
pub(crate) async fn unlock(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    caller.may(Action::Unlock)?;
    let report = unlock::unlock(&state.platform, &env_name(&name)?).await?;
    Ok(axum::Json(
        serde_json::to_value(&report).unwrap_or_default(),
    ))
}

/// Approve an environment whose template needs approval (an admin's decision): its next
/// create proceeds. Who approved, when and why are kept and shown in its record.
#[utoipa::path(post, path = "/v1/environments/{name}/approval", tag = "environments", security(("bearer" = [])),
    params(("name" = String, Path, description = "the environment waiting for approval")),
    request_body = ApproveEnvironment,
    responses((status = 200, description = "the approval request, approved, as `idp approve --output json`", body = Object), ObjectErrors, CommonErrors))]
pub(crate) async fn approve(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<ApproveEnvironment>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    caller.may(Action::Approve)?;
    let report = approve::approve(
        &state.platform,
        ApproveRequest {
            name: env_name(&name)?,
            by: caller.owner().to_owned(),
            reason: body.reason,
        },
    )
    .await?;
    Ok(axum::Json(
        serde_json::to_value(&report).unwrap_or_default(),
    ))
}
