//! The `idp` binary, run as a user runs it: exit codes, stdout, stderr, and the whole local
//! lifecycle against a real process serving HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

mod approvals;
mod aws;
mod budgets;
mod kubernetes;
mod legacy;
mod reports;
mod run;
mod settings;
mod teams;
mod tfvars;
mod via_github;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `idp` with a private state directory, run from the workspace root.
fn idp(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("idp").unwrap();
    cmd.current_dir(workspace())
        .env("IDP_STATE_DIR", state)
        .env("IDP_CONFIG_FILE", state.join("settings/config.toml"))
        .env("IDP_CREDENTIALS_FILE", state.join("settings/github-token"))
        .env("NO_COLOR", "1")
        .env_remove("IDP_OUTPUT")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN");
    for key in idp_core::setup::settings::Key::ALL {
        if key != idp_core::setup::settings::Key::StateDir {
            cmd.env_remove(key.env_var());
        }
    }
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn snapshot(run: &Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// GET a URL's body with a plain HTTP/1.0 request (no client library needed).
fn http_get(url: &str) -> std::io::Result<String> {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut body = String::new();
    stream.read_to_string(&mut body)?;
    Ok(body)
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).arg("--help"));
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("help", r.stdout);
}

#[test]
fn name_prints_the_environment_name_of_a_branch() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["name", "feature/payment-api"]));
    assert_eq!((r.code, r.stdout.as_str()), (0, "preview-payment-api\n"));
    let r = run(idp(dir.path()).args(["name", "HOTFIX/Critical_Issue", "--output", "json"]));
    insta::assert_snapshot!("name_json", snapshot(&r));
}

#[test]
fn name_of_a_branch_without_letters_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["name", "///"]));
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("name_invalid", snapshot(&r));
    let r = run(idp(dir.path()).args(["-o", "json", "name", "///"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "invalid_name");
}

#[test]
fn validate_accepts_the_example_config() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["validate", "examples/consumer/.idp/config.yml"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("validate_ok", snapshot(&r));
    let r = run(idp(dir.path()).args(["validate", "examples/consumer", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (
            doc["valid"].as_bool(),
            doc["config"]["container_port"].as_u64()
        ),
        (Some(true), Some(3000))
    );
}

#[test]
fn validate_reports_every_problem_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    fs_err::write(
        &file,
        "template: api-servce\ncontainer_prot: 8080\ncpu: 256\nmemory: 4096\n",
    )
    .unwrap();
    let r = run(idp(dir.path()).arg("validate").arg(&file));
    assert_eq!(r.code, 2);
    let shown = snapshot(&r).replace(&file.display().to_string(), "[FILE]");
    insta::assert_snapshot!("validate_errors", shown);
    let r = run(idp(dir.path())
        .arg("validate")
        .arg(&file)
        .args(["-o", "json"]));
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 3);
    assert_eq!(doc["errors"][0]["line"], 1);
}

#[test]
fn validate_without_a_config_file_uses_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).current_dir(dir.path()).arg("validate"));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("defaults apply"), "{}", r.stdout);
    let r = run(idp(dir.path())
        .current_dir(dir.path())
        .args(["validate", "missing.yml"]));
    assert_eq!(
        r.code, 3,
        "an explicit path that does not exist is not found"
    );
}

#[test]
fn schema_is_a_json_schema_that_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).arg("schema"));
    assert_eq!(r.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(doc["$schema"].as_str().unwrap().contains("json-schema.org"));
    assert_eq!(doc["additionalProperties"], false);
    assert!(doc["properties"]["container_port"].is_object());
}

#[test]
fn completions_are_generated_for_bash() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["completions", "bash"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("_idp()"));
}

#[test]
fn status_of_a_missing_environment_is_not_found_with_a_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["-o", "json", "status", "nope"]));
    assert_eq!(r.code, 3);
    insta::assert_snapshot!("status_not_found_json", snapshot(&r));
}

#[test]
fn destroy_without_a_terminal_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["destroy", "demo"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pass `--yes`"), "{}", r.stderr);
}

