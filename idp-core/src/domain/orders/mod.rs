//! Infrastructure runs: a job is a set of *orders* (shell commands with a timeout, environment,
//! secret names and dependencies) that an orchestrator runs in dependency order.
//!
//! This module is the pure part: the job file schema (YAML or JSON), its validation (every
//! problem reported at once, with the order and field), the [`OrderGraph`] that decides which
//! order may start and what a failure skips, and the PR comment of a run (secret masking of
//! captured output is `domain::redact`). It never reads the clock, the environment or the disk.
//!
//! A job file:
//!
//! ```yaml
//! timeout: 30m                 # the whole run; default 1h
//! orders:
//!   - name: init               # 1–64 of A-Z a-z 0-9 . _ -, unique
//!     cmds: ["echo init"]      # each runs with `/bin/sh -c`, in order; the first failure ends the order
//!     timeout: 90s             # required: 90s, 10m, 2h, or a number of seconds
//!   - name: plan
//!     depends_on: [init]
//!     cmds: ["echo planning with $TOKEN"]
//!     timeout: 10m
//!     env: { TF_IN_AUTOMATION: "1" }
//!     secrets: [TOKEN]         # names; values come from the runner, are never logged or stored
//!     ssm_paths: [/app/prod/db-password, /app/prod/api/]   # SSM parameters, or every one under a path ending in `/`
//!     secret_manager_paths: [prod/db-creds]                 # Secrets Manager secrets, by name or ARN
//!     must_succeed: true       # default; `false`: a failure neither fails the job nor skips dependents
//!     target: local            # local (default), codebuild, lambda, ecs
//!     working_dir: infra       # relative to where the run starts; default: there
//! ```

pub mod comment;
pub mod envelope;
pub mod graph;
mod run_id;
pub mod sources;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use comment::{OrderSummary, RunSummary, format_elapsed, run_comment, run_comment_marker};
pub use graph::{GraphError, Newly, OrderGraph, TimeoutSweep};
pub use run_id::{InvalidRunId, RunId};
pub use validate::{JobError, JobErrors};

/// The job timeout when the file sets none.
pub const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(3600);

/// The longest job timeout accepted (7 days).
pub const MAX_JOB_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where an order runs.
///
/// Only `local` has an executor today. The others are accepted by the schema so a job file can
/// say where it means to run; the orchestrator refuses a job whose targets it has no executor
/// for before it starts anything (see `ports::executor` for the mapping of each target).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A process group on the machine running the orchestrator.
    #[default]
    Local,
    /// An AWS CodeBuild build (long orders; at most 36 hours).
    Codebuild,
    /// An AWS Lambda invocation (short orders; at most 15 minutes).
    Lambda,
    /// An ECS RunTask task.
    Ecs,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Local,
        Target::Codebuild,
        Target::Lambda,
        Target::Ecs,
    ];

    /// The longest order timeout this target can honour: Lambda's 900 s limit, CodeBuild's
    /// 2,160 minutes; 24 hours (a policy, not a service limit) for local processes and ECS tasks.
    pub fn max_timeout(self) -> Duration {
        match self {
            Target::Local | Target::Ecs => Duration::from_secs(24 * 3600),
            Target::Codebuild => Duration::from_secs(2160 * 60),
            Target::Lambda => Duration::from_secs(900),
        }
    }

    /// The name used in job files.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Local => "local",
            Target::Codebuild => "codebuild",
            Target::Lambda => "lambda",
            Target::Ecs => "ecs",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated job: unique names, known and acyclic dependencies, timeouts within bounds.
///
/// Serializes to a job file in JSON (timeouts as whole seconds) that parses back to the same
/// job; the orchestrator stores it so a run can be resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    /// How long the whole run may take.
    #[serde(serialize_with = "as_secs")]
    pub timeout: Duration,
    /// The orders, in file order (order `n` is `orders[n - 1]`).
    pub orders: Vec<Order>,
}

/// One validated order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Its unique name.
    pub name: String,
    /// Shell commands, run one after the other; the first that fails ends the order.
    pub cmds: Vec<String>,
    /// How long the order may run.
    #[serde(serialize_with = "as_secs")]
    pub timeout: Duration,
    /// Environment variables set for its commands.
    pub env: BTreeMap<String, String>,
    /// Names of environment variables whose values the runner supplies (never stored or logged).
    pub secrets: Vec<String>,
    /// SSM parameter names, and paths (ending in `/`) of every parameter under them, resolved
    /// into secret variables when the run starts (see [`sources`] for the naming rule).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssm_paths: Vec<String>,
    /// Secrets Manager secret names or ARNs, resolved into secret variables when the run starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_manager_paths: Vec<String>,
    /// Orders that must end before this one starts.
    pub depends_on: Vec<String>,
    /// Whether a failure fails the job and skips the orders that depend on this one.
    pub must_succeed: bool,
    /// Where it runs.
    pub target: Target,
    /// The directory its commands run in, relative to the run's working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

