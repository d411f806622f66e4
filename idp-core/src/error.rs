//! The library's error type and its stable kinds.
//!
//! Every frontend maps [`ErrorKind`] in exactly one table (CLI exit codes, Python exception
//! classes, Action annotations) and never matches on message text.

use std::path::PathBuf;

use crate::domain::config::error::ConfigErrors;
use crate::domain::event::EventError;
use crate::domain::naming::NameError;
use crate::domain::ttl::TtlError;

/// The result type of idp-core's public functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stable, machine-readable error class. The snake_case code from [`ErrorKind::as_str`] is
/// part of the public interface (JSON `error.kind`, Python exception classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// A backend (AWS, GitHub, the local runtime) failed.
    Backend,
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
            ErrorKind::Backend => "backend",
        }
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
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// Lines that tell the user how to fix the error.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Config(errors) => errors.hints(),
            Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                vec![format!("check the path `{}`", path.display())]
            }
            _ => Vec::new(),
        }
    }
}
