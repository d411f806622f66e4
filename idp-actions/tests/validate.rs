//! `idp-action validate` as a workflow step runs it.

use assert_cmd::Command;

#[test]
fn invalid_config_becomes_annotations_and_a_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yml");
    fs_err::write(&cfg, "container_port: 0\nttl: 5y\n").unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let out = Command::cargo_bin("idp-action")
        .unwrap()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .args(["validate", "config.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("::error file=config.yml,line=1,col="),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("::error file=config.yml,line=2,col="),
        "{stdout}"
    );
    let summary = fs_err::read_to_string(&summary).unwrap();
    assert!(summary.contains("2 problem(s)"), "{summary}");
    let outputs = fs_err::read_to_string(&outputs).unwrap();
    let first: Vec<&str> = outputs.lines().take(3).collect();
    assert!(
        first[0].starts_with("valid<<ghadelimiter_") && first[1] == "false",
        "{outputs}"
    );
}

#[test]
fn valid_or_absent_config_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("idp-action")
        .unwrap()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    fs_err::write(dir.path().join("ok.yml"), "template: api-database\n").unwrap();
    let out = Command::cargo_bin("idp-action")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "ok.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
