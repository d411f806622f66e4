//! The in-memory [`Executor`]: orders run against a script instead of a shell, deterministic and
//! without processes.
//!
//! Each command's behaviour is configured ([`MemoryExecutor::script`]): what it prints, its exit
//! code and how long it takes (on tokio's clock, so a test with paused time runs an hour-long
//! order at once). It keeps the contract of the local executor: commands run in order and the
//! first that exits non-zero ends the order; each is echoed as `+ CMD`; the output is a tail of
//! at most `output_cap` bytes with secret values masked; the order's timeout ends it as timed
//! out; dropping the execution stops it; [`Executor::reap`] stops an execution still running
//! and is harmless on one that ended. A command's output may name the order's variables as
//! `$NAME` or `${NAME}` (its `env`, its secrets, `IDP_RUN_ID`, `IDP_ORDER`), which are
//! replaced by their values as a shell would, so masking is exercised as with real commands.
//!
//! ```
//! # tokio_test_block_on(async {
//! use std::time::Duration;
//! use idp_core::adapters::memory::{MemoryExecutor, Script};
//! use idp_core::domain::orders::{OrderOutcome, RunId};
//! use idp_core::ports::executor::{ExecRequest, Executor};
//!
//! let executor = MemoryExecutor::new();
//! executor.script("tofu plan", Script::exits(2).printing("Error: no credentials"));
//! let request = ExecRequest {
//!     run_id: RunId::parse("r-1").unwrap(),
//!     order: "plan".into(),
//!     cmds: vec!["tofu init".into(), "tofu plan".into(), "tofu apply".into()],
//!     env: Default::default(),
//!     secrets: Default::default(),
//!     working_dir: ".".into(),
//!     timeout: Duration::from_secs(60),
//!     output_cap: 4096,
//! };
//! let result = executor.execute(&request, &|_| {}).await.unwrap();
//! assert_eq!(result.outcome, OrderOutcome::Failed);
//! assert_eq!(result.exit_code, Some(2));
//! assert!(!result.output.contains("tofu apply"));
//! assert_eq!(executor.executed(), ["tofu init", "tofu plan"]);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_time().build().map(|rt| rt.block_on(f)).unwrap()
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;

use super::lock;
use crate::adapters::model::commands::{Ended, RunOne, run_in_order};
use crate::domain::orders::Target;
use crate::domain::redact::Tail;
use crate::ports::executor::{ExecError, ExecHandle, ExecRequest, ExecResult, Executor};

/// How one scripted command behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub exit_code: i32,
    /// What it prints (stdout and stderr together), `$NAME` replaced by the order's variables.
    pub output: String,
    /// How long it runs before it exits.
    pub duration: Duration,
}

impl Script {
    /// Exits 0 at once, printing nothing.
    pub fn succeeds() -> Self {
        Self::exits(0)
    }

    /// Exits with `code` at once, printing nothing.
    pub fn exits(code: i32) -> Self {
        Self {
            exit_code: code,
            output: String::new(),
            duration: Duration::ZERO,
        }
    }

    /// This script printing `output` (a newline is added when it has none).
    #[must_use]
    pub fn printing(mut self, output: &str) -> Self {
        self.output = output.to_owned();
        if !self.output.is_empty() && !self.output.ends_with('\n') {
            self.output.push('\n');
        }
        self
    }

    /// This script running for `duration` before it exits.
    #[must_use]
    pub fn taking(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }
}

impl Default for Script {
    fn default() -> Self {
        Self::succeeds()
    }
}

#[derive(Debug, Default)]
struct State {
    scripts: HashMap<String, Script>,
    default: Script,
    executed: Vec<String>,
    /// Running commands by handle id; sending `true` stops one.
    running: BTreeMap<String, watch::Sender<bool>>,
    next: u64,
}

/// An [`Executor`] that runs scripted commands in process memory.
#[derive(Debug, Clone)]
pub struct MemoryExecutor {
    target: Target,
    state: Arc<Mutex<State>>,
}

impl Default for MemoryExecutor {
    fn default() -> Self {
        Self::new()
    }
}

