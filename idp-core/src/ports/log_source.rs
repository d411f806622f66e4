//! The `LogSource` port: fetch and follow an environment's logs.
//!
//! `idp logs` reads the log group of an environment's service (CloudWatch Logs on AWS, files on the
//! local backend). The port fetches one page at a time; following is polling, described on
//! [`LogSource::events`].

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::BoxError;

/// Which events to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// The log group, e.g. `/ecs/preview-x`.
    pub group: String,
    /// The earliest event time, inclusive.
    pub since: DateTime<Utc>,
    /// The latest event time, exclusive; `None` for "up to now".
    pub until: Option<DateTime<Utc>>,
    /// A CloudWatch-style filter pattern for unstructured logs (see [`FilterPattern`]).
    pub filter_pattern: Option<String>,
    /// The most events to return in this page; `None` for the backend's default.
    pub limit: Option<usize>,
    /// The previous page's [`LogPage::next`]; `None` for the first page.
    pub next_token: Option<String>,
}

impl LogQuery {
    /// A query for every event of `group` from `since` on.
    pub fn new(group: impl Into<String>, since: DateTime<Utc>) -> Self {
        Self {
            group: group.into(),
            since,
            until: None,
            filter_pattern: None,
            limit: None,
            next_token: None,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    /// When it was logged.
    pub timestamp: DateTime<Utc>,
    /// The stream it belongs to (a task or process).
    pub stream: String,
    /// The message, without a trailing newline.
    pub message: String,
}

/// One page of events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogPage {
    /// The events, oldest first.
    pub events: Vec<LogEvent>,
    /// The token of the next page, if more events matched than this page holds.
    pub next: Option<String>,
}

/// What went wrong in a log call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// No such log group.
    #[error("log group `{group}` does not exist; has the environment started yet?")]
    NotFound {
        /// The group asked for.
        group: String,
    },
    /// The filter pattern cannot be understood.
    #[error("invalid filter pattern `{pattern}`: {reason}")]
    InvalidPattern {
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`cloudwatch-logs`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`cloudwatch-logs`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl LogError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }
}

/// A source of log events, shaped like CloudWatch Logs `FilterLogEvents`.
#[async_trait]
pub trait LogSource: Debug + Send + Sync + 'static {
    /// One page of the events of `query.group` in `[since, until)` that match the filter pattern,
    /// oldest first, at most `limit` of them.
    ///
    /// MUST fail with [`LogError::NotFound`] for an unknown group and with
    /// [`LogError::InvalidPattern`] for a pattern the adapter cannot apply.
    ///
    /// **Following** (`idp logs --follow`) is polling: fetch pages while `next` is `Some`; when it
    /// is `None`, wait, then query again with `since` set to the newest timestamp seen and
    /// `next_token: None`, dropping events already shown at exactly that timestamp. A token is only
    /// valid with the query that produced it.
    async fn events(&self, query: &LogQuery) -> Result<LogPage, LogError>;
}

/// The subset of CloudWatch Logs filter patterns for unstructured text that every adapter applies
/// the same way: space-separated terms that must all appear (case-sensitive), `"quoted phrases"`,
/// `-term` for terms that must not appear, and `?term` for "at least one of these". An empty
/// pattern matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterPattern {
    all: Vec<String>,
    none: Vec<String>,
    any: Vec<String>,
}

impl FilterPattern {
    /// Parses a pattern.
    ///
    /// Fails with [`LogError::InvalidPattern`] on an unterminated quote, a bare `-` or `?`, and on
    /// JSON or space-delimited patterns (`{ $.x = 1 }`, `[ip, user]`), which this subset does not
    /// cover.
    pub fn parse(pattern: &str) -> Result<Self, LogError> {
        let invalid = |reason: &str| LogError::InvalidPattern {
            pattern: pattern.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = pattern.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return Err(invalid(
                "JSON and space-delimited patterns are not supported; use plain terms",
            ));
        }
        let mut parsed = Self::default();
        let mut chars = trimmed.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '-' | '?' => {
                    chars.next();
                    first
                }
                _ => ' ',
            };
            let mut term = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    term.push(c);
                }
                if !closed {
                    return Err(invalid("a quote is not closed; end the phrase with `\"`"));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
            }
            if term.is_empty() {
                return Err(invalid("a `-` or `?` must be followed by a term"));
            }
            match kind {
                '-' => parsed.none.push(term),
                '?' => parsed.any.push(term),
                _ => parsed.all.push(term),
            }
        }
        Ok(parsed)
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).is_ok_and(|p| p.matches(message))
    }

    #[test]
    fn every_plain_term_must_appear() {
        assert!(matches("ERROR db", "ERROR: db timeout"));
        assert!(!matches("ERROR db", "ERROR: cache timeout"));
        assert!(!matches("error", "ERROR: terms are case-sensitive"));
    }

    #[test]
    fn quoted_phrases_match_as_a_whole() {
        assert!(matches("\"db timeout\"", "ERROR: db timeout"));
        assert!(!matches("\"timeout db\"", "ERROR: db timeout"));
    }

    #[test]
    fn excluded_and_optional_terms_work() {
        assert!(matches("ERROR -health", "ERROR: db"));
        assert!(!matches("ERROR -health", "ERROR: health check"));
        assert!(matches("?WARN ?ERROR", "WARN: slow"));
        assert!(!matches("?WARN ?ERROR", "INFO: ok"));
    }

    #[test]
    fn an_empty_pattern_matches_everything() {
        assert!(matches("", "anything"));
        assert!(matches("   ", ""));
    }

    #[test]
    fn unsupported_or_broken_patterns_are_errors() {
        for bad in [
            "\"open",
            "-",
            "? x",
            "{ $.level = \"error\" }",
            "[ip, user]",
        ] {
            assert!(FilterPattern::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::FilterPattern;

    proptest! {
        #[test]
        fn parsing_any_pattern_never_panics(pattern in "\\PC{0,60}") {
            let _ = FilterPattern::parse(&pattern);
        }

        #[test]
        fn a_plain_term_matches_every_message_containing_it(
            term in "[A-Za-z0-9:/_.]{1,12}",
            before in "[ a-z]{0,10}",
            after in "[ a-z]{0,10}",
        ) {
            let pattern = FilterPattern::parse(&term).expect("a plain term parses");
            let message = format!("{before}{term}{after}");
            prop_assert!(pattern.matches(&message));
        }
    }
}
