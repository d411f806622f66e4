//! Following a dispatched workflow run until it finishes.
//!
//! The [`Forge`](crate::ports::Forge) port answers one question per call; waiting belongs here:
//! find the run a `workflow_dispatch` started (it shows a few seconds after the dispatch), then
//! poll it with growing intervals until it completes or the time is up. Waiting uses tokio's
//! timer, so tests run it on paused time.

use std::time::Duration;

use crate::ports::{DispatchRef, Forge, ForgeError, RunState};

/// How [`wait_for_run`] waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// The longest time to wait in all.
    pub timeout: Duration,
    /// The first interval between polls.
    pub initial_interval: Duration,
    /// The longest interval between polls (each one is 1.5 times the last).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60 * 60),
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }
}

/// Why [`wait_for_run`] gave up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The forge failed (a non-retryable error, or a retryable one that lasted until the
    /// timeout).
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The dispatched run never showed up.
    #[error("no run of workflow `{workflow}` on `{git_ref}` appeared within {}s of the dispatch; check the workflow's Actions tab", timeout.as_secs())]
    RunNotFound {
        /// The workflow file.
        workflow: String,
        /// The ref.
        git_ref: String,
        /// How long it waited.
        timeout: Duration,
    },
    /// The run did not finish in time; it may still be running.
    #[error("run `{}` did not finish within {}s; follow it at {}", last.id, timeout.as_secs(), last.html_url)]
    Timeout {
        /// The run as last seen.
        last: RunState,
        /// How long it waited.
        timeout: Duration,
    },
}

/// Finds the run `dispatch` started and polls it until it completes, calling `on_progress`
/// whenever its status changes (and once when it is found). Retryable forge errors are waited
/// out like a poll; others end the wait. Returns the completed run (check
/// [`RunState::succeeded`]).
pub async fn wait_for_run(
    forge: &dyn Forge,
    dispatch: &DispatchRef,
    options: WaitOptions,
    mut on_progress: impl FnMut(&RunState) + Send,
) -> Result<RunState, WaitError> {
    let mut waited = Duration::ZERO;
    let mut interval = options.initial_interval;
    let mut last: Option<RunState> = None;
    loop {
        let seen = match &last {
            None => forge.find_dispatched_run(dispatch).await,
            Some(run) => forge.poll_run(&dispatch.repo, run.id).await.map(Some),
        };
        match seen {
            Ok(Some(run)) => {
                if last.as_ref().is_none_or(|l| l.status != run.status) {
                    on_progress(&run);
                }
                if run.is_completed() {
                    return Ok(run);
                }
                last = Some(run);
            }
            Ok(None) => {}
            Err(error) if error.is_retryable() => {
                tracing::debug!(%error, "waiting out a retryable forge error");
            }
            Err(error) => return Err(error.into()),
        }
        if waited >= options.timeout {
            return Err(match last {
                Some(last) => WaitError::Timeout {
                    last,
                    timeout: options.timeout,
                },
                None => WaitError::RunNotFound {
                    workflow: dispatch.workflow_file.clone(),
                    git_ref: dispatch.git_ref.clone(),
                    timeout: options.timeout,
                },
            });
        }
        let step = interval
            .min(options.timeout.saturating_sub(waited))
            .max(Duration::from_millis(1));
        tokio::time::sleep(step).await;
        waited += step;
        interval = interval.mul_f64(1.5).min(options.max_interval);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::adapters::memory::MemoryForge;
    use crate::domain::event::Repository;
    use crate::ports::{FixedClock, WorkflowRunStatus};

    fn repo() -> Repository {
        Repository::parse("octo/app").unwrap_or_else(|| unreachable!())
    }

    fn forge() -> MemoryForge {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let forge = MemoryForge::with_clock(std::sync::Arc::new(FixedClock::new(now)));
        forge.add_workflow("octo/app", "infra.yml", &["stack"]);
        forge
    }

    #[tokio::test(start_paused = true)]
    async fn a_dispatched_run_is_followed_to_completion_with_each_status_reported() {
        let forge = forge();
        let inputs = BTreeMap::from([("stack".to_owned(), "shared".to_owned())]);
        let dispatch = forge
            .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut seen = Vec::new();
        let run = wait_for_run(&forge, &dispatch, WaitOptions::default(), |r| {
            seen.push(r.status.clone());
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(run.succeeded());
        assert_eq!(
            seen,
            [
                WorkflowRunStatus::Queued,
                WorkflowRunStatus::InProgress,
                WorkflowRunStatus::Completed
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_never_shows_up_ends_in_run_not_found_at_the_timeout() {
        let forge = forge();
        let dispatch = DispatchRef {
            repo: repo(),
            workflow_file: "infra.yml".into(),
            git_ref: "main".into(),
            dispatched_at: chrono::DateTime::<chrono::Utc>::MAX_UTC,
            earlier_runs: vec![],
        };
        let options = WaitOptions {
            timeout: Duration::from_secs(30),
            ..WaitOptions::default()
        };
        let error = wait_for_run(&forge, &dispatch, options, |_| {}).await;
        assert!(
            matches!(error, Err(WaitError::RunNotFound { .. })),
            "{error:?}"
        );
    }
}
