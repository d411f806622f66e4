//! `POST /v1/webhooks/github`: GitHub's webhook deliveries.
//!
//! The signature (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body with the webhook secret) is
//! checked before anything else; a delivery without one, or with a wrong one, is refused with
//! 401 and nothing acts on it. A delivery is answered at once (`202`) and acted on in the
//! background through the same preview path as `idp-action`; its id is claimed in the state
//! store first, so a redelivery acts once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use idp_core::domain::access;
use idp_core::gitops::intake::{self, Intake};
use idp_core::gitops::preview::{self, PreviewRequest};

use crate::model::{Change, WebhookAck};
use crate::ops::{self, OpKind};
use crate::problem::{ApiResult, CommonErrors, Problem};
use crate::state::AppState;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn ack(status: StatusCode, outcome: &str, reason: Option<String>, op: Option<String>) -> Response {
    (
        status,
        axum::Json(WebhookAck {
            outcome: outcome.to_owned(),
            reason,
            operation: op,
        }),
    )
        .into_response()
}

/// Receive a GitHub webhook delivery (`push`, `delete`, `pull_request`; `ping` is answered;
/// other events are acknowledged and ignored).
#[utoipa::path(post, path = "/v1/webhooks/github", tag = "webhooks",
    params(
        ("X-GitHub-Event" = String, Header, description = "the event name"),
        ("X-GitHub-Delivery" = String, Header, description = "the delivery's id"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=` + HMAC-SHA256 of the body with the webhook secret"),
    ),
    request_body(content = Object, description = "the event payload, as GitHub sends it"),
    responses(
        (status = 200, description = "a ping, an ignored event or a redelivery: nothing acts", body = WebhookAck),
        (status = 202, description = "accepted; the operation acts on it", body = WebhookAck),
        CommonErrors))]
pub(crate) async fn github(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let event = header(&headers, "x-github-event")
        .unwrap_or_default()
        .to_owned();
    let Some(secret) = &state.options.webhook_secret else {
        state.metrics.delivery(&event, "unconfigured");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks_not_configured",
            "this server has no webhook secret, so it cannot check deliveries",
        )
        .hint(
            "start `idp serve` with `IDP_WEBHOOK_SECRET` set to the secret of the GitHub webhook",
        ));
    };
    if let Err(e) = access::verify_github_signature(
        secret.expose().as_bytes(),
        &body,
        header(&headers, "x-hub-signature-256"),
    ) {
        state.metrics.delivery(&event, "bad_signature");
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("the delivery's signature is not accepted: {e}"),
        )
        .hint("set the webhook's secret in GitHub to the server's `IDP_WEBHOOK_SECRET`"));
    }
    let Some(delivery) = header(&headers, "x-github-delivery") else {
        state.metrics.delivery(&event, "invalid");
        return Err(Problem::invalid(
            "the delivery has no `X-GitHub-Delivery` header",
        ));
    };
    if event.is_empty() {
        state.metrics.delivery(&event, "invalid");
        return Err(Problem::invalid(
            "the delivery has no `X-GitHub-Event` header",
        ));
    }
    if state.draining() {
        return Err(Problem::draining());
    }
    let intake = match intake::accept(&state.platform, &event, delivery, &body).await {
        Ok(i) => i,
        Err(e) => {
            state.metrics.delivery(&event, "invalid");
            return Err(Problem::from(e));
        }
    };
    match intake {
        Intake::Ping => {
            state.metrics.delivery(&event, "pong");
            Ok(ack(StatusCode::OK, "pong", None, None))
        }
        Intake::Ignored { reason } => {
            state.metrics.delivery(&event, "ignored");
            Ok(ack(StatusCode::OK, "ignored", Some(reason), None))
        }
        Intake::Duplicate { first_received_at } => {
            state.metrics.delivery(&event, "duplicate");
            let reason = match first_received_at {
                Some(at) => format!("delivery `{delivery}` was received at {at}; it acts once"),
                None => format!("delivery `{delivery}` was received before; it acts once"),
            };
            Ok(ack(StatusCode::OK, "duplicate", Some(reason), None))
        }
        Intake::Act { trigger } => {
            state.metrics.delivery(&event, "accepted");
            let platform = state.platform.clone();
            let req = PreviewRequest {
                owner: trigger.actor().map(str::to_owned),
                trigger,
                config: state.options.config.clone(),
                image: None,
            };
            let op = ops::spawn(
                &state,
                OpKind::Webhook,
                format!("delivery:{delivery}"),
                "github",
                move |progress| async move {
                    progress.note(format!("delivery of `{event}`: the preview path"));
                    let report = preview::preview(&platform, req).await?;
                    progress.note(report.outcome.code());
                    Ok(serde_json::to_value(Change::from(&report)).unwrap_or_default())
                },
            )?;
            let mut res = ack(StatusCode::ACCEPTED, "accepted", None, Some(op.id.clone()));
            if let Ok(v) = axum::http::HeaderValue::from_str(&format!("/v1/operations/{}", op.id)) {
                res.headers_mut().insert(axum::http::header::LOCATION, v);
            }
            Ok(res)
        }
    }
}
