//! Exit codes: the one table from error kinds to process exit codes (the same codes as `idp`).

use idp_core::error::ErrorKind;

/// A process exit code of `idp-action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_the_documented_code() {
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
        ];
        for (kind, code) in table {
            assert_eq!(Code::from(kind) as u8, code, "{kind:?}");
        }
    }
}
