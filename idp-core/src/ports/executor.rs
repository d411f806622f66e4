//! The `Executor` port: runs the commands of one order somewhere and says how they ended.
//!
//! The orchestrator (`runs`) decides what runs when; an executor only runs one order's
//! commands, enforces the order's timeout and returns its outcome and a size-capped tail of its
//! output with secret values masked. Dropping the future returned by [`Executor::execute`] must
//! stop the work (the local executor kills the order's process group), so a job timeout or a
//! cancelled orchestrator never leaves commands running.
//!
//! Targets and how each maps onto AWS (only `local` is implemented):
//!
//! | target | runs as | timeout | handle | reap |
//! |---|---|---|---|---|
//! | `local` | `/bin/sh -c CMD` per command, each in its own process group, on this machine | killed (SIGKILL to the group) at the deadline | `pgid:start_time` | SIGKILL to the group if it is still the same process |
//! | `codebuild` | `StartBuild` of a project whose buildspec runs the commands; env and secrets as `environmentVariablesOverride` (secrets as `SECRETS_MANAGER`/`PARAMETER_STORE` types, never plaintext) | `timeoutInMinutesOverride` (5–2,160 min) | build id | `StopBuild` |
//! | `lambda` | synchronous `Invoke` of a runner function with the commands in the payload | the function's timeout (≤ 900 s) | request id | none needed: Lambda ends it at its timeout |
//! | `ecs` | `RunTask` with a command override (`sh -c`), env in `containerOverrides` | `StopTask` at the deadline | task ARN | `StopTask` |
//!
//! Every AWS target reports the end by the orchestrator polling the service (`BatchGetBuilds`,
//! `DescribeTasks`) and writing the order's `result.json` itself, so no callback can be lost.
//! ECS `RunTask` is not implemented: moto, which the test suite runs against, answers HTTP 500
//! to `RunTask` with the FARGATE launch type, so it could not be tested here.
//!
//! The local executor runs the job file author's own commands with their own permissions, like
//! `make` runs a Makefile: only run job files you trust.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::BoxError;
use crate::domain::orders::{OrderOutcome, RunId, Target};
use crate::secret::Secret;

/// What to run: one order's commands with everything they need.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The run the order belongs to.
    pub run_id: RunId,
    /// The order's name.
    pub order: String,
    /// The commands, run in sequence; the first that fails ends the order.
    pub cmds: Vec<String>,
    /// Environment variables added to the executor's own environment.
    pub env: BTreeMap<String, String>,
    /// Secret environment variables; their values are masked in the returned output.
    pub secrets: BTreeMap<String, Secret<String>>,
    /// The directory the commands run in.
    pub working_dir: PathBuf,
    /// How long all the commands together may take.
    pub timeout: Duration,
    /// The most output bytes kept (the end is kept).
    pub output_cap: usize,
}

impl ExecRequest {
    /// The secret values, for masking.
    pub fn secret_values(&self) -> Vec<&str> {
        self.secrets.values().map(|s| s.expose().as_str()).collect()
    }
}

/// How an order's execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// Succeeded, failed or timed out.
    pub outcome: OrderOutcome,
    /// The exit code of the last command that ran (`None` when it was killed or never started).
    pub exit_code: Option<i32>,
    /// The end of the combined stdout and stderr (each command preceded by `+ CMD`), at most
    /// `output_cap` bytes, secret values masked.
    pub output: String,
}

/// Where an execution runs, recorded while it runs so a resumed orchestrator can stop what a
/// crashed one left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecHandle {
    /// The target that runs it.
    pub target: Target,
    /// The target's id of the execution (local: `pgid:start_time`).
    pub id: String,
}

/// What went wrong in an executor call (a command that fails is an [`OrderOutcome::Failed`] result,
/// not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The executor's service could not be reached or refused for now.
    #[error("executor `{target}` is unavailable; retry later")]
    Unavailable {
        target: Target,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// Any other failure of the executor itself.
    #[error("executor `{target}` failed")]
    Backend {
        target: Target,
        /// The cause.
        #[source]
        source: BoxError,
    },
}

/// Runs orders on one target.
#[async_trait]
pub trait Executor: Debug + Send + Sync + 'static {
    /// The target this executor serves.
    fn target(&self) -> Target;

    /// Runs the order's commands until they end or `request.timeout` passes (then the work is
    /// stopped and the outcome is [`OrderOutcome::TimedOut`]). Calls `started` with the handle of
    /// the work each time it changes. Dropping the returned future MUST stop the work.
    async fn execute(
        &self,
        request: &ExecRequest,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Result<ExecResult, ExecError>;

    /// Stops whatever is left of an execution recorded by a previous orchestrator; returns
    /// whether something was still running. Stopping something already gone succeeds.
    async fn reap(&self, handle: &ExecHandle) -> Result<bool, ExecError>;
}
