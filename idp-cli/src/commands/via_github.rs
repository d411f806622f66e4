//! `--via-github` for `create`, `destroy` and `extend`: the repository from `github.repo`, the
//! token from `GH_TOKEN`/`GITHUB_TOKEN` or `idp auth login`, then idp-core dispatches the
//! workflow and follows the run while a spinner shows its status.

use idp_core::adapters::github::{DEFAULT_API_URL, GitHubConfig, GitHubForge};
use idp_core::domain::event::Repository;
use idp_core::error::{Error, Result};
use idp_core::github::dispatch::{self, ViaGithubRequest};
use idp_core::github::wait::WaitOptions;
use idp_core::github::workflows::Dispatch;
use idp_core::setup::credentials;
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::settings::Key;

use crate::cli::{Cli, Output, ViaGithubArgs};
use crate::exit::Code;
use crate::{credential_store, open, render};

fn refused(reason: &str, message: String) -> Error {
    Error::Refused {
        reason: reason.to_owned(),
        message,
    }
}

pub(crate) async fn run(
    cli: &Cli,
    args: &ViaGithubArgs,
    dispatch: Dispatch,
    out: Output,
) -> Result<Code> {
    let settings = open::settings(cli)?;
    let repo_name = settings.get(Key::GithubRepo).ok_or_else(|| {
        refused(
            "github_repo_unset",
            "`--via-github` needs the platform repository: pass `--repo OWNER/NAME` or run `idp config set github.repo OWNER/NAME`".into(),
        )
    })?;
    let repo = Repository::parse(repo_name).ok_or_else(|| {
        refused(
            "invalid_setting",
            format!("`github.repo` is `{repo_name}`: expected `owner/name`"),
        )
    })?;
    let (token, _) = tokio::task::block_in_place(|| {
        let (store, _) = credential_store::open();
        credentials::token(&*store)
    })?
    .ok_or_else(|| {
        refused(
            "not_logged_in",
            "`--via-github` needs a GitHub token: run `idp auth login` or set `GH_TOKEN`".into(),
        )
    })?;
    let api_url =
        env_vars::get(EnvVars::GITHUB_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned());
    let forge = GitHubForge::new(&GitHubConfig::new(api_url, Some(token)))
        .map_err(|e| refused("forge_error", format!("cannot talk to GitHub: {e}")))?;
    let workflow = dispatch.workflow;
    let bar = render::spinner(out, &format!("dispatching {workflow} in {repo}"));
    let report = dispatch::dispatch_and_wait(
        &forge,
        ViaGithubRequest {
            repo,
            git_ref: args.git_ref.clone(),
            dispatch,
            wait: WaitOptions::default(),
        },
        |run| bar.set_message(format!("{workflow}: {} — {}", run.status, run.html_url)),
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    render::via_github(&report, out);
    Ok(if report.succeeded {
        Code::Ok
    } else {
        Code::Failure
    })
}
