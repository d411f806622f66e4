//! The portal's page chrome (header, navigation, who is signed in) and its error pages, over the
//! shared templates of `idp_core::domain::render::html`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idp_core::domain::render::html::{self, Assets};
use maud::{Markup, html};

use super::session::Signed;
use crate::problem::Problem;

/// Where the portal serves its stylesheet and script.
pub(crate) const STYLESHEET_PATH: &str = "/static/portal.css";
pub(crate) const SCRIPT_PATH: &str = "/static/portal.js";

/// The section of the site a page belongs to (marked in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Environments,
    Catalog,
    Runs,
    None,
}

fn header(section: Section, who: Option<&Signed>) -> Markup {
    let link = |href: &str, text: &str, this: Section| {
        html! {
            li { a href=(href) aria-current=[(section == this).then_some("page")] { (text) } }
        }
    };
    html! {
        header.top {
            a.brand href="/environments" { "idp" }
            nav aria-label="Main" {
                ul {
                    (link("/environments", "Environments", Section::Environments))
                    (link("/catalog", "Catalog", Section::Catalog))
                    (link("/runs", "Runs", Section::Runs))
                }
            }
            @if let Some(who) = who {
                div.who {
                    span { (who.session.principal.owner) " · " (who.session.principal.role.as_str()) }
                    form.inline method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(who.csrf());
                        button.secondary type="submit" { "Sign out" }
                    }
                }
            }
        }
    }
}

/// A whole portal page.
pub(crate) fn page(title: &str, section: Section, who: Option<&Signed>, main: Markup) -> Markup {
    html::document(
        title,
        Assets::Linked {
            stylesheet: STYLESHEET_PATH,
            script: SCRIPT_PATH,
        },
        header(section, who),
        main,
    )
}

/// A page as a response of `status`, never cached (pages show live state and CSRF tokens).
pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut res = (status, markup.into_string()).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// The error page of a problem: its status, what went wrong, how to fix it, and where to go.
pub(crate) fn problem_page(p: &Problem, who: Option<&Signed>) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let heading = match status {
        StatusCode::FORBIDDEN => "Forbidden".to_owned(),
        StatusCode::NOT_FOUND => "Not found".to_owned(),
        _ => p.title.clone(),
    };
    let detail = if p.kind == "csrf" {
        format!("CSRF check failed: {}", p.detail)
    } else {
        p.detail.clone()
    };
    let main = html! {
        h1 { (heading) }
        p role="alert" { (detail) }
        @if !p.errors.is_empty() {
            ul { @for e in &p.errors { li { code { (e) } } } }
        }
        @if let Some(role) = &p.needed_role {
            p { "This needs role " strong { (role) } "; ask an admin for a token with it." }
        }
        @for hint in &p.hints { p.hint { (hint) } }
        p { a href="/environments" { "Back to the environments" } }
    };
    respond(status, page(&heading, Section::None, who, main))
}

/// The 404 page of a path that is not part of the portal.
pub(crate) fn not_found_page(path: &str, who: Option<&Signed>) -> Response {
    let main = html! {
        h1 { "Not found" }
        p { "There is no page at " code { (path) } "." }
        p { "You may be looking for:" }
        ul {
            li { a href="/environments" { "Environments" } " — every preview environment, its status and URL" }
            li { a href="/catalog" { "Catalog" } " — the templates, and a form to create an environment" }
            li { a href="/runs" { "Runs" } " — infrastructure runs and their orders" }
            li { a href="/v1/openapi.json" { "The REST API's description" } " (OpenAPI 3.1)" }
        }
        p.hint { "An environment that was destroyed keeps its page at /environments/NAME until its record is removed." }
    };
    respond(
        StatusCode::NOT_FOUND,
        page("Not found", Section::None, who, main),
    )
}
