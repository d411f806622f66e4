//! `idp-action apply` and `idp-action destroy`: for templates the workflow does not run `tofu`
//! on (`setup`'s output `provisioner` is not `opentofu`, e.g. `k8s-namespace`), apply or
//! destroy the environment through idp's own provisioner, with the tfvars `setup --begin`
//! recorded.
//!
//! `apply` records its outputs itself (as `record` does after `tofu apply`), so the workflow
//! runs `record` only for OpenTofu templates and `record --failed` on any failure; `destroy` is
//! followed by `cleanup`, as after `tofu destroy`.

use idp_core::domain::render;
use idp_core::gitops::steps::{self, ApplyResult};

use super::{Failure, env_name};
use crate::exit::Code;
use crate::open;
use crate::step::Step;

/// `apply` and `destroy` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The environment [default: `$IDP_ENVIRONMENT`].
    #[arg(long)]
    name: Option<String>,
}

/// Run `apply`.
pub(crate) async fn apply(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let name = env_name(args.name.as_deref())?;
    let platform = open::platform().await?;
    step.log(&format!(
        "idp: applying {name} through idp's provisioner (progress below)"
    ));
    let outputs = steps::apply(&platform, &name).await?;
    super::record::record(&mut step, &platform, &name, &ApplyResult::Applied(outputs)).await?;
    step.finish()?;
    Ok(Code::Ok)
}

/// Run `destroy`.
pub(crate) async fn destroy(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let name = env_name(args.name.as_deref())?;
    let platform = open::platform().await?;
    step.log(&format!(
        "idp: destroying {name} through idp's provisioner (progress below)"
    ));
    steps::destroy(&platform, &name).await?;
    step.output("environment", name.as_str());
    step.summary(&format!(
        "### idp: the resources of {} are destroyed\n\n`cleanup` removes its records next.\n",
        render::code_span(name.as_str()),
    ));
    step.finish()?;
    Ok(Code::Ok)
}
