//! One module per subcommand, plus what they share: reading the event and the config, the
//! failure type and how a failure is reported.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "failures are annotations on stdout and hints on stderr"
)]

pub(crate) mod apply;
pub(crate) mod cleanup;
pub(crate) mod comment;
pub(crate) mod dashboard;
pub(crate) mod record;
pub(crate) mod setup;
pub(crate) mod sweep;
pub(crate) mod validate;

use std::path::Path;

use idp_core::domain::event::{self, Trigger};
use idp_core::domain::naming::EnvName;
use idp_core::error::Error;
use idp_core::setup::config_file::{self, ConfigFile};
use idp_core::setup::env_vars::{self, EnvVars};

use crate::exit::Code;
use crate::gha::{self, GhaError};

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// idp-core refused or failed.
    #[error(transparent)]
    Core(#[from] Error),
    /// An output or summary could not be written.
    #[error(transparent)]
    Gha(#[from] GhaError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The step's environment is incomplete (a variable the runner sets is missing).
    #[error("{0}")]
    Usage(String),
}

impl Failure {
    fn code(&self) -> Code {
        match self {
            Failure::Core(e) => e.kind().into(),
            Failure::Gha(_) | Failure::Io(_) => Code::Failure,
            Failure::Usage(_) => Code::Invalid,
        }
    }
}

/// Say, on the first SIGINT or SIGTERM, that OpenTofu is being stopped cleanly.
pub(crate) fn interrupting() {
    println!(
        "{}",
        gha::annotation(
            "warning",
            "idp-action",
            "the run was cancelled: stopping OpenTofu cleanly (it saves its state and releases its lock)"
        )
    );
}

/// Report `failure` as an error annotation (hints on stderr) and return its exit code.
pub(crate) fn fail(step: &str, failure: &Failure) -> Code {
    println!(
        "{}",
        gha::annotation("error", &format!("idp-action {step}"), &failure.to_string())
    );
    if let Failure::Core(e) = failure {
        for hint in e.hints() {
            eprintln!("  hint: {hint}");
        }
    }
    failure.code()
}

/// The event the workflow runs for: `GITHUB_EVENT_NAME` and the payload at `GITHUB_EVENT_PATH`.
pub(crate) fn read_event() -> Result<Trigger, Failure> {
    let name = env_vars::get(EnvVars::GITHUB_EVENT_NAME).ok_or_else(|| {
        Failure::Usage(
            "`GITHUB_EVENT_NAME` is not set: run this in a GitHub Actions step".to_owned(),
        )
    })?;
    let path = env_vars::get(EnvVars::GITHUB_EVENT_PATH).ok_or_else(|| {
        Failure::Usage(
            "`GITHUB_EVENT_PATH` is not set: run this in a GitHub Actions step".to_owned(),
        )
    })?;
    let payload = fs_err::read(&path).map_err(|e| Failure::Io(e.to_string()))?;
    Ok(event::parse_event(&name, &payload).map_err(Error::from)?)
}

/// The repository's configuration `path` names under `root`, by idp-core's one rule: the
/// defaults when `.idp/config.yml` does not exist, an error when a file named elsewhere does
/// not. Its name in annotations is relative to the root, as GitHub expects.
/// Its TTL is checked against the bounds the step's environment sets (`selected`).
pub(crate) fn read_config(
    root: &Path,
    path: &Path,
    selected: &crate::open::Selected,
) -> Result<ConfigFile, Failure> {
    let options = selected.config_options()?;
    Ok(config_file::read_with(root, Some(path), &options)?)
}

/// The environment a step works on: `--name`, else `IDP_ENVIRONMENT` (the `setup` output
/// passed on by the workflow).
pub(crate) fn env_name(flag: Option<&str>) -> Result<EnvName, Failure> {
    let name = flag
        .map(str::to_owned)
        .or_else(|| env_vars::get(EnvVars::IDP_ENVIRONMENT))
        .ok_or_else(|| {
            Failure::Usage("no environment: pass `--name` or set `IDP_ENVIRONMENT`".to_owned())
        })?;
    Ok(EnvName::parse(&name).map_err(Error::from)?)
}
