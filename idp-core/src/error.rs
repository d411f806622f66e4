//! The library's error type and its stable kinds.
//!
//! Every frontend maps [`ErrorKind`] in exactly one table (CLI exit codes, Python exception
//! classes, Action annotations) and never matches on message text.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::domain::config::error::ConfigErrors;
use crate::domain::cost::format_usd;
use crate::domain::event::EventError;
use crate::domain::lifecycle::{Status, TransitionError};
use crate::domain::naming::NameError;
use crate::domain::policy::Overrun;
use crate::domain::secret_access::SecretNotAllowed;
use crate::domain::ttl::TtlError;
use crate::ports::budgets::BudgetError;
use crate::ports::provisioner::ProvisionError;
use crate::ports::{BillingError, DeployError, LockError, LogError, RegistryError, StoreError};

/// The result type of idp-core's public functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stable, machine-readable error class. The snake_case code from [`ErrorKind::as_str`] is
/// part of the public interface (JSON `error.kind`, Python exception classes).
///
/// Deliberately exhaustive: every frontend's mapping table must name every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `.idp/config.yml` is invalid.
    InvalidConfig,
    /// An environment name or branch is invalid.
    InvalidName,
    /// A TTL is invalid or out of bounds.
    InvalidTtl,
    /// A GitHub event payload is invalid.
    InvalidEvent,
    /// Some other argument is invalid.
    InvalidInput,
    /// The environment (or object) does not exist.
    NotFound,
    /// A concurrent change won; re-read and retry.
    Conflict,
    /// A lock or lease is held by someone else.
    LockHeld,
    /// Two branches map to one environment name.
    BranchCollision,
    /// Reading or writing a local file failed.
    Io,
    /// A backend is unavailable (throttled, down, timed out); retrying later may work.
    BackendUnavailable,
    /// A backend (AWS, GitHub, the local runtime) failed.
    Backend,
    /// An environment's record exists but cannot be read (`idp migrate --dry-run` says why).
    UnreadableRecord,
    /// A new environment would overrun its team's (or owner's) monthly budget.
    BudgetExceeded,
    /// The environment's template needs approval before it is provisioned.
    ApprovalRequired,
    /// `.idp/config.yml` references a secret the platform does not let the environment read.
    SecretNotAllowed,
}

impl ErrorKind {
    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidName => "invalid_name",
            ErrorKind::InvalidTtl => "invalid_ttl",
            ErrorKind::InvalidEvent => "invalid_event",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::LockHeld => "lock_held",
            ErrorKind::BranchCollision => "branch_collision",
            ErrorKind::Io => "io",
            ErrorKind::BackendUnavailable => "backend_unavailable",
            ErrorKind::Backend => "backend",
            ErrorKind::UnreadableRecord => crate::domain::legacy::UNREADABLE_KIND,
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::ApprovalRequired => "approval_required",
            ErrorKind::SecretNotAllowed => "secret_not_allowed",
        }
    }
}

/// The process exit codes of `idp` and `idp-action`, one table for both (documented in their
/// `--help` and the README): scripts and workflow steps branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: success (including "nothing to do").
    Ok = 0,
    /// 1: failure (a backend, GitHub or a file failed).
    Failure = 1,
    /// 2: invalid input (bad config, event, name, TTL or arguments).
    Invalid = 2,
    /// 3: not found.
    NotFound = 3,
    /// 4: conflict (lock held, branch collision, concurrent change).
    Conflict = 4,
    /// 5: over budget (a new environment would overrun its team's or owner's budget).
    OverBudget = 5,
    /// 6: approval required (an admin runs `idp approve`, then the command is run again).
    ApprovalRequired = 6,
    /// 7: secret not allowed (the config references a secret outside the repository's
    /// allow-list, `aws.secretPatterns`).
    SecretNotAllowed = 7,
}

