//! `idp serve` as a user runs it, over TCP on the embedded local backend: a token from
//! `idp serve token create`, then with HTTP alone the catalog, an environment created, its logs
//! followed over Server-Sent Events, extended and destroyed; a signed push webhook provisioning a
//! preview and its redelivery doing nothing; a job-runner envelope on `/init` running to its end;
//! and SIGTERM: the server stops taking work, lets running operations finish, leaves no lease.

#![allow(
    clippy::disallowed_methods,
    reason = "an end-to-end suite starts the binaries it tests"
)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use idp_test_support::idp_core::setup::env_vars::EnvVars;
use serde_json::{Value, json};

const WEBHOOK_SECRET: &str = "a-webhook-secret-for-the-suite";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is a folder of the repository")
        .to_path_buf()
}

/// A running `idp serve` and its state directory.
struct Served {
    child: Child,
    state: tempfile::TempDir,
    base: String,
    stderr: mpsc::Receiver<String>,
    token: String,
}

fn idp(state: &Path) -> Command {
    let mut cmd = Command::new(idp_test_support::bins::idp());
    cmd.current_dir(repo_root())
        .env(EnvVars::IDP_STATE_DIR, state)
        .env(EnvVars::IDP_BACKEND, "local")
        .env(EnvVars::NO_COLOR, "1")
        .env_remove(EnvVars::IDP_CONFIG_FILE)
        .env(EnvVars::XDG_CONFIG_HOME, state.join("config"));
    cmd
}

