//! `/environments`: every environment, filtered, searched and sorted; `/environments/{name}`: one
//! environment's health, history, outputs, tags, logs and cost, with Extend and Destroy.
//!
//! Long because an environment's page is one view rendered by three handlers (show, and extend
//! and destroy re-rendering it with their errors next to the field), next to the list it
//! links from.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use idp_core::domain::access::{self, Action};
use idp_core::domain::cost::format_usd;
use idp_core::domain::lifecycle::{Metadata, Status};
use idp_core::domain::naming::EnvName;
use idp_core::domain::render::html::{self, Column, Sizes, TableOptions};
use idp_core::domain::tags;
use idp_core::domain::ttl::{Ttl, TtlUnit};
use idp_core::environments::cost::{self, CostRequest};
use idp_core::environments::list::{self, ListQuery, ListRequest};
use idp_core::environments::status;
use idp_core::error::Error;
use idp_core::ports::AlarmState;
use idp_core::ports::provisioner::RuntimeHealth;
use maud::{Markup, html};
use serde::Deserialize;

use super::session::Signed;
use super::views::{Section, page, problem_page, respond};
use super::{Fields, see_other, segment};
use crate::model::ExtendEnvironment;
use crate::problem::Problem;
use crate::routes;
use crate::state::AppState;

/// The query of the environments page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    q: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    template: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The sizes the cost column assumes: the server's configuration.
pub(crate) fn sizes(state: &AppState) -> Sizes {
    let c = &state.options.config;
    Sizes {
        cpu: c.cpu,
        memory: c.memory,
        shared_networking: c.use_shared_networking,
    }
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[String]) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" selected[current.is_none()] { "Any" }
                @for o in options {
                    option value=(o) selected[current == Some(o.as_str())] { (o) }
                }
            }
        }
    }
}

