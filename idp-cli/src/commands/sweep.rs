//! `idp sweep`.

use idp_core::environments::sweep::{self, SweepOptions, SweepRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{Output, SweepArgs};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &SweepArgs, out: Output) -> Result<Code> {
    let report = sweep::sweep_with(
        platform,
        SweepRequest {
            dry_run: args.dry_run,
        },
        SweepOptions {
            reindex: args.reindex,
        },
    )
    .await?;
    render::sweep(&report, out);
    Ok(if report.errors.is_empty() {
        Code::Ok
    } else {
        Code::Failure
    })
}