impl Served {
    fn start(extra: &[&str]) -> Self {
        let state = tempfile::tempdir().expect("a temporary state directory");
        let out = idp(state.path())
            .args([
                "serve", "token", "create", "--role", "admin", "--owner", "ops", "--output", "json",
            ])
            .output()
            .expect("idp runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created: Value = serde_json::from_slice(&out.stdout).unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("idp_"), "{created}");
        let mut child = idp(state.path())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--shutdown-timeout",
                "30",
            ])
            .args(extra)
            .env(EnvVars::IDP_WEBHOOK_SECRET, WEBHOOK_SECRET)
            .env(EnvVars::IDP_LOG, "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("idp serve starts");
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let line = stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("idp serve says where it listens within 30 s");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Self {
            child,
            state,
            base,
            stderr,
            token,
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let agent = Self::agent();
        let mut res = match (method, body) {
            ("GET", _) => agent.get(&url).header("authorization", &auth).call(),
            ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
            (_, Some(body)) => agent
                .post(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(body.to_string()),
            (_, None) => agent.post(&url).header("authorization", &auth).send_empty(),
        }
        .expect("the server answers");
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn wait(&self, op: &Value) -> Value {
        let id = op["id"]
            .as_str()
            .or_else(|| op["operation"].as_str())
            .unwrap_or_else(|| panic!("an operation: {op}"));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (status, op) = self.call("GET", &format!("/v1/operations/{id}"), None);
            assert_eq!(status, 200, "{op}");
            if op["status"] != "running" {
                return op;
            }
            assert!(
                Instant::now() < deadline,
                "operation {id} still running: {op}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn deliver(&self, event: &str, id: &str, body: &[u8]) -> (u16, Value) {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
        mac.update(body);
        let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let mut res = Self::agent()
            .post(&format!("{}/v1/webhooks/github", self.base))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", id)
            .header("x-hub-signature-256", &sig)
            .send(body)
            .expect("the server answers");
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// SIGTERM, then the exit status and everything the server said on stderr.
    fn terminate(&mut self) -> (Option<i32>, Duration, String) {
        let sent = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success());
        let deadline = sent + Duration::from_secs(45);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "idp serve did not stop within 45 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = sent.elapsed();
        std::thread::sleep(Duration::from_millis(100));
        let said: Vec<String> = self.stderr.try_iter().collect();
        (status.code(), took, said.join("\n"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Stop the apps the suite started, even when an assertion failed half-way.
        for name in ["serve-demo", "preview-payment-api", "sigterm-demo"] {
            let _ = idp(self.state.path())
                .args(["destroy", name, "--yes"])
                .output();
        }
    }
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

#[test]
fn a_new_user_drives_the_platform_with_curl_alone() {
    let mut s = Served::start(&["--config", "examples/app/.idp/config.yml"]);
    let (status, health) = s.call("GET", "/healthz", None);
    assert_eq!(
        (status, health["backend"].as_str()),
        (200, Some("local")),
        "{health}"
    );
    let (status, catalog) = s.call("GET", "/v1/templates", None);
    assert_eq!(status, 200, "{catalog}");
    assert!(catalog["templates"].as_array().unwrap().len() >= 3);

    let (status, op) = s.call(
        "POST",
        "/v1/environments",
        Some(json!({ "name": "serve-demo", "ttl": "2h" })),
    );
    assert_eq!(status, 202, "{op}");
    let op = s.wait(&op);
    assert_eq!(op["status"], "succeeded", "{op}");
    let endpoint = op["result"]["endpoint"].as_str().unwrap().to_owned();
    let health = ureq::get(&format!("{endpoint}/health"))
        .call()
        .expect("the app answers");
    assert_eq!(health.status().as_u16(), 200);

    // Logs over SSE: the app's request log shows the health check just made.
    let mut res = Served::agent()
        .get(&format!(
            "{}/v1/environments/serve-demo/logs?since=10m&follow=true",
            s.base
        ))
        .header("authorization", &format!("Bearer {}", s.token))
        .call()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut reader = BufReader::new(res.body_mut().as_reader());
    let mut seen = String::new();
    let until = Instant::now() + Duration::from_secs(30);
    while !seen.contains("/health") {
        assert!(
            Instant::now() < until,
            "no /health line over SSE within 30 s: {seen}"
        );
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(seen.contains("event: log"), "{seen}");
    assert!(seen.contains("/health"), "{seen}");
    drop(reader);

    let (status, extended) = s.call(
        "POST",
        "/v1/environments/serve-demo/extend",
        Some(json!({ "ttl": "1d" })),
    );
    assert_eq!(status, 200, "{extended}");
    assert_eq!(extended["outcome"], "extended");

    // A signed push provisions a preview; the same delivery again does nothing.
    let push = std::fs::read(
        repo_root().join("idp-core/tests/fixtures/webhooks/push.feature-branch.json"),
    )
    .unwrap();
    let (status, ack) = s.deliver("push", "e2e-push-1", &push);
    assert_eq!(status, 202, "{ack}");
    let op = s.wait(&ack);
    assert_eq!(op["result"]["outcome"], "created", "{op}");
    let (status, again) = s.deliver("push", "e2e-push-1", &push);
    assert_eq!(
        (status, again["outcome"].as_str()),
        (200, Some("duplicate")),
        "{again}"
    );

    // The job runner's envelope runs and reports.
    let job = json!({ "username": "ci", "orders": [
        { "cmds": ["echo planned"], "timeout": 30, "order_name": "plan" },
        { "cmds": ["echo applied"], "timeout": 30, "order_name": "apply", "dependencies": ["plan"] }
    ] });
    let (status, init) = s.call(
        "POST",
        "/init",
        Some(json!({ "job_parameters_b64": b64(&job) })),
    );
    assert_eq!(
        (status, init["status"].as_str()),
        (200, Some("ok")),
        "{init}"
    );
    let run = loop {
        let (_, run) = s.call("GET", init["done_endpt"].as_str().unwrap(), None);
        if run["status"] != "running" {
            break run;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(run["status"], "succeeded", "{run}");

    for name in ["serve-demo", "preview-payment-api"] {
        let (status, op) = s.call("DELETE", &format!("/v1/environments/{name}"), None);
        assert_eq!(status, 202, "{op}");
        let op = s.wait(&op);
        assert_eq!(op["result"]["outcome"], "destroyed", "{op}");
    }
    assert!(
        ureq::get(&format!("{endpoint}/health")).call().is_err(),
        "the app is gone"
    );

    let (code, _, said) = s.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("stopped"), "{said}");
    assert!(!said.contains(&s.token), "the token is never logged");
    assert!(
        !said.contains(WEBHOOK_SECRET),
        "the webhook secret is never logged"
    );
}

#[test]
fn sigterm_during_a_create_lets_it_finish_and_leaves_no_lease() {
    // An app that takes a few seconds to listen, so the create is in flight at the signal.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        "template: api-service\nhealth_check_path: /health\nlocal:\n  command: \"sleep 3; python3 examples/app/server.py\"\n",
    )
    .unwrap();
    let mut s = Served::start(&["--config", config.to_str().unwrap()]);
    let (status, op) = s.call(
        "POST",
        "/v1/environments",
        Some(json!({ "name": "sigterm-demo", "ttl": "1h" })),
    );
    assert_eq!(status, 202, "{op}");
    std::thread::sleep(Duration::from_millis(700));
    let (code, took, said) = s.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(
        took < Duration::from_secs(35),
        "stopped within the shutdown timeout: {took:?}"
    );
    assert!(said.contains("stopping"), "{said}");
    // No lease is left behind: the environment can be destroyed at once.
    let out = idp(s.state.path())
        .args(["destroy", "sigterm-demo", "--yes", "--output", "json"])
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(3),
        "destroy after the shutdown exits 0 (or 3: the create never recorded it), not {code:?} (4 = a lease left held): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stderr = String::new();
    let _ = out.stderr.as_slice().read_to_string(&mut stderr);
    assert!(!stderr.contains("lock_held"), "{stderr}");
}
