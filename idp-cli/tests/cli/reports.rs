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
    &["templates", "new"],
    &["templates", "check"],
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
fn templates_new_scaffolds_a_team_template_that_check_accepts_and_a_broken_one_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let team = dir.path().join("teams/payments/templates");
    fs_err::create_dir_all(&team).unwrap();
    let team_dirs = team.display().to_string();
    let r = run(idp(dir.path()).args([
        "templates",
        "new",
        "ledger",
        "--from",
        "api-service",
        "--team-templates-dirs",
        &team_dirs,
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["from"], "api-service");
    assert_eq!(doc["dir"], team.join("ledger").display().to_string());

    let list = |args: &[&str]| {
        run(idp(dir.path())
            .args(args)
            .args(["--team-templates-dirs", &team_dirs]))
    };
    let r = list(&["templates", "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ledger = doc["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ledger")
        .expect("the team template is listed");
    assert_eq!(
        ledger["outputs"],
        doc["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "api-service")
            .unwrap()["outputs"]
    );
    let r = list(&["templates", "check", "ledger"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("meets the contract"), "{}", r.stdout);

    // A worker cannot be copied under another name: idp would pass it no schedule. Refused
    // with the copied file's own line, and nothing is written.
    let r = list(&["templates", "new", "nightly", "--from", "scheduled-worker"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("scheduled-worker/variables.tf:")
            && r.stderr.contains("`schedule_expression` has no default"),
        "{}",
        r.stderr
    );
    assert!(!team.join("nightly").exists() && !team.join(".nightly.new").exists());

    // The same name again is refused; a broken manifest is reported with its file and fix.
    let r = list(&["templates", "new", "ledger"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let manifest = team.join("ledger/template.json");
    let text = fs_err::read_to_string(&manifest).unwrap();
    fs_err::write(&manifest, text.replace("\"log_group\"", "\"log_groups\"")).unwrap();
    let r = list(&["templates", "check"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("template.json: `outputs` lacks `log_group`"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("2 problem(s)"), "{}", r.stdout);
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