impl From<ErrorKind> for ExitCode {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidConfig
            | ErrorKind::InvalidName
            | ErrorKind::InvalidTtl
            | ErrorKind::InvalidEvent
            | ErrorKind::InvalidInput => ExitCode::Invalid,
            ErrorKind::NotFound => ExitCode::NotFound,
            ErrorKind::Conflict | ErrorKind::LockHeld | ErrorKind::BranchCollision => {
                ExitCode::Conflict
            }
            ErrorKind::Io
            | ErrorKind::Backend
            | ErrorKind::BackendUnavailable
            | ErrorKind::UnreadableRecord => ExitCode::Failure,
            ErrorKind::BudgetExceeded => ExitCode::OverBudget,
            ErrorKind::ApprovalRequired => ExitCode::ApprovalRequired,
            ErrorKind::SecretNotAllowed => ExitCode::SecretNotAllowed,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// An error of idp-core. `Display` is one line with values in backticks; [`Error::hints`] adds
/// `hint:` lines that say how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file is invalid (every problem is listed).
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// A name or branch is invalid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A TTL is invalid.
    #[error(transparent)]
    Ttl(#[from] TtlError),
    /// An event payload is invalid.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The environment does not exist.
    #[error("environment `{name}` does not exist")]
    NotFound {
        /// The environment.
        name: String,
    },
    /// No API token has this id.
    #[error("API token `{id}` does not exist")]
    TokenNotFound {
        /// The id asked for.
        id: String,
    },
    /// No run has this id in this backend.
    #[error("run `{run_id}` does not exist in this backend")]
    RunNotFound {
        /// The id asked for.
        run_id: String,
    },
    /// A run has no order of that name.
    #[error("{message}")]
    UnknownOrder {
        /// Names the run, the order and the orders it has.
        message: String,
    },
    /// An environment of that name already exists, in this region or another: a name is
    /// unique across regions.
    #[error("environment `{name}` already exists in `{region}` (status `{status}`)")]
    AlreadyExists {
        /// The environment.
        name: String,
        status: Status,
        /// The region it is in.
        region: String,
    },
    /// The environment is in a status that does not allow the operation.
    #[error("cannot {action} environment `{name}`: it is `{status}`")]
    InvalidState {
        /// The environment.
        name: String,
        status: Status,
        /// What was asked.
        action: &'static str,
    },
    /// Someone else holds the environment's lease.
    #[error("environment `{name}` is busy: `{owner}` holds it until {expires_at}")]
    LockHeld {
        /// The environment.
        name: String,
        /// The holder.
        owner: String,
        /// When the hold expires unless renewed.
        expires_at: DateTime<Utc>,
    },
    /// Another create or deploy of the environment is running (its holder has the lease).
    #[error(
        "environment `{name}` is being created or deployed by `{owner}` (held until {expires_at})"
    )]
    Busy {
        /// The environment.
        name: String,
        /// The holder of the lease.
        owner: String,
        /// When the hold expires unless renewed.
        expires_at: DateTime<Utc>,
    },
    /// A concurrent change kept winning the compare-and-swap.
    #[error("environment `{name}` changed concurrently; try again")]
    Conflict {
        /// The environment.
        name: String,
    },
    /// Two branches map to one environment name; the existing one is never overwritten.
    #[error("branch `{branch}` of `{repository}` maps to an environment that belongs to branch `{}` of `{}`", existing_branch.as_deref().unwrap_or("(created by hand)"), existing_repository.as_deref().unwrap_or("(none)"))]
    BranchCollision {
        /// The branch that asked.
        branch: String,
        repository: String,
        /// The branch that owns the environment.
        existing_branch: Option<String>,
        /// Its repository.
        existing_repository: Option<String>,
    },
    /// Acting on the trigger would be wrong (a fork's pull request, an unusable branch).
    #[error("{message}")]
    Refused {
        /// A stable code for the refusal.
        reason: String,
        /// The explanation.
        message: String,
    },
    /// An illegal status change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The environment's template needs approval before it is provisioned; nothing was
    /// applied.
    #[error("environment `{name}` needs approval before it is provisioned: {reason}")]
    ApprovalRequired {
        /// The environment.
        name: String,
        /// Why ([`crate::domain::approval::Requirement::reason`]).
        reason: String,
        /// Who may approve on a pull request, and how.
        who: String,
    },
    /// An environment's record exists but idp cannot read it.
    #[error("the record of environment `{name}` (`{key}`) cannot be read: {reason}")]
    UnreadableRecord {
        /// The environment.
        name: String,
        /// The object.
        key: String,
        /// What is wrong, naming every field at fault.
        reason: String,
    },
    /// A state object exists but cannot be read.
    #[error("state object `{key}` is corrupt: {message}")]
    CorruptState {
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The provisioner failed.
    #[error("provisioning `{name}` failed: {source}")]
    Provision {
        /// The environment.
        name: String,
        /// The cause.
        #[source]
        source: ProvisionError,
    },
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lock table failed.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The image registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The log source failed.
    #[error(transparent)]
    Logs(#[from] LogError),
    /// The deployer failed.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// A new environment would overrun a monthly budget; nothing was provisioned.
    #[error("`{name}` would take {} over its monthly budget: spent {} this month + {} estimated for `{name}` > limit {}", overrun.scope, format_usd(overrun.spent_usd), format_usd(overrun.estimate_usd), format_usd(overrun.limit_usd))]
    BudgetExceeded {
        /// The environment refused.
        name: String,
        /// Whose budget, and the figures.
        overrun: Overrun,
    },
    /// `.idp/config.yml` references a secret outside the repository's allow-list; nothing was
    /// provisioned.
    #[error(transparent)]
    SecretNotAllowed(#[from] SecretNotAllowed),
    /// The budgets backend failed.
    #[error(transparent)]
    Budgets(#[from] BudgetError),
    /// The billing source (Cost Explorer) failed.
    #[error(transparent)]
    Billing(#[from] BillingError),
    /// A local file could not be read or written.
    #[error("cannot access `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The stable class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::InvalidConfig,
            Error::Name(_) => ErrorKind::InvalidName,
            Error::Ttl(_) => ErrorKind::InvalidTtl,
            Error::Event(_) => ErrorKind::InvalidEvent,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            Error::Io { .. } => ErrorKind::Io,
            Error::NotFound { .. }
            | Error::TokenNotFound { .. }
            | Error::RunNotFound { .. }
            | Error::UnknownOrder { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. }
            | Error::InvalidState { .. }
            | Error::Conflict { .. }
            | Error::Busy { .. }
            | Error::Transition(_) => ErrorKind::Conflict,
            Error::LockHeld { .. } => ErrorKind::LockHeld,
            Error::BranchCollision { .. } => ErrorKind::BranchCollision,
            Error::Refused { .. } => ErrorKind::InvalidInput,
            Error::UnreadableRecord { .. } => ErrorKind::UnreadableRecord,
            Error::BudgetExceeded { .. } => ErrorKind::BudgetExceeded,
            Error::ApprovalRequired { .. } => ErrorKind::ApprovalRequired,
            Error::SecretNotAllowed(_) => ErrorKind::SecretNotAllowed,
            Error::CorruptState { .. } => ErrorKind::Backend,
            Error::Provision { source, .. } if source.is_retryable() => {
                ErrorKind::BackendUnavailable
            }
            Error::Provision { .. } => ErrorKind::Backend,
            Error::Store(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Lock(LockError::Held { .. }) => ErrorKind::LockHeld,
            Error::Lock(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Registry(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Logs(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Deploy(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Budgets(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Budgets(BudgetError::NotFound { .. }) => ErrorKind::NotFound,
            Error::Budgets(_) => ErrorKind::Backend,
            Error::Billing(e) if e.is_retryable() => ErrorKind::BackendUnavailable,
            Error::Billing(_) => ErrorKind::Backend,
            Error::Deploy(DeployError::NotFound { .. })
            | Error::Logs(LogError::NotFound { .. }) => ErrorKind::NotFound,
            Error::Logs(LogError::InvalidPattern { .. }) => ErrorKind::InvalidInput,
            Error::Store(_)
            | Error::Lock(_)
            | Error::Registry(_)
            | Error::Logs(_)
            | Error::Deploy(_) => ErrorKind::Backend,
        }
    }

    /// Lines that tell the user how to fix the error.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Config(errors) => errors.iter().map(|e| e.fix.clone()).collect(),
            Error::NotFound { .. } => vec!["run `idp list` to see the environments".to_owned()],
            Error::TokenNotFound { .. } => {
                vec!["run `idp serve token list` to see the tokens".to_owned()]
            }
            Error::RunNotFound { .. } => vec![
                "check the run id (`idp run` prints it), and that the backend is the one the run was started on".to_owned(),
            ],
            Error::UnreadableRecord { .. } => vec![
                "run `idp migrate --dry-run` to see how idp reads every record and what it cannot map".to_owned(),
                "correct the object by hand (or delete it once its resources are gone), then run the command again".to_owned(),
            ],
            Error::LockHeld { name, .. } => vec![format!(
                "wait for it to finish; if its holder crashed, the hold expires, or run `idp unlock {name}`"
            )],
            Error::Busy { name, .. } => vec![
                format!("wait for it to finish, then run `idp status {name}`"),
                format!("if its holder crashed, the hold expires, or run `idp unlock {name}`"),
            ],
            Error::BranchCollision { .. } => vec![
                "rename the branch, or destroy the other branch's environment first".to_owned(),
            ],
            Error::Provision { name, source } if !source.is_retryable() => {
                vec![format!("run `idp status {name}` for the step's full output")]
            }
            Error::ApprovalRequired { name, who, .. } => vec![
                format!("an admin approves it with `idp approve {name} --reason …` (or `POST /v1/environments/{name}/approval`), then run the command again"),
                format!("on a pull request: {who}"),
            ],
            Error::AlreadyExists { name, .. } => vec![format!(
                "pick another name, or run `idp destroy {name}` first"
            )],
            Error::BudgetExceeded { name, .. } => vec![
                "destroy an environment of the team you no longer need (`idp list`), or ask a platform admin to raise the budget in the platform policy (`idp budgets sync`)".to_owned(),
                format!("an admin may override: `idp create {name} --override-budget \"<reason>\"`"),
            ],
            Error::SecretNotAllowed(refused) => vec![
                match &refused.repository {
                    Some(repo) => format!("store the secret under `idp/{repo}/` in Secrets Manager and reference that ARN in `.idp/config.yml`"),
                    None => "create the environment from its repository's pull request (the allow-list is per repository), or reference a secret of a pattern without `{owner}`/`{repo}`".to_owned(),
                },
                "or ask a platform admin to add a pattern to the `aws.secretPatterns` setting (and to the repository's permissions boundary, `extra_secret_arn_patterns` of infrastructure/shared/github-oidc)".to_owned(),
                "nothing was provisioned".to_owned(),
            ],
            Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                vec![format!("check the path `{}`", path.display())]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_the_documented_exit_code() {
        let table = [
            (ErrorKind::InvalidConfig, 2),
            (ErrorKind::InvalidName, 2),
            (ErrorKind::InvalidTtl, 2),
            (ErrorKind::InvalidEvent, 2),
            (ErrorKind::InvalidInput, 2),
            (ErrorKind::NotFound, 3),
            (ErrorKind::Conflict, 4),
            (ErrorKind::LockHeld, 4),
            (ErrorKind::BranchCollision, 4),
            (ErrorKind::Io, 1),
            (ErrorKind::Backend, 1),
            (ErrorKind::BackendUnavailable, 1),
            (ErrorKind::BudgetExceeded, 5),
            (ErrorKind::ApprovalRequired, 6),
            (ErrorKind::SecretNotAllowed, 7),
        ];
        for (kind, code) in table {
            assert_eq!(ExitCode::from(kind) as u8, code, "{kind:?}");
        }
    }
}
