//! `idp-action comment`: create or update the one pull-request comment of the environment,
//! found by its hidden marker (never by visible text), through idp-core's
//! `support::notify::comment_on_event`.
//!
//! The pull request is the event's, or the open pull request of the event's branch. A forge
//! failure is a warning, not a failed deploy: the body is still shown in the step summary.

use idp_core::domain::render::CommentState;
use idp_core::support::notify::{self, Posted};

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
    let asked = args.state.map(|s| match s {
        StateArg::Created => CommentState::Created,
        StateArg::Updated => CommentState::Updated,
        StateArg::Failed => CommentState::Failed,
        StateArg::Destroyed => CommentState::Destroyed,
    });
    let report = notify::comment_on_event(&platform, &name, &trigger, asked).await?;
    step.output("environment", name.as_str());
    if let Some(error) = &report.lookup_error {
        step.command(&gha::annotation("warning", "pull request not found", error));
    }
    step.summary(&report.body);
    if let Some(pr) = report.pr {
        step.output("pr_number", pr.to_string());
    }
    match &report.posted {
        Posted::Comment(comment) => {
            step.output("comment_url", comment.url.clone());
            step.output(
                "comment_created",
                if comment.created { "true" } else { "false" },
            );
        }
        Posted::Failed(error) => step.command(&gha::annotation(
            "warning",
            "pull request comment not updated",
            error,
        )),
        Posted::NoPullRequest => step.log("no pull request for this event: no comment"),
    }
    step.finish()?;
    Ok(Code::Ok)
}
