//! Telling the pull request: the preview comment and the per-environment commit status.
//!
//! A deployment never fails because GitHub did: every forge error here becomes a line in the
//! report's `notices` and the use case carries on. A backend without a forge
//! ([`ForgeError::NotConfigured`]) is skipped silently.

use crate::domain::config::Config;
use crate::domain::cost;
use crate::domain::event::{Branch, CommitSha, Repository};
use crate::domain::lifecycle::Metadata;
use crate::domain::render::{CommentState, CommentView, comment_marker, pr_comment};
use crate::platform::Platform;
use crate::ports::{CommitState, CommitStatus, ForgeError};

/// The commit status context of `env`: `idp/preview/<env>`.
pub(crate) fn status_context(meta_name: &str) -> String {
    format!("idp/preview/{meta_name}")
}

fn note(notices: &mut Vec<String>, what: &str, error: &ForgeError) {
    if matches!(error, ForgeError::NotConfigured) {
        return;
    }
    tracing::warn!(%error, "{what}");
    notices.push(format!("{what}: {error}"));
}

/// The open pull request of `branch` in `repo`, if the forge knows one.
pub(crate) async fn open_pr(
    platform: &Platform,
    repo: Option<&Repository>,
    branch: Option<&Branch>,
    notices: &mut Vec<String>,
) -> Option<u64> {
    let (repo, branch) = (repo?, branch?);
    match platform.backend.forge.find_open_pr(repo, branch).await {
        Ok(pr) => pr.map(|p| p.number),
        Err(error) => {
            note(
                notices,
                "could not look up the pull request of the branch",
                &error,
            );
            None
        }
    }
}

/// The commit status of environment `env`.
pub(crate) fn env_status(
    env: &str,
    state: CommitState,
    target_url: Option<String>,
    description: String,
) -> CommitStatus {
    CommitStatus {
        context: status_context(env),
        state,
        target_url,
        description: Some(description),
    }
}

/// Sets `status` on `sha`.
pub(crate) async fn status(
    platform: &Platform,
    repo: Option<&Repository>,
    sha: Option<&CommitSha>,
    status: CommitStatus,
    notices: &mut Vec<String>,
) {
    let (Some(repo), Some(sha)) = (repo, sha) else {
        return;
    };
    if let Err(error) = platform
        .backend
        .forge
        .set_commit_status(repo, sha, &status)
        .await
    {
        note(notices, "could not set the commit status", &error);
    }
}

/// The comment's cost line: `~$73/month` for the config's template and size.
pub(crate) fn cost_line(config: &Config) -> String {
    let estimate = cost::estimate(
        &config.template,
        config.cpu,
        config.memory,
        config.ttl,
        config.use_shared_networking,
    );
    format!("~{}/month", cost::format_usd(estimate.monthly_usd))
}

/// Creates or updates the environment's comment on pull request `pr` of `meta`'s repository.
pub(crate) async fn comment(
    platform: &Platform,
    meta: &Metadata,
    pr: Option<u64>,
    state: CommentState,
    config: Option<&Config>,
    detail: Option<String>,
    notices: &mut Vec<String>,
) {
    let Some(repo) = meta.repository.as_deref().and_then(Repository::parse) else {
        return;
    };
    let Some(pr) = pr else {
        return;
    };
    let view = CommentView {
        env: meta.name.clone(),
        state,
        branch: meta.branch.clone().unwrap_or_default(),
        url: meta.endpoint.clone(),
        status: meta.status,
        template: meta.template.clone(),
        commit: meta.commit.clone(),
        expires_at: Some(meta.expires_at),
        now: platform.backend.clock.now(),
        cost_estimate: config.map(cost_line),
        logs: Some(format!("idp logs {} --follow", meta.name)),
        detail,
    };
    let marker = comment_marker(&meta.name);
    if let Err(error) = platform
        .backend
        .forge
        .upsert_pr_comment(&repo, pr, &marker, &pr_comment(&view))
        .await
    {
        note(notices, "could not update the pull request comment", &error);
    }
}

/// After a destroy: the "destroyed" comment on the environment's pull request (the one it
/// recorded, else the branch's open one).
pub(crate) async fn destroyed(platform: &Platform, meta: &Metadata, notices: &mut Vec<String>) {
    let repo = meta.repository.as_deref().and_then(Repository::parse);
    let pr = match meta.pr_number {
        Some(pr) => Some(pr),
        None => {
            let branch = meta.branch.as_deref().and_then(|b| Branch::parse(b).ok());
            open_pr(platform, repo.as_ref(), branch.as_ref(), notices).await
        }
    };
    comment(
        platform,
        meta,
        pr,
        CommentState::Destroyed,
        None,
        None,
        notices,
    )
    .await;
}
