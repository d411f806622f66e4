//! `idp run FILE`, `idp run status ID`, `idp run logs ID ORDER`, `idp run resume ID`,
//! `idp run cancel ID`.
//!
//! Secrets: each name an order lists under `secrets:` is read from idp's own environment (in
//! CI, the workflow's secrets); the values are handed to the orders and masked in every output.

use std::collections::BTreeMap;

use idp_core::domain::event::Repository;
use idp_core::domain::orders::{Job, RunStatus, RunSummary};
use idp_core::error::{Error, Result};
use idp_core::runs::{self, Executors, PrTarget, RunId, RunOptions};
use idp_core::secret::Secret;
use idp_core::setup::env_vars;

use crate::cli::{Cli, Output, RunAction, RunArgs};
use crate::exit::Code;
use crate::{open, render};

pub(crate) async fn run(cli: &Cli, args: &RunArgs, out: Output) -> Result<Code> {
    match (&args.action, &args.file) {
        (Some(RunAction::Status(id)), _) => {
            let run_id = RunId::parse(&id.run_id)?;
            let summary = runs::status(&open::platform(cli).await?, &run_id).await?;
            render::run_summary(&summary, out);
            Ok(code(&summary))
        }
        (Some(RunAction::Logs(a)), _) => {
            let run_id = RunId::parse(&a.run_id)?;
            let log = runs::logs(&open::platform(cli).await?, &run_id, &a.order).await?;
            render::run_log(&a.run_id, &a.order, &log, out);
            Ok(Code::Ok)
        }
        (Some(RunAction::Cancel(id)), _) => {
            let run_id = RunId::parse(&id.run_id)?;
            let platform = open::platform(cli).await?;
            let options = RunOptions {
                executors: Executors::local(),
                ..RunOptions::default()
            };
            let by = platform.settings.actor.clone();
            let report = runs::cancel(&platform, &run_id, &by, options).await?;
            render::run_cancelled(&report, out);
            Ok(Code::Ok)
        }
        (Some(RunAction::Resume(a)), _) => {
            let run_id = RunId::parse(&a.run_id)?;
            let platform = open::platform(cli).await?;
            let mut options = RunOptions {
                executors: Executors::local(),
                ..RunOptions::default()
            };
            if let Some(dir) = &a.workdir {
                options.working_dir.clone_from(dir);
            }
            let job = runs::job_of(&platform, &run_id).await?;
            options.secrets = secrets_for_names(job.orders.iter().flat_map(|o| o.secrets.iter().cloned()));
            let progress = render::run_progress(out, a.watch, job.orders.len());
            options.progress = Some(progress.callback());
            let summary = runs::resume(&platform, &run_id, options).await;
            progress.finish();
            let summary = summary?;
            render::run_summary(&summary, out);
            Ok(code(&summary))
        }
        (None, Some(file)) => {
            let bytes = fs_err::read(file).map_err(|e| Error::Io {
                path: file.clone(),
                source: e,
            })?;
            let name = file.display().to_string();
            let job = match Job::from_bytes(&bytes, &name) {
                Ok(job) => job,
                Err(errors) => {
                    render::run_invalid(&errors, out);
                    return Ok(Code::Invalid);
                }
            };
            let flags = &args.options;
            let run_id = flags.run_id.as_deref().map(RunId::parse).transpose()?;
            let platform = open::platform(cli).await?;
            let mut options = RunOptions {
                executors: Executors::local(),
                max_parallel: flags.max_parallel.max(1),
                ..RunOptions::default()
            };
            if let Some(dir) = &flags.workdir {
                options.working_dir.clone_from(dir);
            }
            options.secrets = secrets_for_names(job.orders.iter().flat_map(|o| o.secrets.iter().cloned()));
            if let (Some(repo), Some(pr)) = (&flags.repo, flags.pr) {
                let repo = Repository::parse(repo).ok_or_else(|| Error::Refused {
                    reason: "invalid_repository".into(),
                    message: format!("`--repo {repo}` is not a repository: write `owner/name`"),
                })?;
                options.comment = Some(PrTarget { repo, pr });
            }
            let progress = render::run_progress(out, flags.watch, job.orders.len());
            options.progress = Some(progress.callback());
            let summary = runs::run(&platform, job, run_id, options).await;
            progress.finish();
            let summary = summary?;
            render::run_summary(&summary, out);
            Ok(code(&summary))
        }
        (None, None) => Err(Error::Refused {
            reason: "missing_job_file".into(),
            message: "`idp run` needs a job file, e.g. `idp run examples/runs/pipeline.yml`, or `status`, `logs` or `resume` with a run id".into(),
        }),
    }
}

/// The run's exit code: 1 when it failed, timed out or was cancelled, else 0.
fn code(summary: &RunSummary) -> Code {
    match summary.status {
        RunStatus::Failed | RunStatus::TimedOut | RunStatus::Cancelled => Code::Failure,
        RunStatus::Succeeded | RunStatus::Running => Code::Ok,
    }
}

/// The values of the named secrets that idp's environment has.
fn secrets_for_names(names: impl Iterator<Item = String>) -> BTreeMap<String, Secret<String>> {
    names
        .filter(|n| !n.is_empty())
        .filter_map(|n| env_vars::get(&n).map(|v| (n, Secret::new(v))))
        .collect()
}
