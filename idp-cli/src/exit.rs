//! Exit codes: the one table from error kinds to process exit codes (documented in `--help`).

use idp_core::error::ErrorKind;

/// A process exit code of `idp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// 0: success.
    Ok = 0,
    /// 1: failure.
    Failure = 1,
    /// 2: invalid input.
    Invalid = 2,
    /// 3: not found.
    NotFound = 3,
    /// 4: conflict.
    Conflict = 4,
}

impl From<ErrorKind> for Code {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidConfig
            | ErrorKind::InvalidName
            | ErrorKind::InvalidTtl
            | ErrorKind::InvalidEvent
            | ErrorKind::InvalidInput => Code::Invalid,
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::Conflict | ErrorKind::LockHeld | ErrorKind::BranchCollision => {
                Code::Conflict
            }
            ErrorKind::Io | ErrorKind::Backend | ErrorKind::BackendUnavailable => Code::Failure,
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
