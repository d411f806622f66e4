//! The portal: server-rendered pages over the same handlers and use cases as the REST API.
//!
//! Nothing here decides anything: a page reads through the use cases the API reads through
//! (with the same `Action::Read` check), and every change (create, extend, destroy, resume,
//! cancel) calls the API's own handler, so roles, validation and background operations are the
//! API's. A page only converts the form into the handler's request and renders the result.
//!
//! ```text
//! session.rs       the session cookie, the signed-in extractor, CSRF
//! views.rs         page chrome and error pages (over idp-core's shared HTML templates)
//! login.rs         /login (API token), /login/github (OAuth), /logout
//! environments.rs  /environments, /environments/{name}, extend, destroy
//! catalog.rs       /catalog, the create form
//! runs.rs          /runs, /runs/{id}, resume, cancel
//! ```
//!
//! The script (`assets/portal.js`) only enhances: live status, live logs, relative times. Every
//! page and form works without it.

pub(crate) mod catalog;
pub(crate) mod environments;
pub(crate) mod login;
pub(crate) mod runs;
pub(crate) mod session;
pub(crate) mod views;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use idp_core::domain::render::html::STYLESHEET;

use crate::problem::Problem;
use crate::state::AppState;

const SCRIPT: &str = include_str!("../../assets/portal.js");

/// The portal's routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/environments") }))
        .route(views::STYLESHEET_PATH, get(stylesheet))
        .route(views::SCRIPT_PATH, get(script))
        .route("/login", get(login::form))
        .route("/login/token", post(login::with_token))
        .route("/login/github", get(login::github))
        .route("/login/github/callback", get(login::github_callback))
        .route("/logout", post(login::logout))
        .route("/environments", get(environments::list))
        .route("/environments/{name}", get(environments::show))
        .route("/environments/{name}/extend", post(environments::extend))
        .route("/environments/{name}/destroy", post(environments::destroy))
        .route("/catalog", get(catalog::list))
        .route("/catalog/{template}/new", get(catalog::new))
        .route("/catalog/{template}", post(catalog::create))
        .route("/runs", get(runs::list))
        .route("/runs/{run_id}", get(runs::show))
        .route("/runs/{run_id}/resume", post(runs::resume))
        .route("/runs/{run_id}/cancel", post(runs::cancel))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8")
}

async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

/// Whether a request that matched no route wants a page rather than a problem document: a
/// browser's navigation outside `/v1`.
pub(crate) fn wants_page(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/v1/") || path == "/v1" || path == "/init" {
        return false;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// A submitted form, as its fields (a field given twice keeps its last value). A body that is
/// not a form is a 400 page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(pub(crate) HashMap<String, String>);

impl Fields {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(Fields(pairs.into_iter().collect())),
            Err(e) => Err(views::problem_page(
                &Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    format!("the form could not be read: {}", e.body_text()),
                ),
                None,
            )),
        }
    }
}

/// 303 See Other to `to` (after a form).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A path segment as it may appear in a link (names and ids are already URL-safe; this keeps
/// anything else from breaking out of the path).
pub(crate) fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// What [`segment`] encodes: everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