/// `GET /environments`.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Query(params): Query<ListParams>,
) -> Response {
    if let Err(p) = who.caller().may(Action::Read) {
        return problem_page(&p, Some(&who));
    }
    let report = match list::list(
        &state.platform,
        ListRequest {
            all: true,
            spend: state.platform.backend.billing.is_some(),
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return problem_page(&Problem::from(e), Some(&who)),
    };
    let owners: Vec<String> = report
        .environments
        .iter()
        .map(|m| m.owner.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let templates: Vec<String> = report
        .environments
        .iter()
        .map(|m| m.template.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let statuses: Vec<String> = Status::ALL.iter().map(|s| s.as_str().to_owned()).collect();
    let status_filter = non_empty(&params.status);
    let status = status_filter
        .as_deref()
        .and_then(|s| Status::ALL.into_iter().find(|x| x.as_str() == s));
    let query = ListQuery {
        all: false,
        status: status.into_iter().collect(),
        owner: non_empty(&params.owner),
        template: non_empty(&params.template),
        expiring_before: None,
        name_contains: non_empty(&params.q),
        after: None,
        limit: usize::MAX,
    };
    let total = report
        .environments
        .iter()
        .filter(|m| m.status != Status::Destroyed)
        .count();
    let billed: std::collections::BTreeMap<String, f64> = report
        .spend
        .iter()
        .filter(|(_, s)| s.billed_through.is_some())
        .map(|(name, s)| (name.clone(), s.billed_usd))
        .collect();
    let selected = list::select(report, &query);
    let now = state.platform.backend.clock.now();
    let sort = params
        .sort
        .as_deref()
        .and_then(Column::parse)
        .unwrap_or(Column::Name);
    let desc = params.dir.as_deref() == Some("desc");
    let mut envs: Vec<&Metadata> = selected.environments.iter().collect();
    html::sort_environments(&mut envs, sort, desc, sizes(&state), now);
    let keep: Vec<(&str, String)> = [
        ("q", non_empty(&params.q)),
        ("owner", query.owner.clone()),
        ("status", status_filter.clone()),
        ("template", query.template.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let keep_query = serde_urlencoded::to_string(&keep).unwrap_or_default();
    let may_create = access::authorize(
        &who.session.principal,
        Action::CreateEnvironment { owner: None },
    )
    .is_ok();
    let filtered = !keep.is_empty();
    let main = html! {
        h1 { "Environments" }
        p.meta id="count" aria-live="polite" {
            (envs.len()) " shown of " (total) " environment" @if total != 1 { "s" }
            " (destroyed ones are listed when you filter by status " code { "destroyed" } ")"
        }
        form.filters method="get" action="/environments" role="search" {
            div.field {
                label for="q" { "Search" }
                input type="search" id="q" name="q" value=[non_empty(&params.q)] placeholder="name contains…";
            }
            (select("owner", "Owner", query.owner.as_deref(), &owners))
            (select("status", "Status", status_filter.as_deref(), &statuses))
            (select("template", "Template", query.template.as_deref(), &templates))
            input type="hidden" name="sort" value=(sort.key());
            input type="hidden" name="dir" value=(if desc { "desc" } else { "asc" });
            button type="submit" { "Filter" }
            @if filtered { a href="/environments" { "Clear filters" } }
        }
        @if !selected.unreadable.is_empty() {
            div role="alert" {
                p { (selected.unreadable.len()) " record(s) cannot be read and are not in the table:" }
                ul { @for u in &selected.unreadable { li { code { (u.key) } ": " (u.reason) } } }
            }
        }
        @if envs.is_empty() {
            div.empty id="environments-empty" {
                @if filtered {
                    p { "No environment matches these filters. " a href="/environments" { "Show all" } }
                } @else {
                    p { "No preview environments yet. Push a branch of a repository that has `.idp/config.yml`, or create one from the catalog." }
                    @if may_create { p { a.button href="/catalog" { "Open the catalog" } } }
                }
            }
        }
        div data-live-table="" {
            @if !envs.is_empty() {
                (html::environments_table(&envs, now, TableOptions {
                    sizes: sizes(&state),
                    link_base: Some("/environments"),
                    sort: Some((sort, desc)),
                    keep_query: &keep_query,
                    billed: Some(&billed),
                }))
            }
        }
        p.hint { "Costs are list-price estimates at the server's configured size; where the backend reads a bill, the spend Cost Explorer billed this month is shown under them, and an environment's page has the whole figures." }
    };
    respond(
        StatusCode::OK,
        page("Environments", Section::Environments, Some(&who), main),
    )
}

/// The query of an environment's page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowParams {
    /// The operation the page follows (a create or destroy just started).
    operation: Option<String>,
    /// What was just done (`extended`), shown as a status message.
    done: Option<String>,
}

/// The TTLs offered by the Extend picker: the usual ones the TTL policy accepts.
fn ttl_choices(state: &AppState) -> Vec<Ttl> {
    let policy = state.platform.settings.ttl_policy;
    [
        Ttl::new(1, TtlUnit::Hours),
        Ttl::new(4, TtlUnit::Hours),
        Ttl::new(12, TtlUnit::Hours),
        Ttl::new(1, TtlUnit::Days),
        Ttl::new(3, TtlUnit::Days),
        Ttl::new(7, TtlUnit::Days),
        Ttl::new(14, TtlUnit::Days),
        Ttl::new(30, TtlUnit::Days),
    ]
    .into_iter()
    .chain([policy.min, policy.max])
    .filter(|t| policy.check(*t).is_ok())
    .collect::<BTreeSet<_>>()
    .into_iter()
    .collect()
}

/// Errors of the page's two forms, shown next to their field.
#[derive(Debug, Default)]
struct FormErrors {
    extend: Option<String>,
    destroy: Option<String>,
}

fn health(report: &status::StatusReport) -> Markup {
    html! {
        @match &report.runtime {
            Some(RuntimeHealth::Running { pid }) => {
                p { (html::status_badge("healthy")) " the app runs"
                    @if let Some(pid) = pid { " (process " (pid) ")" } }
            }
            Some(RuntimeHealth::Stopped) => p { (html::status_badge("unhealthy")) " the app no longer runs" },
            _ => {}
        }
        @if let Some(service) = &report.service {
            p {
                "Service " code { (format!("{:?}", service.status).to_lowercase()) } ": "
                (service.running) " running, " (service.pending) " starting, " (service.desired) " wanted"
            }
            @for tg in &service.target_groups {
                p {
                    "Targets: "
                    @for (state, n) in &tg.targets { (n) " " (state) " " }
                    @if let Some(e) = &tg.error { span role="alert" { (e) } }
                }
                @for r in &tg.reasons { p.hint { (r) } }
            }
        }
        @if !report.alarms.is_empty() {
            h3 { "Alarms" }
            ul {
                @for alarm in &report.alarms {
                    li {
                        (html::status_badge(match alarm.state {
                            AlarmState::Ok => "healthy",
                            AlarmState::Alarm => "unhealthy",
                            _ => "unknown",
                        }))
                        " " code { (alarm.name) } " " (alarm.state.to_string()) ": " (alarm.reason)
                    }
                }
            }
        }
        @if report.runtime.is_none() && report.service.is_none() {
            p.hint { "This backend reports no live health for the environment." }
        }
        @for w in &report.warnings { p role="alert" { (w) } }
    }
}

fn outputs(value: &serde_json::Value) -> Markup {
    let entries: Vec<(String, String)> = value
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let v = v.get("value").unwrap_or(v);
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let sensitive = value[k]
                        .get("sensitive")
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(false);
                    (
                        k.clone(),
                        if sensitive {
                            "(sensitive)".to_owned()
                        } else {
                            shown
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    html! {
        @if entries.is_empty() { p.empty { "No outputs recorded." } }
        @else {
            dl.facts { @for (k, v) in &entries { dt { code { (k) } } dd { code { (v) } } } }
        }
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "the page is made of what its handler gathered; a struct would only name them twice"
)]
fn environment_page(
    state: &AppState,
    who: &Signed,
    report: &status::StatusReport,
    cost: Option<&cost::CostReport>,
    params: &ShowParams,
    errors: &FormErrors,
    entered_confirm: &str,
) -> Markup {
    let meta = &report.environment;
    let now = state.platform.backend.clock.now();
    let name = meta.name.as_str();
    let shown = html::shown_status(meta, now);
    let may_change = access::authorize(
        &who.session.principal,
        Action::ChangeEnvironment {
            owner: Some(&meta.owner),
        },
    )
    .is_ok();
    let live = matches!(
        meta.status,
        Status::Destroying | Status::Provisioning | Status::Updating
    ) || params.operation.is_some();
    let tags = tags::environment_tags(meta, None);
    let base = format!("/environments/{}", segment(name));
    let done = match params.done.as_deref() {
        Some("extended") => Some("Extended. The new expiry is shown below."),
        Some("destroying") => Some("Destroy started. The status below follows it."),
        Some("created") => {
            Some("Create started. The status below follows it until the environment is active.")
        }
        _ => None,
    };
    let main = html! {
        p { a href="/environments" { "← Environments" } }
        h1 { "Environment " code { (name) } }
        p role="status" id="notice" { @if let Some(d) = done { (d) } }
        div id="live" data-environment=(name) data-operation=[params.operation.as_deref()] data-live=[live.then_some("1")] {
            dl.facts {
                dt { "Status" } dd { span id="status" class={ "status status-" (shown) } { (shown) } }
                dt { "URL" } dd {
                    @match meta.endpoint.as_deref().and_then(idp_core::domain::render::safe_url) {
                        Some(u) => a id="url" href=(u) rel="noopener noreferrer" { (u) },
                        None => span id="url-pending" { "not yet known" },
                    }
                }
                dt { "Expires" } dd { span id="expires" { (html::time(meta.expires_at, now)) } }
                dt { "Template" } dd { code { (meta.template.as_str()) } }
                @if let Some(region) = &meta.region { dt { "Region" } dd { code { (region) } } }
                dt { "Owner" } dd { (idp_core::domain::render::display_owner(&meta.owner)) }
                dt { "Branch" } dd {
                    @match &meta.branch { Some(b) => code { (b) }, None => "—" }
                    @if let Some(pr) = meta.pr_number { " · PR #" (pr) }
                }
                @if let Some(repo) = &meta.repository { dt { "Repository" } dd { code { (repo) } } }
                @if let Some(commit) = &meta.commit { dt { "Commit" } dd { code { (commit) } } }
                dt { "Created" } dd { (html::time(meta.created_at, now)) }
                @if let Some(e) = &meta.last_error { dt { "Last error" } dd { pre.logs { (e) } } }
            }
            ul id="progress" aria-live="polite" {}
        }
        div.columns {
            section aria-labelledby="h-health" {
                h2 id="h-health" { "Health" }
                p.meta { "Checked " (html::time(now, now)) }
                (health(report))
            }
            section aria-labelledby="h-cost" {
                h2 id="h-cost" { "Cost" }
                @if let Some(c) = cost {
                    dl.facts {
                        dt { "Per hour (est.)" } dd { (format_usd(c.estimate.hourly_usd)) }
                        dt { "So far (est.)" } dd { (format_usd(c.to_date_usd.unwrap_or(0.0))) }
                        dt { "Whole lifetime (est.)" } dd { (format_usd(c.estimate.total_usd)) }
                        @if let Some(s) = &c.spend {
                            @if let Some(day) = s.billed_through {
                                dt { "Billed in " (s.month) } dd { (format_usd(s.billed_usd)) " (Cost Explorer, through " (day) ")" }
                                dt { "Not billed yet (est.)" } dd { (format_usd(s.unbilled_estimate_usd)) }
                            }
                            dt { "Projected to expiry" } dd { (format_usd(s.projected_to_expiry_usd)) }
                        }
                    }
                    p.hint { (c.actuals_note) }
                } @else { p.empty { "No estimate for this environment." } }
            }
        }
        section aria-labelledby="h-history" {
            h2 id="h-history" { "History" }
            @if meta.history.is_empty() {
                p.empty { "No history recorded (the record predates it)." }
            } @else {
                ol.timeline {
                    @for h in meta.history.iter().rev() {
                        li { (html::time(h.at, now)) " — " strong { (event_text(&h.event)) }
                            @if let Some(d) = &h.detail { " " (d) } }
                    }
                }
            }
        }
        div.columns {
            section aria-labelledby="h-outputs" { h2 id="h-outputs" { "Outputs" } (outputs(&report.outputs)) }
            section aria-labelledby="h-tags" {
                h2 id="h-tags" { "Tags" }
                dl.facts { @for (k, v) in &tags { dt { code { (k) } } dd { code { (v) } } } }
            }
        }
        section aria-labelledby="h-logs" {
            h2 id="h-logs" { "Logs" }
            div.filters {
                div.field {
                    label for="log-filter" { "Filter logs" }
                    input type="search" id="log-filter" placeholder="text to match";
                }
                button.secondary type="button" id="log-pause" aria-pressed="false" { "Pause" }
            }
            pre.logs id="logs" tabindex="0" aria-label="Live logs" data-src={ "/v1/environments/" (segment(name)) "/logs?follow=true&since=1h" } {
                "Logs appear here while the page is open (they need JavaScript)."
            }
        }
        @if may_change && !matches!(meta.status, Status::Destroyed) {
            section aria-labelledby="h-actions" {
                h2 id="h-actions" { "Actions" }
                @if meta.status != Status::Destroying {
                    form method="post" action={ (base) "/extend" } novalidate {
                        input type="hidden" name="csrf" value=(who.csrf());
                        div.field {
                            label for="ttl" { "Extend by" }
                            select id="ttl" name="ttl" aria-invalid=[errors.extend.as_ref().map(|_| "true")] aria-describedby=[errors.extend.as_ref().map(|_| "error-ttl")] {
                                @for t in ttl_choices(state) {
                                    option value=(t.to_string()) selected[t == Ttl::new(1, TtlUnit::Days)] { (t.to_string()) }
                                }
                            }
                            @if let Some(e) = &errors.extend { p.field-error id="error-ttl" { (e) } }
                            p.hint { "The new expiry is counted from now, within the platform's TTL policy ("
                                (state.platform.settings.ttl_policy.min.to_string()) " to " (state.platform.settings.ttl_policy.max.to_string()) ")." }
                        }
                        button type="submit" { "Extend" }
                    }
                }
                div.danger-zone {
                    form method="post" action={ (base) "/destroy" } novalidate {
                        input type="hidden" name="csrf" value=(who.csrf());
                        div.field {
                            label for="confirm" { "Type " code { (name) } " to confirm" }
                            input type="text" id="confirm" name="confirm" value=(entered_confirm) autocomplete="off" spellcheck="false"
                                aria-invalid=[errors.destroy.as_ref().map(|_| "true")] aria-describedby=[errors.destroy.as_ref().map(|_| "error-confirm")];
                            @if let Some(e) = &errors.destroy { p.field-error id="error-confirm" { (e) } }
                        }
                        button.danger type="submit" { "Destroy" }
                    }
                }
            }
        }
    };
    page(
        &format!("Environment {name}"),
        Section::Environments,
        Some(who),
        main,
    )
}

fn event_text(event: &str) -> &str {
    match event {
        "provisioning" => "created",
        "updating" => "redeploy started",
        "active" => "active",
        "failed" => "failed",
        "destroying" => "destroy started",
        "destroyed" => "destroyed",
        "extended" => "extended",
        other => other,
    }
}

fn env_name(name: &str) -> Result<EnvName, Problem> {
    EnvName::parse(name).map_err(|e| {
        Problem::not_found(format!(
            "`{}` is not an environment name: {e}",
            name.escape_debug()
        ))
    })
}

/// The page of an environment whose record does not exist (yet): a create that is still
/// starting, followed by its operation, or a 404.
fn pending_page(who: &Signed, name: &str, operation: &str) -> Markup {
    let main = html! {
        p { a href="/environments" { "← Environments" } }
        h1 { "Environment " code { (name) } }
        p role="status" id="notice" { "Create started. This page follows it until the environment is active." }
        div id="live" data-environment=(name) data-operation=(operation) data-live="1" data-reload-when-found="1" {
            dl.facts { dt { "Status" } dd { span id="status" class="status status-creating" { "creating" } } }
            ul id="progress" aria-live="polite" {}
        }
    };
    page(
        &format!("Environment {name}"),
        Section::Environments,
        Some(who),
        main,
    )
}

async fn render_show(
    state: &Arc<AppState>,
    who: &Signed,
    name: &str,
    params: &ShowParams,
    errors: &FormErrors,
    entered_confirm: &str,
    status_code: StatusCode,
) -> Response {
    if let Err(p) = who.caller().may(Action::Read) {
        return problem_page(&p, Some(who));
    }
    let env = match env_name(name) {
        Ok(n) => n,
        Err(p) => return problem_page(&p, Some(who)),
    };
    let report = match status::status(&state.platform, &env).await {
        Ok(r) => r,
        Err(Error::NotFound { .. }) if params.operation.is_some() => {
            let op = params.operation.as_deref().unwrap_or_default();
            return respond(StatusCode::OK, pending_page(who, name, op));
        }
        Err(e) => return problem_page(&Problem::from(e), Some(who)),
    };
    let cost = cost::cost(
        &state.platform,
        CostRequest::Environment {
            name: env,
            config: state.options.config.clone(),
        },
    )
    .await
    .ok();
    respond(
        status_code,
        environment_page(
            state,
            who,
            &report,
            cost.as_ref(),
            params,
            errors,
            entered_confirm,
        ),
    )
}

/// `GET /environments/{name}`.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(name): Path<String>,
    Query(params): Query<ShowParams>,
) -> Response {
    render_show(
        &state,
        &who,
        &name,
        &params,
        &FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

/// Whether a problem is about the request's input (shown next to the field) rather than about
/// who asks or what exists (shown as an error page).
fn is_input_problem(p: &Problem) -> bool {
    matches!(p.status, 400 | 409 | 422) && p.kind != "csrf"
}

/// The environment's page again, `422`, with `errors` next to their field.
async fn with_errors(
    state: &Arc<AppState>,
    who: &Signed,
    name: &str,
    errors: FormErrors,
    entered_confirm: &str,
) -> Response {
    render_show(
        state,
        who,
        name,
        &ShowParams::default(),
        &errors,
        entered_confirm,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /environments/{name}/extend`: the API's extend, then back to the page.
pub(crate) async fn extend(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    let ttl = form.get("ttl").unwrap_or_default().to_owned();
    match routes::environments::extend(
        State(state.clone()),
        who.caller(),
        routes::Path(name.clone()),
        routes::Json(ExtendEnvironment { ttl }),
    )
    .await
    {
        Ok(_) => see_other(&format!("/environments/{}?done=extended", segment(&name))),
        Err(p) if is_input_problem(&p) => {
            let errors = FormErrors {
                extend: Some(p.detail.clone()),
                destroy: None,
            };
            with_errors(&state, &who, &name, errors, "").await
        }
        Err(p) => problem_page(&p, Some(&who)),
    }
}

/// The operation id of an accepted (202) API response: the last segment of its `Location`.
pub(crate) fn operation_of(res: &Response) -> Option<String> {
    res.headers()
        .get(axum::http::header::LOCATION)?
        .to_str()
        .ok()?
        .rsplit('/')
        .next()
        .filter(|id| id.bytes().all(|b| b.is_ascii_hexdigit()) && !id.is_empty())
        .map(str::to_owned)
}

/// `POST /environments/{name}/destroy`: the typed name must match; then the API's destroy, and
/// the page follows its operation.
pub(crate) async fn destroy(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    let confirm = form.get("confirm").unwrap_or_default().trim().to_owned();
    if confirm != name {
        let errors = FormErrors {
            extend: None,
            destroy: Some(format!(
                "type the environment's name, `{name}`, exactly to destroy it"
            )),
        };
        return with_errors(&state, &who, &name, errors, &confirm).await;
    }
    match routes::environments::destroy(
        State(state.clone()),
        who.caller(),
        routes::Path(name.clone()),
    )
    .await
    {
        Ok(res) => {
            let op = operation_of(&res).unwrap_or_default();
            see_other(&format!(
                "/environments/{}?done=destroying&operation={op}",
                segment(&name)
            ))
        }
        Err(p) if is_input_problem(&p) => {
            let errors = FormErrors {
                extend: None,
                destroy: Some(p.detail.clone()),
            };
            with_errors(&state, &who, &name, errors, &confirm).await
        }
        Err(p) => problem_page(&p, Some(&who)),
    }
}
