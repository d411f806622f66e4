//! `preview`: the GitOps path. A push provisions or redeploys the branch's environment; a
//! branch deletion or a closed pull request destroys it; everything else is a no-op that says
//! why. The decision is the domain's ([`crate::domain::decide`]); it is taken once to answer
//! cheap no-ops, then taken again under the environment's lease on fresh metadata, so two
//! triggers never act on a stale read.
//!
//! A new preview of a template that asks for approval ([`super::approval`]) is not provisioned
//! until the pull request carries it: the pull request gets the waiting comment and a `pending`
//! commit status, and nothing is written or applied.

use crate::budgets::guard;
use crate::domain::approval::{Approval, Requirement};
use crate::domain::config::Config;
use crate::domain::decide::{self, Action, Refusal};
use crate::domain::event::Trigger;
use crate::domain::lifecycle::Source;
use crate::domain::naming::EnvName;
use crate::domain::render::CommentState;
use crate::environments::destroy::{self, DestroyRequest};
use crate::error::{Error, Result};
use crate::gitops::approval::{self, Gate};
use crate::gitops::records::Deployment;
use crate::platform::Platform;
use crate::ports::CommitState;
use crate::support::deploy;
use crate::support::lease::{self, Purpose};
use crate::support::notify;
use crate::support::report::ChangeReport;
use crate::support::report::Outcome;
use crate::support::state::{self, Versioned};

/// A GitOps trigger and what the repository says about its environments.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    /// The parsed event.
    pub trigger: Trigger,
    /// The repository's `.idp/config.yml` (or the defaults).
    pub config: Config,
    /// The image built for this commit; `None` runs the config's image.
    pub image: Option<String>,
    /// Who pushed (recorded as the owner of a new environment).
    pub owner: Option<String>,
}

/// Run the GitOps path for one trigger.
pub async fn preview(platform: &Platform, req: PreviewRequest) -> Result<ChangeReport> {
    let now = platform.backend.clock.now();
    let env = match decide::env_for(&req.trigger) {
        Ok(Some(env)) => env,
        // No environment concerned (schedule, dispatch, ignored) or an unusable branch: the
        // decision says what that means.
        Ok(None) | Err(_) => {
            let decision = decide::decide(&req.trigger, None, now);
            return settle_without_acting(None, decision.action, decision.reason);
        }
    };
    let current = state::load(&*platform.backend.store, &env).await?;
    let decision = decide::decide(&req.trigger, current.as_ref().map(|v| &v.meta), now);
    match decision.action {
        Action::Destroy => {
            let branch = req.trigger.branch().map(|b| b.as_str().to_owned());
            let mut report = destroy::destroy(
                platform,
                DestroyRequest {
                    name: env,
                    expect_branch: branch,
                },
            )
            .await?;
            // A closed pull request gets the "destroyed" comment even if the environment was
            // created by a push and never learnt the pull request's number.
            if let (Trigger::PullRequestClosed { pr, .. }, Outcome::Destroyed, Some(meta)) =
                (&req.trigger, report.outcome, &report.environment)
                && meta.pr_number != Some(pr.number)
            {
                let mut notices = Vec::new();
                notify::comment(
                    platform,
                    meta,
                    Some(pr.number),
                    CommentState::Destroyed,
                    None,
                    None,
                    &mut notices,
                )
                .await;
                report.notices.extend(notices);
            }
            Ok(report)
        }
        Action::Provision | Action::ExtendAndRedeploy => {
            deploy_notified(platform, &req, &env).await
        }
        other => settle_without_acting(Some(&env), other, decision.reason),
    }
}

fn settle_without_acting(
    env: Option<&EnvName>,
    action: Action,
    reason: String,
) -> Result<ChangeReport> {
    match action {
        Action::Refuse { refusal } => Err(refused(refusal)),
        _ => Ok(ChangeReport::no_op(env.map(EnvName::to_string), reason)),
    }
}

fn refused(refusal: Refusal) -> Error {
    match refusal {
        Refusal::BranchCollision {
            branch,
            repository,
            existing_branch,
            existing_repository,
        } => Error::BranchCollision {
            branch,
            repository,
            existing_branch,
            existing_repository,
        },
        other => Error::Refused {
            reason: other.code().to_owned(),
            message: refusal_message(&other),
        },
    }
}

fn refusal_message(refusal: &Refusal) -> String {
    match refusal {
        Refusal::FromFork { head_repository } => format!(
            "pull requests from forks get no preview: `{}` is not trusted with the platform's credentials",
            head_repository
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or("(deleted fork)")
        ),
        Refusal::InvalidBranch { branch, message } => {
            format!(
                "branch `{}` gives no environment name: {message}",
                branch.escape_debug()
            )
        }
        Refusal::BranchCollision { branch, .. } => format!("branch `{branch}` collides"),
    }
}

