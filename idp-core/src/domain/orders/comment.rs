//! The summary of a run, and the one pull-request comment that tracks it.
//!
//! [`RunSummary`] is what every frontend shows (`idp run --output json` prints it as is). The
//! comment starts with a hidden marker ([`run_comment_marker`]) so the forge adapter updates one
//! comment per run in place after every wave instead of posting new ones. Command output is
//! untrusted: it only appears inside code fences longer than any backtick run it contains.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{OrderStatus, RunId, RunStatus};
use crate::domain::render::{MAX_COMMENT_LEN, code_span};

/// How much of an order's output the comment shows, at most.
const COMMENT_EXCERPT_LINES: usize = 10;
const COMMENT_EXCERPT_BYTES: usize = 1_500;

/// One order of a run, as frontends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order's name.
    pub name: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The exit code of the command that ended it (`None`: not run, killed, or still running).
    pub exit_code: Option<i32>,
    /// How long it ran, in milliseconds (`None`: never started).
    pub duration_ms: Option<u64>,
    /// The end of its output, secrets masked (empty when it printed nothing).
    pub log_excerpt: String,
}

/// A run, as frontends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub run_id: RunId,
    /// Where it stands.
    pub status: RunStatus,
    /// Every order, in job order.
    pub orders: Vec<OrderSummary>,
}

impl RunSummary {
    /// How many orders have `status`.
    pub fn count(&self, status: OrderStatus) -> usize {
        self.orders.iter().filter(|o| o.status == status).count()
    }
}

/// The hidden first line of a run's comment: `<!-- idp:run:{run_id} -->`. Run ids are letters,
/// digits, `-` and `_` (checked by `domain::layout`), so they cannot close the HTML comment.
pub fn run_comment_marker(run_id: &RunId) -> String {
    format!("<!-- idp:run:{run_id} -->")
}

/// A duration as people read it: `420 ms`, `12.3 s`, `4m 05s`, `1h 02m`.
pub fn format_elapsed(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1_000.0),
        60_000..3_600_000 => format!("{}m {:02}s", ms / 60_000, (ms / 1_000) % 60),
        _ => format!("{}h {:02}m", ms / 3_600_000, (ms / 60_000) % 60),
    }
}

fn icon(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "⏳",
        OrderStatus::Running => "🔄",
        OrderStatus::Succeeded => "✅",
        OrderStatus::Failed => "❌",
        OrderStatus::TimedOut => "⏱️",
        OrderStatus::Skipped => "⏭️",
        OrderStatus::Cancelled => "⏹️",
    }
}

fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// The Markdown body of the run's comment: a title with the run's status, a table of every
/// order (status, duration, exit code) and the end of the output of each order that did not
/// succeed. Never longer than GitHub's limit.
pub fn run_comment(summary: &RunSummary) -> String {
    let title = match summary.status {
        RunStatus::Running => "🔄 Run in progress",
        RunStatus::Succeeded => "✅ Run succeeded",
        RunStatus::Failed => "❌ Run failed",
        RunStatus::TimedOut => "⏱️ Run timed out",
        RunStatus::Cancelled => "⏹️ Run cancelled",
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", run_comment_marker(&summary.run_id));
    let _ = writeln!(out, "### {title}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Run {}: {} of {} orders succeeded.",
        code_span(summary.run_id.as_str()),
        summary.count(OrderStatus::Succeeded),
        summary.orders.len()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| Order | Status | Duration | Exit code |");
    let _ = writeln!(out, "|---|---|---|---|");
    let mut details = String::new();
    for order in &summary.orders {
        let duration = order
            .duration_ms
            .map_or_else(|| "—".to_owned(), format_elapsed);
        let exit = order
            .exit_code
            .map_or_else(|| "—".to_owned(), |c| c.to_string());
        let row = format!(
            "| {} | {} `{}` | {duration} | {exit} |\n",
            code_span(&order.name),
            icon(order.status),
            order.status
        );
        if out.len() + details.len() + row.len() + 200 > MAX_COMMENT_LEN {
            let _ = writeln!(out, "| … | | | |");
            break;
        }
        out.push_str(&row);
        if matches!(order.status, OrderStatus::Failed | OrderStatus::TimedOut)
            && !order.log_excerpt.is_empty()
        {
            let excerpt = crate::domain::redact::excerpt(
                &order.log_excerpt,
                COMMENT_EXCERPT_LINES,
                COMMENT_EXCERPT_BYTES,
            );
            let fence = fence_for(&excerpt);
            let block = format!(
                "\n<details><summary>{} output</summary>\n\n{fence}text\n{excerpt}\n{fence}\n\n</details>\n",
                code_span(&order.name)
            );
            if out.len() + details.len() + block.len() + 200 < MAX_COMMENT_LEN {
                details.push_str(&block);
            }
        }
    }
    out.push_str(&details);
    let _ = write!(out, "\n> Logs: `idp run logs {} ORDER`\n", summary.run_id);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(
        name: &str,
        status: OrderStatus,
        exit_code: Option<i32>,
        ms: Option<u64>,
        log: &str,
    ) -> OrderSummary {
        OrderSummary {
            name: name.into(),
            status,
            exit_code,
            duration_ms: ms,
            log_excerpt: log.into(),
        }
    }

    #[test]
    fn the_comment_lists_every_order_and_the_output_of_failures() {
        let summary = RunSummary {
            run_id: RunId::parse("r-1").unwrap(),
            status: RunStatus::Failed,
            orders: vec![
                order("init", OrderStatus::Succeeded, Some(0), Some(420), "ok"),
                order(
                    "plan",
                    OrderStatus::Failed,
                    Some(3),
                    Some(65_000),
                    "+ tofu plan\n```oops``` <b>@team</b>",
                ),
                order("apply", OrderStatus::Skipped, None, None, ""),
            ],
        };
        insta::assert_snapshot!(run_comment(&summary));
    }

    #[test]
    fn a_huge_run_fits_in_one_comment() {
        let summary = RunSummary {
            run_id: RunId::parse("big").unwrap(),
            status: RunStatus::Failed,
            orders: (0..5_000)
                .map(|i| {
                    order(
                        &format!("order-{i}"),
                        OrderStatus::Failed,
                        Some(1),
                        Some(1),
                        &"x".repeat(2_000),
                    )
                })
                .collect(),
        };
        assert!(run_comment(&summary).len() <= MAX_COMMENT_LEN);
    }
}
