//! `idp create` of a costly template stops with `approval_required` (exit 5) and leaves only an
//! approval request; `idp list` shows it as `pending_approval`, `idp status` says what it waits
//! for; after `idp approve`, `idp create` proceeds on the local backend and `idp status` shows
//! who approved. The rule is `api-database`'s `template.json` in this repository.

use super::{idp, run};

fn create(dir: &std::path::Path) -> super::Run {
    run(idp(dir).args([
        "-o",
        "json",
        "create",
        "--name",
        "cli-db",
        "--template",
        "api-database",
        "--config",
        "examples/app/.idp/config.yml",
        "--ttl",
        "7d",
        "--yes",
    ]))
}

#[test]
fn a_costly_create_waits_for_idp_approve_then_proceeds_and_status_shows_the_approval() {
    let dir = tempfile::tempdir().unwrap();
    let refused = create(dir.path());
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    let doc: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "approval_required", "{doc}");
    assert!(
        refused
            .stdout
            .contains("approval threshold of template `api-database`"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("idp approve cli-db"),
        "{}",
        refused.stdout
    );

    let listed = run(idp(dir.path()).args(["-o", "json", "list"]));
    let rows: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(rows[0]["name"], "cli-db");
    assert_eq!(rows[0]["status"], "pending_approval");
    assert_eq!(rows[0]["template"], "api-database");
    let table = run(idp(dir.path()).arg("list"));
    assert!(
        table.stdout.contains("pending_approval"),
        "{}",
        table.stdout
    );

    let status = run(idp(dir.path()).args(["status", "cli-db"]));
    assert_eq!(status.code, 6, "{}", status.stderr);
    assert!(
        status.stderr.contains("needs approval"),
        "{}",
        status.stderr
    );

    let nothing = run(idp(dir.path()).args(["approve", "no-such-env"]));
    assert_eq!(nothing.code, 3, "{}", nothing.stderr);

    let approved = run(idp(dir.path())
        .env("USER", "platform-admin")
        .env_remove("GITHUB_ACTOR")
        .args(["-o", "json", "approve", "cli-db", "--reason", "load test"]));
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    let doc: serde_json::Value = serde_json::from_str(&approved.stdout).unwrap();
    assert_eq!(doc["request"]["approval"]["how"], "admin");
    assert_eq!(doc["request"]["approval"]["reason"], "load test");

    let created = create(dir.path());
    assert_eq!(created.code, 0, "{}", created.stderr);
    let doc: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    assert_eq!(doc["outcome"], "created", "{doc}");

    let status = run(idp(dir.path()).args(["-o", "json", "status", "cli-db"]));
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let approval = &doc["environment"]["approval"];
    assert_eq!(approval["how"], "admin", "{doc}");
    assert_eq!(approval["reason"], "load test");
    let text = run(idp(dir.path()).args(["status", "cli-db"]));
    assert!(text.stdout.contains("approved:  by "), "{}", text.stdout);
    let listed = run(idp(dir.path()).args(["-o", "json", "list"]));
    let rows: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        1,
        "the request is used up: {rows}"
    );
    assert_eq!(rows[0]["status"], "active");

    let destroyed = run(idp(dir.path()).args(["destroy", "cli-db", "--yes"]));
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
}

#[test]
fn a_short_lived_costly_template_needs_no_approval() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args([
        "cost",
        "--template",
        "api-database",
        "--ttl",
        "2h",
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let created = run(idp(dir.path()).args([
        "-o",
        "json",
        "create",
        "--name",
        "cli-db-short",
        "--template",
        "api-database",
        "--config",
        "examples/app/.idp/config.yml",
        "--ttl",
        "2h",
        "--yes",
    ]));
    assert_eq!(created.code, 0, "{}", created.stderr);
    let destroyed = run(idp(dir.path()).args(["destroy", "cli-db-short", "--yes"]));
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
}

/// A config that references a secret outside the platform's allow-list (`aws.secretPatterns`)
/// is refused before anything is written: exit code 7, `secret_not_allowed`, nothing listed.
#[test]
fn a_create_referencing_a_secret_outside_the_allow_list_exits_7_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    fs_err::write(
        &config,
        "template: api-service\nsecrets:\n  STRIPE_KEY: \"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/stripe-AbCdEf\"\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let create = |patterns: Option<&str>| {
        let mut cmd = idp(dir.path());
        if let Some(p) = patterns {
            cmd.env("IDP_SECRET_PATTERNS", p);
        }
        run(cmd.args([
            "-o", "json", "create", "--name", "leaky", "--config", &config, "--yes",
        ]))
    };
    let refused = create(None);
    assert_eq!(refused.code, 7, "{}{}", refused.stdout, refused.stderr);
    let doc: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "secret_not_allowed", "{doc}");
    assert!(refused.stdout.contains("STRIPE_KEY"), "{}", refused.stdout);
    let listed = run(idp(dir.path()).args(["-o", "json", "list"]));
    assert_eq!(
        listed.stdout.trim(),
        "[]",
        "nothing created: {}",
        listed.stdout
    );

    // A platform that allows the secret's path lets the same create past the check, on to the
    // local backend, which stops at the missing `local.command` of this bare config.
    let allowed = create(Some("arn:aws:secretsmanager:*:123456789012:secret:prod/*"));
    assert_ne!(allowed.code, 7, "{}", allowed.stdout);
    assert!(
        allowed.stdout.contains("no local command")
            && !allowed.stdout.contains("secret_not_allowed"),
        "{}",
        allowed.stdout
    );
}
