//! The routes, their layers, and extractors whose rejections are problem documents.

pub(crate) mod environments;
pub(crate) mod init;
pub(crate) mod meta;
pub(crate) mod operations;
pub(crate) mod runs;
pub(crate) mod templates;
pub(crate) mod webhooks;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::ServeError;
use crate::problem::Problem;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route, with request ids, tracing, metrics, the body limit and (if configured) CORS.
pub(crate) fn router(state: Arc<AppState>) -> Result<Router, ServeError> {
    let api = Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/v1/openapi.json", get(meta::openapi))
        .route("/v1/templates", get(templates::list))
        .route(
            "/v1/environments",
            get(environments::list).post(environments::create),
        )
        .route(
            "/v1/environments/{name}",
            get(environments::get).delete(environments::destroy),
        )
        .route("/v1/environments/{name}/extend", post(environments::extend))
        .route("/v1/environments/{name}/status", get(environments::status))
        .route("/v1/environments/{name}/logs", get(environments::logs))
        .route("/v1/environments/{name}/cost", get(environments::cost))
        .route("/v1/environments/{name}/unlock", post(environments::unlock))
        .route(
            "/v1/environments/{name}/approval",
            post(environments::approve),
        )
        .route("/v1/runs", get(runs::list).post(runs::submit))
        .route("/v1/runs/{run_id}", get(runs::get))
        .route("/v1/runs/{run_id}/events", get(runs::events))
        .route(
            "/v1/runs/{run_id}/orders/{order}/logs",
            get(runs::order_logs),
        )
        .route("/v1/runs/{run_id}/resume", post(runs::resume))
        .route("/v1/runs/{run_id}/cancel", post(runs::cancel))
        .route("/v1/operations", get(operations::list))
        .route("/v1/operations/{id}", get(operations::get))
        .route("/v1/webhooks/github", post(webhooks::github))
        .route("/init", post(init::init))
        .merge(crate::portal::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.options.body_limit,
        ));
    let mut app = api
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    if !state.options.cors_origins.is_empty() {
        let origins = state
            .options
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| ServeError::Cors(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ]),
        );
    }
    Ok(app.with_state(state))
}

/// Counts and times every request by its route template (never its concrete path).
async fn observe(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    #[allow(
        clippy::disallowed_methods,
        reason = "a request's latency is this process's monotonic time, not domain time"
    )]
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    state
        .metrics
        .request(&method, &route, res.status().as_u16(), started.elapsed());
    res
}

/// A path no route has: the portal's 404 page for a browser outside `/v1`, else a problem.
async fn fallback(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: Request,
) -> Response {
    if crate::portal::wants_page(&req) {
        let path = req.uri().path().to_owned();
        let who = match crate::portal::session::session_of(&state, req.headers()).await {
            Some(Ok((session, cookie))) => Some(crate::portal::session::Signed { session, cookie }),
            _ => None,
        };
        return crate::portal::views::not_found_page(&path, who.as_ref());
    }
    Problem::not_found("no such route")
        .hint("the routes are listed at /v1/openapi.json")
        .into_response()
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
    .hint("the routes and their methods are listed at /v1/openapi.json")
}

/// `axum::Json`, rejecting with a problem document.
pub(crate) struct Json<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(rejected(e.status(), e.body_text())),
        }
    }
}

/// `axum::extract::Query`, rejecting with a problem document.
pub(crate) struct Query<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(rejected(StatusCode::BAD_REQUEST, e.body_text())),
        }
    }
}

/// `axum::extract::Path`, rejecting with a problem document.
pub(crate) struct Path<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(rejected(StatusCode::BAD_REQUEST, e.body_text())),
        }
    }
}

fn rejected(status: StatusCode, text: String) -> Problem {
    let status = match status {
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "invalid_input"
    };
    Problem::new(status, kind, text)
}

/// `202 Accepted` with `Location: /v1/operations/{id}` and the operation.
pub(crate) fn accepted(op: &crate::ops::Operation) -> Response {
    let mut res = (StatusCode::ACCEPTED, axum::Json(op)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/operations/{}", op.id)) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    res
}
