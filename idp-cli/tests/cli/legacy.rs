//! A state directory holding the original platform's records (every value a string, no
//! `schema`) and one record nobody can read: `list`, `status`, `sweep --dry-run` and `migrate`
//! as a user runs them, plus files that are not text and a reader that closes the pipe.

use std::path::Path;
use std::process::Stdio;

use super::{idp, run};

fn seed(state: &Path, name: &str, body: &str) {
    let dir = state.join("environments").join(name);
    fs_err::create_dir_all(&dir).unwrap();
    fs_err::write(dir.join("metadata.json"), body).unwrap();
}

fn original(name: &str, status: &str, expires: &str) -> String {
    format!(
        r#"{{"name":"{name}","template":"api-service","owner":"octocat@users.noreply.github.com","ttl":"7d","created_at":"2026-01-01T00:00:00Z","expires_at":"{expires}","status":"{status}","container_image":"nginx:alpine","acm_certificate_arn":"","route53_zone_id":"","preview_domain":"","use_shared_networking":"false"}}"#
    )
}

fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    seed(
        dir.path(),
        "app",
        &original("app", "active", "2099-01-01T00:00:00.000Z"),
    );
    seed(
        dir.path(),
        "old",
        &original("old", "active", "2026-01-08T00:00:00Z"),
    );
    seed(dir.path(), "broken", r#"{"name":"broken","status":1}"#);
    dir
}

#[test]
fn list_shows_legacy_and_unreadable_records_as_rows() {
    let dir = seeded();
    let r = run(idp(dir.path()).arg("list"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for part in [
        "active (legacy)",
        "expired (legacy)",
        "unreadable",
        "environments/broken/metadata.json",
        "idp migrate --dry-run",
    ] {
        assert!(r.stdout.contains(part), "{part} not in:\n{}", r.stdout);
    }
    let r = run(idp(dir.path()).args(["list", "-o", "json"]));
    assert_eq!(r.code, 0);
    let rows: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["name"], "app");
    assert_eq!(rows[0]["legacy"]["schema"], 0);
    assert_eq!(rows[1]["name"], "broken");
    assert_eq!(rows[1]["status"], "unreadable");
    assert_eq!(rows[1]["kind"], "unreadable_record");
    assert!(
        rows[1]["error"].as_str().unwrap().contains("`status` is 1"),
        "{}",
        rows[1]
    );
    let r = run(idp(dir.path()).args(["list", "--strict"]));
    assert_eq!(r.code, 1, "--strict fails on an unreadable record");
}

#[test]
fn status_of_an_unreadable_record_says_what_and_how_to_fix_it() {
    let dir = seeded();
    let r = run(idp(dir.path()).args(["status", "broken"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot be read"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: run `idp migrate --dry-run`"),
        "{}",
        r.stderr
    );
    let r = run(idp(dir.path()).args(["status", "broken", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "unreadable_record");
    let r = run(idp(dir.path()).args(["status", "app"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("record:    legacy"), "{}", r.stdout);
    assert!(
        !r.stdout.contains('{'),
        "no raw JSON in human output: {}",
        r.stdout
    );
}

#[test]
fn sweep_dry_run_reports_unreadable_records_and_writes_nothing() {
    let dir = seeded();
    let r = run(idp(dir.path()).args(["sweep", "--dry-run", "--reindex", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["examined"], 2);
    assert_eq!(doc["actions"][0]["name"], "old");
    assert_eq!(doc["unreadable"][0]["name"], "broken");
    assert!(
        !dir.path().join("environments/_index.json").exists(),
        "a dry run builds no index"
    );
    let r = run(idp(dir.path()).args(["sweep", "--dry-run"]));
    assert!(
        r.stdout
            .contains("unreadable environments/broken/metadata.json"),
        "{}",
        r.stdout
    );
}

#[test]
fn migrate_converts_once_and_says_what_it_cannot_map() {
    let dir = seeded();
    seed(
        dir.path(),
        "extra",
        &original("extra", "active", "2099-01-01T00:00:00Z").replace('}', r#","team":"payments"}"#),
    );
    let before = fs_err::read(dir.path().join("environments/app/metadata.json")).unwrap();
    let r = run(idp(dir.path()).args(["migrate", "--dry-run"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("would migrate app (schema 0 → 1)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("not mapped: `team` in 1 record(s) (extra)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        fs_err::read(dir.path().join("environments/app/metadata.json")).unwrap(),
        before
    );
    let r = run(idp(dir.path()).args(["migrate", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["migrations"].as_array().unwrap().len(), 3);
    assert_eq!(doc["unreadable"][0]["name"], "broken");
    assert_eq!(doc["unmapped"]["team"][0], "extra");
    let r = run(idp(dir.path()).args(["migrate", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["current"], 3);
    assert_eq!(doc["migrations"].as_array().unwrap().len(), 0, "idempotent");
    let r = run(idp(dir.path()).arg("list"));
    assert!(!r.stdout.contains("(legacy)"), "{}", r.stdout);
}

#[test]
fn files_that_are_not_text_are_invalid_input_at_their_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    fs_err::write(&config, b"template: api-service\n\xff\xfe\x00binary").unwrap();
    let r = run(idp(dir.path()).arg("validate").arg(&config));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(":2:1:") && r.stderr.contains("is not UTF-8 text"),
        "{}",
        r.stderr
    );
    let job = dir.path().join("job.yml");
    fs_err::write(&job, b"\x00\x01\x02").unwrap();
    let r = run(idp(dir.path()).arg("run").arg(&job));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is binary"), "{}", r.stderr);
    let settings = dir.path().join("settings/config.toml");
    fs_err::create_dir_all(settings.parent().unwrap()).unwrap();
    fs_err::write(&settings, b"backend = \"loc\xe9l\"\n").unwrap();
    let r = run(idp(dir.path()).arg("list"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(":1:15:"), "{}", r.stderr);
}

#[test]
fn a_reader_that_closes_the_pipe_does_not_make_idp_panic() {
    let dir = seeded();
    for args in [&["list"][..], &["status", "app"], &["list", "-o", "json"]] {
        let mut child = plain_idp(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// `idp` as a plain child process (to hold its stdout pipe), with the environment of [`idp`].
#[allow(
    clippy::disallowed_methods,
    reason = "the test drops the child's stdout pipe itself"
)]
fn plain_idp(state: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("idp"));
    cmd.current_dir(super::workspace())
        .env("IDP_STATE_DIR", state)
        .env("IDP_CONFIG_FILE", state.join("settings/config.toml"))
        .env("NO_COLOR", "1")
        .env_remove("IDP_OUTPUT");
    for key in idp_core::setup::settings::Key::ALL {
        if key != idp_core::setup::settings::Key::StateDir {
            cmd.env_remove(key.env_var());
        }
    }
    cmd
}
