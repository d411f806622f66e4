//! `idp exec NAME -- CMD…`.

use idp_core::environments::exec::{self, ExecRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{ExecArgs, Output};
use crate::render;

/// Runs the command; the exit code is the command's (0 when the backend reports none).
pub(crate) async fn run(platform: &Platform, args: &ExecArgs, out: Output) -> Result<u8> {
    let report = exec::exec(
        platform,
        ExecRequest {
            name: super::env_name(&args.name)?,
            command: args.command.clone(),
            container: args.container.clone(),
        },
    )
    .await?;
    render::exec(&report, out);
    Ok(report
        .outcome
        .exit_code
        .map_or(0, |code| u8::try_from(code).unwrap_or(1)))
}
