//! RFC 9457 problem documents: every error the API answers, with the stable `kind` code the
//! CLI's JSON errors carry (`idp_core::error::ErrorKind`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idp_core::error::{Error, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// An error, as `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the problem type (`https://idp.dev/problems/<kind>`).
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// A short summary of the problem type.
    pub(crate) title: String,
    /// The HTTP status.
    pub(crate) status: u16,
    /// What went wrong, in one line.
    pub(crate) detail: String,
    /// The stable error code (the CLI's `error.kind`).
    pub(crate) kind: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) hints: Vec<String>,
    /// Every problem of the request, when there are several (config or job validation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) errors: Vec<String>,
    /// The role the request needs (403 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) needed_role: Option<String>,
    /// The operation already acting on the subject (409 of a second create or destroy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) operation: Option<String>,
    /// Seconds to wait before retrying (429, 503).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `status` with code `kind`.
    pub(crate) fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: format!("https://idp.dev/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            kind: kind.to_owned(),
            hints: Vec::new(),
            errors: Vec::new(),
            needed_role: None,
            operation: None,
            retry_after: None,
        }
    }

    /// 400 with kind `invalid_input`.
    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", detail)
    }

    /// 401.
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail).hint(
            "send `Authorization: Bearer <token>`; create a token with `idp serve token create`",
        )
    }

    /// 404 of a route or object.
    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorKind::NotFound.as_str(), detail)
    }

    /// 503 while the server shuts down.
    pub(crate) fn draining() -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down and takes no new work",
        );
        p.retry_after = Some(5);
        p
    }

    /// Add a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The HTTP status of an error kind.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidConfig
        | ErrorKind::InvalidName
        | ErrorKind::InvalidTtl
        | ErrorKind::InvalidEvent
        | ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict | ErrorKind::LockHeld | ErrorKind::BranchCollision => {
            StatusCode::CONFLICT
        }
        ErrorKind::BackendUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Backend => StatusCode::BAD_GATEWAY,
        ErrorKind::Io | ErrorKind::UnreadableRecord => StatusCode::INTERNAL_SERVER_ERROR,
        // The request is understood but refused by the platform's budget policy.
        ErrorKind::BudgetExceeded => StatusCode::FORBIDDEN,
        // An admin's approval is missing: the same request succeeds once it is given.
        ErrorKind::ApprovalRequired => StatusCode::FORBIDDEN,
        // The config references a secret the platform does not let the repository read.
        ErrorKind::SecretNotAllowed => StatusCode::FORBIDDEN,
    }
}

impl From<&Error> for Problem {
    fn from(err: &Error) -> Self {
        let kind = err.kind();
        let mut p = Problem::new(status_of(kind), kind.as_str(), err.to_string());
        p.hints = err.hints();
        if let Error::Config(errors) = err {
            p.errors = errors.iter().map(|e| e.to_string()).collect();
        }
        if kind == ErrorKind::BackendUnavailable {
            p.retry_after = Some(5);
        }
        p
    }
}

impl From<Error> for Problem {
    fn from(err: Error) -> Self {
        Problem::from(&err)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let retry = self.retry_after;
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// The result of a handler.
pub(crate) type ApiResult<T> = Result<T, Problem>;

/// The errors every authenticated route may answer (documented once for the OpenAPI document).
#[derive(utoipa::IntoResponses)]
#[allow(
    dead_code,
    reason = "a description of responses for the OpenAPI document"
)]
pub(crate) enum CommonErrors {
    /// The request is invalid (bad name, TTL, config, body or parameter).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No credential, or one that is not accepted.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role does not allow it (`needed_role` says which does).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The request body is larger than the server accepts (`idp serve --max-body-kib`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Too many requests from this credential (see `Retry-After`).
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
    /// idp could not read or write a local file, or a record.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
    /// A backend (AWS, GitHub, the local runtime) failed.
    #[response(status = 502, content_type = "application/problem+json")]
    BadGateway(Problem),
    /// A backend is unavailable for now, or the server is shutting down (see `Retry-After`).
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// [`CommonErrors`] but 400, for a route whose 400 has a body of its own (`/init`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only describes responses in the OpenAPI document")]
pub(crate) enum ServiceErrors {
    /// No credential, or one that is not accepted.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role does not allow it (`needed_role` says which does).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The request body is larger than the server accepts (`idp serve --max-body-kib`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Too many requests from this credential (see `Retry-After`).
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
    /// idp could not read or write a local file, or a record.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
    /// A backend is unavailable for now, or the server is shutting down (see `Retry-After`).
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// 404 and 409, for routes on one object.
#[derive(utoipa::IntoResponses)]
#[allow(
    dead_code,
    reason = "a description of responses for the OpenAPI document"
)]
pub(crate) enum ObjectErrors {
    /// It does not exist.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A concurrent change or operation won, or the object's state does not allow it.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
}
