//! The in-memory [`Forge`]: pull requests, comments, commit statuses and workflow runs kept in
//! process memory, behaving like GitHub.
//! Long because it keeps every part of GitHub the use cases touch in one consistent state.
//!
//! Tests seed repositories, open pull requests, post comments as other users and declare
//! workflows (with their inputs, so an undeclared input is refused with GitHub's 422 message),
//! then inspect what the use cases posted. The forge writes as one identity (default
//! `github-actions[bot]`, the Actions token's author) and, like GitHub, edits only a comment that
//! identity wrote and that starts with the marker. A dispatched run is `queued`, then
//! `in_progress` on the next poll, then `completed` with the conclusion the test chose (default
//! `success`). Full refs (`refs/heads/x`) are stored as short names, as GitHub lists them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::lock;
use crate::domain::event::{Branch, CommitSha, Repository};
use crate::ports::forge::{
    ACTIONS_BOT_LOGIN, fit_comment, is_own_marked_comment, ref_candidates, short_ref,
};
use crate::ports::forge::{LabelEvent, Review, ReviewState};
use crate::ports::{
    Clock, CommentRef, CommitStatus, DispatchRef, Forge, ForgeError, PrRef, RunState, SystemClock,
    WorkflowRunStatus,
};

/// A comment as the memory forge keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryComment {
    /// Its id (unique across the forge).
    pub id: u64,
    /// The login that wrote it.
    pub author: String,
    pub body: String,
    /// How many times it was edited after being created.
    pub edits: u32,
}

/// A commit status as recorded, in the order they were set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedStatus {
    /// The repository.
    pub repo: String,
    /// The commit.
    pub sha: String,
    pub status: CommitStatus,
}

/// A dispatched (or seeded) workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRun {
    /// The run's state now.
    pub state: RunState,
    /// The repository.
    pub repo: String,
    pub workflow_file: String,
    /// The ref it runs on.
    pub git_ref: String,
    /// The event that started it (`workflow_dispatch` for dispatched runs).
    pub event: String,
    /// The inputs it was dispatched with.
    pub inputs: BTreeMap<String, String>,
    /// How it ends.
    conclusion: String,
}

#[derive(Debug)]
struct Pr {
    number: u64,
    branch: String,
    head_sha: String,
    open: bool,
    comments: Vec<MemoryComment>,
    reviews: Vec<Review>,
    label_events: Vec<LabelEvent>,
}

#[derive(Debug, Default)]
struct State {
    /// Repositories by `owner/name`; each holds its pull requests.
    repos: BTreeMap<String, Vec<Pr>>,
    /// Declared workflows by `(repo, file)`: their inputs.
    workflows: BTreeMap<(String, String), BTreeSet<String>>,
    statuses: Vec<RecordedStatus>,
    runs: Vec<MemoryRun>,
    next_id: u64,
    conclusion: Option<String>,
    unavailable: bool,
    /// Who the forge writes as (`None`: [`ACTIONS_BOT_LOGIN`]).
    identity: Option<String>,
    /// Why calls are refused as unauthorized: every call, or (`read_only`) only writes.
    refusal: Option<Refusal>,
    /// Git refs by `(repo, "refs/tags/x" | "refs/heads/x")`: the commit each names.
    refs: BTreeMap<(String, String), String>,
    /// Team memberships as `(org/team-slug, login)`, lowercase.
    teams: BTreeSet<(String, String)>,
}

