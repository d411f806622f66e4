//! The part of OpenTofu's error output worth showing.
//!
//! OpenTofu and Terraform print each diagnostic in a frame (`╷`, `│ `, `╵`) after the plan and
//! progress lines, so the last line of a failed command is always the frame's bottom `╵`. This
//! keeps what says what went wrong: ANSI colours stripped (idp passes `-no-color`, but a wrapper
//! script may not), frame characters dropped, and from the first `Error:` on, the errors with
//! their detail lines, at most [`LINES`] lines and [`BYTES`] bytes. Output without an `Error:`
//! line (a crash, a wrapper's message) keeps its last lines. Secret values are masked before
//! anything is cut, so a secret is never half kept.

use crate::domain::redact::{self, Tail};

/// The most lines kept.
pub(super) const LINES: usize = 20;

/// The most bytes kept.
pub(super) const BYTES: usize = 2048;

/// The meaningful end of a command's error output, masked with `secrets`.
pub(super) fn error_tail(tail: &Tail, secrets: &[&str]) -> String {
    meaningful(&tail.text(secrets))
}

/// [`error_tail`] of already masked text.
fn meaningful(text: &str) -> String {
    let text = strip_ansi(text);
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        // The frame's left edge is the first column (`│ Error: …`).
        let line = line
            .strip_prefix('│')
            .map_or(line, |rest| rest.strip_prefix(' ').unwrap_or(rest));
        // The frame's top and bottom (`╷`, `╵`) and rules such as `├────` under an expression.
        let trimmed = line.trim();
        if !trimmed.is_empty()
            && trimmed
                .chars()
                .all(|c| ('\u{2500}'..='\u{257f}').contains(&c))
        {
            continue;
        }
        // One blank line at most in a row, none at the start.
        if line.trim().is_empty() && lines.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    match lines.iter().position(|l| l.starts_with("Error:")) {
        Some(first) => head(lines.get(first..).unwrap_or_default()),
        None => redact::excerpt(&lines.join("\n"), LINES, BYTES),
    }
}

/// The first [`LINES`] lines, at most [`BYTES`] bytes, cut at a line (or, for one long first
/// line, at a character boundary).
fn head(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines.iter().take(LINES) {
        let extra = line.len() + usize::from(!out.is_empty());
        if out.len() + extra > BYTES {
            if out.is_empty() {
                let mut end = BYTES;
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                out.push_str(line.get(..end).unwrap_or_default());
            }
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// `text` without ANSI escape sequences (CSI `ESC [ … final` and two-character `ESC x`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_of(text: &str) -> Tail {
        let mut tail = Tail::new(64 * 1024);
        tail.push(text.as_bytes());
        tail
    }

    /// Each fixture is Terraform 1.11's real stderr, captured against moto, plain (`-no-color`,
    /// as idp runs it) and coloured (as a wrapper that drops the flag would show it); the two
    /// captures of one error differ only in moto's request ids, made equal in the files.
    fn both(name: &str, plain: &str, coloured: &str) -> String {
        let shown = error_tail(&tail_of(plain), &[]);
        let from_colours = error_tail(&tail_of(coloured), &[]);
        assert!(shown.starts_with("Error: "), "{name}: {shown}");
        assert!(
            from_colours.starts_with("Error: ") && !from_colours.contains('\u{1b}'),
            "{name}: {from_colours}"
        );
        for frame in ['╷', '╵', '├'] {
            assert!(!from_colours.contains(frame), "{name}: {from_colours}");
        }
        assert_eq!(shown, from_colours, "{name}");
        shown
    }

    #[test]
    fn an_invalid_variable_shows_the_error_and_its_detail() {
        let shown = both(
            "invalid-variable",
            include_str!("fixtures/invalid-variable.txt"),
            include_str!("fixtures/invalid-variable-color.txt"),
        );
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn an_api_error_from_the_provider_keeps_the_summary_and_the_resource() {
        let shown = both(
            "api-error",
            include_str!("fixtures/api-error.txt"),
            include_str!("fixtures/api-error-color.txt"),
        );
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn a_missing_state_bucket_is_shown_from_init() {
        let shown = both(
            "init-no-bucket",
            include_str!("fixtures/init-no-bucket.txt"),
            include_str!("fixtures/init-no-bucket-color.txt"),
        );
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn colours_are_stripped_and_secrets_masked_before_the_cut() {
        let text = "\u{1b}[31m╷\u{1b}[0m\n\u{1b}[31m│\u{1b}[0m \u{1b}[1m\u{1b}[31mError: \u{1b}[0m\u{1b}[0m\u{1b}[1mreading secret hunter2\u{1b}[0m\n\u{1b}[31m│\u{1b}[0m\n\u{1b}[31m╵\u{1b}[0m\n";
        assert_eq!(
            error_tail(&tail_of(text), &["hunter2"]),
            "Error: reading secret ****"
        );
    }

    #[test]
    fn output_without_an_error_line_keeps_its_end_and_everything_is_bounded() {
        let many: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let shown = error_tail(&tail_of(&many), &[]);
        assert_eq!(shown.lines().count(), LINES);
        assert!(shown.ends_with("line 99"));
        let errors: String = (0..100)
            .map(|i| format!("Error: number {i}\n{}\n", "x".repeat(90)))
            .collect();
        let shown = error_tail(&tail_of(&errors), &[]);
        assert!(shown.starts_with("Error: number 0"), "{shown}");
        assert!(shown.len() <= BYTES && shown.lines().count() <= LINES);
        let long = format!("Error: {}", "é".repeat(BYTES));
        assert!(error_tail(&tail_of(&long), &[]).len() <= BYTES);
    }
}
