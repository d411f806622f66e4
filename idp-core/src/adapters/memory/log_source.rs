//! The in-memory [`LogSource`]: log groups of events, filtered and paged like CloudWatch Logs
//! `FilterLogEvents`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::adapters::model::logs::page_events;
use crate::ports::{LogError, LogEvent, LogPage, LogQuery, LogSource};

/// A [`LogSource`] in process memory. Add events with [`MemoryLogs::push`].
#[derive(Debug, Default)]
pub struct MemoryLogs {
    groups: Mutex<BTreeMap<String, Vec<LogEvent>>>,
}

impl MemoryLogs {
    /// A source with no log groups.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty log group (nothing happens if it exists).
    pub fn create_group(&self, group: &str) {
        lock(&self.groups).entry(group.to_owned()).or_default();
    }

    /// Appends an event to `group`, creating the group if needed.
    pub fn push(&self, group: &str, event: LogEvent) {
        lock(&self.groups)
            .entry(group.to_owned())
            .or_default()
            .push(event);
    }
}

#[async_trait]
impl LogSource for MemoryLogs {
    async fn events(&self, query: &LogQuery) -> Result<LogPage, LogError> {
        let events = lock(&self.groups)
            .get(&query.group)
            .cloned()
            .ok_or_else(|| LogError::NotFound {
                group: query.group.clone(),
            })?;
        page_events(events, query)
    }
}
