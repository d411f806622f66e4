//! `GET /v1/templates`: the template catalog.

use std::sync::Arc;

use axum::extract::State;
use idp_core::domain::access::Action;
use idp_core::repo::templates;

use crate::auth::Caller;
use crate::model::TemplateCatalog;
use crate::problem::{ApiResult, CommonErrors};
use crate::state::AppState;

/// The templates environments can be created from, with their inputs, outputs and list price
/// per hour (from each template's `template.json`).
#[utoipa::path(get, path = "/v1/templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, description = "the catalog", body = TemplateCatalog), CommonErrors))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<TemplateCatalog>> {
    caller.may(Action::Read)?;
    let report = templates::discover(
        &state.options.templates_dir,
        &state.options.team_templates_dirs,
    )?;
    Ok(axum::Json(TemplateCatalog::from(&report)))
}
