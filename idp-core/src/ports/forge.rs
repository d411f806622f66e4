//! The `Forge` port: what idp tells the code host (GitHub) and asks of it.
//! Long because the port's contracts, its no-forge implementation and their tests belong
//! together.
//!
//! A preview is only useful if people find it: the use cases keep one comment per environment on
//! the pull request (updated in place, found by a hidden marker), set a commit status per
//! environment, and the CLI starts infrastructure workflows (`workflow_dispatch`) and follows the
//! run it started. GitHub is the production backend (`adapters::github`, feature `github`); the
//! memory adapter keeps the same behaviour for tests.
//!
//! Repositories, branches and commits are the validated domain types, so no value chosen by a
//! pusher can change the path of a request. A comment is adopted for editing only if idp's own
//! identity wrote it and it starts with the marker ([`is_own_marked_comment`]): anyone can post
//! the marker on a public repository, and such a comment is never touched.
//!
//! Approvals read what a pull request says: its reviews ([`Forge::list_pr_reviews`]), who added
//! and removed its labels ([`Forge::list_label_events`]) and team membership
//! ([`Forge::is_team_member`]); the rule itself is [`crate::domain::approval`]'s.

use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::BoxError;
pub use crate::domain::approval::{LabelEvent, Review, ReviewState};
use crate::domain::event::{Branch, CommitSha, Repository};

/// A comment on a pull request, as [`Forge::upsert_pr_comment`] left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRef {
    /// The comment's id (GitHub issue comment id).
    pub id: u64,
    /// Where people see it (`html_url`).
    pub url: String,
    /// Whether it was created by this call (`false`: an existing comment was edited).
    pub created: bool,
}

/// An open pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrRef {
    pub number: u64,
    /// Where people see it (`html_url`).
    pub url: String,
    /// The head commit.
    pub head_sha: String,
}

/// The state of a commit status (GitHub's four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitState {
    /// The work is running.
    Pending,
    /// The work succeeded.
    Success,
    /// The work failed.
    Failure,
    /// The work could not run.
    Error,
}

impl CommitState {
    /// GitHub's spelling: `pending`, `success`, `failure`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for CommitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// GitHub's limit on a commit status description, in characters.
pub const MAX_STATUS_DESCRIPTION: usize = 140;

/// A commit status to set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    /// The status line's name, e.g. `idp/preview/preview-payment-api`; a later status with the
    /// same context replaces it.
    pub context: String,
    pub state: CommitState,
    /// Where "Details" links to (the environment's endpoint, a run).
    pub target_url: Option<String>,
    /// One line shown next to it; adapters cut it to [`MAX_STATUS_DESCRIPTION`] characters.
    pub description: Option<String>,
}

/// A `workflow_dispatch` that was accepted, with what [`Forge::find_dispatched_run`] needs to
/// find the run it started and no other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispatchRef {
    /// The repository.
    pub repo: Repository,
    /// The workflow's file name (`infra.yml`) or id.
    pub workflow_file: String,
    /// The branch or tag the workflow runs on, as a short name (`main`, not `refs/heads/main`).
    pub git_ref: String,
    /// The forge's time just before the dispatch (GitHub: the `Date` of a response sent before
    /// it), truncated to the second: the run it started was created at or after this.
    pub dispatched_at: DateTime<Utc>,
    /// Runs of this workflow that existed before the dispatch; never the one it started.
    pub earlier_runs: Vec<u64>,
}

/// Whether a workflow run is still going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WorkflowRunStatus {
    /// Waiting for a runner (`queued`, `waiting`, `pending`, `requested`).
    Queued,
    /// Running.
    InProgress,
    /// Finished; see [`RunState::conclusion`].
    Completed,
    /// A status this version does not know, as the forge spelled it.
    Other(String),
}

impl WorkflowRunStatus {
    /// From GitHub's spelling.
    pub fn from_github(status: &str) -> Self {
        match status {
            "queued" | "waiting" | "pending" | "requested" => Self::Queued,
            "in_progress" => Self::InProgress,
            "completed" => Self::Completed,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for WorkflowRunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Queued => f.write_str("queued"),
            Self::InProgress => f.write_str("in_progress"),
            Self::Completed => f.write_str("completed"),
            Self::Other(other) => f.write_str(other),
        }
    }
}

