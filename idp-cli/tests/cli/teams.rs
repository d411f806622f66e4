//! `idp teams validate|render` on the example teams and on broken team files.

use crate::{idp, run, snapshot};

const GITOPS: &str = "https://github.com/acme/gitops";

#[test]
fn teams_validate_accepts_the_example_teams() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["teams", "validate", "--dir", "examples/teams"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("teams_validate_ok", snapshot(&r));
    let r =
        run(idp(dir.path()).args(["teams", "validate", "--dir", "examples/teams", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["teams"][0]["name"], "payments");
    assert_eq!(
        doc["teams"][0]["apps"][0]["repoURL"],
        "https://github.com/acme/payments-api"
    );
    assert_eq!(doc["teams"][1]["quota"]["memory"], "40Gi");
}

#[test]
fn teams_render_prints_the_example_as_one_yaml_stream() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args([
        "teams",
        "render",
        "--dir",
        "examples/teams",
        "--gitops-repo",
        GITOPS,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let kinds: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(r.stdout.matches("---\n").count(), kinds.len());
    assert!(r.stdout.starts_with("---\n"));
    assert_eq!(
        &kinds[..3],
        ["ApplicationSet", "ApplicationSet", "ApplicationSet"]
    );
    assert_eq!(kinds.iter().filter(|k| **k == "AppProject").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "RoleBinding").count(), 4);
    insta::assert_snapshot!("teams_render_example", r.stdout);

    let r = run(idp(dir.path()).args([
        "teams",
        "render",
        "--dir",
        "examples/teams",
        "--gitops-repo",
        GITOPS,
        "-o",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let manifests = doc["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), kinds.len());
    assert_eq!(manifests[2]["object"]["metadata"]["name"], "team-apps");
}

#[test]
fn teams_render_of_one_team_needs_no_repository() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args([
        "teams",
        "render",
        "--dir",
        "examples/teams",
        "--team",
        "search",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("teams_render_search", r.stdout);
    let r = run(idp(dir.path()).args([
        "teams",
        "render",
        "--dir",
        "examples/teams",
        "--team",
        "nope",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("examples/teams/nope/team.yaml"),
        "{}",
        r.stderr
    );
    let r = run(idp(dir.path()).args(["teams", "render", "--dir", "examples/teams"]));
    assert_eq!(r.code, 2, "the ApplicationSets need the repository");
    assert!(r.stderr.contains("--gitops-repo"), "{}", r.stderr);
}

#[test]
fn teams_validate_reports_every_problem_with_file_line_key_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let teams = dir.path().join("teams");
    for (team, text) in [
        (
            "payments",
            "name: payments\nmembrs: [alice]\ngroups: [acme/payments]\nquota:\n  memory: 40gb\nlimits:\n  memory: 512m\napps:\n  - name: api\n    repoUrl: https://github.com/acme/api\n",
        ),
        ("Search", "name: Search\ngroups: [acme/search]\n"),
        ("empty", ""),
    ] {
        fs_err::create_dir_all(teams.join(team)).unwrap();
        fs_err::write(teams.join(team).join("team.yaml"), text).unwrap();
    }
    let r = run(idp(dir.path())
        .args(["teams", "validate", "--dir"])
        .arg(&teams));
    assert_eq!(r.code, 2);
    let shown = snapshot(&r).replace(&teams.display().to_string(), "[TEAMS]");
    insta::assert_snapshot!("teams_validate_errors", shown);
    let r = run(idp(dir.path())
        .args([
            "teams",
            "render",
            "--gitops-repo",
            GITOPS,
            "-o",
            "json",
            "--dir",
        ])
        .arg(&teams));
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|e| e["line"].as_u64() > Some(0) && e["fix"].is_string())
    );
}

#[test]
fn teams_validate_of_a_missing_folder_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["teams", "validate", "--dir", "no/such/teams"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
}
