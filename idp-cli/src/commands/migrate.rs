//! `idp migrate`.

use idp_core::environments::migrate::{self, MigrateRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{MigrateArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &MigrateArgs, out: Output) -> Result<Code> {
    let spinner = render::spinner(
        out,
        if args.dry_run {
            "reading every record"
        } else {
            "migrating every record"
        },
    );
    let report = migrate::migrate(
        platform,
        MigrateRequest {
            dry_run: args.dry_run,
        },
    )
    .await;
    spinner.finish_and_clear();
    let report = report?;
    render::migrate(&report, out);
    Ok(if report.errors.is_empty() {
        Code::Ok
    } else {
        Code::Failure
    })
}
