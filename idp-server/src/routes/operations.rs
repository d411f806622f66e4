//! `/v1/operations`: the long operations of this server.

use std::sync::Arc;

use axum::extract::State;
use idp_core::domain::access::Action;

use super::Path;
use crate::auth::Caller;
use crate::ops::Operation;
use crate::problem::{ApiResult, CommonErrors, ObjectErrors, Problem};
use crate::state::AppState;

/// The operations this server ran or runs, newest first (the last 1,000 finished ones).
#[utoipa::path(get, path = "/v1/operations", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "the operations", body = Vec<Operation>), CommonErrors))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Operation>>> {
    caller.may(Action::Read)?;
    Ok(axum::Json(state.ops.list()))
}

/// One operation: running, or its final report (`result`) or problem (`error`).
#[utoipa::path(get, path = "/v1/operations/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "the operation")),
    responses((status = 200, description = "the operation", body = Operation), ObjectErrors, CommonErrors))]
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Operation>> {
    caller.may(Action::Read)?;
    state
        .ops
        .get(&id)
        .map(axum::Json)
        .ok_or_else(|| Problem::not_found(format!("operation `{}` does not exist", id.escape_debug()))
            .hint("operations are kept in the server's memory: a restarted server has none of the ones before"))
}
