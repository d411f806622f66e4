//! `exec`: run a command beside an environment's running app (`idp exec NAME -- CMD…`), the
//! operations CLI of the specification.
//!
//! The command is an argv, never a shell line. On the local backend it runs in the app's working
//! directory with the app's `PORT`, `IDP_ENVIRONMENT` and `IDP_ENDPOINT`; on AWS in a running task
//! of the environment's ECS service through ExecuteCommand, attached with the Session Manager
//! plugin (see [`crate::ports::Deployer::exec`]).

use serde::Serialize;

use crate::domain::lifecycle::Status;
use crate::domain::naming::EnvName;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::{ExecOutcome, ExecTarget};
use crate::support::state;

/// What to run where.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The environment.
    pub name: EnvName,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// The container (`None`: the task's first).
    pub container: Option<String>,
}

/// How it went.
#[derive(Debug, Clone, Serialize)]
pub struct ExecReport {
    /// The environment.
    pub name: String,
    /// The command's outcome.
    #[serde(flatten)]
    pub outcome: ExecOutcome,
}

/// Run the command; the environment must be `active` or `updating`.
pub async fn exec(platform: &Platform, req: ExecRequest) -> Result<ExecReport> {
    if req.command.is_empty() {
        return Err(Error::Refused {
            reason: "no_command".into(),
            message: format!(
                "no command to run: pass it after `--`, e.g. `idp exec {} -- sh`",
                req.name
            ),
        });
    }
    let store = &*platform.backend.store;
    let current = state::load_existing(store, &req.name).await?;
    if !matches!(current.meta.status, Status::Active | Status::Updating) {
        return Err(Error::InvalidState {
            name: req.name.to_string(),
            status: current.meta.status,
            action: "run a command in",
        });
    }
    let outputs = state::get_json(store, &state::keys(&current.meta)?.outputs)
        .await?
        .unwrap_or_default();
    let output = |key: &str| {
        let value = outputs.get(key)?;
        // `tofu output -json` nests the value; idp's own outputs are flat.
        value
            .get("value")
            .unwrap_or(value)
            .as_str()
            .map(str::to_owned)
    };
    let target = ExecTarget {
        env: req.name.clone(),
        cluster: output("cluster_name"),
        service: output("service_name"),
        container: req.container,
    };
    let outcome = platform
        .backend
        .deployer
        .exec(&target, &req.command)
        .await?;
    Ok(ExecReport {
        name: req.name.to_string(),
        outcome,
    })
}