/// Removes a running command from the table when its execution ends or is dropped.
struct Registered {
    state: Arc<Mutex<State>>,
    id: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.state).running.remove(&self.id);
    }
}

impl MemoryExecutor {
    /// An executor for the `local` target (so it can stand in for the local executor) where
    /// every command succeeds at once, printing nothing, until scripted otherwise.
    pub fn new() -> Self {
        Self::for_target(Target::Local)
    }

    /// An executor serving `target`.
    pub fn for_target(target: Target) -> Self {
        Self {
            target,
            state: Arc::default(),
        }
    }

    /// Makes the command `cmd` (matched exactly) behave as `script` from now on.
    pub fn script(&self, cmd: &str, script: Script) {
        lock(&self.state).scripts.insert(cmd.to_owned(), script);
    }

    /// How commands without a script of their own behave.
    pub fn script_default(&self, script: Script) {
        lock(&self.state).default = script;
    }

    /// Every command started so far, oldest first.
    pub fn executed(&self) -> Vec<String> {
        lock(&self.state).executed.clone()
    }

    /// Whether the command behind `handle` still runs.
    pub fn is_running(&self, handle: &ExecHandle) -> bool {
        handle.target == self.target && lock(&self.state).running.contains_key(&handle.id)
    }

    /// Starts `cmd`: records it, registers it as running and returns its script.
    fn begin(&self, cmd: &str) -> (Script, Registered, watch::Receiver<bool>) {
        let mut state = lock(&self.state);
        state.executed.push(cmd.to_owned());
        state.next += 1;
        let id = format!("memory-{}", state.next);
        let (stop, stopped) = watch::channel(false);
        state.running.insert(id.clone(), stop);
        let script = state
            .scripts
            .get(cmd)
            .cloned()
            .unwrap_or_else(|| state.default.clone());
        let registered = Registered {
            state: self.state.clone(),
            id,
        };
        (script, registered, stopped)
    }
}

/// `text` with `$NAME` and `${NAME}` replaced by the order's variables, longest names first.
fn expand(text: &str, request: &ExecRequest) -> String {
    let mut vars: Vec<(String, String)> = request
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            request
                .secrets
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().clone())),
        )
        .collect();
    vars.push(("IDP_RUN_ID".to_owned(), request.run_id.to_string()));
    vars.push(("IDP_ORDER".to_owned(), request.order.clone()));
    vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut text = text.to_owned();
    for (name, value) in &vars {
        text = text
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    text
}

#[async_trait]
impl RunOne for MemoryExecutor {
    async fn run_one(
        &self,
        request: &ExecRequest,
        cmd: &str,
        deadline: Instant,
        tail: &mut Tail,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Ended {
        let (script, registered, mut stopped) = self.begin(cmd);
        started(ExecHandle {
            target: self.target,
            id: registered.id.clone(),
        });
        let ends = Instant::now() + script.duration;
        let ended = tokio::select! {
            () = tokio::time::sleep_until(ends), if ends < deadline => Ended::Exited(Some(script.exit_code)),
            () = tokio::time::sleep_until(deadline), if ends >= deadline => Ended::TimedOut,
            _ = stopped.wait_for(|stop| *stop) => Ended::Stopped,
        };
        // What a command printed before it was stopped is kept, as with a real process.
        tail.push(expand(&script.output, request).as_bytes());
        drop(registered);
        ended
    }

    fn timed_out_note(&self) -> &'static str {
        "the command was stopped"
    }
}

#[async_trait]
impl Executor for MemoryExecutor {
    fn target(&self) -> Target {
        self.target
    }

    async fn execute(
        &self,
        request: &ExecRequest,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Result<ExecResult, ExecError> {
        Ok(run_in_order(self, request, started).await)
    }

    async fn reap(&self, handle: &ExecHandle) -> Result<bool, ExecError> {
        if handle.target != self.target {
            return Ok(false);
        }
        let state = lock(&self.state);
        match state.running.get(&handle.id) {
            Some(stop) => {
                let _ = stop.send(true);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
