//! `idp approve`.

use idp_core::environments::approve::{self, ApproveRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{ApproveArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &ApproveArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let report = approve::approve(
        platform,
        ApproveRequest {
            name,
            by: platform.settings.actor.clone(),
            reason: args.reason.clone(),
        },
    )
    .await?;
    render::approved(&report, out);
    Ok(Code::Ok)
}
