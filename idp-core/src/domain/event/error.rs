//! Why an event payload was refused.

use super::RefProblem;

/// Why an event payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The payload is not JSON.
    #[error(
        "`{event}` payload is not valid JSON at line {line}, column {column}: {message}; pass the event file GitHub wrote, unchanged"
    )]
    InvalidJson {
        /// The event name.
        event: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A required field is missing or `null`.
    #[error(
        "`{event}` payload has no `{path}`: pass the complete payload GitHub sent for this event"
    )]
    MissingField {
        /// The event name.
        event: String,
        /// The JSON path, e.g. `pull_request.head.ref`.
        path: String,
    },
    /// A field has the wrong JSON type.
    #[error("`{event}` payload field `{path}` has the wrong type: {message}")]
    WrongType {
        /// The event name.
        event: String,
        /// The JSON path (`.` for the whole payload).
        path: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A branch or ref name git would refuse.
    #[error("`{event}` payload field `{path}` is not a legal branch name (`{value}`): {problem}")]
    InvalidRef {
        /// The event name.
        event: String,
        /// The JSON path.
        path: String,
        /// The offending value, escaped and shortened.
        value: String,
        /// Which rule it breaks.
        problem: RefProblem,
    },
    /// A repository that is not `owner/name`.
    #[error(
        "`{event}` payload field `{path}` is not an `owner/name` repository (`{value}`): expected e.g. `octo-org/octo-repo`"
    )]
    InvalidRepository {
        /// The event name.
        event: String,
        /// The JSON path.
        path: String,
        /// The offending value, escaped and shortened.
        value: String,
    },
    /// A commit SHA that is not 40 or 64 hex digits.
    #[error(
        "`{event}` payload field `{path}` is not a commit SHA (`{value}`): expected 40 or 64 lowercase hex digits"
    )]
    InvalidCommit {
        /// The event name.
        event: String,
        /// The JSON path.
        path: String,
        /// The offending value, escaped and shortened.
        value: String,
    },
}

impl EventError {
    /// A stable snake_case code for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "invalid_json",
            Self::MissingField { .. } => "missing_field",
            Self::WrongType { .. } => "wrong_type",
            Self::InvalidRef { .. } => "invalid_ref",
            Self::InvalidRepository { .. } => "invalid_repository",
            Self::InvalidCommit { .. } => "invalid_commit",
        }
    }
}
