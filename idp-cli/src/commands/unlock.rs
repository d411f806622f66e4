//! `idp unlock`.

use idp_core::environments::unlock;
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{Output, UnlockArgs};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &UnlockArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let held = unlock::holders(platform, &name).await?;
    if held.lease.is_none() && held.terraform_lock.is_none() {
        render::unlock(&held, out);
        return Ok(Code::Ok);
    }
    render::holders(&held);
    render::confirm(&format!("Break the locks of `{name}`?"), args.yes)?;
    let report = unlock::unlock(platform, &name).await?;
    render::unlock(&report, out);
    Ok(Code::Ok)
}
