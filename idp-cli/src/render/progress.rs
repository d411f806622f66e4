//! Progress on stderr while long operations run: spinners and the live view of a run.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use crate::cli::Output;
use idp_core::runs::{ProgressFn, RunEvent};
use std::io::IsTerminal;

/// A spinner on stderr while a long operation runs (hidden when not a terminal or with JSON).
pub(crate) fn spinner(out: Output, message: &str) -> indicatif::ProgressBar {
    if out == Output::Json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// Live progress of a run on stderr: a progress bar on a terminal, and with `--watch` one line
/// per event (also when stderr is not a terminal).
pub(crate) struct RunProgress {
    bar: indicatif::ProgressBar,
    watch: bool,
}

impl RunProgress {
    /// The callback the orchestrator calls with every event.
    pub(crate) fn callback(&self) -> ProgressFn {
        let bar = self.bar.clone();
        let watch = self.watch;
        std::sync::Arc::new(move |event: &RunEvent| {
            let text = format!(
                "{} {}{}{}{}",
                event.at.format("%H:%M:%S"),
                event.kind,
                event
                    .order
                    .as_deref()
                    .map(|o| format!(" {o}"))
                    .unwrap_or_default(),
                event
                    .status
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
                event
                    .message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
            );
            if matches!(event.kind.as_str(), "order_finished" | "order_skipped") {
                bar.inc(1);
            }
            bar.set_message(text.clone());
            if watch {
                bar.suspend(|| eprintln!("{text}"));
            }
        })
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Starts showing the progress of a run of `orders` orders.
pub(crate) fn run_progress(out: Output, watch: bool, orders: usize) -> RunProgress {
    let bar = if out == Output::Json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(orders as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    };
    RunProgress { bar, watch }
}
