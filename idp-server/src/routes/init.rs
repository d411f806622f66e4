//! `POST /init`: the job runner's intake, for its existing clients.
//!
//! The envelope (`job_parameters_b64`, `credentials_token`, `trace_id`, `run_id`,
//! `done_endpt`) and its job are mapped onto an idp job by `idp_core::domain::orders::envelope`,
//! which reports every problem at once. The answer has the runner's shape:
//! `{"status":"ok","run_id","trace_id","flow_id","done_endpt"}`, or `400`
//! `{"status":"error","errors":[…],"run_id","trace_id"}`. The run is then driven like one
//! submitted to `/v1/runs`; `done_endpt` defaults to the run's URL, `/v1/runs/{run_id}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idp_core::domain::access::{self, Action};
use idp_core::domain::orders::Target;
use idp_core::domain::orders::envelope::{self, Defaults};
use idp_core::runs::{self, PrTarget, RunId};
use idp_core::secret::Secret;

use crate::auth::Caller;
use crate::model::{InitAccepted, InitEnvelope, InitRejected};
use crate::problem::{ApiResult, Problem, ServiceErrors};
use crate::state::AppState;

fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

fn rejected(errors: Vec<String>, run_id: String, trace_id: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(InitRejected {
            status: "error".into(),
            errors,
            run_id,
            trace_id,
        }),
    )
        .into_response()
}

/// Start a run from the job runner's envelope.
#[utoipa::path(post, path = "/init", tag = "runs", security(("bearer" = [])),
    request_body = InitEnvelope,
    responses(
        (status = 200, description = "the run started", body = InitAccepted),
        (status = 400, description = "the envelope or its job is invalid: every problem", body = InitRejected),
        ServiceErrors))]
pub(crate) async fn init(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Response> {
    caller.may(Action::SubmitRun)?;
    if state.draining() {
        return Err(Problem::draining());
    }
    let run_id = RunId::parse(&uuid::Uuid::new_v4().simple().to_string())
        .map_err(|e| Problem::from(idp_core::error::Error::from(e)))?;
    let defaults = Defaults {
        run_id,
        trace_id: new_trace_id(),
        default_target: Target::Local,
    };
    let mut env = match envelope::parse(&body, &defaults) {
        Ok(env) => env,
        Err(r) => return Ok(rejected(r.errors, r.run_id, r.trace_id)),
    };
    // A run id given twice is refused here, before answering `ok` for a run that cannot start.
    if runs::job_of(&state.platform, &env.run_id).await.is_ok() {
        return Ok(rejected(
            vec![format!(
                "run_id: run `{}` already exists: omit `run_id` for a new one, or resume it at /v1/runs/{}/resume",
                env.run_id, env.run_id
            )],
            env.run_id.to_string(),
            env.trace_id,
        ));
    }
    let mut secrets: BTreeMap<String, Secret<String>> = BTreeMap::new();
    if let Some(token) = env.credentials_token.take() {
        let claims = match state
            .auth
            .jwt(token.expose(), state.platform.backend.clock.now())
        {
            Ok(c) => c,
            Err(p) => {
                return Ok(rejected(
                    vec![format!("credentials_token: {}", p.detail)],
                    env.run_id.to_string(),
                    env.trace_id,
                ));
            }
        };
        let creds = access::aws_credentials(&claims);
        let names: Vec<String> = creds.keys().cloned().collect();
        env.add_secrets(&names);
        secrets.extend(creds.into_iter().map(|(k, v)| (k, Secret::new(v))));
    }
    let comment = env.pr.as_ref().map(|pr| PrTarget {
        repo: pr.repo.clone(),
        pr: pr.number,
    });
    let options = super::runs::options(&state, &env.job, 4, secrets, comment);
    let done_endpt = env
        .done_endpt
        .clone()
        .unwrap_or_else(|| format!("/v1/runs/{}", env.run_id));
    let answer = InitAccepted {
        status: "ok".into(),
        run_id: env.run_id.to_string(),
        trace_id: env.trace_id.clone(),
        flow_id: env.flow_id.clone(),
        done_endpt,
    };
    // Answer `ok` only for a run that exists: a client polls it right after.
    let rid = env.run_id.clone();
    if let Err(problem) =
        super::runs::start(&state, env.job, rid.clone(), options, &caller.0.token_id).await
    {
        return Ok(rejected(
            vec![problem.detail],
            rid.to_string(),
            answer.trace_id,
        ));
    }
    Ok((StatusCode::OK, axum::Json(answer)).into_response())
}
