//! Telling the pull request: the preview comment and the per-environment commit status.
//!
//! A deployment never fails because GitHub did: every forge error here becomes a line in the
//! report's `notices` and the use case carries on. A backend without a forge
//! ([`ForgeError::NotConfigured`]) is skipped silently. [`comment_on_event`] is the comment on
//! its own (the Action's `comment` step): it reports a forge error instead of hiding it.

use crate::domain::config::Config;
use crate::domain::cost;
use crate::domain::event::{Branch, CommitSha, Repository, Trigger};
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::domain::render::{CommentState, CommentView, comment_marker, pr_comment};
use crate::platform::Platform;
use crate::ports::{CommentRef, CommitState, CommitStatus, ForgeError};
use crate::support::state;

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
        crate::domain::tfvars::network(config, &crate::domain::tfvars::PlatformVars::default()),
    );
    format!("~{}/month", cost::format_usd(estimate.monthly_usd))
}

/// `billed $5.75 this month (Cost Explorer, through 2026-12-03)` once the bill covers a day;
/// `None` without a billing source or a billed day (the comment then shows the estimate only).
async fn billed_line(
    platform: &Platform,
    meta: &Metadata,
    notices: &mut Vec<String>,
) -> Option<String> {
    platform.backend.billing.as_ref()?;
    let month = platform.backend.clock.now().date_naive();
    let spend =
        match crate::support::spend::month_to_date(platform, month, std::slice::from_ref(meta))
            .await
        {
            Ok(spend) => spend,
            Err(error) => {
                tracing::warn!(%error, "could not read the billed spend");
                notices.push(format!("could not read the billed spend: {error}"));
                return None;
            }
        };
    let s = spend.get(&meta.name)?;
    let day = s.billed_through?;
    Some(format!(
        "billed {} this month (Cost Explorer, through {day})",
        cost::format_usd(s.billed_usd)
    ))
}

/// What the comment of `meta` shows.
fn view(
    platform: &Platform,
    meta: &Metadata,
    state: CommentState,
    config: Option<&Config>,
    detail: Option<String>,
) -> CommentView {
    CommentView {
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
        // A failure the caller did not describe shows what the record kept of it.
        detail: detail.or_else(|| {
            (state == CommentState::Failed)
                .then(|| meta.last_error.clone())
                .flatten()
        }),
    }
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
    let mut view = view(platform, meta, state, config, detail);
    if let Some(estimate) = view.cost_estimate.as_mut()
        && let Some(billed) = billed_line(platform, meta, notices).await
    {
        *estimate = format!("{estimate} estimated; {billed}");
    }
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

/// The title of an environment's comment: its record wins when it failed or is destroyed;
/// otherwise the title asked for, else "updated".
pub fn comment_state(asked: Option<CommentState>, status: Status) -> CommentState {
    match (asked, status) {
        (_, Status::Failed) => CommentState::Failed,
        (_, Status::Destroyed) | (Some(CommentState::Destroyed), _) => CommentState::Destroyed,
        (Some(asked), _) => asked,
        (None, _) => CommentState::Updated,
    }
}

/// What [`comment_on_event`] did.
#[derive(Debug, Clone)]
pub struct CommentReport {
    /// The comment's Markdown (also what a step summary shows).
    pub body: String,
    /// The pull request commented on: the event's, else the open one of its branch.
    pub pr: Option<u64>,
    /// Why the branch's pull request could not be looked up.
    pub lookup_error: Option<String>,
    /// The comment written, or why it was not.
    pub posted: Posted,
}

/// Whether [`comment_on_event`] wrote the comment.
#[derive(Debug, Clone)]
pub enum Posted {
    /// Created or edited.
    Comment(CommentRef),
    /// The event has no pull request (and its branch has no open one).
    NoPullRequest,
    /// The forge refused or failed.
    Failed(String),
}

/// Create or update the comment of environment `name` on the pull request of `trigger` (the
/// event's pull request, or the open pull request of a push's or deletion's branch), titled by
/// [`comment_state`]. Fails only when the environment has no record; forge errors are in the
/// report.
pub async fn comment_on_event(
    platform: &Platform,
    name: &EnvName,
    trigger: &Trigger,
    asked: Option<CommentState>,
) -> crate::error::Result<CommentReport> {
    let meta = state::load_existing(&*platform.backend.store, name)
        .await?
        .meta;
    let state = comment_state(asked, meta.status);
    let body = pr_comment(&view(platform, &meta, state, None, None));
    let forge = &platform.backend.forge;
    let mut lookup_error = None;
    let target = match (trigger.repository(), trigger.pr_number(), trigger.branch()) {
        (Some(repository), Some(number), _) => Some((repository.clone(), number)),
        (Some(repository), None, Some(branch)) => {
            match forge.find_open_pr(repository, branch).await {
                Ok(found) => found.map(|p| (repository.clone(), p.number)),
                Err(e) => {
                    lookup_error = Some(e.to_string());
                    None
                }
            }
        }
        _ => None,
    };
    let posted = match &target {
        Some((repository, pr)) => match forge
            .upsert_pr_comment(repository, *pr, &comment_marker(name), &body)
            .await
        {
            Ok(comment) => Posted::Comment(comment),
            Err(e) => Posted::Failed(e.to_string()),
        },
        None => Posted::NoPullRequest,
    };
    Ok(CommentReport {
        body,
        pr: target.map(|(_, pr)| pr),
        lookup_error,
        posted,
    })
}

#[cfg(test)]
mod billed_tests {
    use super::*;
    use crate::backend::Backend;
    use crate::domain::naming::EnvName;
    use crate::domain::template::TemplateName;
    use crate::ports::ENVIRONMENT_TAG;

    #[tokio::test]
    async fn the_comment_shows_the_estimate_and_once_billed_the_billed_spend() {
        let now: chrono::DateTime<chrono::Utc> = "2026-12-04T06:00:00Z".parse().unwrap();
        let (backend, h) = Backend::memory_at(now);
        let platform = Platform::new(backend);
        h.forge.open_pr("o/r", 7, "feature/x", &"a".repeat(40));
        let mut meta = Metadata::new(
            EnvName::parse("preview-x").unwrap(),
            TemplateName::default(),
            "octocat".into(),
            "2026-12-01T00:00:00Z".parse().unwrap(),
            "2026-12-10T00:00:00Z".parse().unwrap(),
        );
        meta.repository = Some("o/r".into());
        let config = Config::default();
        let mut notices = Vec::new();
        comment(
            &platform,
            &meta,
            Some(7),
            CommentState::Updated,
            Some(&config),
            None,
            &mut notices,
        )
        .await;
        let body = h
            .forge
            .comments("o/r", 7)
            .last()
            .map(|c| c.body.clone())
            .unwrap_or_default();
        assert!(body.contains("/month"), "{body}");
        assert!(!body.contains("billed"), "{body}");
        // The next day the bill covers the 3rd.
        h.billing.add(
            ENVIRONMENT_TAG,
            "2026-12-03".parse().unwrap(),
            "preview-x",
            4.5,
        );
        h.clock.set("2026-12-05T06:00:00Z".parse().unwrap());
        comment(
            &platform,
            &meta,
            Some(7),
            CommentState::Updated,
            Some(&config),
            None,
            &mut notices,
        )
        .await;
        let body = h
            .forge
            .comments("o/r", 7)
            .last()
            .map(|c| c.body.clone())
            .unwrap_or_default();
        assert!(
            body.contains(
                r"estimated; billed \$4.50 this month \(Cost Explorer, through 2026-12-03\)"
            ),
            "{body}"
        );
        assert!(notices.is_empty(), "{notices:?}");
    }
}
