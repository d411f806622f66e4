//! `idp init [DIR]`.

use std::time::Duration;

use idp_core::adapters::github::{DEFAULT_API_URL, GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::error::Result;
use idp_core::ports::{Forge, NoForge};
use idp_core::repo::scaffold::{self, InitRequest};
use idp_core::setup::credentials;
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::settings::Key;

use crate::cli::{Cli, InitArgs, Output};
use crate::credential_store;
use crate::exit::Code;
use crate::{open, render};

pub(crate) async fn run(cli: &Cli, args: &InitArgs, out: Output) -> Result<Code> {
    let platform_repo = match &args.platform_repo {
        Some(repo) => Some(repo.clone()),
        None => open::settings(cli)?.get(Key::GithubRepo).map(str::to_owned),
    };
    // The ref is resolved with the stored token when there is one (a private platform
    // repository needs it), anonymously otherwise.
    let token = tokio::task::block_in_place(|| {
        let (store, _) = credential_store::open();
        credentials::token(&*store)
    })
    .ok()
    .flatten()
    .map(|(token, _)| token);
    let api_url =
        env_vars::get(EnvVars::GITHUB_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned());
    // Offline, say so after a second or two rather than after the minutes of a deploy's retries.
    let retry = RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(250),
        max_total_wait: Duration::from_secs(2),
    };
    let config = GitHubConfig::new(api_url, token).with_retry(retry);
    let forge: Box<dyn Forge> = match GitHubForge::new(&config) {
        Ok(forge) => Box::new(forge),
        Err(_) => Box::new(NoForge),
    };
    let spinner = render::spinner(out, "resolving the platform's ref");
    let report = scaffold::init(
        &InitRequest {
            dir: args.dir.clone(),
            platform_repo,
            git_ref: args.git_ref.clone(),
            force: args.force,
        },
        &*forge,
    )
    .await;
    spinner.finish_and_clear();
    render::init(&report?, out);
    Ok(Code::Ok)
}