/// A token that no longer works ([`MemoryForge::revoke_token`]) or may only read
/// ([`MemoryForge::set_read_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Revoked,
    ReadOnly,
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn check(&self) -> Result<(), ForgeError> {
        if self.unavailable {
            return Err(ForgeError::Unavailable {
                backend: "memory",
                retryable: true,
                source: "the memory forge was made unavailable".into(),
            });
        }
        if self.refusal == Some(Refusal::Revoked) {
            return Err(ForgeError::Unauthorized {
                message: "Bad credentials".into(),
            });
        }
        Ok(())
    }

    /// [`State::check`] for a call that writes.
    fn check_write(&self) -> Result<(), ForgeError> {
        self.check()?;
        if self.refusal == Some(Refusal::ReadOnly) {
            return Err(ForgeError::Unauthorized {
                message: "Resource not accessible by integration".into(),
            });
        }
        Ok(())
    }

    fn identity(&self) -> String {
        self.identity
            .clone()
            .unwrap_or_else(|| ACTIONS_BOT_LOGIN.to_owned())
    }

    fn repo(&mut self, repo: &Repository) -> Result<&mut Vec<Pr>, ForgeError> {
        self.repos
            .get_mut(repo.as_str())
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("repository `{repo}`"),
            })
    }

    fn workflow(&self, repo: &Repository, file: &str) -> Result<&BTreeSet<String>, ForgeError> {
        self.workflows
            .get(&(repo.as_str().to_owned(), file.to_owned()))
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("workflow `{file}` in `{repo}`"),
            })
    }
}

/// The in-memory forge. Cheap to clone: clones share their state.
#[derive(Debug, Clone)]
pub struct MemoryForge {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryForge {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryForge {
    /// An empty forge (no repositories) on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// An empty forge whose runs are timestamped by `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            clock,
        }
    }

    /// Adds the repository `repo` (no-op if it exists).
    pub fn add_repo(&self, repo: &str) {
        lock(&self.state).repos.entry(repo.to_owned()).or_default();
    }

    /// Opens pull request `number` from `branch` at `head_sha` in `repo` (adding the repository).
    pub fn open_pr(&self, repo: &str, number: u64, branch: &str, head_sha: &str) {
        let mut state = lock(&self.state);
        let prs = state.repos.entry(repo.to_owned()).or_default();
        prs.retain(|pr| pr.number != number);
        prs.push(Pr {
            number,
            branch: branch.to_owned(),
            head_sha: head_sha.to_owned(),
            open: true,
            comments: Vec::new(),
            reviews: Vec::new(),
            label_events: Vec::new(),
        });
    }

    /// Submits a review by `login` in `state` (`APPROVED`, `CHANGES_REQUESTED`, …) on pull
    /// request `number` at `at`; `false` if there is no such pull request.
    pub fn add_review(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        state: &str,
        at: DateTime<Utc>,
    ) -> bool {
        self.with_pr(repo, number, |pr| {
            pr.reviews.push(Review {
                login: Some(login.to_owned()),
                state: ReviewState::from_github(state),
                submitted_at: Some(at),
            });
        })
    }

    /// `actor` adds (`added`) or removes label `label` on pull request `number` at `at`;
    /// `false` if there is no such pull request.
    pub fn label(
        &self,
        repo: &str,
        number: u64,
        actor: &str,
        label: &str,
        added: bool,
        at: DateTime<Utc>,
    ) -> bool {
        self.with_pr(repo, number, |pr| {
            pr.label_events.push(LabelEvent {
                actor: Some(actor.to_owned()),
                label: label.to_owned(),
                added,
                at,
            });
        })
    }

    /// Makes `login` an active member of team `org/team_slug`.
    pub fn add_team_member(&self, org: &str, team_slug: &str, login: &str) {
        lock(&self.state).teams.insert((
            format!("{org}/{team_slug}").to_ascii_lowercase(),
            login.to_ascii_lowercase(),
        ));
    }

    fn with_pr(&self, repo: &str, number: u64, f: impl FnOnce(&mut Pr)) -> bool {
        let mut state = lock(&self.state);
        match state
            .repos
            .get_mut(repo)
            .and_then(|prs| prs.iter_mut().find(|pr| pr.number == number))
        {
            Some(pr) => {
                f(pr);
                true
            }
            None => false,
        }
    }

    /// Closes pull request `number` (its comments stay and can still be edited, as on GitHub).
    pub fn close_pr(&self, repo: &str, number: u64) {
        let mut state = lock(&self.state);
        if let Some(pr) = state
            .repos
            .get_mut(repo)
            .and_then(|prs| prs.iter_mut().find(|pr| pr.number == number))
        {
            pr.open = false;
        }
    }

