//! The in-memory [`Forge`]: pull requests, comments, commit statuses and workflow runs kept in
//! process memory, behaving like GitHub.
//!
//! Tests seed repositories, open pull requests and declare workflows (with their inputs, so an
//! undeclared input is refused with GitHub's 422 message), then inspect what the use cases
//! posted. A dispatched run is `queued`, then `in_progress` on the next poll, then `completed`
//! with the conclusion the test chose (default `success`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::lock;
use crate::domain::event::{Branch, CommitSha, Repository};
use crate::ports::forge::fit_comment;
use crate::ports::{
    Clock, CommentRef, CommitStatus, DispatchRef, Forge, ForgeError, PrRef, RunState, RunStatus,
    SystemClock,
};

/// A comment as the memory forge keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryComment {
    /// Its id (unique across the forge).
    pub id: u64,
    /// Its body.
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
    /// The status.
    pub status: CommitStatus,
}

/// A dispatched (or seeded) workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRun {
    /// The run's state now.
    pub state: RunState,
    /// The repository.
    pub repo: String,
    /// The workflow file.
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
        Ok(())
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
        });
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
                status: RunStatus::Completed,
                conclusion: Some("success".into()),
                html_url: format!("https://github.com/{repo}/actions/runs/{id}"),
                created_at,
            },
            repo: repo.to_owned(),
            workflow_file: file.to_owned(),
            git_ref: git_ref.to_owned(),
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
        state.check()?;
        let body = fit_comment(marker, body);
        let id = state.next_id();
        let pull = state
            .repo(repo)?
            .iter_mut()
            .find(|p| p.number == pr)
            .ok_or_else(|| ForgeError::NotFound {
                what: format!("pull request #{pr} in `{repo}`"),
            })?;
        let url = |id: u64| format!("https://github.com/{repo}/pull/{pr}#issuecomment-{id}");
        if let Some(existing) = pull.comments.iter_mut().find(|c| c.body.contains(marker)) {
            existing.body = body;
            existing.edits += 1;
            return Ok(CommentRef {
                id: existing.id,
                url: url(existing.id),
                created: false,
            });
        }
        pull.comments.push(MemoryComment { id, body, edits: 0 });
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
            .filter(|pr| pr.open && pr.branch == branch.as_str())
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
        state.check()?;
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
        let mut state = lock(&self.state);
        state.check()?;
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
                status: RunStatus::Queued,
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
                    && r.git_ref == dispatch.git_ref
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
            RunStatus::Queued => run.state.status = RunStatus::InProgress,
            RunStatus::InProgress => {
                run.state.status = RunStatus::Completed;
                run.state.conclusion = Some(run.conclusion.clone());
            }
            RunStatus::Completed | RunStatus::Other(_) => {}
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
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ports::{CommitState, FixedClock};

    fn repo() -> Repository {
        Repository::parse("octo/app").unwrap_or_else(|| unreachable!())
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    fn forge() -> MemoryForge {
        let forge = MemoryForge::with_clock(Arc::new(FixedClock::new(at(12, 0))));
        forge.open_pr("octo/app", 7, "feature/x", "abc");
        forge.add_workflow("octo/app", "infra.yml", &["stack"]);
        forge
    }

    #[tokio::test]
    async fn upserting_twice_edits_the_one_comment_carrying_the_marker() -> Result<(), ForgeError> {
        let forge = forge();
        let first = forge
            .upsert_pr_comment(&repo(), 7, "<!-- m -->", "one")
            .await?;
        let second = forge
            .upsert_pr_comment(&repo(), 7, "<!-- m -->", "two")
            .await?;
        assert!(first.created && !second.created);
        assert_eq!(first.id, second.id);
        let comments = forge.comments("octo/app", 7);
        assert_eq!(comments.len(), 1);
        assert_eq!(
            comments.first().map(|c| c.body.as_str()),
            Some("<!-- m -->\ntwo")
        );
        let other = forge
            .upsert_pr_comment(&repo(), 7, "<!-- n -->", "x")
            .await?;
        assert!(other.created);
        let missing = forge.upsert_pr_comment(&repo(), 8, "<!-- m -->", "x").await;
        assert!(matches!(missing, Err(ForgeError::NotFound { .. })));
        Ok(())
    }

    #[tokio::test]
    async fn statuses_are_recorded_in_order_and_open_prs_found_by_branch() -> Result<(), ForgeError>
    {
        let forge = forge();
        let sha = CommitSha::parse(&"a".repeat(40)).unwrap_or_else(|| unreachable!());
        for state in [CommitState::Pending, CommitState::Success] {
            let status = CommitStatus {
                context: "idp/preview/p".into(),
                state,
                target_url: None,
                description: Some("d".repeat(300)),
            };
            forge.set_commit_status(&repo(), &sha, &status).await?;
        }
        let states: Vec<_> = forge.statuses().iter().map(|s| s.status.state).collect();
        assert_eq!(states, [CommitState::Pending, CommitState::Success]);
        assert!(forge.statuses().iter().all(|s| {
            s.status
                .description
                .as_ref()
                .is_some_and(|d| d.chars().count() == 140)
        }));
        let branch = Branch::parse("feature/x").map_err(|_| ForgeError::NotConfigured)?;
        assert_eq!(
            forge
                .find_open_pr(&repo(), &branch)
                .await?
                .map(|p| p.number),
            Some(7)
        );
        forge.close_pr("octo/app", 7);
        assert_eq!(forge.find_open_pr(&repo(), &branch).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn a_dispatch_creates_a_run_that_completes_and_older_runs_are_ignored()
    -> Result<(), ForgeError> {
        let forge = forge();
        let older = forge.seed_run(
            "octo/app",
            "infra.yml",
            "main",
            "workflow_dispatch",
            at(11, 59),
        );
        let inputs = BTreeMap::from([("stack".to_owned(), "net".to_owned())]);
        let dispatch = forge
            .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
            .await?;
        assert_eq!(dispatch.earlier_runs, [older]);
        let run = forge.find_dispatched_run(&dispatch).await?;
        let run = run.ok_or(ForgeError::NotConfigured)?;
        assert_ne!(run.id, older);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(forge.poll_run(&repo(), run.id).await?);
        }
        assert!(statuses.last().is_some_and(RunState::succeeded));
        assert_eq!(
            forge.latest_run_url(&repo(), "infra.yml").await?,
            Some(format!(
                "https://github.com/octo/app/actions/runs/{}",
                run.id
            ))
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_undeclared_input_is_refused_with_githubs_message() {
        let forge = forge();
        let inputs = BTreeMap::from([("environment_name".to_owned(), "x".to_owned())]);
        let error = forge
            .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
            .await;
        match error {
            Err(ForgeError::Unprocessable { message }) => {
                assert_eq!(
                    message,
                    "Unexpected inputs provided: [\"environment_name\"]"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
