//! `/runs`: every infrastructure run; `/runs/{id}`: its orders as a dependency graph (one wave
//! per depth), each with its state and log, and Resume / Cancel.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use idp_core::domain::access::{self, Action};
use idp_core::domain::orders::Job;
use idp_core::runs::{self, RunId};
use maud::{Markup, html};

use super::session::Signed;
use super::views::{Section, page, problem_page, respond};
use super::{Fields, see_other, segment};
use crate::model::Run;
use crate::problem::Problem;
use crate::routes;
use crate::state::AppState;

/// The most of an order's log a page shows (its end).
const LOG_SHOWN: usize = 64 * 1024;

fn state_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".to_owned(),
    }
}

fn badge<T: serde::Serialize>(value: &T) -> Markup {
    idp_core::domain::render::html::status_badge(&state_text(value))
}

/// `GET /runs`.
pub(crate) async fn list(State(state): State<Arc<AppState>>, who: Signed) -> Response {
    let list = match routes::runs::list(State(state.clone()), who.caller()).await {
        Ok(l) => l.0,
        Err(p) => return problem_page(&p, Some(&who)),
    };
    let main = html! {
        h1 { "Runs" }
        @if !list.unreadable.is_empty() {
            div role="alert" {
                p { (list.unreadable.len()) " run(s) cannot be read:" }
                ul { @for u in &list.unreadable { li { code { (u.key) } ": " (u.reason) } } }
            }
        }
        @if list.runs.is_empty() {
            p.empty { "No infrastructure runs yet. Submit one with " code { "idp run FILE" } ", " code { "POST /v1/runs" } " or the job runner's " code { "/init" } "." }
        } @else {
            div.scroll {
                table id="runs" {
                    caption.visually-hidden { "Infrastructure runs" }
                    thead { tr { th scope="col" { "Run" } th scope="col" { "Status" } th scope="col" { "Orders" } th scope="col" { "Succeeded" } } }
                    tbody {
                        @for r in &list.runs {
                            tr data-run=(r.run_id) {
                                td { a href={ "/runs/" (segment(&r.run_id)) } { code { (r.run_id) } } }
                                td { (badge(&r.status)) }
                                td { (r.orders.len()) }
                                td { (r.orders.iter().filter(|o| state_text(&o.status) == "succeeded").count()) }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        page("Runs", Section::Runs, Some(&who), main),
    )
}

/// The depth of every order: 0 without dependencies, else one more than its deepest
/// dependency (the job was validated acyclic when it was submitted).
fn depths(job: &Job) -> BTreeMap<String, usize> {
    let mut depth: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..=job.orders.len() {
        let mut changed = false;
        for o in &job.orders {
            let d = o
                .depends_on
                .iter()
                .map(|dep| depth.get(dep).map_or(0, |d| d + 1))
                .max()
                .unwrap_or(0);
            if depth.get(&o.name) != Some(&d) {
                depth.insert(o.name.clone(), d);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

fn tail(text: &str) -> &str {
    if text.len() <= LOG_SHOWN {
        return text;
    }
    let mut start = text.len() - LOG_SHOWN;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// `GET /runs/{run_id}`.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(id): Path<String>,
) -> Response {
    render(&state, &who, &id, None).await
}

async fn render(state: &Arc<AppState>, who: &Signed, id: &str, notice: Option<&str>) -> Response {
    let run: Run = match routes::runs::get(
        State(state.clone()),
        who.caller(),
        routes::Path(id.to_owned()),
    )
    .await
    {
        Ok(r) => r.0,
        Err(p) => return problem_page(&p, Some(who)),
    };
    let rid = match RunId::parse(id) {
        Ok(r) => r,
        Err(e) => return problem_page(&Problem::invalid(e.to_string()), Some(who)),
    };
    let job = runs::job_of(&state.platform, &rid).await.ok();
    let depth = job.as_ref().map(depths).unwrap_or_default();
    let deps: BTreeMap<&str, &[String]> = job
        .as_ref()
        .map(|j| {
            j.orders
                .iter()
                .map(|o| (o.name.as_str(), o.depends_on.as_slice()))
                .collect()
        })
        .unwrap_or_default();
    let mut waves: BTreeMap<usize, Vec<&crate::model::RunOrder>> = BTreeMap::new();
    for o in &run.orders {
        waves
            .entry(depth.get(&o.name).copied().unwrap_or(0))
            .or_default()
            .push(o);
    }
    let mut logs = BTreeMap::new();
    for o in &run.orders {
        if let Ok(log) = runs::logs(&state.platform, &rid, &o.name).await {
            logs.insert(o.name.clone(), log);
        }
    }
    let may_manage = access::authorize(&who.session.principal, Action::ManageRun).is_ok();
    let running = state_text(&run.status) == "running";
    let base = format!("/runs/{}", segment(&run.run_id));
    let main = html! {
        p { a href="/runs" { "← Runs" } }
        h1 { "Run " code { (run.run_id) } }
        p role="status" id="notice" { @if let Some(n) = notice { (n) } }
        p { "Status: " span id="status" { (badge(&run.status)) } }
        @if running { div data-refresh="3" {} }
        h2 { "Orders" }
        p.hint { "One wave per depth of the dependency graph: an order starts once every order it depends on has succeeded (or may fail)." }
        ol.graph aria-label="Orders by wave" {
            @for (d, orders) in &waves {
                li {
                    strong { "Wave " (d + 1) }
                    ul.graph {
                        @for o in orders {
                            li data-order=(o.name) {
                                code { (o.name) } " " (badge(&o.status))
                                @if let Some(code) = o.exit_code { " exit " (code) }
                                @if let Some(ms) = o.duration_ms { " · " (format!("{:.1}", ms as f64 / 1000.0)) " s" }
                                @if let Some(ds) = deps.get(o.name.as_str()).filter(|d| !d.is_empty()) {
                                    div.deps { "after " @for (i, dep) in ds.iter().enumerate() { @if i > 0 { ", " } code { (dep) } } }
                                }
                                details {
                                    summary { "Log of " (o.name) }
                                    pre.logs tabindex="0" { @match logs.get(&o.name) { Some(l) if !l.is_empty() => (tail(l)), _ => (o.log_excerpt) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_manage {
            h2 { "Actions" }
            form.inline method="post" action={ (base) "/resume" } {
                input type="hidden" name="csrf" value=(who.csrf());
                button type="submit" { "Resume" }
            }
            " "
            form.inline method="post" action={ (base) "/cancel" } {
                input type="hidden" name="csrf" value=(who.csrf());
                button.danger type="submit" { "Cancel" }
            }
            p.hint { "Resume re-runs what did not succeed; Cancel stops the running orders and skips the pending ones." }
        }
    };
    respond(
        StatusCode::OK,
        page(
            &format!("Run {}", run.run_id),
            Section::Runs,
            Some(who),
            main,
        ),
    )
}

/// `POST /runs/{run_id}/resume`.
pub(crate) async fn resume(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(id): Path<String>,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    match routes::runs::resume(State(state.clone()), who.caller(), routes::Path(id.clone())).await {
        Ok(_) => see_other(&format!("/runs/{}", segment(&id))),
        Err(p) => problem_page(&p, Some(&who)),
    }
}

/// `POST /runs/{run_id}/cancel`.
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(id): Path<String>,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    match routes::runs::cancel(State(state.clone()), who.caller(), routes::Path(id.clone())).await {
        Ok(report) => {
            let outcome = state_text(&report.0.outcome);
            render(&state, &who, &id, Some(&format!("Cancel: {outcome}."))).await
        }
        Err(p) => problem_page(&p, Some(&who)),
    }
}
