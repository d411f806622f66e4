//! How a run is driven: its executors, parallelism, secrets, resume policy, progress callbacks
//! and pull request comment.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::records::RunEvent;
use crate::domain::event::Repository;
use crate::domain::orders::{RunSummary, Target};
use crate::ports::executor::Executor;
use crate::secret::Secret;

/// The executors available to runs, one per target.
#[derive(Debug, Clone, Default)]
pub struct Executors(BTreeMap<Target, Arc<dyn Executor>>);

impl Executors {
    /// No executors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the local executor, resolving working directories against the current directory.
    pub fn local() -> Self {
        Self::new().with(Arc::new(crate::adapters::local::LocalExecutor::new()))
    }

    /// These executors plus `executor` (replacing one for the same target).
    #[must_use]
    pub fn with(mut self, executor: Arc<dyn Executor>) -> Self {
        self.0.insert(executor.target(), executor);
        self
    }

    /// The executor of `target`.
    pub fn get(&self, target: Target) -> Option<&Arc<dyn Executor>> {
        self.0.get(&target)
    }
}

/// What to do with an order that was running when its orchestrator stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumePolicy {
    /// Stop what is left of it and run it again (a new attempt).
    #[default]
    Rerun,
    /// Stop what is left of it and record it as failed.
    MarkFailed,
}

/// Called with every event as it is recorded.
pub type ProgressFn = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// Called with the run's summary after every wave of dispatches and at the end (the PR comment).
pub type WaveFn = Arc<dyn Fn(&RunSummary) + Send + Sync>;

/// How a run is driven.
#[derive(Clone)]
pub struct RunOptions {
    /// The executors; a job whose orders need a missing one is refused before anything starts.
    pub executors: Executors,
    /// The most orders running at once.
    pub max_parallel: usize,
    /// The most output bytes kept per order (the end is kept).
    pub output_cap: usize,
    /// The directory orders' `working_dir` is relative to.
    pub working_dir: PathBuf,
    /// Secret values by name; every name an order lists must be here. Their values are masked
    /// in every order's output and never stored.
    pub secrets: BTreeMap<String, Secret<String>>,
    /// What [`resume`] does with an order that was running.
    pub resume_policy: ResumePolicy,
    /// How often the results of running orders are re-read from the store.
    pub poll: Duration,
    /// How long [`resume`] waits for the lease of a stopped orchestrator to expire.
    pub lease_wait: Duration,
    /// Receives every event.
    pub progress: Option<ProgressFn>,
    /// Receives the summary after every wave.
    pub on_wave: Option<WaveFn>,
    /// The pull request whose one run comment is kept up to date through the forge.
    pub comment: Option<PrTarget>,
    /// The least time between two comment updates (the last one is always made).
    pub comment_every: Duration,
}

/// A pull request: where a run's comment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrTarget {
    /// The repository.
    pub repo: Repository,
    /// The pull request's number.
    pub pr: u64,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("executors", &self.executors)
            .field("max_parallel", &self.max_parallel)
            .field("output_cap", &self.output_cap)
            .field("working_dir", &self.working_dir)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("resume_policy", &self.resume_policy)
            .field("poll", &self.poll)
            .field("comment", &self.comment)
            .finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            executors: Executors::local(),
            max_parallel: 8,
            output_cap: 256 * 1024,
            working_dir: PathBuf::from("."),
            secrets: BTreeMap::new(),
            resume_policy: ResumePolicy::Rerun,
            poll: Duration::from_secs(1),
            lease_wait: Duration::from_secs(60),
            progress: None,
            on_wave: None,
            comment: None,
            comment_every: Duration::from_secs(10),
        }
    }
}
