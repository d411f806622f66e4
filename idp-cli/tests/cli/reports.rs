//! `--help` of every command, and the report commands: `templates`, `cost`, `dashboard`.

use crate::{idp, run, snapshot};

/// Every command and subcommand, as typed after `idp`.
const COMMANDS: &[&[&str]] = &[
    &["create"],
    &["approve"],
    &["destroy"],
    &["extend"],
    &["list"],
    &["status"],
    &["logs"],
    &["unlock"],
    &["sweep"],
    &["templates"],
    &["cost"],
    &["dashboard"],
    &["init"],
    &["config"],
    &["config", "get"],
    &["config", "set"],
    &["config", "list"],
    &["config", "unset"],
    &["auth"],
    &["auth", "login"],
    &["auth", "logout"],
    &["auth", "status"],
    &["name"],
    &["validate"],
    &["schema"],
    &["teams"],
    &["teams", "validate"],
    &["teams", "render"],
    &["completions"],
];

#[test]
fn every_command_has_help_with_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    for command in COMMANDS {
        let r = run(idp(dir.path()).args(*command).arg("--help"));
        assert_eq!(r.code, 0, "{command:?}: {}", r.stderr);
        insta::assert_snapshot!(format!("help_{}", command.join("_")), r.stdout);
    }
}

#[test]
fn templates_lists_the_manifests_as_a_table_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).arg("templates"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("templates_table", snapshot(&r));
    let r = run(idp(dir.path()).args(["templates", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = doc["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "api-database",
            "api-service",
            "k8s-namespace",
            "lambda-api",
            "scheduled-worker",
            "static-site"
        ]
    );
    assert!(doc["templates"][1]["hourly_cost_usd"].as_f64().unwrap() > 0.0);
}

#[test]
fn templates_in_a_missing_directory_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["templates", "--templates-dir", "no/such/dir"]));
    assert_eq!(r.code, 3);
    insta::assert_snapshot!("templates_missing", snapshot(&r));
}

#[test]
fn cost_of_a_template_shows_the_breakdown_and_says_there_are_no_actuals() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).current_dir(dir.path()).args([
        "cost",
        "--template",
        "api-database",
        "--ttl",
        "3d",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("cost_template", snapshot(&r));
    let r = run(idp(dir.path())
        .current_dir(dir.path())
        .args(["-o", "json", "cost", "--ttl", "10h"]));
    insta::assert_snapshot!("cost_template_json", snapshot(&r));
}

#[test]
fn cost_with_a_bad_ttl_is_invalid_input_and_of_a_missing_environment_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path())
        .current_dir(dir.path())
        .args(["cost", "--ttl", "forever"]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("cost_bad_ttl", snapshot(&r));
    let r = run(idp(dir.path()).args(["-o", "json", "cost", "nope"]));
    assert_eq!(r.code, 3);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "not_found");
    let r = run(idp(dir.path()).args(["cost", "nope", "--ttl", "1d"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn dashboard_of_no_environments_in_markdown_html_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).arg("dashboard"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown = regex_time(&snapshot(&r));
    insta::assert_snapshot!("dashboard_empty_md", shown);
    let out = dir.path().join("env.html");
    let r = run(idp(dir.path())
        .args(["dashboard", "--format", "html", "--out"])
        .arg(&out)
        .args(["-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (doc["format"].as_str(), doc["environments"].as_u64()),
        (Some("html"), Some(0))
    );
    assert!(fs_err::read_to_string(&out).unwrap().contains("<html"));
}

/// Replace the `Last updated` timestamp.
fn regex_time(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("> Last updated: ") {
                "> Last updated: [TIME]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
