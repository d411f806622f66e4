//! What an Argo CD Application's `status` says about the preview: ready, still on its way, or
//! failed; and its health as the `Provisioner` port reports it.
//!
//! Argo CD writes `status.sync.status` (`Synced`, `OutOfSync`, `Unknown`), `status.health.status`
//! (`Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`), the source it
//! compared the cluster with (`status.sync.comparedTo.source`), the last sync operation
//! (`status.operationState`) and conditions (`status.conditions[]`, e.g. `ComparisonError`).

use serde_json::Value;

use crate::ports::provisioner::RuntimeHealth;

/// Where an Application stands after an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// Synced to the applied revision and healthy.
    Ready,
    /// Not there yet; the text says how it stands (for progress and for a timeout's error).
    Waiting(String),
    /// Argo CD reports the application `Degraded`; the text is what it says about it.
    Failed(String),
}

fn text<'a>(status: &'a Value, pointer: &str) -> Option<&'a str> {
    status
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// One line saying how `status` stands: `sync OutOfSync, health Progressing`, with the
/// messages Argo CD gives (health message, last operation, conditions), one per line.
pub(crate) fn summary(status: &Value) -> String {
    let mut out = format!(
        "sync {}, health {}",
        text(status, "/sync/status").unwrap_or("unknown (Argo CD has not reported yet)"),
        text(status, "/health/status").unwrap_or("unknown"),
    );
    for line in messages(status) {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

/// What Argo CD says about the application, most specific first.
fn messages(status: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(message) = text(status, "/health/message") {
        out.push(format!("health: {message}"));
    }
    if let Some(message) = text(status, "/operationState/message") {
        let phase = text(status, "/operationState/phase").unwrap_or("sync");
        out.push(format!("{phase}: {message}"));
    }
    if let Some(conditions) = status.get("conditions").and_then(Value::as_array) {
        for condition in conditions {
            if let Some(message) = text(condition, "/message") {
                let kind = text(condition, "/type").unwrap_or("Condition");
                out.push(format!("{kind}: {message}"));
            }
        }
    }
    out
}

/// Where an Application with `status` stands once `revision` was applied as its
/// `targetRevision`. A status that was compared with another revision (the one before a
/// push) is not ready yet, whatever it says; a status that names no compared source is taken as
/// it is.
pub(crate) fn readiness(status: Option<&Value>, revision: &str) -> Readiness {
    let Some(status) = status.filter(|s| s.is_object()) else {
        return Readiness::Waiting(
            "sync unknown, health unknown: Argo CD has not reported on the application yet (is its application controller running?)"
                .to_owned(),
        );
    };
    let health = text(status, "/health/status");
    if health == Some("Degraded") {
        let said = messages(status);
        return Readiness::Failed(if said.is_empty() {
            "Argo CD reports the application Degraded and gives no message; see `argocd app get` or the Argo CD UI".to_owned()
        } else {
            format!(
                "Argo CD reports the application Degraded: {}",
                said.join("\n")
            )
        });
    }
    let compared = text(status, "/sync/comparedTo/source/targetRevision");
    if compared.is_some_and(|compared| compared != revision) {
        return Readiness::Waiting(format!(
            "{}\nArgo CD has not compared revision `{revision}` yet (last compared `{}`)",
            summary(status),
            compared.unwrap_or_default()
        ));
    }
    match (text(status, "/sync/status"), health) {
        (Some("Synced"), Some("Healthy")) => Readiness::Ready,
        _ => Readiness::Waiting(summary(status)),
    }
}

/// The port's health of an Application with `status`: `Healthy` is running, `Degraded`,
/// `Missing` and `Suspended` are stopped, anything else (`Progressing`, no status yet) cannot
/// be told.
pub(crate) fn health(status: Option<&Value>) -> RuntimeHealth {
    match status.and_then(|s| text(s, "/health/status")) {
        Some("Healthy") => RuntimeHealth::Running { pid: None },
        Some("Degraded" | "Missing" | "Suspended") => RuntimeHealth::Stopped,
        _ => RuntimeHealth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn synced_and_healthy_at_the_applied_revision_is_ready() {
        let status = json!({"sync": {"status": "Synced", "comparedTo": {"source": {"targetRevision": "feature/a"}}},
                            "health": {"status": "Healthy"}});
        assert_eq!(readiness(Some(&status), "feature/a"), Readiness::Ready);
        assert_eq!(health(Some(&status)), RuntimeHealth::Running { pid: None });
        // The status of the revision before a push is not the new revision's.
        let Readiness::Waiting(why) = readiness(Some(&status), "feature/b") else {
            panic!("not ready");
        };
        assert!(why.contains("`feature/b`"), "{why}");
        // No compared source: taken as it is.
        let bare = json!({"sync": {"status": "Synced"}, "health": {"status": "Healthy"}});
        assert_eq!(readiness(Some(&bare), "x"), Readiness::Ready);
    }

    #[test]
    fn degraded_is_a_failure_with_what_argo_cd_says() {
        let status = json!({"sync": {"status": "Synced"},
            "health": {"status": "Degraded", "message": "Deployment \"app\" exceeded its progress deadline"},
            "conditions": [{"type": "SyncError", "message": "one or more objects failed to apply"}]});
        let Readiness::Failed(why) = readiness(Some(&status), "main") else {
            panic!("failed");
        };
        assert_eq!(
            why,
            "Argo CD reports the application Degraded: health: Deployment \"app\" exceeded its progress deadline\nSyncError: one or more objects failed to apply"
        );
        assert_eq!(health(Some(&status)), RuntimeHealth::Stopped);
    }

    #[test]
    fn anything_else_is_waiting_and_says_how_it_stands() {
        assert!(
            matches!(readiness(None, "main"), Readiness::Waiting(w) if w.contains("controller"))
        );
        assert!(matches!(
            readiness(Some(&json!("garbage")), "main"),
            Readiness::Waiting(_)
        ));
        let status = json!({"sync": {"status": "OutOfSync"}, "health": {"status": "Progressing"},
            "operationState": {"phase": "Running", "message": "waiting for healthy state of apps/Deployment/app"}});
        assert_eq!(
            readiness(Some(&status), "main"),
            Readiness::Waiting(
                "sync OutOfSync, health Progressing\nRunning: waiting for healthy state of apps/Deployment/app"
                    .to_owned()
            )
        );
        assert_eq!(health(Some(&status)), RuntimeHealth::Unknown);
        assert_eq!(health(None), RuntimeHealth::Unknown);
    }
}
