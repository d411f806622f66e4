//! The `LogSource` port on CloudWatch Logs `FilterLogEvents`.
//!
//! The query maps one to one: `since`/`until` to `startTime`/`endTime` (milliseconds; CloudWatch's
//! end is inclusive, the port's `until` exclusive), the filter pattern to `filterPattern`, the
//! page size to `limit` and the page token to `nextToken`.
//!
//! The pattern is first parsed as a [`FilterPattern`], so every backend rejects the same patterns
//! (JSON and space-delimited ones) with [`LogError::InvalidPattern`]. CloudWatch filters on the
//! server, and the adapter applies the same pattern to the returned page again: for the subset
//! every adapter supports this changes nothing on CloudWatch, and it keeps the port's meaning on
//! CloudWatch-compatible services that only filter plain terms (moto returns every event for
//! `-term` and `?term`). A page may then hold fewer than `limit` events while `next` is set.

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
use chrono::{DateTime, Utc};

use super::error::Failure;
use crate::ports::{FilterPattern, LogError, LogEvent, LogPage, LogQuery, LogSource};

const BACKEND: &str = "cloudwatch-logs";
/// CloudWatch's largest page.
const MAX_LIMIT: usize = 10_000;

/// A [`LogSource`] on CloudWatch Logs.
#[derive(Debug, Clone)]
pub struct CloudWatchLogSource {
    client: Client,
}

impl CloudWatchLogSource {
    /// A log source reaching CloudWatch Logs through `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

/// Epoch milliseconds of the first whole millisecond at or after `at`.
fn millis_ceil(at: DateTime<Utc>) -> i64 {
    let millis = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        millis
    } else {
        millis.saturating_add(1)
    }
}

fn event(event: &FilteredLogEvent) -> LogEvent {
    let timestamp = event
        .timestamp()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default();
    let message = event.message().unwrap_or_default();
    LogEvent {
        timestamp,
        stream: event.log_stream_name().unwrap_or_default().to_owned(),
        message: message
            .strip_suffix('\n')
            .unwrap_or(message)
            .trim_end_matches('\r')
            .to_owned(),
    }
}

#[async_trait]
impl LogSource for CloudWatchLogSource {
    async fn events(&self, query: &LogQuery) -> Result<LogPage, LogError> {
        let pattern = match query.filter_pattern.as_deref() {
            Some(pattern) if !pattern.trim().is_empty() => {
                Some((pattern, FilterPattern::parse(pattern)?))
            }
            _ => None,
        };
        // `interleaved` is ignored by CloudWatch (always interleaved since 2019) but moto only
        // merges the streams by time when it is set.
        #[allow(
            deprecated,
            reason = "moto needs it to return events of several streams oldest first"
        )]
        let request = self
            .client
            .filter_log_events()
            .log_group_name(&query.group)
            .interleaved(true)
            .start_time(millis_ceil(query.since))
            .set_end_time(query.until.map(|until| millis_ceil(until) - 1))
            .set_filter_pattern(pattern.as_ref().map(|(text, _)| (*text).to_owned()))
            .set_limit(
                query
                    .limit
                    .map(|limit| i32::try_from(limit.clamp(1, MAX_LIMIT)).unwrap_or(1)),
            )
            .set_next_token(query.next_token.clone());
        let output = match request.send().await {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Err(LogError::NotFound {
                    group: query.group.clone(),
                });
            }
            Err(err) => {
                return Err(Failure::new(err, "FilterLogEvents", &query.group).into_log(BACKEND));
            }
        };
        let events = output
            .events()
            .iter()
            .map(event)
            .filter(|e| {
                pattern
                    .as_ref()
                    .is_none_or(|(_, parsed)| parsed.matches(&e.message))
            })
            .collect();
        let next = output
            .next_token()
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        Ok(LogPage { events, next })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn times_round_up_to_whole_milliseconds() {
        let at = DateTime::from_timestamp_millis(1_000).unwrap_or_default();
        assert_eq!(millis_ceil(at), 1_000);
        assert_eq!(millis_ceil(at + TimeDelta::nanoseconds(1)), 1_001);
        assert_eq!(millis_ceil(at - TimeDelta::nanoseconds(1)), 1_000);
    }

    #[test]
    fn messages_lose_their_trailing_newline_only() {
        let raw = FilteredLogEvent::builder()
            .message("  two\nlines \r\n")
            .log_stream_name("s")
            .timestamp(5)
            .build();
        let parsed = event(&raw);
        assert_eq!(parsed.message, "  two\nlines ");
        assert_eq!(parsed.timestamp.timestamp_millis(), 5);
    }
}