/// A workflow run at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// The run's id.
    pub id: u64,
    /// Whether it is still going.
    pub status: WorkflowRunStatus,
    /// How it ended (`success`, `failure`, `cancelled`, `timed_out`, …) once completed.
    pub conclusion: Option<String>,
    /// Where people see it.
    pub html_url: String,
    /// When the forge created it.
    pub created_at: DateTime<Utc>,
}

impl RunState {
    /// Whether the run finished.
    pub fn is_completed(&self) -> bool {
        self.status == WorkflowRunStatus::Completed
    }

    /// Whether the run finished with `success`.
    pub fn succeeded(&self) -> bool {
        self.is_completed() && self.conclusion.as_deref() == Some("success")
    }
}

/// What went wrong in a forge call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeError {
    /// The repository, pull request, workflow or run does not exist, or the token cannot see it.
    #[error("{what} was not found; check the name and that the token can read it")]
    NotFound {
        /// What was asked for, e.g. "workflow `infra.yml` in `org/repo`".
        what: String,
    },
    /// The forge refused the request as invalid (HTTP 422), with its own message.
    #[error("the forge refused the request: {message}")]
    Unprocessable {
        /// The forge's message, e.g. `Unexpected inputs provided: ["x"]`.
        message: String,
    },
    /// The rate limit was still exceeded after the allowed retries.
    #[error("the forge's rate limit is exceeded{}; retry later", retry_after.map(|d| format!(" (retry in {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the forge asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The token is missing, invalid, or lacks the permission (HTTP 401, or 403 not about rate
    /// limits).
    #[error(
        "the forge refused the credentials: {message}; check that the token is set and has the needed permissions"
    )]
    Unauthorized {
        /// The forge's message.
        message: String,
    },
    /// The forge could not be reached or failed (timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`github`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// No forge is configured (the local backend without GitHub): nothing was posted. Use cases
    /// skip their forge calls silently on this error.
    #[error(
        "no forge is configured; set a GitHub token to post pull-request comments and statuses"
    )]
    NotConfigured,
    /// Any other failure (an answer that cannot be read, …).
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`github`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl ForgeError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            } | Self::RateLimited { .. }
        )
    }
}