    /// Posts a comment by `author` on pull request `number` (e.g. someone else's comment carrying
    /// a marker); returns its id, or `None` if there is no such pull request.
    pub fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) -> Option<u64> {
        let mut state = lock(&self.state);
        let id = state.next_id();
        let pr = state
            .repos
            .get_mut(repo)
            .and_then(|prs| prs.iter_mut().find(|pr| pr.number == number))?;
        pr.comments.push(MemoryComment {
            id,
            author: author.to_owned(),
            body: body.to_owned(),
            edits: 0,
        });
        Some(id)
    }

    /// Makes the forge write as `login` (default `github-actions[bot]`).
    pub fn set_identity(&self, login: &str) {
        lock(&self.state).identity = Some(login.to_owned());
    }

    /// The login the forge writes as.
    pub fn identity(&self) -> String {
        lock(&self.state).identity()
    }

    /// Makes every call fail with [`ForgeError::Unauthorized`], as a revoked token does.
    pub fn revoke_token(&self) {
        lock(&self.state).refusal = Some(Refusal::Revoked);
    }

    /// Makes writes (comments, statuses, dispatches) fail with [`ForgeError::Unauthorized`], as
    /// a token without write permission does (or lets them work again).
    pub fn set_read_only(&self, read_only: bool) {
        lock(&self.state).refusal = read_only.then_some(Refusal::ReadOnly);
    }

    /// Points `git_ref` (`refs/tags/v1`, `refs/heads/main`) of `repo` at commit `sha`.
    pub fn set_ref(&self, repo: &str, git_ref: &str, sha: &str) {
        let mut state = lock(&self.state);
        state.repos.entry(repo.to_owned()).or_default();
        state
            .refs
            .insert((repo.to_owned(), git_ref.to_owned()), sha.to_owned());
    }

    /// Declares workflow `file` in `repo` with a `workflow_dispatch` trigger taking `inputs`.
    pub fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]) {
        let mut state = lock(&self.state);
        state.repos.entry(repo.to_owned()).or_default();
        state.workflows.insert(
            (repo.to_owned(), file.to_owned()),
            inputs.iter().map(|i| (*i).to_owned()).collect(),
        );
    }

    /// Adds a finished run of `file` on `git_ref` created at `created_at` (e.g. an older run
    /// that must not be mistaken for a dispatched one); returns its id.
    pub fn seed_run(
        &self,
        repo: &str,
        file: &str,
        git_ref: &str,
        event: &str,
        created_at: DateTime<Utc>,
    ) -> u64 {
        let mut state = lock(&self.state);
        let id = state.next_id();
        state.runs.push(MemoryRun {
            state: RunState {
                id,
                status: WorkflowRunStatus::Completed,
                conclusion: Some("success".into()),
                html_url: format!("https://github.com/{repo}/actions/runs/{id}"),
                created_at,
            },
            repo: repo.to_owned(),
            workflow_file: file.to_owned(),
            git_ref: short_ref(git_ref).to_owned(),
            event: event.to_owned(),
            inputs: BTreeMap::new(),
            conclusion: "success".into(),
        });
        id
    }

    /// How runs dispatched from now on end (`success` unless set).
    pub fn set_run_conclusion(&self, conclusion: &str) {
        lock(&self.state).conclusion = Some(conclusion.to_owned());
    }

    /// Makes every call fail with a retryable [`ForgeError::Unavailable`] (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.state).unavailable = unavailable;
    }

    /// The comments on pull request `number`, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<MemoryComment> {
        lock(&self.state)
            .repos
            .get(repo)
            .and_then(|prs| prs.iter().find(|pr| pr.number == number))
            .map(|pr| pr.comments.clone())
            .unwrap_or_default()
    }

    /// Every commit status set, in order.
    pub fn statuses(&self) -> Vec<RecordedStatus> {
        lock(&self.state).statuses.clone()
    }

    /// Every run, in creation order.
    pub fn runs(&self) -> Vec<MemoryRun> {
        lock(&self.state).runs.clone()
    }
}

