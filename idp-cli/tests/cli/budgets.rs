//! `idp budgets sync`, `idp budgets` and the guardrail of `idp create` on the local backend:
//! refused with exit code 5 and the figures, a non-admin's override refused, an admin's
//! override passing with its reason in `idp status -o json`.

use std::path::Path;

use super::{idp, run, snapshot};

const POLICY: &str = "\
teams:
  payments: [alice, bob-smith]
admins: [platform-lead]
budgets:
  - team: payments
    monthly_usd: 0.01
    alert_at: [50, 100]
";

fn as_user(dir: &Path, user: &str) -> assert_cmd::Command {
    let mut cmd = idp(dir);
    cmd.env("USER", user).env_remove("GITHUB_ACTOR");
    cmd
}

fn create(dir: &Path, user: &str, extra: &[&str]) -> super::Run {
    let mut cmd = as_user(dir, user);
    cmd.args([
        "create",
        "--name",
        "pay-cli",
        "--config",
        "examples/app/.idp/config.yml",
        "--ttl",
        "2h",
        "--owner",
        "alice",
        "--yes",
    ])
    .args(extra);
    run(&mut cmd)
}

#[test]
fn budgets_sync_then_create_is_refused_and_an_admin_override_passes_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("platform.yml");
    fs_err::write(&policy, POLICY).unwrap();
    let synced = run(as_user(dir.path(), "platform-lead").args([
        "budgets",
        "sync",
        "--policy",
        policy.to_str().unwrap(),
    ]));
    insta::assert_snapshot!("budgets_sync_local", snapshot(&synced));

    let shown = run(as_user(dir.path(), "alice").args(["-o", "json", "budgets"]));
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let doc: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(doc["budgets"][0]["name"], "idp-team-payments");
    assert_eq!(doc["budgets"][0]["limit_usd"], 0.01);
    assert_eq!(doc["budgets"][0]["alert_at"], serde_json::json!([50, 100]));

    let refused = create(dir.path(), "alice", &[]);
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("team `payments`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("limit $0.01"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--override-budget"),
        "{}",
        refused.stderr
    );
    let status = run(idp(dir.path()).args(["status", "pay-cli"]));
    assert_eq!(status.code, 3, "nothing was recorded: {}", status.stdout);

    let not_admin = create(dir.path(), "alice", &["--override-budget", "please"]);
    assert_eq!(not_admin.code, 2, "{}", not_admin.stderr);
    assert!(
        not_admin.stderr.contains("may not override"),
        "{}",
        not_admin.stderr
    );

    let admin = create(
        dir.path(),
        "platform-lead",
        &["--override-budget", "release demo"],
    );
    assert_eq!(admin.code, 0, "{}", admin.stderr);
    let status = run(idp(dir.path()).args(["-o", "json", "status", "pay-cli"]));
    assert_eq!(status.code, 0, "{}", status.stderr);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let recorded = doc
        .pointer("/environment/budget_override")
        .unwrap_or_else(|| panic!("no override in {doc}"));
    assert_eq!(recorded["reason"], "release demo");
    assert_eq!(recorded["by"], "platform-lead");

    let destroyed = run(idp(dir.path()).args(["destroy", "pay-cli", "--yes"]));
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
}

#[test]
fn a_policy_with_mistakes_is_refused_with_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("platform.yml");
    fs_err::write(
        &policy,
        "teams:\n  payments: [alice]\nbudgets:\n  - team: payment\n    monthly_usd: 200\n    alert: [50]\n",
    )
    .unwrap();
    let out = run(idp(dir.path()).args(["budgets", "sync", "--policy", policy.to_str().unwrap()]));
    let text = snapshot(&out).replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!("budgets_sync_invalid", text);
}
