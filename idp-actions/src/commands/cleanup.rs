//! `idp-action cleanup`: after the workflow's `tofu destroy`, delete the environment's images
//! (its exact `{env}-{sha}` tags only), its OpenTofu lock items and its state objects, and mark
//! it `destroyed` (the record stays as a tombstone).

use idp_core::domain::render;
use idp_core::gitops::steps;

use super::{Failure, env_name};
use crate::exit::Code;
use crate::gha;
use crate::open;
use crate::step::Step;

/// `cleanup` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The environment [default: `$IDP_ENVIRONMENT`].
    #[arg(long)]
    name: Option<String>,
}

/// Run `cleanup`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let name = env_name(args.name.as_deref())?;
    let platform = open::platform().await?;
    let report = steps::cleanup(&platform, &name).await?;
    let c = &report.cleanup;
    step.output("environment", name.as_str());
    step.output("status", report.environment.status.as_str());
    step.output("images_deleted", c.images_deleted.len().to_string());
    step.output("state_objects_deleted", c.state_objects_deleted.to_string());
    for failure in &c.image_failures {
        step.command(&gha::annotation("warning", "image not deleted", failure));
    }
    let title = if report.already_destroyed {
        "was already destroyed"
    } else {
        "is destroyed"
    };
    step.summary(&format!(
        "### idp: {} {title}\n\n| | |\n|---|---|\n| Images deleted | {} |\n| State objects deleted | {} |\n| OpenTofu lock removed | {} |\n| OpenTofu digest removed | {} |\n",
        render::code_span(name.as_str()),
        c.images_deleted.len(),
        c.state_objects_deleted,
        c.terraform_lock_removed,
        c.terraform_digest_removed,
    ));
    step.finish()?;
    Ok(Code::Ok)
}