#[test]
fn local_lifecycle_create_answer_list_extend_destroy() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(idp(dir.path()).args([
        "-o",
        "json",
        "create",
        "--name",
        "cli-demo",
        "--config",
        "examples/app/.idp/config.yml",
        "--ttl",
        "2h",
        "--yes",
    ]));
    assert_eq!(created.code, 0, "{}", created.stderr);
    let doc: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    assert_eq!(doc["outcome"], "created");
    let endpoint = doc["endpoint"].as_str().unwrap().to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let page = http_get(&endpoint).unwrap();
    assert!(
        page.starts_with("HTTP/1.0 200") && page.contains("cli-demo"),
        "{page}"
    );

    let listed = run(idp(dir.path()).args(["-o", "json", "list"]));
    let envs: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(envs[0]["name"], "cli-demo");
    assert_eq!(envs[0]["status"], "active");
    assert_eq!(envs[0]["endpoint"], endpoint.as_str());

    let extended = run(idp(dir.path()).args(["-o", "json", "extend", "cli-demo", "--ttl", "1d"]));
    let doc: serde_json::Value = serde_json::from_str(&extended.stdout).unwrap();
    assert_eq!(doc["outcome"], "extended");
    assert_eq!(doc["environment"]["created_at"], envs[0]["created_at"]);

    let cost = run(idp(dir.path()).args(["-o", "json", "cost", "cli-demo"]));
    let doc: serde_json::Value = serde_json::from_str(&cost.stdout).unwrap();
    assert_eq!(
        (doc["subject"].as_str(), doc["name"].as_str()),
        (Some("environment"), Some("cli-demo"))
    );
    assert!(
        doc["actuals_usd"].is_null() && doc["to_date_usd"].as_f64().is_some(),
        "{doc}"
    );

    let dashboard = run(idp(dir.path()).arg("dashboard"));
    assert!(
        dashboard.stdout.contains("cli-demo") && dashboard.stdout.contains("**1 environment**"),
        "{}",
        dashboard.stdout
    );

    let logs = run(idp(dir.path()).args(["logs", "cli-demo", "--since", "10m"]));
    assert!(logs.stdout.contains("GET / 200"), "{}", logs.stdout);

    // `idp exec` runs beside the app, with its port, and exits with the command's code.
    let exec = run(idp(dir.path()).args([
        "exec",
        "cli-demo",
        "--",
        "sh",
        "-c",
        "echo \"$IDP_ENVIRONMENT $IDP_ENDPOINT\"; test -f examples/app/.idp/config.yml",
    ]));
    assert_eq!(exec.code, 0, "{}", exec.stderr);
    assert_eq!(exec.stdout.trim(), format!("cli-demo {endpoint}"));
    let failing = run(idp(dir.path()).args(["exec", "cli-demo", "--", "sh", "-c", "exit 7"]));
    assert_eq!(failing.code, 7, "{}", failing.stderr);
    let json_exec = run(idp(dir.path()).args(["-o", "json", "exec", "cli-demo", "--", "true"]));
    let doc: serde_json::Value = serde_json::from_str(&json_exec.stdout).unwrap();
    assert_eq!(
        (doc["name"].as_str(), doc["exit_code"].as_i64()),
        (Some("cli-demo"), Some(0))
    );
    let missing = run(idp(dir.path()).args(["exec", "nope", "--", "true"]));
    assert_eq!(missing.code, 3, "{}", missing.stderr);

    let destroyed = run(idp(dir.path()).args(["-o", "json", "destroy", "cli-demo", "--yes"]));
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    let doc: serde_json::Value = serde_json::from_str(&destroyed.stdout).unwrap();
    assert_eq!(doc["outcome"], "destroyed");
    assert!(http_get(&endpoint).is_err(), "the app is stopped");

    let gone = run(idp(dir.path()).args(["exec", "cli-demo", "--", "true"]));
    assert_eq!(
        gone.code, 4,
        "a destroyed environment runs nothing: {}",
        gone.stderr
    );

    let again = run(idp(dir.path()).args(["-o", "json", "destroy", "cli-demo", "--yes"]));
    let doc: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!((doc["outcome"].as_str(), again.code), (Some("no-op"), 0));
}