#[async_trait]
impl Forge for MemoryForge {
    async fn upsert_pr_comment(
        &self,
        repo: &Repository,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<CommentRef, ForgeError> {
        let mut state = lock(&self.state);
        state.check_write()?;
        let body = fit_comment(marker, body);
        let identity = state.identity();
        let id = state.next_id();
        let pull = state
            .repo(repo)?
            .iter_mut()
            .find(|p| p.number == pr)
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("pull request #{pr} in `{repo}`"),
            })?;
        let url = |id: u64| format!("https://github.com/{repo}/pull/{pr}#issuecomment-{id}");
        if let Some(existing) = pull
            .comments
            .iter_mut()
            .find(|c| is_own_marked_comment(Some(&c.author), &identity, &c.body, marker))
        {
            existing.body = body;
            existing.edits += 1;
            return Ok(CommentRef {
                id: existing.id,
                url: url(existing.id),
                created: false,
            });
        }
        pull.comments.push(MemoryComment {
            id,
            author: identity,
            body,
            edits: 0,
        });
        Ok(CommentRef {
            id,
            url: url(id),
            created: true,
        })
    }

    async fn find_open_pr(
        &self,
        repo: &Repository,
        branch: &Branch,
    ) -> Result<Option<PrRef>, ForgeError> {
        let mut state = lock(&self.state);
        state.check()?;
        let found = state
            .repo(repo)?
            .iter()
            .filter(|pr| pr.open && pr.branch == short_ref(branch.as_str()))
            .min_by_key(|pr| pr.number)
            .map(|pr| PrRef {
                number: pr.number,
                url: format!("https://github.com/{repo}/pull/{}", pr.number),
                head_sha: pr.head_sha.clone(),
            });
        Ok(found)
    }

    async fn set_commit_status(
        &self,
        repo: &Repository,
        sha: &CommitSha,
        status: &CommitStatus,
    ) -> Result<(), ForgeError> {
        let mut state = lock(&self.state);
        state.check_write()?;
        state.repo(repo)?;
        let mut status = status.clone();
        status.description = status
            .description
            .as_deref()
            .map(crate::ports::forge::fit_status_description);
        state.statuses.push(RecordedStatus {
            repo: repo.as_str().to_owned(),
            sha: sha.as_str().to_owned(),
            status,
        });
        Ok(())
    }

    async fn dispatch_workflow(
        &self,
        repo: &Repository,
        workflow_file: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<DispatchRef, ForgeError> {
        let now = self.clock.now();
        let git_ref = short_ref(git_ref);
        let mut state = lock(&self.state);
        state.check_write()?;
        let declared = state.workflow(repo, workflow_file)?;
        let unexpected: Vec<&String> = inputs.keys().filter(|k| !declared.contains(*k)).collect();
        if !unexpected.is_empty() {
            // GitHub's own wording for an input the workflow does not declare.
            return Err(ForgeError::Unprocessable {
                message: format!(
                    "Unexpected inputs provided: {}",
                    serde_json::to_string(&unexpected).unwrap_or_default()
                ),
            });
        }
        let earlier_runs = state
            .runs
            .iter()
            .filter(|r| r.repo == repo.as_str() && r.workflow_file == workflow_file)
            .map(|r| r.state.id)
            .collect();
        let id = state.next_id();
        let conclusion = state.conclusion.clone().unwrap_or_else(|| "success".into());
        state.runs.push(MemoryRun {
            state: RunState {
                id,
                status: WorkflowRunStatus::Queued,
                conclusion: None,
                html_url: format!("https://github.com/{repo}/actions/runs/{id}"),
                created_at: now,
            },
            repo: repo.as_str().to_owned(),
            workflow_file: workflow_file.to_owned(),
            git_ref: git_ref.to_owned(),
            event: "workflow_dispatch".into(),
            inputs: inputs.clone(),
            conclusion,
        });
        Ok(DispatchRef {
            repo: repo.clone(),
            workflow_file: workflow_file.to_owned(),
            git_ref: git_ref.to_owned(),
            dispatched_at: now.trunc_subsecs(0),
            earlier_runs,
        })
    }

    async fn find_dispatched_run(
        &self,
        dispatch: &DispatchRef,
    ) -> Result<Option<RunState>, ForgeError> {
        let state = lock(&self.state);
        state.check()?;
        state.workflow(&dispatch.repo, &dispatch.workflow_file)?;
        Ok(state
            .runs
            .iter()
            .filter(|r| {
                r.repo == dispatch.repo.as_str()
                    && r.workflow_file == dispatch.workflow_file
                    && r.git_ref == short_ref(&dispatch.git_ref)
                    && r.event == "workflow_dispatch"
                    && r.state.created_at >= dispatch.dispatched_at
                    && !dispatch.earlier_runs.contains(&r.state.id)
            })
            .min_by_key(|r| (r.state.created_at, r.state.id))
            .map(|r| r.state.clone()))
    }

    async fn poll_run(&self, repo: &Repository, run_id: u64) -> Result<RunState, ForgeError> {
        let mut state = lock(&self.state);
        state.check()?;
        let run = state
            .runs
            .iter_mut()
            .find(|r| r.repo == repo.as_str() && r.state.id == run_id)
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("workflow run {run_id} in `{repo}`"),
            })?;
        let seen = run.state.clone();
        // Each poll moves the run one step: queued → in_progress → completed.
        match run.state.status {
            WorkflowRunStatus::Queued => run.state.status = WorkflowRunStatus::InProgress,
            WorkflowRunStatus::InProgress => {
                run.state.status = WorkflowRunStatus::Completed;
                run.state.conclusion = Some(run.conclusion.clone());
            }
            WorkflowRunStatus::Completed | WorkflowRunStatus::Other(_) => {}
        }
        Ok(seen)
    }

    async fn latest_run_url(
        &self,
        repo: &Repository,
        workflow_file: &str,
    ) -> Result<Option<String>, ForgeError> {
        let state = lock(&self.state);
        state.check()?;
        state.workflow(repo, workflow_file)?;
        Ok(state
            .runs
            .iter()
            .filter(|r| r.repo == repo.as_str() && r.workflow_file == workflow_file)
            .max_by_key(|r| (r.state.created_at, r.state.id))
            .map(|r| r.state.html_url.clone()))
    }

    async fn resolve_ref(&self, repo: &Repository, git_ref: &str) -> Result<CommitSha, ForgeError> {
        if let Some(sha) = CommitSha::parse(git_ref) {
            return Ok(sha);
        }
        let mut state = lock(&self.state);
        state.check()?;
        state.repo(repo)?;
        ref_candidates(git_ref)
            .iter()
            .find_map(|r| state.refs.get(&(repo.as_str().to_owned(), r.clone())))
            .and_then(|sha| CommitSha::parse(sha))
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("ref `{git_ref}` in `{repo}`"),
            })
    }

    async fn list_pr_reviews(&self, repo: &Repository, pr: u64) -> Result<Vec<Review>, ForgeError> {
        let mut state = lock(&self.state);
        state.check()?;
        let pull = state
            .repo(repo)?
            .iter()
            .find(|p| p.number == pr)
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("pull request #{pr} in `{repo}`"),
            })?;
        let mut reviews = pull.reviews.clone();
        reviews.sort_by_key(|r| r.submitted_at);
        Ok(reviews)
    }

    async fn list_label_events(
        &self,
        repo: &Repository,
        pr: u64,
    ) -> Result<Vec<LabelEvent>, ForgeError> {
        let mut state = lock(&self.state);
        state.check()?;
        let pull = state
            .repo(repo)?
            .iter()
            .find(|p| p.number == pr)
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("pull request #{pr} in `{repo}`"),
            })?;
        let mut events = pull.label_events.clone();
        events.sort_by_key(|e| e.at);
        Ok(events)
    }

    async fn is_team_member(
        &self,
        org: &str,
        team_slug: &str,
        login: &str,
    ) -> Result<bool, ForgeError> {
        let state = lock(&self.state);
        state.check()?;
        Ok(state.teams.contains(&(
            format!("{org}/{team_slug}").to_ascii_lowercase(),
            login.to_ascii_lowercase(),
        )))
    }
}

#[cfg(test)]
mod tests;