/// The deploy with the pull request told: a `pending` commit status first, then `success` and
/// the "created"/"updated" comment, or `failure` and the "failed" comment. Forge errors become
/// notices in the report, never a failed deploy.
async fn deploy_notified(
    platform: &Platform,
    req: &PreviewRequest,
    env: &EnvName,
) -> Result<ChangeReport> {
    let mut notices = Vec::new();
    let repo = req.trigger.repository();
    let sha = match &req.trigger {
        Trigger::PullRequestClosed { .. } => None,
        trigger => trigger.commit(),
    };
    let pr = match req.trigger.pr_number() {
        Some(number) => Some(number),
        None => notify::open_pr(platform, repo, req.trigger.branch(), &mut notices).await,
    };
    let context = env.to_string();
    let status = async |state: CommitState,
                        url: Option<String>,
                        description: String,
                        notices: &mut Vec<String>| {
        let status = notify::env_status(&context, state, url, description);
        notify::status(platform, repo, sha, status, notices).await;
    };
    status(
        CommitState::Pending,
        None,
        "Deploying the preview environment".into(),
        &mut notices,
    )
    .await;
    // The secrets a branch may reference are the platform's to choose: refused before anything
    // is written or applied.
    let allowed = platform
        .settings
        .secret_allow_list
        .check(&req.config.secrets, repo.map(|r| r.as_str()))
        .map_err(Error::from);
    let deployed = match allowed {
        Ok(()) => deploy_locked(platform, req, env, pr).await,
        Err(refused) => Err(refused),
    };
    let result = match deployed {
        Ok(Deployed::Waiting {
            requirement,
            ignored,
        }) => {
            let author = req.trigger.actor();
            tracing::info!(env = %env, ?author, "waiting for approval");
            approval::notify_waiting(
                platform,
                env,
                repo,
                sha,
                pr,
                (&requirement, &ignored),
                &mut notices,
            )
            .await;
            let mut report = ChangeReport::no_op(
                Some(env.to_string()),
                approval::waiting_reason(env, &requirement),
            );
            report.notices.extend(notices);
            return Ok(report);
        }
        Ok(Deployed::Done(report)) => Ok(*report),
        Err(e) => Err(e),
    };
    match &result {
        Ok(report) if matches!(report.outcome, Outcome::Created | Outcome::Redeployed) => {
            if let Some(meta) = &report.environment {
                let description = format!("Preview `{}` is {}", meta.name, meta.status);
                status(
                    CommitState::Success,
                    meta.endpoint.clone(),
                    description,
                    &mut notices,
                )
                .await;
                let state = if report.outcome == Outcome::Created {
                    CommentState::Created
                } else {
                    CommentState::Updated
                };
                notify::comment(
                    platform,
                    meta,
                    pr.or(meta.pr_number),
                    state,
                    Some(&req.config),
                    None,
                    &mut notices,
                )
                .await;
            }
        }
        Ok(report) => {
            let reason = report.reason.as_deref().unwrap_or("nothing to deploy");
            status(
                CommitState::Success,
                None,
                format!("No change: {reason}"),
                &mut notices,
            )
            .await;
        }
        Err(error @ Error::BudgetExceeded { .. }) => {
            status(
                CommitState::Failure,
                None,
                "Over budget: no preview was created (see the pull request comment)".into(),
                &mut notices,
            )
            .await;
            guard::comment_refusal(platform, &req.trigger, pr, env, error, &mut notices).await;
        }
        Err(Error::SecretNotAllowed(refused)) => {
            status(
                CommitState::Failure,
                None,
                format!(
                    "Secret not allowed: `{}` is outside this repository's allow-list",
                    refused.key
                ),
                &mut notices,
            )
            .await;
            comment_secret_refusal(platform, &req.trigger, pr, env, refused, &mut notices).await;
        }
        Err(error) => {
            status(
                CommitState::Failure,
                None,
                format!("Preview failed: {error}"),
                &mut notices,
            )
            .await;
            if let Ok(Some(current)) = state::load(&*platform.backend.store, env).await {
                // A provisioner's failure was just recorded with the end of its output.
                let detail = match &error {
                    Error::Provision { .. } => current.meta.last_error.clone(),
                    _ => None,
                };
                notify::comment(
                    platform,
                    &current.meta,
                    pr.or(current.meta.pr_number),
                    CommentState::Failed,
                    Some(&req.config),
                    Some(detail.unwrap_or_else(|| error.to_string())),
                    &mut notices,
                )
                .await;
            }
            for notice in &notices {
                tracing::warn!("{notice}");
            }
        }
    }
    result.map(|mut report| {
        report.notices.extend(notices);
        report
    })
}

