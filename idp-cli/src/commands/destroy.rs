//! `idp destroy`.

use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{Cli, DestroyArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &DestroyArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    render::confirm(
        &format!("Destroy `{name}` and everything it owns?"),
        args.yes,
    )?;
    let spinner = render::spinner(out, &format!("destroying {name}"));
    let report = destroy::destroy(platform, DestroyRequest::new(name)).await;
    spinner.finish_and_clear();
    render::change(&report?, out);
    Ok(Code::Ok)
}

/// `idp destroy --via-github`: dispatch `destroy.yml`.
pub(crate) async fn via_github(cli: &Cli, args: &DestroyArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    render::confirm(
        &format!("Destroy `{name}` through the platform's workflow?"),
        args.yes,
    )?;
    super::via_github::run(
        cli,
        &args.via,
        idp_core::github::workflows::destroy(&name),
        out,
    )
    .await
}
