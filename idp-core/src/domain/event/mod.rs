//! GitHub events → typed [`Trigger`]s.
//!
//! Every preview starts from a GitHub webhook or Actions event payload, which is untrusted input:
//! anyone who can push a branch or open a pull request chooses its branch name and title. This
//! module turns `(event name, payload bytes)` into a small typed [`Trigger`] and refuses anything
//! malformed with a typed [`EventError`] (never a panic). Only the fields idp needs are
//! deserialized; the rest of GitHub's large payloads is skipped.
//!
//! Strings stay data: a branch called `$(curl x)` is kept exactly as written and must only ever
//! be passed as a value (no shell, no interpolation into scripts). Branch names are checked
//! against git's own ref-name rules (`git check-ref-format --branch`), so names with newlines or
//! control characters, which git itself refuses, are rejected.
//!
//! | event | payload | trigger |
//! |---|---|---|
//! | `push` | `refs/heads/<branch>` | [`Trigger::Push`] |
//! | `push` | `deleted: true` on a branch | [`Trigger::BranchDeleted`] |
//! | `push` | the default branch, or a tag | [`Trigger::Ignored`] |
//! | `delete` | `ref_type: branch` | [`Trigger::BranchDeleted`] |
//! | `delete` | `ref_type: tag` | [`Trigger::Ignored`] |
//! | `pull_request` | `opened`, `synchronize`, `reopened` | [`Trigger::PullRequest`] |
//! | `pull_request` | `closed` (merged or not) | [`Trigger::PullRequestClosed`] |
//! | `pull_request` | any other action | [`Trigger::Ignored`] |
//! | `schedule` | | [`Trigger::Schedule`] |
//! | `workflow_dispatch` | | [`Trigger::Dispatch`] |
//! | anything else (including `pull_request_target`) | not parsed | [`Trigger::Ignored`] |
//!
//! **Forks.** A pull request whose head repository differs from its base repository is flagged
//! [`PullRequest::from_fork`]. Its code is untrusted: a preview of a fork must never be built or
//! run with the platform's secrets or cloud credentials. `pull_request_target` (which runs with
//! secrets) is deliberately not accepted.

/// The longest branch or ref name accepted, in bytes (git hosts refuse longer refs).
pub const MAX_REF_LEN: usize = 255;

/// How many characters of an offending value an error message or reason shows.
const SHOWN_CHARS: usize = 80;

/// Show an untrusted value in a one-line message: control characters (newlines…) escaped, cut to
/// [`SHOWN_CHARS`] characters.
pub(crate) fn shown(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars().take(SHOWN_CHARS) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if value.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

mod error;
mod parse;
mod refs;
#[cfg(test)]
mod tests;
mod trigger;

pub use error::*;
pub use parse::*;
pub use refs::*;
pub use trigger::*;
