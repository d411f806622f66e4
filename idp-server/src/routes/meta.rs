//! `/healthz`, `/readyz`, `/metrics`, `/v1/openapi.json`: no credential needed.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use idp_core::environments::list::{self, ListRequest};

use crate::model::Health;
use crate::state::AppState;

fn backend_name(state: &AppState) -> String {
    state.options.backend_label.clone()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "the server answers", body = Health)))]
pub(crate) async fn healthz(State(state): State<Arc<AppState>>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        backend: backend_name(&state),
        detail: None,
    })
}

/// The backend answers: the state store can be listed.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "the backend answers", body = Health),
        (status = 503, description = "the backend does not answer, or the server is shutting down", body = Health),
    ))]
pub(crate) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let detail = if state.draining() {
        Some("the server is shutting down".to_owned())
    } else {
        match state
            .platform
            .backend
            .store
            .list("environments/", None)
            .await
        {
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        }
    };
    let status = if detail.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = Health {
        status: if detail.is_some() {
            "unavailable"
        } else {
            "ok"
        }
        .into(),
        backend: backend_name(&state),
        detail,
    };
    (status, axum::Json(body)).into_response()
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "the metrics", body = String, content_type = "text/plain")))]
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    if let Ok(report) = list::list(
        &state.platform,
        ListRequest {
            all: true,
            spend: false,
        },
    )
    .await
    {
        for status in idp_core::domain::lifecycle::Status::ALL {
            let n = report
                .environments
                .iter()
                .filter(|m| m.status == status)
                .count();
            counts.push((status.as_str(), n));
        }
        counts.push(("unreadable", report.unreadable.len()));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&counts),
    )
        .into_response()
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI document", body = Object)))]
pub(crate) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::openapi_json(),
    )
        .into_response()
}
