//! `idp logs`.

use std::time::Duration;

use idp_core::domain::ttl;
use idp_core::environments::logs::{self, LogsRequest};
use idp_core::error::Result;
use idp_core::platform::Platform;

use crate::cli::{LogsArgs, Output};
use crate::exit::Code;
use crate::render;

/// How often `--follow` asks for new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

pub(crate) async fn run(platform: &Platform, args: &LogsArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let since = ttl::since(&args.since, platform.backend.clock.now())?;
    let mut req = LogsRequest {
        name,
        since,
        filter: args.filter.clone(),
        next_token: None,
        limit: None,
    };
    let mut newest = since;
    loop {
        let page = logs::logs(platform, req.clone()).await?;
        render::logs(&page, out);
        if let Some(last) = page.events.iter().map(|e| e.timestamp).max() {
            newest = newest.max(last + chrono::TimeDelta::milliseconds(1));
        }
        match page.next_token {
            Some(token) if !page.events.is_empty() => req.next_token = Some(token),
            _ if args.follow => {
                // The pages ran out: ask again later for what came after the newest event.
                req.next_token = None;
                req.since = newest;
                tokio::time::sleep(FOLLOW_EVERY).await;
            }
            _ => return Ok(Code::Ok),
        }
    }
}
