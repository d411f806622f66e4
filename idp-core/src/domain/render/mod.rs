//! Rendered text: the pull-request comment, the `ENVIRONMENTS.md` dashboard (and its HTML
//! twin) and the GitHub step summary, as pure string builders.
//!
//! Everything shown here mixes trusted values (environment names, statuses, dates) with values
//! anyone can choose (branch names, PR titles, owners). Untrusted text always goes through one
//! of the escapers below, so a branch called `<img src=x>` or `a|b` or `@org/team` renders as
//! text: it cannot inject markup, break a table, mention people or close the comment's hidden
//! marker.

use chrono::{DateTime, Duration, Utc};

pub mod comment;
pub mod dashboard;
pub mod html;
pub mod summary;

pub use comment::{CommentState, CommentView, MAX_COMMENT_LEN, comment_marker, pr_comment};
pub use dashboard::{dashboard_html, dashboard_markdown, same_dashboard};
pub use summary::step_summary;

/// Characters that could reorder text on screen (bidirectional overrides, "Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Untrusted text for Markdown (headings, paragraphs, table cells): HTML-significant
/// characters become entities, Markdown punctuation is backslash-escaped, `|` cannot end a
/// table cell, `@` cannot mention anyone, `$` cannot start math, and control or bidi
/// characters become `�`. Characters that only matter at the start of a line (`-`, `.`, `=`)
/// are kept: escaped text is never placed at the start of a line.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '|' => out.push_str("&#124;"),
            '@' => out.push_str("&#64;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' | '{' | '}' | '+'
            | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || is_bidi_control(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text for HTML element content or a quoted attribute value.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_bidi_control(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A one-line message whose values are quoted in backticks (reasons, error messages) as
/// Markdown: quoted parts become code spans, the rest is escaped. With an odd number of
/// backticks (a value containing one) everything is escaped as plain text.
pub fn message_markdown(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape_markdown(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                code_span(part)
            } else {
                escape_markdown(part)
            }
        })
        .collect()
}

/// A Markdown code span that shows `text` literally, even with backticks or `|` inside
/// (safe in a table cell). Control and bidi characters become `�`.
pub fn code_span(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect::<String>()
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || clean.starts_with(' ') || clean.ends_with(' ') {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

/// `url` if it is a plain `http(s)://` URL that is safe to put in a link as is (no spaces,
/// quotes, angle brackets, parentheses, pipes or control characters; at most 2,048 bytes).
pub fn safe_url(url: &str) -> Option<&str> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let chars_ok = url.chars().all(|c| {
        c.is_ascii_graphic()
            && !matches!(
                c,
                '<' | '>' | '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '\\' | '^'
            )
    });
    (scheme_ok && chars_ok && url.len() <= 2048 && url.len() > "https://".len()).then_some(url)
}

/// A date as people read it: `2026-03-08 12:00 UTC`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A duration in at most two units: `2d 3h`, `5h 12m`, `12m`, `<1m`. Negative durations are
/// shown by their magnitude.
pub fn humanize(d: Duration) -> String {
    let total = d.num_minutes().unsigned_abs();
    let (days, hours, minutes) = (total / 1440, (total / 60) % 24, total % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "<1m".to_owned(),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// When `at` is relative to `now`: `in 2d 3h` or `expired 3h ago`.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at > now {
        format!("in {}", humanize(at - now))
    } else {
        format!("expired {} ago", humanize(now - at))
    }
}

/// Cut `text` to at most `max` bytes on a character boundary; says whether it cut.
fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// A GitHub owner for display: `octocat` from `12345+octocat@users.noreply.github.com`.
pub fn display_owner(owner: &str) -> &str {
    match owner.strip_suffix("@users.noreply.github.com") {
        Some(login) => login.split_once('+').map_or(login, |(_, l)| l),
        None => owner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_neutralizes_markup_tables_and_mentions() {
        assert_eq!(
            escape_markdown("<img src=x>|@team`$(x)`\n"),
            "&lt;img src=x&gt;&#124;&#64;team\\`\\$\\(x\\)\\`\u{FFFD}"
        );
        assert_eq!(escape_markdown("a\u{202E}b"), "a\u{FFFD}b");
        assert_eq!(escape_markdown("-->"), "--&gt;");
    }

    #[test]
    fn html_escape_covers_the_five_characters() {
        assert_eq!(
            escape_html("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn messages_keep_their_quoted_values_as_code() {
        assert_eq!(
            message_markdown("env `a|b` is <x>"),
            "env `a\\|b` is &lt;x&gt;"
        );
        assert_eq!(message_markdown("odd ` tick"), "odd \\` tick");
    }

    #[test]
    fn code_span_survives_backticks_and_pipes() {
        assert_eq!(code_span("idp logs x"), "`idp logs x`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(code_span("a|b"), "`a\\|b`");
    }

    #[test]
    fn only_plain_http_urls_are_linked() {
        assert!(safe_url("https://preview-x.example.com/path?q=1").is_some());
        assert!(safe_url("javascript:alert(1)").is_none());
        assert!(safe_url("https://x\" onclick=\"y").is_none());
        assert!(safe_url("https://a.b/) [x](y").is_none());
        assert!(safe_url("https://").is_none());
    }

    #[test]
    fn durations_are_humanized_in_two_units() {
        assert_eq!(humanize(Duration::minutes(0)), "<1m");
        assert_eq!(humanize(Duration::minutes(12)), "12m");
        assert_eq!(humanize(Duration::minutes(5 * 60 + 12)), "5h 12m");
        assert_eq!(humanize(Duration::hours(3)), "3h");
        assert_eq!(
            humanize(Duration::hours(51) + Duration::minutes(5)),
            "2d 3h"
        );
        assert_eq!(humanize(Duration::days(7)), "7d");
        let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(relative(now + Duration::hours(51), now), "in 2d 3h");
        assert_eq!(relative(now - Duration::hours(3), now), "expired 3h ago");
    }

    #[test]
    fn noreply_owners_show_as_logins() {
        assert_eq!(
            display_owner("12345+octocat@users.noreply.github.com"),
            "octocat"
        );
        assert_eq!(display_owner("octocat@users.noreply.github.com"), "octocat");
        assert_eq!(display_owner("dev@example.com"), "dev@example.com");
    }

    #[test]
    fn cut_respects_character_boundaries() {
        assert_eq!(cut("héllo", 2), ("h", true));
        assert_eq!(cut("hi", 5), ("hi", false));
    }

    proptest::proptest! {
        #[test]
        fn escaped_markdown_has_no_markup_characters(text in "\\PC{0,64}|.{0,64}") {
            let out = escape_markdown(&text);
            for bad in ['<', '>', '|', '@', '\n', '\r', '\u{202E}'] {
                proptest::prop_assert!(!out.contains(bad), "{:?} -> {:?}", text, out);
            }
            let html = escape_html(&text);
            for bad in ['<', '>', '"', '\''] {
                proptest::prop_assert!(!html.contains(bad));
            }
        }
    }
}
