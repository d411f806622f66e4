//! Finding the processes the local adapters started: `/proc/<pid>/stat` and process groups.
//!
//! A process is identified by its pid and its start time, so a pid the kernel has since given to
//! another program is never taken for it; a group is alive while any live (not zombie) member is.

use std::time::Duration;

/// How often [`wait_until_gone`] looks again, at most.
const POLL: Duration = Duration::from_millis(100);

/// What `/proc/<pid>/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) state: char,
    pub(crate) pgrp: i32,
    pub(crate) start_time: u64,
}

impl ProcStat {
    pub(crate) fn read(pid: u32) -> Option<Self> {
        let text = fs_err::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Self::parse(&text)
    }

    /// Parses the line; the command name (field 2) is in parentheses and may itself contain
    /// spaces and parentheses, so fields are counted from the last `)`.
    fn parse(text: &str) -> Option<Self> {
        let rest = &text[text.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        Some(Self {
            state: fields.first()?.chars().next()?,
            pgrp: fields.get(2)?.parse().ok()?,
            start_time: fields.get(19)?.parse().ok()?,
        })
    }

    /// Whether the process still runs (a zombie has exited and only waits to be reaped).
    pub(crate) fn is_live(self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Whether any live process belongs to process group `pgid`.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = fs_err::read_dir("/proc") else {
        return false;
    };
    let Ok(pgid) = i32::try_from(pgid) else {
        return false;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter_map(ProcStat::read)
        .any(|stat| stat.pgrp == pgid && stat.is_live())
}

/// Polls until no live process is left in group `pgid`; `false` if `within` passed first.
pub(crate) async fn wait_until_gone(pgid: u32, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    let mut pause = Duration::from_millis(5);
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_fields_are_counted_from_the_last_parenthesis() {
        let line = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let stat = ProcStat::parse(line).unwrap();
        assert_eq!(
            stat,
            ProcStat {
                state: 'S',
                pgrp: 4242,
                start_time: 987654
            }
        );
        assert!(ProcStat::parse("garbage").is_none());
    }

    proptest::proptest! {
        #[test]
        fn proc_stat_parsing_of_foreign_text_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = ProcStat::parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
