//! `idp config`, `idp auth` and `idp init`: files in a temporary directory, never the user's.

use std::path::Path;

use crate::{idp, run, snapshot};

fn json(r: &crate::Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// Hide the temporary directory in snapshots.
fn hide(dir: &Path, text: &str) -> String {
    text.replace(&dir.display().to_string(), "[TMP]")
}

#[test]
fn config_set_get_list_unset_round_trip_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["config", "set", "aws.stateBucket", "acme-idp-state"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("config_set", hide(dir.path(), &snapshot(&r)));
    run(idp(dir.path()).args(["config", "set", "aws.region", "eu-west-1"]));
    let file = fs_err::read_to_string(dir.path().join("settings/config.toml")).unwrap();
    insta::assert_snapshot!("config_file", file);

    let r = run(idp(dir.path()).args(["config", "get", "aws.stateBucket"]));
    assert_eq!((r.code, r.stdout.as_str()), (0, "acme-idp-state\n"));

    let r = run(idp(dir.path())
        .env_remove("IDP_STATE_DIR")
        .args(["config", "list"]));
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("config_list", hide(dir.path(), &snapshot(&r)));

    let r = run(idp(dir.path()).args(["-o", "json", "config", "unset", "aws.region"]));
    assert_eq!(json(&r)["outcome"], "unset");
    let r = run(idp(dir.path()).args(["-o", "json", "config", "unset", "aws.region"]));
    assert_eq!(json(&r)["outcome"], "no-op");
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    run(idp(dir.path()).args(["config", "set", "aws.region", "us-west-2"]));
    let get = |cmd: &mut assert_cmd::Command| {
        let doc = json(&run(cmd.args([
            "-o",
            "json",
            "config",
            "get",
            "aws.region",
        ])));
        (
            doc["value"].as_str().unwrap().to_owned(),
            doc["source"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        get(&mut idp(dir.path())),
        ("us-west-2".into(), "file".into())
    );
    assert_eq!(
        get(idp(dir.path()).env("IDP_REGION", "us-east-2")),
        ("us-east-2".into(), "env".into())
    );
    assert_eq!(
        get(idp(dir.path())
            .env("IDP_REGION", "us-east-2")
            .args(["--region", "eu-west-1"])),
        ("eu-west-1".into(), "flag".into())
    );
    let doc = json(&run(
        idp(dir.path()).args(["-o", "json", "config", "get", "backend"])
    ));
    assert_eq!(
        (doc["value"].as_str(), doc["source"].as_str()),
        (Some("local"), Some("default"))
    );
}

#[test]
fn the_backend_comes_from_the_settings_file_when_no_flag_or_variable_says() {
    let dir = tempfile::tempdir().unwrap();
    run(idp(dir.path()).args(["config", "set", "backend", "aws"]));
    let r = run(idp(dir.path()).arg("list"));
    assert_eq!(r.code, 2, "the AWS backend needs a bucket: {}", r.stderr);
    assert!(r.stderr.contains("--state-bucket"), "{}", r.stderr);
    let r = run(idp(dir.path()).args(["--backend", "local", "list"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn config_rejects_unknown_keys_with_the_closest_one_and_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["config", "set", "aws.statebucket", "x"]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("config_unknown_key", snapshot(&r));
    let r = run(idp(dir.path()).args(["-o", "json", "config", "set", "backend", "gcp"]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("config_bad_value_json", snapshot(&r));
    let r = run(idp(dir.path()).args(["config", "get", "github.repo"]));
    assert_eq!(r.code, 3);
    insta::assert_snapshot!("config_get_unset", snapshot(&r));
}

#[test]
fn a_broken_settings_file_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(dir.path().join("settings")).unwrap();
    fs_err::write(
        dir.path().join("settings/config.toml"),
        "backend = \"aws\"\n[aws]\nbucket = \"b\"\n",
    )
    .unwrap();
    let r = run(idp(dir.path()).arg("list"));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("config_broken_file", hide(dir.path(), &snapshot(&r)));
}

#[test]
fn auth_login_with_token_stores_it_privately_and_status_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["auth", "status"]));
    assert_eq!(r.code, 3);
    insta::assert_snapshot!("auth_status_logged_out", hide(dir.path(), &snapshot(&r)));

    let r = run(idp(dir.path())
        .args(["auth", "login", "--with-token"])
        .write_stdin("ghp_secret123\n"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("auth_login", hide(dir.path(), &snapshot(&r)));
    let file = dir.path().join("settings/github-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs_err::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    for args in [
        &["auth", "status"][..],
        &["-o", "json", "auth", "status"][..],
    ] {
        let r = run(idp(dir.path()).args(args));
        assert_eq!(r.code, 0);
        assert!(!r.stdout.contains("ghp_secret123") && !r.stderr.contains("ghp_secret123"));
    }
    let doc = json(&run(idp(dir.path()).args(["-o", "json", "auth", "status"])));
    assert_eq!(
        (doc["logged_in"].as_bool(), doc["source"]["kind"].as_str()),
        (Some(true), Some("store"))
    );

    let doc = json(&run(idp(dir.path())
        .env("GH_TOKEN", "ghp_env")
        .args(["-o", "json", "auth", "status"])));
    assert_eq!(
        doc["source"],
        serde_json::json!({"kind": "env", "variable": "GH_TOKEN"})
    );

    let doc = json(&run(idp(dir.path()).args(["-o", "json", "auth", "logout"])));
    assert_eq!(doc["outcome"], "logged_out");
    assert!(!file.exists());
    let doc = json(&run(idp(dir.path()).args(["-o", "json", "auth", "logout"])));
    assert_eq!(doc["outcome"], "no-op");
}

#[test]
fn auth_login_refuses_an_empty_token_and_needs_with_token_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path())
        .args(["auth", "login", "--with-token"])
        .write_stdin("\n"));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("auth_login_empty", snapshot(&r));
    let r = run(idp(dir.path()).args(["auth", "login"]).write_stdin(""));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--with-token"), "{}", r.stderr);
}

#[cfg(target_os = "linux")]
#[test]
fn auth_without_an_os_store_falls_back_to_a_private_file_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // No D-Bus session bus: the Secret Service cannot be reached, as on this kind of machine.
    let r = run(idp(dir.path())
        .env_remove("IDP_CREDENTIALS_FILE")
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["auth", "login", "--with-token"])
        .write_stdin("ghp_x\n"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: no OS credential store is available"),
        "{}",
        r.stderr
    );
    assert!(dir.path().join("xdg/idp/github-token").exists());
}

/// A GitHub fake on loopback where `acme/idp` tags commit [`PLATFORM_SHA`] as `v1`, served by a
/// runtime of its own while the test runs `idp` as a child process.
fn platform_on_fake() -> (
    tokio::runtime::Runtime,
    idp_test_support::github_fake::GitHubFake,
) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(idp_test_support::github_fake::GitHubFake::start());
    fake.add_tag("acme/idp", "v1", PLATFORM_SHA, Some(&"e".repeat(40)));
    (rt, fake)
}

const PLATFORM_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// `idp` talking to `fake` with its personal access token.
fn idp_on(dir: &Path, fake: &idp_test_support::github_fake::GitHubFake) -> assert_cmd::Command {
    let mut cmd = idp(dir);
    cmd.env("GITHUB_API_URL", fake.uri())
        .env("GH_TOKEN", idp_test_support::github_fake::PAT);
    cmd
}

#[test]
fn init_scaffolds_the_config_and_workflow_and_refuses_to_overwrite() {
    let (_rt, fake) = platform_on_fake();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let r = run(idp_on(dir.path(), &fake).arg("init").arg(&repo).args([
        "--platform-repo",
        "acme/idp",
        "--ref",
        "v1",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("init", hide(dir.path(), &snapshot(&r)));
    let wf = fs_err::read_to_string(repo.join(".github/workflows/preview-env.yml")).unwrap();
    insta::assert_snapshot!("init_workflow", wf);
    assert!(
        wf.contains(&format!("provision.yml@{PLATFORM_SHA} # v1")),
        "{wf}"
    );
    let r = run(idp(dir.path()).arg("validate").arg(&repo));
    assert_eq!(r.code, 0, "the scaffolded config is valid: {}", r.stderr);

    let r = run(idp_on(dir.path(), &fake).arg("init").arg(&repo));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("init_exists", hide(dir.path(), &snapshot(&r)));
    let r = run(idp_on(dir.path(), &fake)
        .args(["-o", "json", "init", "--force"])
        .arg(&repo));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(
        (
            doc["placeholder"].as_bool(),
            doc["files"][0]["overwritten"].as_bool(),
            doc["pinned"].as_str()
        ),
        (Some(true), Some(true), None)
    );
    let r = run(idp_on(dir.path(), &fake)
        .args([
            "init",
            "--force",
            "--platform-repo",
            "acme/idp",
            "--ref",
            "v9",
        ])
        .arg(&repo));
    assert_eq!(r.code, 0, "an unknown ref is a warning: {}", r.stderr);
    assert!(r.stderr.contains("a ref that can move"), "{}", r.stderr);
    let wf = fs_err::read_to_string(repo.join(".github/workflows/preview-env.yml")).unwrap();
    assert!(wf.contains("provision.yml@v9\n"), "{wf}");
}

#[test]
fn init_takes_the_platform_repository_from_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (_rt, fake) = platform_on_fake();
    run(idp(dir.path()).args(["config", "set", "github.repo", "acme/platform"]));
    let repo = dir.path().join("repo");
    let doc = json(&run(idp_on(dir.path(), &fake)
        .args(["-o", "json", "init"])
        .arg(&repo)));
    assert_eq!(
        (doc["platform_repo"].as_str(), doc["placeholder"].as_bool()),
        (Some("acme/platform"), Some(false))
    );
}
