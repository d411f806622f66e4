//! The pull-request comment of a preview that a budget refused.
//!
//! It takes the place of the environment's preview comment (it starts with the same
//! [`comment_marker`]), so the next push that does provision edits it into the usual one.

use std::fmt::Write as _;

use super::Overrun;
use crate::domain::cost::format_usd;
use crate::domain::naming::EnvName;
use crate::domain::render::{code_span, comment_marker, escape_markdown, message_markdown};

/// The Markdown body: why the preview of `branch` was not created, with the figures and how to
/// get past it.
pub fn refusal_comment(env: &EnvName, branch: &str, overrun: &Overrun, hints: &[String]) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "{}", comment_marker(env));
    let _ = writeln!(
        body,
        "### 💸 Preview environment not created: over budget\n"
    );
    let _ = writeln!(
        body,
        "{} {} over its monthly budget, so no environment was provisioned for this push.\n",
        message_markdown(&format!("The {}", overrun.scope)),
        if overrun.spent_usd >= overrun.limit_usd {
            "is already"
        } else {
            "would go"
        },
    );
    let _ = writeln!(body, "| | |\n|---|---|");
    let cut: String = branch.chars().take(200).collect();
    let rows = [
        ("Environment", code_span(env.as_str())),
        ("Branch", escape_markdown(&cut)),
        ("Spent this month", format_usd(overrun.spent_usd)),
        (
            "This environment (estimate)",
            format_usd(overrun.estimate_usd),
        ),
        ("Monthly budget", format_usd(overrun.limit_usd)),
    ];
    for (name, value) in rows {
        let _ = writeln!(body, "| {name} | {value} |");
    }
    body.push('\n');
    for hint in hints {
        let _ = writeln!(body, "> {}", message_markdown(hint));
    }
    body
}
