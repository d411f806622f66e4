//! `idp-action comment`: create or update the one pull-request comment of the environment,
//! found by its hidden marker (never by visible text), through the Forge port.
//!
//! The pull request is the event's, or the open pull request of the event's branch. A forge
//! failure is a warning, not a failed deploy: the body is still shown in the step summary.

use idp_core::domain::event::Trigger;
use idp_core::domain::lifecycle::Status;
use idp_core::domain::render::{self, CommentState, CommentView};
use idp_core::support::state;

use super::{Failure, env_name, read_event};
use crate::exit::Code;
use crate::gha;
use crate::open;
use crate::step::Step;

/// The comment's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StateArg {
    /// First provision.
    Created,
    /// Redeployed.
    Updated,
    /// The apply failed.
    Failed,
    /// Destroyed.
    Destroyed,
}

/// `comment` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The environment [default: `$IDP_ENVIRONMENT`].
    #[arg(long)]
    name: Option<String>,
    /// The title [default: from the environment's status: failed, destroyed, else updated].
    #[arg(long, value_enum)]
    state: Option<StateArg>,
}

/// Run `comment`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let name = env_name(args.name.as_deref())?;
    let trigger = read_event()?;
    let platform = open::platform().await?;
    let meta = state::load_existing(&*platform.backend.store, &name)
        .await?
        .meta;
    let now = platform.backend.clock.now();
    let comment_state = match (args.state, meta.status) {
        (_, Status::Failed) => CommentState::Failed,
        (_, Status::Destroyed) | (Some(StateArg::Destroyed), _) => CommentState::Destroyed,
        (Some(StateArg::Created), _) => CommentState::Created,
        (Some(StateArg::Failed), _) => CommentState::Failed,
        _ => CommentState::Updated,
    };
    let body = render::pr_comment(&CommentView {
        env: name.clone(),
        state: comment_state,
        branch: meta.branch.clone().unwrap_or_default(),
        url: meta.endpoint.clone(),
        status: meta.status,
        template: meta.template.clone(),
        commit: meta.commit.clone(),
        expires_at: Some(meta.expires_at),
        now,
        cost_estimate: None,
        logs: Some(format!("idp logs {name} --follow")),
        detail: None,
    });
    step.output("environment", name.as_str());
    let forge = &platform.backend.forge;
    let (repository, pr) = match &trigger {
        Trigger::PullRequest { pr, .. } | Trigger::PullRequestClosed { pr, .. } => {
            (Some(pr.repository.clone()), Some(pr.number))
        }
        Trigger::Push {
            repository, branch, ..
        }
        | Trigger::BranchDeleted {
            repository, branch, ..
        } => match forge.find_open_pr(repository, branch).await {
            Ok(found) => (Some(repository.clone()), found.map(|p| p.number)),
            Err(e) => {
                step.command(&gha::annotation(
                    "warning",
                    "pull request not found",
                    &e.to_string(),
                ));
                (Some(repository.clone()), None)
            }
        },
        _ => (None, None),
    };
    step.summary(&body);
    match (repository, pr) {
        (Some(repository), Some(pr)) => {
            step.output("pr_number", pr.to_string());
            match forge
                .upsert_pr_comment(&repository, pr, &render::comment_marker(&name), &body)
                .await
            {
                Ok(comment) => {
                    step.output("comment_url", comment.url.clone());
                    step.output(
                        "comment_created",
                        if comment.created { "true" } else { "false" },
                    );
                }
                Err(e) => step.command(&gha::annotation(
                    "warning",
                    "pull request comment not updated",
                    &e.to_string(),
                )),
            }
        }
        _ => step.log("no pull request for this event: no comment"),
    }
    step.finish()?;
    Ok(Code::Ok)
}