/// The code host: pull-request comments, commit statuses and workflow runs.
#[async_trait]
pub trait Forge: Debug + Send + Sync + 'static {
    /// Makes `body` the one comment on pull request `pr` that carries `marker` (a hidden line such
    /// as [`crate::domain::render::comment_marker`]): edits the existing comment if idp's own
    /// identity wrote one that starts with `marker` ([`is_own_marked_comment`]), else creates it.
    ///
    /// MUST search every comment of the pull request (all pages), so that two calls never leave
    /// two comments; if several qualify, the oldest is edited. A comment by anyone else is never
    /// edited, whatever its body. If `body` does not start with `marker`, it is put first on its
    /// own line. A body over [`crate::domain::render::MAX_COMMENT_LEN`] bytes MUST be cut (on a
    /// character boundary) and end with a note saying it was truncated. MUST fail with
    /// [`ForgeError::NotFound`] for an unknown repository or pull request.
    async fn upsert_pr_comment(
        &self,
        repo: &Repository,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<CommentRef, ForgeError>;

    /// The open pull request whose head is `branch` in `repo` itself (not a fork), if any; the
    /// lowest-numbered if several (all pages searched). A full ref (`refs/heads/x`) means the
    /// branch `x` ([`short_ref`]).
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown repository.
    async fn find_open_pr(
        &self,
        repo: &Repository,
        branch: &Branch,
    ) -> Result<Option<PrRef>, ForgeError>;

    /// Sets `status` on commit `sha`; a later status with the same context replaces it.
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown repository, and with
    /// [`ForgeError::Unprocessable`] for a commit the repository does not have.
    async fn set_commit_status(
        &self,
        repo: &Repository,
        sha: &CommitSha,
        status: &CommitStatus,
    ) -> Result<(), ForgeError>;

    /// Starts the workflow `workflow_file` on `git_ref` with `inputs` (a `workflow_dispatch`).
    ///
    /// A full ref (`refs/heads/x`, `refs/tags/v1`) is sent as its short name ([`short_ref`]),
    /// which is also the [`DispatchRef::git_ref`] the run is looked up by.
    /// Returns once the forge accepted it; the run appears a few seconds later
    /// ([`Forge::find_dispatched_run`]). MUST fail with [`ForgeError::NotFound`] for an unknown
    /// workflow, and with [`ForgeError::Unprocessable`] carrying the forge's message for inputs
    /// the workflow does not declare, a ref that does not exist, or a workflow without a
    /// `workflow_dispatch` trigger.
    async fn dispatch_workflow(
        &self,
        repo: &Repository,
        workflow_file: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<DispatchRef, ForgeError>;

    /// The run `dispatch` started, once the forge shows it: a `workflow_dispatch` run of the same
    /// workflow on the same ref, created at or after [`DispatchRef::dispatched_at`] and not one
    /// of [`DispatchRef::earlier_runs`]; the oldest such run (all pages searched). `None` while
    /// it does not show yet.
    ///
    /// MUST never return a run created before the dispatch.
    async fn find_dispatched_run(
        &self,
        dispatch: &DispatchRef,
    ) -> Result<Option<RunState>, ForgeError>;

    /// The run `run_id` now (one request; waiting is
    /// [`crate::github::wait::wait_for_run`]'s job).
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown run.
    async fn poll_run(&self, repo: &Repository, run_id: u64) -> Result<RunState, ForgeError>;

    /// The page of the newest run of `workflow_file`, if it ever ran.
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown workflow.
    async fn latest_run_url(
        &self,
        repo: &Repository,
        workflow_file: &str,
    ) -> Result<Option<String>, ForgeError>;

    /// The commit `git_ref` names in `repo`: a tag (an annotated tag is followed to its commit),
    /// else a branch; a full commit id is returned as it is, without a request. `refs/tags/x`
    /// and `refs/heads/x` name only that kind.
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown repository or a ref it does not
    /// have.
    async fn resolve_ref(&self, repo: &Repository, git_ref: &str) -> Result<CommitSha, ForgeError>;

    /// Every review of pull request `pr` (all pages), in the order they were submitted.
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown repository or pull request.
    async fn list_pr_reviews(&self, repo: &Repository, pr: u64) -> Result<Vec<Review>, ForgeError>;

    /// Every `labeled` and `unlabeled` event of pull request `pr` (its issue's events, all
    /// pages) with who made it, oldest first; other events are left out.
    ///
    /// MUST fail with [`ForgeError::NotFound`] for an unknown repository or pull request.
    async fn list_label_events(
        &self,
        repo: &Repository,
        pr: u64,
    ) -> Result<Vec<LabelEvent>, ForgeError>;

    /// Whether `login` is an active member of team `team_slug` of organization `org` (a pending
    /// invitation is not membership).
    ///
    /// MUST answer `Ok(false)` for a login that is not a member and for an unknown team or
    /// organization the token can see none of (GitHub answers both with 404), and fail with
    /// [`ForgeError::Unauthorized`] when the token may not read the organization's teams.
    async fn is_team_member(
        &self,
        org: &str,
        team_slug: &str,
        login: &str,
    ) -> Result<bool, ForgeError>;
}

/// Appended by [`fit_comment`] when a body had to be cut.
pub const COMMENT_TRUNCATION_NOTE: &str = "\n\n> [!NOTE]\n> This comment was truncated to fit GitHub's 65,536-character limit; the full output is in the workflow run log.\n";

/// `body` starting with `marker` (put first on its own line unless `body` starts with it, so that
/// [`is_own_marked_comment`] finds the comment again) and at most
/// [`crate::domain::render::MAX_COMMENT_LEN`] bytes, cut on a character boundary and ending with
/// [`COMMENT_TRUNCATION_NOTE`] when it was too long. Adapters call it before sending.
pub fn fit_comment(marker: &str, body: &str) -> String {
    use crate::domain::render::MAX_COMMENT_LEN;
    let mut full = if body.starts_with(marker) {
        body.to_owned()
    } else {
        format!("{marker}\n{body}")
    };
    if full.len() <= MAX_COMMENT_LEN {
        return full;
    }
    let mut end = MAX_COMMENT_LEN.saturating_sub(COMMENT_TRUNCATION_NOTE.len());
    while end > 0 && !full.is_char_boundary(end) {
        end -= 1;
    }
    full.truncate(end);
    full.push_str(COMMENT_TRUNCATION_NOTE);
    full
}

/// `description` cut to [`MAX_STATUS_DESCRIPTION`] characters (with `…` when cut).
pub fn fit_status_description(description: &str) -> String {
    if description.chars().count() <= MAX_STATUS_DESCRIPTION {
        return description.to_owned();
    }
    let mut cut: String = description
        .chars()
        .take(MAX_STATUS_DESCRIPTION - 1)
        .collect();
    cut.push('…');
    cut
}

/// The login GitHub shows as the author of what the Actions token (`GITHUB_TOKEN`) writes.
pub const ACTIONS_BOT_LOGIN: &str = "github-actions[bot]";

/// The short name of a ref: `refs/heads/x` → `x`, `refs/tags/v1` → `v1`; any other value as is.
/// Dispatches and branch filters use short names: GitHub lists a run's branch as `x`.
pub fn short_ref(git_ref: &str) -> &str {
    git_ref
        .strip_prefix("refs/heads/")
        .or_else(|| git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(git_ref)
}

/// Whether a comment by `author` with `body` is the one [`Forge::upsert_pr_comment`] may edit:
/// written by `identity` (logins compare case-insensitively, as GitHub's do) and starting with
/// `marker`. A comment whose author is unknown (a deleted account) is never adopted.
pub fn is_own_marked_comment(
    author: Option<&str>,
    identity: &str,
    body: &str,
    marker: &str,
) -> bool {
    !marker.is_empty()
        && author.is_some_and(|a| a.eq_ignore_ascii_case(identity))
        && body.starts_with(marker)
}

/// The full refs a ref name may mean, in the order [`Forge::resolve_ref`] tries them: a full ref
/// (`refs/heads/x`) means only itself; a short name is a tag first, then a branch.
pub fn ref_candidates(git_ref: &str) -> Vec<String> {
    if git_ref.starts_with("refs/") {
        vec![git_ref.to_owned()]
    } else {
        vec![
            format!("refs/tags/{git_ref}"),
            format!("refs/heads/{git_ref}"),
        ]
    }
}

/// The forge of a backend with no code host: every call fails with
/// [`ForgeError::NotConfigured`], which the use cases skip silently.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoForge;

#[async_trait]
impl Forge for NoForge {
    async fn upsert_pr_comment(
        &self,
        _repo: &Repository,
        _pr: u64,
        _marker: &str,
        _body: &str,
    ) -> Result<CommentRef, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn find_open_pr(
        &self,
        _repo: &Repository,
        _branch: &Branch,
    ) -> Result<Option<PrRef>, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn set_commit_status(
        &self,
        _repo: &Repository,
        _sha: &CommitSha,
        _status: &CommitStatus,
    ) -> Result<(), ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn dispatch_workflow(
        &self,
        _repo: &Repository,
        _workflow_file: &str,
        _git_ref: &str,
        _inputs: &BTreeMap<String, String>,
    ) -> Result<DispatchRef, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn find_dispatched_run(
        &self,
        _dispatch: &DispatchRef,
    ) -> Result<Option<RunState>, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn poll_run(&self, _repo: &Repository, _run_id: u64) -> Result<RunState, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn latest_run_url(
        &self,
        _repo: &Repository,
        _workflow_file: &str,
    ) -> Result<Option<String>, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn resolve_ref(
        &self,
        _repo: &Repository,
        _git_ref: &str,
    ) -> Result<CommitSha, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn list_pr_reviews(
        &self,
        _repo: &Repository,
        _pr: u64,
    ) -> Result<Vec<Review>, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn list_label_events(
        &self,
        _repo: &Repository,
        _pr: u64,
    ) -> Result<Vec<LabelEvent>, ForgeError> {
        Err(ForgeError::NotConfigured)
    }

    async fn is_team_member(
        &self,
        _org: &str,
        _team_slug: &str,
        _login: &str,
    ) -> Result<bool, ForgeError> {
        Err(ForgeError::NotConfigured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::render::MAX_COMMENT_LEN;

    #[test]
    fn a_short_body_keeps_its_marker_and_text() {
        assert_eq!(
            fit_comment("<!-- m -->", "<!-- m -->\nhi"),
            "<!-- m -->\nhi"
        );
        assert_eq!(fit_comment("<!-- m -->", "hi"), "<!-- m -->\nhi");
        assert_eq!(
            fit_comment("<!-- m -->", "hi <!-- m -->"),
            "<!-- m -->\nhi <!-- m -->"
        );
    }

    #[test]
    fn a_long_body_is_cut_on_a_char_boundary_with_a_note() {
        let body = format!("<!-- m -->\n{}", "é".repeat(MAX_COMMENT_LEN));
        let fitted = fit_comment("<!-- m -->", &body);
        assert!(fitted.len() <= MAX_COMMENT_LEN);
        assert!(fitted.starts_with("<!-- m -->\n"));
        assert!(fitted.ends_with(COMMENT_TRUNCATION_NOTE));
    }

    #[test]
    fn status_descriptions_are_cut_to_140_characters() {
        let long = "ü".repeat(200);
        let cut = fit_status_description(&long);
        assert_eq!(cut.chars().count(), MAX_STATUS_DESCRIPTION);
        assert!(cut.ends_with('…'));
        assert_eq!(fit_status_description("ok"), "ok");
    }

    #[test]
    fn run_statuses_read_githubs_spelling() {
        assert_eq!(
            WorkflowRunStatus::from_github("queued"),
            WorkflowRunStatus::Queued
        );
        assert_eq!(
            WorkflowRunStatus::from_github("waiting"),
            WorkflowRunStatus::Queued
        );
        assert_eq!(
            WorkflowRunStatus::from_github("in_progress"),
            WorkflowRunStatus::InProgress
        );
        assert_eq!(
            WorkflowRunStatus::from_github("completed"),
            WorkflowRunStatus::Completed
        );
        assert_eq!(
            WorkflowRunStatus::from_github("weird"),
            WorkflowRunStatus::Other("weird".into())
        );
    }

    #[test]
    fn rate_limits_and_retryable_unavailability_are_retryable() {
        assert!(ForgeError::RateLimited { retry_after: None }.is_retryable());
        assert!(
            !ForgeError::Unprocessable {
                message: "x".into()
            }
            .is_retryable()
        );
    }

    #[test]
    fn full_refs_become_short_names() {
        assert_eq!(short_ref("refs/heads/feature/x"), "feature/x");
        assert_eq!(short_ref("refs/tags/v1"), "v1");
        assert_eq!(short_ref("main"), "main");
        assert_eq!(short_ref("refs/pull/1/merge"), "refs/pull/1/merge");
    }

    #[test]
    fn only_idps_own_comment_starting_with_the_marker_is_adopted() {
        let m = "<!-- idp:preview:p -->";
        assert!(is_own_marked_comment(
            Some("github-actions[bot]"),
            ACTIONS_BOT_LOGIN,
            &format!("{m}\nx"),
            m
        ));
        assert!(is_own_marked_comment(Some("IDP-Bot"), "idp-bot", m, m));
        assert!(!is_own_marked_comment(
            Some("mallory"),
            ACTIONS_BOT_LOGIN,
            &format!("{m}\nx"),
            m
        ));
        assert!(!is_own_marked_comment(
            Some("github-actions[bot]"),
            ACTIONS_BOT_LOGIN,
            &format!("> {m}"),
            m
        ));
        assert!(!is_own_marked_comment(None, ACTIONS_BOT_LOGIN, m, m));
        assert!(!is_own_marked_comment(Some("a"), "a", "x", ""));
    }
}
