//! The GitHub Actions step summary (`GITHUB_STEP_SUMMARY`) for one preview decision, so the
//! run page says what idp decided and why without opening the log.

use std::fmt::Write as _;

use super::{code_span, escape_markdown, message_markdown, safe_url};
use crate::domain::decide::{Action, Decision};

/// Markdown for the step summary: a heading naming the action and environment, a table with
/// the decision, the reason and the endpoint (when given), and a warning block when refused.
pub fn step_summary(decision: &Decision, endpoint: Option<&str>) -> String {
    let env = decision.env.as_ref().map(|e| code_span(e.as_str()));
    let on = |verb: &str| match &env {
        Some(e) => format!("{verb} {e}"),
        None => verb.to_owned(),
    };
    let heading = match &decision.action {
        Action::Provision => on("🚀 Provisioning"),
        Action::ExtendAndRedeploy => on("🔄 Redeploying"),
        Action::Destroy => on("🗑️ Destroying"),
        Action::Sweep => "🧹 Sweeping expired environments".to_owned(),
        Action::NoOp { .. } => "✅ Nothing to do".to_owned(),
        Action::Refuse { .. } => on("⛔ Refused"),
    };
    let mut out = format!("### idp: {heading}\n\n| | |\n|---|---|\n");
    let _ = writeln!(out, "| Action | {} |", code_span(decision.action.as_str()));
    let _ = writeln!(out, "| Environment | {} |", env.as_deref().unwrap_or("—"));
    let _ = writeln!(out, "| Reason | {} |", message_markdown(&decision.reason));
    if let Some(endpoint) = endpoint {
        let shown =
            safe_url(endpoint).map_or_else(|| escape_markdown(endpoint), |u| format!("<{u}>"));
        let _ = writeln!(out, "| Endpoint | {shown} |");
    }
    if matches!(decision.action, Action::Refuse { .. }) {
        let _ = write!(
            out,
            "\n> [!WARNING]\n> {}\n",
            message_markdown(&decision.reason)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decide::{NoOpReason, Refusal};
    use crate::domain::naming::EnvName;

    fn decision(action: Action, reason: &str) -> Decision {
        Decision {
            env: Some(EnvName::parse("preview-payment-api").unwrap()),
            action,
            reason: reason.into(),
        }
    }

    #[test]
    fn provision_summary_snapshot() {
        let d = decision(
            Action::Provision,
            "no environment `preview-payment-api` yet: provision it for branch `feature/payment-api`",
        );
        insta::assert_snapshot!(step_summary(
            &d,
            Some("https://preview-payment-api.preview.example.com")
        ));
    }

    #[test]
    fn refused_summary_snapshot() {
        let d = decision(
            Action::Refuse {
                refusal: Refusal::BranchCollision {
                    branch: "bugfix/payment-api".into(),
                    repository: "octo-org/octo-repo".into(),
                    existing_branch: Some("feature/payment-api".into()),
                    existing_repository: Some("octo-org/octo-repo".into()),
                },
            },
            "environment `preview-payment-api` belongs to branch `feature/payment-api` of `octo-org/octo-repo`, not to branch `bugfix/payment-api` of `octo-org/octo-repo`: rename this branch",
        );
        insta::assert_snapshot!(step_summary(&d, None));
    }

    #[test]
    fn noop_and_sweep_summaries_snapshot() {
        let noop = decision(
            Action::NoOp {
                reason: NoOpReason::AlreadyDestroying,
            },
            "environment `preview-payment-api` is already destroying",
        );
        let sweep = Decision {
            env: None,
            action: Action::Sweep,
            reason: "scheduled run: sweep expired environments and retry stuck destroys".into(),
        };
        insta::assert_snapshot!(format!(
            "{}\n---\n\n{}",
            step_summary(&noop, None),
            step_summary(&sweep, None)
        ));
    }

    #[test]
    fn hostile_reason_and_endpoint_are_escaped() {
        let d = decision(Action::Destroy, "branch `<script>|@x` and <b>");
        let s = step_summary(&d, Some("javascript:alert(1)"));
        assert!(s.contains("`<script>\\|@x`"), "{s}");
        assert!(!s.contains("<b>"));
        assert!(!s.contains("<javascript"));
        assert!(s.contains("| Endpoint | javascript:alert\\(1\\) |"));
    }
}
