//! The main job on the embedded local backend, through the `idp` binary as a user runs it:
//! create an environment from `examples/app`, reach it over HTTP, list it, extend it, read its
//! logs, destroy it, and find its tombstone with `list --all`. No AWS account, no Docker.

#![allow(
    clippy::disallowed_methods,
    reason = "an end-to-end suite starts the binaries it tests"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use idp_test_support::idp_core::setup::env_vars::EnvVars;

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is a folder of the repository")
        .to_path_buf()
}

struct Idp {
    state: tempfile::TempDir,
}

impl Idp {
    fn new() -> Self {
        Self {
            state: tempfile::tempdir().expect("a temporary state directory"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(idp_test_support::bins::idp())
            .args(args)
            .current_dir(repo_root())
            .env(EnvVars::IDP_STATE_DIR, self.state.path())
            .env(EnvVars::IDP_BACKEND, "local")
            .env(EnvVars::NO_COLOR, "1")
            .env_remove(EnvVars::IDP_CONFIG_FILE)
            .env(EnvVars::XDG_CONFIG_HOME, self.state.path().join("config"))
            .output()
            .expect("idp runs")
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`idp {}` failed with {}:\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.extend(["--output", "json"]);
        serde_json::from_str(&self.ok(&with_json)).expect("--output json prints one JSON document")
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        // Stop the app's process even when an assertion failed half-way.
        let _ = self.run(&["destroy", "demo", "--yes"]);
    }
}

fn get(url: &str) -> (u16, String) {
    let mut response = ureq::get(url).call().expect("the environment answers");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .expect("a text response");
    (status, body)
}

#[test]
fn create_answer_list_extend_logs_destroy_on_the_local_backend() {
    let idp = Idp::new();
    let created = idp.json(&[
        "create",
        "--name",
        "demo",
        "--config",
        "examples/app/.idp/config.yml",
        "--ttl",
        "2h",
        "--yes",
    ]);
    assert_eq!(created["outcome"], "created", "{created}");
    assert_eq!(created["environment"]["status"], "active", "{created}");

    let status = idp.json(&["status", "demo"]);
    let endpoint = status["environment"]["endpoint"]
        .as_str()
        .unwrap_or_else(|| panic!("an active environment has an endpoint: {status}"))
        .to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let (code, _) = get(&format!("{endpoint}/health"));
    assert_eq!(code, 200);

    let listed = idp.json(&["list"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap_or_else(|| panic!("list has environments: {listed}"))
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["demo"]);

    let before = status["environment"]["expires_at"].clone();
    let extended = idp.json(&["extend", "demo", "--ttl", "1d"]);
    assert_eq!(extended["outcome"], "extended", "{extended}");
    assert_ne!(extended["environment"]["expires_at"], before);
    assert_eq!(
        extended["environment"]["created_at"], status["environment"]["created_at"],
        "extend never moves created_at"
    );

    let logs = idp.ok(&["logs", "demo", "--since", "10m"]);
    assert!(
        logs.contains("/health"),
        "the app's request log holds the health checks: {logs}"
    );

    let destroyed = idp.json(&["destroy", "demo", "--yes"]);
    assert_eq!(destroyed["outcome"], "destroyed", "{destroyed}");
    assert!(
        ureq::get(&format!("{endpoint}/health")).call().is_err(),
        "a destroyed environment no longer answers"
    );

    let all = idp.json(&["list", "--all"]);
    let tombstone = all
        .as_array()
        .and_then(|envs| envs.iter().find(|e| e["name"] == "demo"))
        .unwrap_or_else(|| panic!("list --all shows destroyed environments: {all}"));
    assert_eq!(tombstone["status"], "destroyed");
    assert!(
        idp.json(&["list"]).as_array().is_some_and(Vec::is_empty),
        "list hides destroyed environments"
    );
}