impl Job {
    /// Parses and validates a job file's bytes: text that is not UTF-8 (or is binary) is one
    /// error at the first offending byte; otherwise as [`Job::from_yaml`].
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Self, JobErrors> {
        match crate::domain::text::utf8(bytes) {
            Ok(text) => Self::from_yaml(text, file),
            Err(e) => Err(JobErrors::syntax(
                file,
                format!(
                    "{}:{}: the job file {}: {}",
                    e.line,
                    e.column,
                    e.what,
                    crate::domain::text::NotText::FIX
                ),
            )),
        }
    }

    /// Parses and validates a job file in YAML (JSON is YAML too); `file` names it in errors.
    pub fn from_yaml(text: &str, file: &str) -> Result<Self, JobErrors> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        options.with_snippet = false;
        let mut budget = serde_saphyr::Budget::default();
        budget.max_nodes = 2_000_000;
        budget.max_aliases = 1_000;
        budget.max_depth = 32;
        options.budget = Some(budget);
        match serde_saphyr::from_str_with_options::<validate::RawJob>(text, options) {
            Ok(raw) => validate::validate(raw, file),
            Err(err) => Err(JobErrors::syntax(file, err.to_string())),
        }
    }

    /// Parses and validates a job in JSON; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Self, JobErrors> {
        match serde_json::from_str::<validate::RawJob>(text) {
            Ok(raw) => validate::validate(raw, file),
            Err(err) => Err(JobErrors::syntax(file, err.to_string())),
        }
    }

    /// The JSON job file of this job (parses back with [`Job::from_json`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The 1-based number of the order called `name`.
    pub fn number_of(&self, name: &str) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.name == name)
            .map(|i| i + 1)
    }

    /// The order numbered `n` (1-based).
    pub fn order(&self, n: usize) -> Option<&Order> {
        n.checked_sub(1).and_then(|i| self.orders.get(i))
    }

    /// Every target the job uses, once, sorted.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = self.orders.iter().map(|o| o.target).collect();
        targets.sort();
        targets.dedup();
        targets
    }
}

/// Where an order stands. The last four are terminal: each order ends in exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for its dependencies (or for a free slot).
    Pending,
    /// Its commands are running.
    Running,
    /// Every command exited 0.
    Succeeded,
    /// A command exited non-zero or could not be started.
    Failed,
    /// Its own timeout or the job's timeout passed; its process group was killed.
    TimedOut,
    /// Never started: a dependency that must succeed did not, or the job timed out or was
    /// cancelled first.
    Skipped,
    /// It was running when the run was cancelled; its process group was killed.
    Cancelled,
}

impl OrderStatus {
    /// Whether the order has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, OrderStatus::Pending | OrderStatus::Running)
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Running => "running",
            OrderStatus::Succeeded => "succeeded",
            OrderStatus::Failed => "failed",
            OrderStatus::TimedOut => "timed_out",
            OrderStatus::Skipped => "skipped",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an order that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderOutcome {
    /// Every command exited 0.
    Succeeded,
    /// A command failed.
    Failed,
    /// It was killed at its timeout.
    TimedOut,
}

impl From<OrderOutcome> for OrderStatus {
    fn from(outcome: OrderOutcome) -> Self {
        match outcome {
            OrderOutcome::Succeeded => OrderStatus::Succeeded,
            OrderOutcome::Failed => OrderStatus::Failed,
            OrderOutcome::TimedOut => OrderStatus::TimedOut,
        }
    }
}

/// Where a whole run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Orders are still pending or running.
    Running,
    /// Every order that must succeed succeeded (orders with `must_succeed: false` may have failed).
    Succeeded,
    /// An order that must succeed failed, timed out or was skipped.
    Failed,
    /// The job timeout passed.
    TimedOut,
    /// Someone cancelled the run before it ended.
    Cancelled,
}

impl RunStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a timeout: `90s`, `10m`, `2h`, `1d`, or a whole number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write e.g. `90s`, `10m` or `2h`"))?;
    let per = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}` has unknown unit `{unit}`: use `s`, `m`, `h` or `d`"
            ));
        }
    };
    amount
        .checked_mul(per)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// A duration as job files write it: `90s`, `10m`, `2h` (the largest unit that divides it).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_units_and_plain_seconds() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(600)), "10m");
    }

    #[test]
    fn a_job_round_trips_through_its_stored_json() {
        let job = Job::from_yaml(
            "timeout: 5m\norders:\n  - name: a\n    cmds: [\"true\"]\n    timeout: 90s\n    env: {PORT: 8080}\n    secrets: [TOKEN]\n  - name: b\n    cmds: [\"true\"]\n    timeout: 1m\n    depends_on: [a]\n    must_succeed: false\n    working_dir: infra\n",
            "job.yml",
        )
        .unwrap();
        assert_eq!(
            job.orders[0].env.get("PORT").map(String::as_str),
            Some("8080")
        );
        let again = Job::from_json(&job.to_json(), "job.json").unwrap();
        assert_eq!(again, job);
        assert_eq!(job.number_of("b"), Some(2));
        assert_eq!(job.order(2).map(|o| o.name.as_str()), Some("b"));
        assert_eq!(job.order(0), None);
    }

    #[test]
    fn lambda_is_capped_at_fifteen_minutes() {
        assert_eq!(Target::Lambda.max_timeout(), Duration::from_secs(900));
        assert!(Target::Codebuild.max_timeout() > Target::Local.max_timeout());
    }
}
