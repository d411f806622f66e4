//! `idp extend`.

use idp_core::domain::ttl::Ttl;
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{Cli, ExtendArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &ExtendArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let ttl = Ttl::parse(&args.ttl)?;
    let report = extend::extend(platform, ExtendRequest { name, ttl }).await?;
    render::change(&report, out);
    Ok(Code::Ok)
}

/// `idp extend --via-github`: dispatch `provision.yml` with the name and TTL.
pub(crate) async fn via_github(cli: &Cli, args: &ExtendArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let ttl = Ttl::parse(&args.ttl)?;
    super::via_github::run(
        cli,
        &args.via,
        idp_core::github::workflows::extend(&name, ttl),
        out,
    )
    .await
}