/// The pull request's comment of a preview refused for a secret outside the allow-list (there
/// may be no environment record to hang the usual "failed" comment on).
pub(crate) async fn comment_secret_refusal(
    platform: &Platform,
    trigger: &Trigger,
    pr: Option<u64>,
    env: &EnvName,
    refused: &crate::domain::secret_access::SecretNotAllowed,
    notices: &mut Vec<String>,
) {
    let (Some(repo), Some(pr)) = (trigger.repository(), pr) else {
        return;
    };
    let branch = trigger
        .branch()
        .map(|b| b.as_str().to_owned())
        .unwrap_or_default();
    let hints = Error::SecretNotAllowed(refused.clone()).hints();
    let body = crate::domain::secret_access::refusal_comment(env, &branch, refused, &hints);
    let marker = crate::domain::render::comment_marker(env);
    if let Err(e) = platform
        .backend
        .forge
        .upsert_pr_comment(repo, pr, &marker, &body)
        .await
        && !matches!(e, crate::ports::ForgeError::NotConfigured)
    {
        notices.push(format!("could not update the pull request comment: {e}"));
    }
}

/// What [`deploy_locked`] did.
enum Deployed {
    /// Provisioned, redeployed, or nothing to do.
    Done(Box<ChangeReport>),
    /// Nothing: the preview waits for approval.
    Waiting {
        requirement: Requirement,
        ignored: Vec<String>,
    },
}

/// Provision or redeploy under the lease, re-deciding on fresh metadata. `pr` is the pull
/// request of the branch, recorded in the metadata when the trigger has none.
async fn deploy_locked(
    platform: &Platform,
    req: &PreviewRequest,
    env: &EnvName,
    pr: Option<u64>,
) -> Result<Deployed> {
    let backend = &platform.backend;
    let guard = lease::acquire(
        &backend.locks,
        &backend.clock,
        env,
        Purpose::Deploy,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        Some(platform.settings.lease_wait),
    )
    .await?;
    let result = async {
        let now = backend.clock.now();
        let current = state::load(&*backend.store, env).await?;
        let decision = decide::decide(&req.trigger, current.as_ref().map(|v| &v.meta), now);
        let provisions = match decision.action {
            Action::Provision => true,
            Action::ExtendAndRedeploy => current.is_none(),
            _ => false,
        };
        if !provisions {
            return match (decision.action, current) {
                (Action::ExtendAndRedeploy, Some(current)) => redeploy(platform, req, current, pr)
                    .await
                    .map(|r| Deployed::Done(Box::new(r))),
                (other, _) => settle_without_acting(Some(env), other, decision.reason)
                    .map(|r| Deployed::Done(Box::new(r))),
            };
        }
        let gate = approval::check(
            platform,
            &req.config,
            env,
            req.trigger.repository(),
            pr,
            req.trigger.actor(),
            current.as_ref().map(|c| &c.meta),
        )
        .await?;
        match gate {
            Gate::Open(approved) => provision(platform, req, env, current, pr, approved.as_ref())
                .await
                .map(|r| Deployed::Done(Box::new(r))),
            Gate::Wait {
                requirement,
                ignored,
            } => Ok(Deployed::Waiting {
                requirement,
                ignored,
            }),
        }
    }
    .await;
    guard.release().await;
    result
}

async fn provision(
    platform: &Platform,
    req: &PreviewRequest,
    env: &EnvName,
    current: Option<Versioned>,
    pr: Option<u64>,
    approved: Option<&Approval>,
) -> Result<ChangeReport> {
    let source = source_with_pr(&req.trigger, pr);
    let mut deployment = deployment(req, &source);
    deployment.approval = approved;
    deployment
        .check_budget(platform, env, current.as_ref().map(|c| &c.meta))
        .await?;
    let written = deployment.begin_provision(platform, env, current).await?;
    if approved.is_some() {
        crate::environments::approve::consume(platform, env).await;
    }
    let (saved, _) = deploy::apply(platform, written, &req.config).await?;
    Ok(ChangeReport::changed(Outcome::Created, saved.meta))
}

async fn redeploy(
    platform: &Platform,
    req: &PreviewRequest,
    current: Versioned,
    pr: Option<u64>,
) -> Result<ChangeReport> {
    let source = source_with_pr(&req.trigger, pr);
    let deployment = deployment(req, &source);
    let unchanged_image = current.meta.image.as_deref() == Some(deployment.image().as_str());
    let written = deployment.begin_redeploy(platform, &current).await?;
    let (saved, outputs) = deploy::apply(platform, written, &req.config).await?;
    if unchanged_image {
        deploy::force_redeploy(platform, &outputs).await;
    }
    Ok(ChangeReport::changed(Outcome::Redeployed, saved.meta))
}

/// The trigger's source, with the branch's open pull request when the trigger names none.
fn source_with_pr(trigger: &Trigger, pr: Option<u64>) -> Source {
    let mut source = Source::of(trigger);
    source.pr_number = source.pr_number.or(pr);
    source
}

fn deployment<'a>(req: &'a PreviewRequest, source: &'a Source) -> Deployment<'a> {
    Deployment {
        config: &req.config,
        image: req.image.as_deref(),
        owner: req.owner.as_deref(),
        source,
        approval: None,
    }
}
