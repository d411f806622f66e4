//! The local [`LogSource`]: log files under `<dir>/logs/<group>/`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};

use super::fs::{self, BACKEND};
use crate::adapters::model::logs::page_events;
use crate::ports::{LogError, LogEvent, LogPage, LogQuery, LogSource};

/// A [`LogSource`] over files in a local directory.
///
/// The log group `/ecs/preview-x` is the folder `<dir>/logs/ecs/preview-x/`; each `*.log` file in
/// it is one stream, named after the file (`web.log` → stream `web`). Each line is
/// `<RFC 3339 timestamp> <message>`, e.g. `2026-02-18T22:03:39.120Z GET /health 200`. A line that
/// does not start with a timestamp continues the previous event's message (stack traces); such
/// lines before the first timestamped line of a file are skipped. [`LocalLogs::append`] writes
/// this format.
#[derive(Debug, Clone)]
pub struct LocalLogs {
    root: PathBuf,
}

fn io(e: io::Error) -> LogError {
    LogError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

impl LocalLogs {
    /// A log source reading `<root>/logs/` (`root` is the local backend's directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn group_dir(&self, group: &str) -> Result<PathBuf, LogError> {
        let trimmed = group.trim_start_matches('/');
        let segments = fs::key_segments(trimmed).map_err(|reason| LogError::NotFound {
            group: format!("{group} ({reason})"),
        })?;
        Ok(fs::key_path(&self.root.join("logs"), &segments))
    }

    /// Appends one event to stream `stream` of `group`, creating the files as needed.
    pub fn append(
        &self,
        group: &str,
        stream: &str,
        timestamp: DateTime<Utc>,
        message: &str,
    ) -> Result<(), LogError> {
        let dir = self.group_dir(group)?;
        let name = format!("{}.log", fs::escape_file_name(stream));
        fs_err::create_dir_all(&dir).map_err(io)?;
        let mut file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
            .map_err(io)?;
        let line = format!(
            "{} {message}\n",
            timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        );
        file.write_all(line.as_bytes()).map_err(io)
    }
}

/// Parses the lines of one stream file.
fn parse_stream(stream: &str, text: &str) -> Vec<LogEvent> {
    let mut events: Vec<LogEvent> = Vec::new();
    for line in text.lines() {
        let parsed = line.split_once(' ').and_then(|(ts, message)| {
            DateTime::parse_from_rfc3339(ts)
                .ok()
                .map(|ts| (ts.with_timezone(&Utc), message))
        });
        match (parsed, events.last_mut()) {
            (Some((timestamp, message)), _) => {
                events.push(LogEvent {
                    timestamp,
                    stream: stream.to_owned(),
                    message: message.to_owned(),
                });
            }
            (None, Some(previous)) => {
                previous.message.push('\n');
                previous.message.push_str(line);
            }
            (None, None) => {}
        }
    }
    events
}

fn read_group(dir: &Path, group: &str) -> Result<Vec<LogEvent>, LogError> {
    let entries = match fs_err::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if fs::is_missing(&e) => {
            return Err(LogError::NotFound {
                group: group.to_owned(),
            });
        }
        Err(e) => return Err(io(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|ext| ext == "log") && path.is_file() {
            files.push(path);
        }
    }
    // Streams in name order, so events of one instant come out in a stable order.
    files.sort();
    let mut events = Vec::new();
    for path in files {
        let stream = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = fs_err::read(&path).map_err(io)?;
        events.extend(parse_stream(&stream, &String::from_utf8_lossy(&bytes)));
    }
    Ok(events)
}

#[async_trait]
impl LogSource for LocalLogs {
    async fn events(&self, query: &LogQuery) -> Result<LogPage, LogError> {
        let dir = self.group_dir(&query.group)?;
        let query = query.clone();
        fs::blocking(move || page_events(read_group(&dir, &query.group)?, &query))
            .await
            .unwrap_or_else(|e| {
                Err(LogError::Backend {
                    backend: BACKEND,
                    source: e.into(),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untimestamped_lines_continue_the_previous_event() {
        let text = "junk before\n2026-02-18T22:03:39Z panic: boom\n  at main.rs:1\n2026-02-18T22:03:40.5Z ok\n";
        let events = parse_stream("web", text);
        let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["panic: boom\n  at main.rs:1", "ok"]);
    }
}
