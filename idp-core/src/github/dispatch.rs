//! `--via-github`: instead of acting directly, dispatch the platform's workflow
//! ([`crate::github::workflows`]) and follow the run until it finishes, so the change happens where the
//! team's credentials, approvals and audit log are: in GitHub Actions.

use serde::Serialize;

use crate::domain::event::Repository;
use crate::error::{Error, Result};
use crate::github::wait::{WaitError, WaitOptions, wait_for_run};
use crate::github::workflows::Dispatch;
use crate::ports::{Forge, ForgeError, RunState};

/// What to dispatch, where.
#[derive(Debug, Clone)]
pub struct ViaGithubRequest {
    /// The repository holding the workflows (`github.repo`).
    pub repo: Repository,
    /// The branch or tag to run the workflow on.
    pub git_ref: String,
    /// The workflow and its inputs.
    pub dispatch: Dispatch,
    /// How long and how often to poll.
    pub wait: WaitOptions,
}

/// The finished run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViaGithubReport {
    /// `dispatched`: the change ran as a workflow; see `conclusion`.
    pub outcome: &'static str,
    /// The repository.
    pub repo: String,
    /// The workflow file.
    pub workflow: String,
    /// The ref it ran on.
    pub git_ref: String,
    /// The inputs sent.
    pub inputs: std::collections::BTreeMap<String, String>,
    /// The run's id.
    pub run_id: u64,
    /// Where to see it.
    pub run_url: String,
    /// How it ended (`success`, `failure`, `cancelled`, …).
    pub conclusion: Option<String>,
    /// Whether it ended with `success`.
    pub succeeded: bool,
}

fn forge_error(e: ForgeError) -> Error {
    let reason = if e.is_retryable() {
        "forge_unavailable"
    } else {
        "forge_error"
    };
    Error::Refused {
        reason: reason.to_owned(),
        message: format!("GitHub refused or failed the request: {e}"),
    }
}

/// Dispatch, find the run, follow it to the end; `on_progress` sees every status change.
pub async fn dispatch_and_wait(
    forge: &dyn Forge,
    req: ViaGithubRequest,
    on_progress: impl FnMut(&RunState) + Send,
) -> Result<ViaGithubReport> {
    let started = forge
        .dispatch_workflow(
            &req.repo,
            req.dispatch.workflow,
            &req.git_ref,
            &req.dispatch.inputs,
        )
        .await
        .map_err(forge_error)?;
    let run = wait_for_run(forge, &started, req.wait, on_progress)
        .await
        .map_err(|e| match e {
            WaitError::Forge(f) => forge_error(f),
            other => Error::Refused {
                reason: "run_not_finished".to_owned(),
                message: other.to_string(),
            },
        })?;
    Ok(ViaGithubReport {
        outcome: "dispatched",
        repo: req.repo.to_string(),
        workflow: req.dispatch.workflow.to_owned(),
        git_ref: req.git_ref,
        inputs: req.dispatch.inputs,
        run_id: run.id,
        run_url: run.html_url.clone(),
        succeeded: run.succeeded(),
        conclusion: run.conclusion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryForge;
    use crate::domain::naming::EnvName;
    use crate::github::workflows::{self, DESTROY_INPUTS, PROVISION_INPUTS};

    fn setup() -> MemoryForge {
        let forge = MemoryForge::default();
        forge.add_workflow("acme/idp", workflows::PROVISION_WORKFLOW, &PROVISION_INPUTS);
        forge.add_workflow("acme/idp", workflows::DESTROY_WORKFLOW, &DESTROY_INPUTS);
        forge
    }

    fn req(dispatch: Dispatch) -> ViaGithubRequest {
        ViaGithubRequest {
            repo: Repository::parse("acme/idp").unwrap(),
            git_ref: "main".into(),
            dispatch,
            wait: WaitOptions::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_destroy_is_dispatched_with_its_declared_inputs_and_followed_to_the_end() {
        let forge = setup();
        let name = EnvName::parse("demo").unwrap();
        let mut seen = Vec::new();
        let report = dispatch_and_wait(&forge, req(workflows::destroy(&name)), |r| {
            seen.push(r.status.to_string())
        })
        .await
        .unwrap();
        assert!(report.succeeded, "{report:?}");
        assert!(
            report.run_url.contains("/actions/runs/"),
            "{}",
            report.run_url
        );
        assert_eq!(seen.last().map(String::as_str), Some("completed"));
        let runs = forge.runs();
        assert_eq!(runs.len(), 1);
        assert_eq!(
            runs[0]
                .inputs
                .get(crate::github::workflows::INPUT_ENVIRONMENT_NAME)
                .map(String::as_str),
            Some("demo")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_run_is_reported_not_hidden() {
        let forge = setup();
        forge.set_run_conclusion("failure");
        let name = EnvName::parse("demo").unwrap();
        let report = dispatch_and_wait(
            &forge,
            req(workflows::extend(
                &name,
                crate::domain::ttl::Ttl::parse("2d").unwrap(),
            )),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            (report.succeeded, report.conclusion.as_deref()),
            (false, Some("failure"))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_workflow_is_an_error() {
        let forge = MemoryForge::default();
        let name = EnvName::parse("demo").unwrap();
        let err = dispatch_and_wait(&forge, req(workflows::destroy(&name)), |_| {})
            .await
            .unwrap_err();
        assert!(err.to_string().contains("GitHub"), "{err}");
    }
}
