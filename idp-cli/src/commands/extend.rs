//! `idp extend`.

use idp_core::domain::ttl::Ttl;
use idp_core::error::Result;
use idp_core::platform::Platform;
use idp_core::platform::extend::{self, ExtendRequest};

use crate::cli::{ExtendArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &ExtendArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let ttl = Ttl::parse(&args.ttl)?;
    let report = extend::extend(platform, ExtendRequest { name, ttl }).await?;
    render::change(&report, out);
    Ok(Code::Ok)
}
