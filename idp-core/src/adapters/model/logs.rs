//! Filtering and paging log events like CloudWatch Logs `FilterLogEvents`, shared by the memory
//! and local log sources.

use crate::ports::{FilterPattern, LogError, LogEvent, LogPage, LogQuery};

/// CloudWatch `FilterLogEvents` returns at most 10,000 events a page.
const DEFAULT_LIMIT: usize = 10_000;

/// Filters `events` (any order) by `query` and cuts out the page its token points at.
///
/// The token is the number of matching events already returned, so it is valid only with the
/// query that produced it and while no older events are added.
pub(crate) fn page_events(
    mut events: Vec<LogEvent>,
    query: &LogQuery,
) -> Result<LogPage, LogError> {
    let pattern = FilterPattern::parse(query.filter_pattern.as_deref().unwrap_or(""))?;
    let skip = match &query.next_token {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .map_err(|_| LogError::InvalidPattern {
                pattern: token.clone(),
                reason: "this is not a token this log source returned; start again without a token"
                    .to_owned(),
            })?,
    };
    // Oldest first; the sort is stable, so events of one instant keep their order.
    events.sort_by_key(|e| e.timestamp);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let mut matching = events.into_iter().filter(|e| {
        e.timestamp >= query.since
            && query.until.is_none_or(|until| e.timestamp < until)
            && pattern.matches(&e.message)
    });
    let page: Vec<LogEvent> = matching.by_ref().skip(skip).take(limit).collect();
    let next = (matching.next().is_some()).then(|| (skip + page.len()).to_string());
    Ok(LogPage { events: page, next })
}
