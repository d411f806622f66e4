//! `idp list`.

use idp_core::environments::list::{self, ListRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{ListArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &ListArgs, out: Output) -> Result<Code> {
    let report = list::list(
        platform,
        ListRequest {
            all: args.all,
            spend: args.cost,
        },
    )
    .await?;
    render::list(&report, platform.backend.clock.now(), out);
    Ok(if args.strict && !report.unreadable.is_empty() {
        Code::Failure
    } else {
        Code::Ok
    })
}
