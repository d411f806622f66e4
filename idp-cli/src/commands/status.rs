//! `idp status`.

use idp_core::environments::status;
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{NameArg, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &NameArg, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let report = status::status(platform, &name).await?;
    render::status(&report, out);
    Ok(Code::Ok)
}
