//! `idp budgets [sync --policy FILE]`.

use idp_core::budgets::{show, sync};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{BudgetsArgs, BudgetsCommand, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &BudgetsArgs, out: Output) -> Result<Code> {
    match &args.command {
        None => render::budgets(&show::show(platform).await?, out),
        Some(BudgetsCommand::Sync(sync_args)) => {
            let policy = sync::read_policy(&sync_args.policy)?;
            let req = sync::SyncRequest {
                policy,
                source: sync_args.policy.display().to_string(),
            };
            render::budgets_synced(&sync::sync(platform, req).await?, out);
        }
    }
    Ok(Code::Ok)
}
