//! `logs`: an environment's log events since a time, optionally filtered; page by page so a
//! frontend can follow.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::layout;
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::{LogEvent, LogQuery};
use crate::support::state;

/// Which logs.
#[derive(Debug, Clone)]
pub struct LogsRequest {
    /// The environment.
    pub name: EnvName,
    /// Events at or after this time.
    pub since: DateTime<Utc>,
    /// A filter pattern (plain terms).
    pub filter: Option<String>,
    /// Continue from a previous page.
    pub next_token: Option<String>,
    /// At most this many events.
    pub limit: Option<usize>,
}

/// A page of log events.
#[derive(Debug, Clone, Serialize)]
pub struct LogsReport {
    /// The log group read.
    pub group: String,
    /// The events, oldest first.
    pub events: Vec<LogEvent>,
    /// Pass back to get the next page (or, when following, new events).
    pub next_token: Option<String>,
}

/// Read one page of an environment's logs. The environment must exist.
pub async fn logs(platform: &Platform, req: LogsRequest) -> Result<LogsReport> {
    state::load_existing(&*platform.backend.store, &req.name).await?;
    let group = layout::log_group(&req.name);
    let mut query = LogQuery::new(group.clone(), req.since);
    query.filter_pattern = req.filter;
    query.next_token = req.next_token;
    query.limit = req.limit;
    let page = platform.backend.logs.events(&query).await?;
    Ok(LogsReport {
        group,
        events: page.events,
        next_token: page.next,
    })
}
