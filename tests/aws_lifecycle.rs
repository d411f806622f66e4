//! idp's AWS backend end to end, through the `idp` binary as a user runs it, with the machine's
//! real Terraform (standing in for OpenTofu) against moto. No real AWS account is reached.
//!
//! Long because the lifecycle and its faults share one fixture (`Aws`: the binary, its moto
//! settings, and the helpers that start, signal and kill it mid-run).
//!
//! The lifecycle: `create` of an `api-service` (its own VPC, load balancer and ECS service, ECS
//! Exec enabled), `list`, `status` (the service's counts, its last deployment and its target
//! group), `extend` (the expiry re-tagged on the real resources), `destroy`, and then, through
//! the AWS APIs, that moto holds none of its resources, state objects or lock items; and `sweep`
//! destroying a `scheduled-worker` whose TTL ran out (a 1-minute TTL under a lowered `ttl.min`).
//!
//! The faults: an apply that fails half way (`failed`, Terraform's output in `status`,
//! `destroy` removing what was made); two concurrent creates; Ctrl-C (SIGINT) mid-apply; SIGKILL
//! of idp and Terraform mid-apply and mid-destroy (`idp unlock`, then the next command
//! converges, the orphans of the killed apply removed by their tags); and moto restarted
//! mid-apply.
//!
//! The serverless templates: `create` of a `static-site` (applied; its upload refused by moto's
//! reading of the bucket's TLS-only policy, then run through the same adapter with the policy
//! removed: the objects with their content types, the distribution's invalidation) and of a
//! `lambda-api`, then `destroy` of both leaving nothing tagged.
//!
//! The shared ingress: `shared/preview-networking`, `preview-dns` and `preview-ingress` applied
//! (named for the run), then `create` of an `api-service` with `use_shared_ingress: true`: its
//! listener rule priority claimed in the state bucket and recorded, a host-header rule at that
//! priority on the shared HTTPS listener forwarding to its own target group, no load balancer
//! of its own; `destroy` removes the rule, the target group and the claim.
//!
//! moto never starts an ECS task, so `status` shows the service with 0 running tasks, an
//! in-progress deployment and a target group with no targets; that is what is asserted. moto
//! runs no Lambda code and CloudFront serves nothing there: the site and the API are checked as
//! resources (objects, invalidations, the function, the endpoint), never asked for a page.
#![allow(
    clippy::disallowed_methods,
    reason = "an end-to-end suite starts the binary it tests, writes its config file and waits for a real TTL to run out"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use idp_test_support::idp_core::setup::env_vars::EnvVars;
use idp_test_support::terraform::{Harness, Leftovers};
use serde_json::Value;

const REGION: &str = "us-east-1";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is a folder of the repository")
        .to_path_buf()
}

struct Aws {
    harness: Harness,
    /// moto over HTTPS (its own server, trusted through `SSL_CERT_FILE`) instead of plain HTTP:
    /// for buckets whose policy denies requests without TLS.
    tls: bool,
    bucket: String,
    table: String,
    state: tempfile::TempDir,
}

/// An environment name starting with `prefix`, the SDK configuration for moto, and a state
/// bucket and lock table of their own; `None` (outside CI) when the harness is not set up.
async fn start(prefix: &str) -> Option<(Aws, aws_config::SdkConfig, String)> {
    let harness = Harness::from_env()?;
    let sdk = harness.sdk(REGION).await;
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let aws = Aws::new(harness, id, false).await;
    Some((aws, sdk, format!("{prefix}-{id}")))
}

/// [`start`] on the TLS moto.
async fn start_tls(prefix: &str) -> Option<(Aws, aws_config::SdkConfig, String)> {
    let harness = Harness::from_env()?;
    let sdk = harness.tls_sdk(REGION).await;
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let aws = Aws::new(harness, id, true).await;
    Some((aws, sdk, format!("{prefix}-{id}")))
}

/// Waits (up to five minutes) until moto holds resources tagged with environment `name`: the
/// apply is past its plan and making things.
async fn wait_for_resources(leftovers: &Leftovers, name: &str) {
    for _ in 0..300 {
        if !leftovers.tagged("idp:environment", name).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("no resource of {name} appeared in five minutes");
}

/// Sends `signal` (`-INT`, `-KILL`) to process `pid`, or with `-- -PGID` to a process group.
fn kill(args: &[&str]) {
    let status = Command::new("kill").args(args).status().expect("kill runs");
    assert!(status.success(), "kill {args:?}: {status}");
}

/// The process ids of the children of `pid` (Terraform, under idp).
fn children(pid: u32) -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("pgrep runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(ToOwned::to_owned)
        .collect()
}

/// `idp destroy NAME` destroys it, and moto then holds none of its resources.
async fn destroy_leaves_nothing(aws: &Aws, leftovers: &Leftovers, name: &str) {
    let destroyed = aws.json(&["destroy", name, "--yes"]);
    assert_eq!(destroyed["outcome"], "destroyed", "{destroyed}");
    let left = live(leftovers, name).await;
    assert!(left.is_empty(), "moto still holds {left:?}");
}

/// SIGKILL to idp and to each Terraform it runs (in process groups of their own, with their
/// providers), as a lost runner or the OOM killer would; waits until idp is gone.
async fn kill_with_terraform(idp: Child) {
    for terraform in children(idp.id()) {
        kill(&["-KILL", "--", &format!("-{terraform}")]);
    }
    kill(&["-KILL", &idp.id().to_string()]);
    let _ = finish(idp, Duration::from_secs(30)).await;
}

/// `idp unlock -o json`'s report broke an idp lease of `purpose` (`deploy`, `destroy`) and the
/// Terraform state lock of an apply.
fn assert_broke_both(unlocked: &Value, purpose: &str) {
    assert_eq!(unlocked["unlocked"], true, "{unlocked}");
    assert!(
        unlocked["lease"]["owner"]
            .as_str()
            .is_some_and(|o| o.starts_with(&format!("{purpose}:"))),
        "{unlocked}"
    );
    assert_eq!(
        unlocked["terraform_lock"]["Operation"], "OperationTypeApply",
        "{unlocked}"
    );
}

/// Waits for `child` to exit within `limit`, and returns its output.
async fn finish(mut child: Child, limit: Duration) -> Output {
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait for idp").is_none() {
        assert!(
            started.elapsed() < limit,
            "idp did not exit within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    child.wait_with_output().expect("idp's output")
}

/// What moto still holds of the resources tagged with environment `name`.
async fn live(leftovers: &Leftovers, name: &str) -> Vec<String> {
    leftovers
        .live(leftovers.tagged("idp:environment", name).await)
        .await
}

impl Aws {
    /// A state bucket and lock table of their own in moto.
    async fn new(harness: Harness, id: &str, tls: bool) -> Self {
        let sdk = if tls {
            harness.tls_sdk(REGION).await
        } else {
            harness.sdk(REGION).await
        };
        let aws = Aws {
            tls,
            bucket: format!("idp-e2e-state-{id}"),
            table: format!("idp-e2e-locks-{id}"),
            harness,
            state: tempfile::tempdir().expect("a state directory"),
        };
        aws_sdk_s3::Client::new(&sdk)
            .create_bucket()
            .bucket(&aws.bucket)
            .send()
            .await
            .expect("create the state bucket");
        idp_test_support::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &aws.table)
            .await;
        aws
    }

    /// A config file holding `text`.
    fn config(&self, text: &str) -> String {
        let config = self.state.path().join("config.yml");
        fs_err::write(&config, text).expect("config");
        config.display().to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("idp runs")
    }

    /// `idp args…` with this moto's settings, not started yet.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(idp_test_support::bins::idp());
        command
            .args(args)
            .current_dir(repo_root())
            .env(EnvVars::IDP_BACKEND, "aws")
            .env(EnvVars::IDP_STATE_DIR, self.state.path())
            .env(EnvVars::XDG_CONFIG_HOME, self.state.path().join("config"))
            .env_remove(EnvVars::IDP_CONFIG_FILE)
            .env("IDP_TOFU", &self.harness.terraform)
            .env(
                "IDP_ENDPOINT_URL",
                if self.tls {
                    &self.harness.tls_endpoint
                } else {
                    &self.harness.endpoint
                },
            )
            .env("IDP_STATE_BUCKET", &self.bucket)
            .env("IDP_LOCK_TABLE", &self.table)
            .env("IDP_REGION", REGION)
            .env(
                "IDP_TEMPLATES_DIR",
                repo_root().join("infrastructure/templates"),
            )
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env(EnvVars::NO_COLOR, "1");
        if self.tls {
            command
                .env("SSL_CERT_FILE", &self.harness.ca_bundle)
                .env("AWS_CA_BUNDLE", &self.harness.ca_bundle);
        }
        command
    }

    /// `idp args…` started with its output piped, for a test that stops it half way.
    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("idp starts")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "`idp {}` failed with {}:\n{}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_status_extend_destroy_with_terraform_on_moto() {
    let Some((aws, sdk, name)) = start("e2e").await else {
        return;
    };
    let s3 = aws_sdk_s3::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let config = aws.config("template: api-service\nhealth_check_path: /\n");

    let created = aws.json(&[
        "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ]);
    assert_eq!(created["outcome"], "created", "{created}");
    let endpoint = created["endpoint"]
        .as_str()
        .expect("an endpoint")
        .to_owned();
    assert!(
        endpoint.contains(".elb."),
        "the load balancer's name: {endpoint}"
    );
    // State at the documented key, the record and outputs beside it.
    for object in [
        "terraform.tfstate",
        "metadata.json",
        "outputs.json",
        "tfvars.json",
    ] {
        s3.head_object()
            .bucket(&aws.bucket)
            .key(format!("environments/{name}/{object}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("environments/{name}/{object}: {e}"));
    }
    let leftovers = Leftovers::new(sdk.clone());
    let tagged = leftovers.tagged("idp:environment", &name).await;
    assert!(
        tagged.iter().any(|arn| arn.contains("loadbalancer/")),
        "the stack is tagged with its environment: {tagged:?}"
    );

    let listed = aws.json(&["list"]);
    let row = listed
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name.as_str()))
        .unwrap_or_else(|| panic!("{name} listed: {listed}"));
    assert_eq!(
        (row["status"].as_str(), row["endpoint"].as_str()),
        (Some("active"), Some(endpoint.as_str()))
    );

    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "active");
    let service = &status["service"];
    assert!(service["desired"].as_u64() >= Some(1), "{status}");
    assert_eq!(service["running"], 0, "moto starts no task: {status}");
    assert!(
        service["last_deployment"]["id"].is_string(),
        "the last deployment: {status}"
    );
    let groups = service["target_groups"]
        .as_array()
        .unwrap_or_else(|| panic!("the service's target groups: {status}"));
    assert_eq!(groups.len(), 1, "{status}");
    assert!(
        groups[0]["target_group"]
            .as_str()
            .is_some_and(|arn| arn.contains(":targetgroup/")),
        "{status}"
    );
    assert_eq!(
        groups[0]["targets"],
        serde_json::json!({}),
        "moto registers no task: {status}"
    );
    let human = aws.run(&["status", &name]);
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("targets:") && human.contains("no targets registered"),
        "{human}"
    );
    // ECS Exec is on, so `idp exec` can open a session once a task runs: the task role may
    // open the session channels (IAM, as moto holds it). The service's own
    // `enableExecuteCommand` cannot be seen here: moto's DescribeServices answers `false`
    // whatever was asked (and the provider records that), so idp-core/tests/infrastructure.rs
    // checks the templates set it.
    let iam = aws_sdk_iam::Client::new(&sdk);
    let policies = iam
        .list_role_policies()
        .role_name(format!("idp-{name}-ecs-task"))
        .send()
        .await
        .expect("ListRolePolicies of the task role");
    assert!(
        policies
            .policy_names()
            .iter()
            .any(|p| p == "ecs-exec-channels"),
        "{policies:?}"
    );

    let extended = aws.json(&["extend", &name, "--ttl", "1d"]);
    assert_eq!(extended["outcome"], "extended", "{extended}");
    let expiry = extended["environment"]["expires_at"]
        .as_str()
        .expect("an expiry")
        .to_owned();
    // The tag is the expiry to the second (`idp:expires-at`, ISO 8601 UTC).
    let expiry_tag = format!(
        "{}Z",
        expiry.split(['.', 'Z', '+']).next().unwrap_or_default()
    );
    let retagged = leftovers.tagged("idp:expires-at", &expiry_tag).await;
    assert!(
        retagged.iter().any(|arn| arn.contains("loadbalancer/")),
        "the real resources carry the new expiry {expiry_tag}: {retagged:?} ({extended})"
    );

    destroy_leaves_nothing(&aws, &leftovers, &name).await;
    let objects = s3
        .list_objects_v2()
        .bucket(&aws.bucket)
        .prefix(format!("environments/{name}/"))
        .send()
        .await
        .expect("list");
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        keys,
        [format!("environments/{name}/metadata.json").as_str()],
        "only the tombstone"
    );
    let locks = dynamodb
        .scan()
        .table_name(&aws.table)
        .send()
        .await
        .expect("scan the lock table");
    let lock_ids: Vec<String> = locks
        .items()
        .iter()
        .filter_map(|item| item.get("LockID").and_then(|v| v.as_s().ok()).cloned())
        .filter(|id| id.contains(&name))
        .collect();
    assert!(lock_ids.is_empty(), "lock items left: {lock_ids:?}");
    let again = aws.json(&["list", "--all"]);
    let row = again
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name.as_str()))
        .expect("the tombstone");
    assert_eq!(row["status"], "destroyed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_destroys_an_environment_whose_ttl_ran_out() {
    let Some((aws, sdk, name)) = start("sweep").await else {
        return;
    };
    let config = aws.config("template: scheduled-worker\nschedule_expression: rate(1 hour)\n");
    let created = aws.json(&[
        "--ttl-min",
        "1m",
        "create",
        "--name",
        &name,
        "--config",
        &config,
        "--ttl",
        "1m",
        "--yes",
    ]);
    assert_eq!(created["outcome"], "created", "{created}");
    let expires: chrono::DateTime<chrono::Utc> = created["environment"]["expires_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("an expiry");
    let early = aws.json(&["sweep", "--dry-run"]);
    let due = |report: &Value| {
        report["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == name.as_str()))
    };
    // The apply may outlast the minute; then the first dry run already sees it due.
    let now = chrono::Utc::now();
    assert_eq!(due(&early), now > expires, "{early}");
    if let Ok(left) = (expires - now).to_std() {
        tokio::time::sleep(left + std::time::Duration::from_secs(1)).await;
    }
    let swept = aws.json(&["sweep"]);
    let action = swept["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name.as_str()))
        .unwrap_or_else(|| panic!("{name} swept: {swept}"));
    assert_eq!(
        (action["reason"].as_str(), action["outcome"].as_str()),
        (Some("expired"), Some("destroyed")),
        "{swept}"
    );
    let leftovers = Leftovers::new(sdk);
    let left = live(&leftovers, &name).await;
    assert!(left.is_empty(), "moto still holds {left:?}");
    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "destroyed", "{status}");
}

/// An apply that fails half way: the DNS record names a Route 53 zone moto does not have, so
/// the VPC, load balancer and service exist when the record is refused. The environment is
/// `failed`, `status` shows the end of Terraform's output (JSON and human), and `destroy`
/// removes what was half made, through the AWS APIs as well as the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_apply_is_shown_and_destroy_removes_what_was_half_made() {
    let Some((aws, sdk, name)) = start("half").await else {
        return;
    };
    let config = aws.config("template: api-service\n");
    let platform = [
        "--route53-zone-id",
        "ZNOSUCHZONE0000000000",
        "--preview-domain",
        "preview.example.com",
    ];
    let mut args = platform.to_vec();
    args.extend(["-o", "json", "create", "--name", &name, "--config", &config]);
    args.extend(["--ttl", "2h", "--yes"]);
    let failed = aws.run(&args);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        !failed.status.success() && stderr.contains("failed"),
        "the apply fails: {}\n{stderr}",
        failed.status
    );
    let leftovers = Leftovers::new(sdk);
    let made = live(&leftovers, &name).await;
    assert!(
        made.iter().any(|arn| arn.contains("loadbalancer/")),
        "the apply got as far as the load balancer: {made:?}"
    );

    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "failed", "{status}");
    let last_error = status["environment"]["last_error"]
        .as_str()
        .unwrap_or_else(|| panic!("the failure is recorded: {status}"));
    assert!(
        last_error.contains("tofu apply") || last_error.contains("apply"),
        "{last_error}"
    );
    assert!(
        last_error.contains("Route 53 Hosted Zone (ZNOSUCHZONE0000000000)"),
        "Terraform's own words on the zone: {last_error}"
    );
    let shown = aws.run(&["status", &name]);
    let human = String::from_utf8_lossy(&shown.stdout);
    assert!(
        human.contains("last error:") && human.contains("Route 53 Hosted Zone"),
        "{human}\n{}",
        String::from_utf8_lossy(&shown.stderr)
    );

    destroy_leaves_nothing(&aws, &leftovers, &name).await;
    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "destroyed", "{status}");
    assert!(
        status["environment"].get("last_error").is_none(),
        "a finished destroy clears the failure: {status}"
    );
}

/// Two creates of one name: the second is refused as a conflict while the first applies. Then
/// Ctrl-C (SIGINT) to the first, mid-apply: idp stops Terraform cleanly (Terraform saves its
/// state and releases its lock), records `failed` with what happened and releases its lease.
/// The next `create` converges on what the first made, and `destroy` leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_create_conflicts_and_an_interrupted_create_converges_on_the_next() {
    let Some((aws, sdk, name)) = start("stop").await else {
        return;
    };
    let config = aws.config("template: api-service\n");
    let create = ["-o", "json", "create", "--name", &name, "--config", &config];
    let create = [&create[..], &["--ttl", "2h", "--yes"]].concat();
    let first = aws.spawn(&create);
    let leftovers = Leftovers::new(sdk);
    wait_for_resources(&leftovers, &name).await;

    let second = aws.run(&create);
    let body: Value = serde_json::from_slice(&second.stdout).expect("a JSON error");
    assert_eq!(
        (second.status.code(), body["error"]["kind"].as_str()),
        (Some(4), Some("conflict")),
        "{body}"
    );

    kill(&["-INT", &first.id().to_string()]);
    let stopped = finish(first, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopping OpenTofu cleanly") && stderr.contains("interrupted"),
        "{stderr}"
    );
    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "failed", "{status}");
    assert!(
        status["environment"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("stopped cleanly")),
        "{status}"
    );
    let held = aws.json(&["unlock", &name, "--yes"]);
    assert_eq!(
        held["unlocked"], false,
        "Terraform and idp released their locks: {held}"
    );

    let again = aws.json(&create[2..]);
    assert_eq!(again["outcome"], "created", "{again}");
    assert_eq!(again["environment"]["status"], "active", "{again}");
    assert!(again["endpoint"].is_string(), "{again}");

    destroy_leaves_nothing(&aws, &leftovers, &name).await;
}

/// A destroy killed half way (idp and Terraform, SIGKILL, once Terraform holds its state lock):
/// the environment stays `destroying`, idp's lease and Terraform's lock stay; `idp unlock` shows both holders and breaks them, and
/// the next `destroy` finishes the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_destroy_is_unlocked_and_finished_by_the_next_destroy() {
    let Some((aws, sdk, name)) = start("halt").await else {
        return;
    };
    let config = aws.config("template: scheduled-worker\nschedule_expression: rate(1 hour)\n");
    let created = aws.json(&[
        "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ]);
    assert_eq!(created["outcome"], "created", "{created}");

    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let leftovers = Leftovers::new(sdk);
    let mut destroy = aws.spawn(&["destroy", &name, "--yes"]);
    // Kill everything once Terraform's destroy holds its state lock (it is refreshing, or
    // already deleting): idp, and Terraform with its provider.
    let lock_id = format!("{}/environments/{name}/terraform.tfstate", aws.bucket);
    loop {
        assert!(
            destroy.try_wait().is_ok_and(|done| done.is_none()),
            "the destroy ended before it could be killed"
        );
        let item = dynamodb
            .get_item()
            .table_name(&aws.table)
            .key(
                "LockID",
                aws_sdk_dynamodb::types::AttributeValue::S(lock_id.clone()),
            )
            .send()
            .await
            .expect("DynamoDB GetItem");
        if item.item().is_some_and(|i| i.contains_key("Info")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill_with_terraform(destroy).await;
    assert!(
        !live(&leftovers, &name).await.is_empty(),
        "killed half way, something is left to destroy"
    );

    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "destroying", "{status}");
    let unlocked = aws.json(&["unlock", &name, "--yes"]);
    assert_broke_both(&unlocked, "destroy");

    destroy_leaves_nothing(&aws, &leftovers, &name).await;
}

/// A create killed mid-apply (idp and Terraform, SIGKILL): Terraform never saved its state, so
/// what it made is outside it, and its lock and idp's lease stay. The next `create` is refused
/// as a conflict, naming `idp unlock`; `idp unlock` shows both holders and breaks them; the
/// create after it removes what the killed run left (by its tags) and converges on one copy of
/// the stack, and `destroy` leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_create_is_unlocked_and_the_next_create_converges_on_one_stack() {
    let Some((aws, sdk, name)) = start("kill").await else {
        return;
    };
    let config = aws.config("template: api-service\n");
    let create = [
        "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ];
    let first = aws.spawn(&create);
    let leftovers = Leftovers::new(sdk);
    // Well into the apply: the network and the load balancer are being made.
    for _ in 0..600 {
        let made = leftovers.tagged("idp:environment", &name).await;
        if made.iter().any(|arn| arn.contains("loadbalancer/")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kill_with_terraform(first).await;
    assert!(
        !live(&leftovers, &name).await.is_empty(),
        "the killed run made resources"
    );
    let status = aws.json(&["status", &name]);
    assert_eq!(status["environment"]["status"], "provisioning", "{status}");

    let refused = aws.run(&[&["-o", "json"], &create[..]].concat());
    let body: Value = serde_json::from_slice(&refused.stdout).expect("a JSON error");
    assert_eq!(
        (refused.status.code(), body["error"]["kind"].as_str()),
        (Some(4), Some("conflict")),
        "{body}"
    );
    assert!(body.to_string().contains("idp unlock"), "{body}");

    let unlocked = aws.json(&["unlock", &name, "--yes"]);
    assert_broke_both(&unlocked, "deploy");

    let again = aws.run(&[&["-o", "json"], &create[..]].concat());
    let stderr = String::from_utf8_lossy(&again.stderr);
    if !again.status.success() {
        let status = aws.run(&["status", &name]);
        panic!(
            "{stderr}\n{}",
            String::from_utf8_lossy(&status.stdout) + String::from_utf8_lossy(&status.stderr)
        );
    }
    assert!(
        stderr.contains("removing resources an interrupted run made but never recorded"),
        "the orphans are found and named: {stderr}"
    );
    let again: Value = serde_json::from_slice(&again.stdout).expect("JSON on stdout");
    assert_eq!(again["outcome"], "created", "{again}");
    assert_eq!(again["environment"]["status"], "active", "{again}");
    let made = live(&leftovers, &name).await;
    let count = |kind: &str| made.iter().filter(|arn| arn.contains(kind)).count();
    assert_eq!(
        (
            count(":vpc/"),
            count("loadbalancer/"),
            count(":natgateway/")
        ),
        (1, 1, 1),
        "one copy of the stack: {made:?}"
    );

    destroy_leaves_nothing(&aws, &leftovers, &name).await;
    let roles = leftovers.roles(&format!("idp-{name}-")).await;
    assert!(roles.is_empty(), "IAM still holds {roles:?}");
}

/// A moto of this test's own on `port`, as `.ci/moto.sh` installs it; killed when dropped.
struct PrivateMoto(Child);

impl PrivateMoto {
    async fn start(port: u16) -> Self {
        let server = repo_root().join(".tools/aws/bin/moto_server");
        let mut child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {} (installed by .ci/moto.sh): {e}", server.display())
            });
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self(child);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto did not listen on port {port} within 30 s");
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// moto restarted while an apply runs (everything it held is gone: the state bucket, the lock
/// table, the resources): the create fails with Terraform's account of it and a clear error,
/// never a panic; `list` says the state bucket does not exist and how to fix it rather than
/// showing an empty platform; and once the bucket and table exist again the name is free and
/// nothing stale (record, lease, lock) is in the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_restarted_mid_apply_gives_a_clear_error_and_no_corrupted_record() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let moto = PrivateMoto::start(port).await;
    let harness = Harness {
        endpoint: format!("http://127.0.0.1:{port}"),
        ..harness
    };
    let sdk = harness.sdk(REGION).await;
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let aws = Aws::new(harness.clone(), id, false).await;
    let name = format!("restart-{id}");
    let config = aws.config("template: scheduled-worker\nschedule_expression: rate(1 hour)\n");
    let create = [
        "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ];
    let first = aws.spawn(&create);
    let leftovers = Leftovers::new(sdk);
    wait_for_resources(&leftovers, &name).await;
    drop(moto);
    let moto = PrivateMoto::start(port).await;

    let failed = finish(first, Duration::from_secs(600)).await;
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error:") && !stderr.contains("panicked"),
        "{stderr}"
    );

    let listed = aws.run(&["-o", "json", "list"]);
    let body: Value = serde_json::from_slice(&listed.stdout).expect("a JSON error");
    assert_eq!(listed.status.code(), Some(1), "{body}");
    let text = body.to_string();
    assert!(
        text.contains("NoSuchBucket") && text.contains("create the state bucket"),
        "{body}"
    );

    // The platform made again: nothing of the interrupted create is in the way.
    let _again = Aws::new(harness, id, false).await;
    let listed = aws.json(&["list"]);
    assert!(
        !listed.to_string().contains(&name),
        "no record survived: {listed}"
    );
    let status = aws.run(&["status", &name]);
    assert_eq!(status.status.code(), Some(3), "not found");
    let created = aws.json(&create);
    assert_eq!(created["outcome"], "created", "{created}");
    let destroyed = aws.json(&["destroy", &name, "--yes"]);
    assert_eq!(destroyed["outcome"], "destroyed", "{destroyed}");
    drop(moto);
}

/// `static-site` and `lambda-api` through `idp create` and `idp destroy`, applied by Terraform on
/// moto, and the site's upload through the S3 and CloudFront adapter.
///
/// What moto cannot do, and how the test goes around it:
/// - moto evaluates no bucket-policy condition but `StringEquals` (each other one always
///   matches), so the site bucket's TLS-only `Deny` (`aws:SecureTransport = false`) denies every
///   request, over TLS too. `idp create` therefore applies the stack and then fails at the upload
///   with `PutObject` and the file named (asserted); the test then removes the bucket policy and
///   runs the same adapter idp uses (`SitePublisher`) on the bucket and distribution the
///   template made: the build output (`tests/fixtures/static-site/public`, one file in a
///   subfolder) is in the bucket with its content types, and CloudFront holds an invalidation
///   of `/*` (`ListInvalidations`).
/// - moto runs no Lambda code and its CloudFront serves nothing: no page or API answer is asked
///   for.
/// - moto's API Gateway v2 domain names never become `AVAILABLE`: `lambda-api` runs without its
///   custom domain (no preview domain is configured here), on its execute-api URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_site_and_lambda_api_are_created_and_destroyed_with_terraform_on_moto() {
    let Some((aws, sdk, name)) = start_tls("site").await else {
        return;
    };
    let leftovers = Leftovers::new(sdk.clone());
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);

    let config = aws.config("template: static-site\nsite_dir: tests/fixtures/static-site/public\n");
    let out = aws.run(&[
        "-o", "json", "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ]);
    let failed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "moto denies the upload: {failed}");
    assert!(
        failed.contains("publish site_dir")
            && failed.contains("PutObject of `tests/fixtures/static-site/public/")
            && failed.contains("HTTP 403"),
        "the step, the call and the file: {failed}"
    );
    let shown = aws.json(&["status", &name]);
    assert_eq!(shown["environment"]["status"], "failed", "{shown}");

    // The bucket and distribution the template made (named as the template names them).
    let bucket = format!("idp-{name}-site-123456789012");
    s3.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("DeleteBucketPolicy (moto denies every request under the TLS-only policy)");
    let distributions = cloudfront
        .list_distributions()
        .send()
        .await
        .expect("ListDistributions");
    let distribution = distributions
        .distribution_list()
        .map(|l| l.items().to_vec())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.comment() == format!("idp environment {name}"))
        .unwrap_or_else(|| panic!("the distribution of {name}: {distributions:?}"));
    let site = idp_core::ports::SitePublish {
        env: idp_core::domain::naming::EnvName::parse(&name).expect("a valid name"),
        dir: repo_root().join("tests/fixtures/static-site/public"),
        bucket: bucket.clone(),
        distribution_id: distribution.id().to_owned(),
    };
    let published = idp_core::adapters::aws::SitePublisher::new(s3.clone(), cloudfront.clone())
        .publish(&site)
        .await
        .expect("the upload through the adapter idp uses");
    assert_eq!(
        (published.uploaded, published.deleted),
        (3, 0),
        "{published:?}"
    );
    let mut objects = Vec::new();
    for object in s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("ListObjectsV2 of the site bucket")
        .contents()
    {
        let key = object.key().unwrap_or_default().to_owned();
        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("HeadObject {key}: {e}"));
        objects.push((key, head.content_type().unwrap_or_default().to_owned()));
    }
    objects.sort();
    assert_eq!(
        objects,
        [
            (
                "app.js".to_owned(),
                "text/javascript; charset=utf-8".to_owned()
            ),
            (
                "css/site.css".to_owned(),
                "text/css; charset=utf-8".to_owned()
            ),
            (
                "index.html".to_owned(),
                "text/html; charset=utf-8".to_owned()
            ),
        ],
        "the site's files with their content types"
    );
    let invalidations = cloudfront
        .list_invalidations()
        .distribution_id(distribution.id())
        .send()
        .await
        .expect("ListInvalidations");
    let ids: Vec<String> = invalidations
        .invalidation_list()
        .map(|l| l.items().iter().map(|i| i.id().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
        std::slice::from_ref(&published.invalidation_id),
        "{invalidations:?}"
    );

    let api = format!("{name}-api");
    let config = aws.config("template: lambda-api\n");
    let created = aws.json(&[
        "create", "--name", &api, "--config", &config, "--ttl", "2h", "--yes",
    ]);
    assert_eq!(created["outcome"], "created", "{created}");
    let api_endpoint = created["endpoint"]
        .as_str()
        .expect("an endpoint")
        .to_owned();
    assert!(
        api_endpoint.starts_with("https://") && api_endpoint.contains("execute-api"),
        "the API's execute-api URL: {api_endpoint}"
    );
    let tagged = leftovers.tagged("idp:environment", &api).await;
    assert!(
        tagged.iter().any(|arn| arn.contains(":function:")),
        "the function is tagged with its environment: {tagged:?}"
    );
    let shown = aws.json(&["status", &api]);
    assert_eq!(
        (
            shown["environment"]["status"].as_str(),
            shown["environment"]["endpoint"].as_str()
        ),
        (Some("active"), Some(api_endpoint.as_str())),
        "{shown}"
    );

    // `destroy` of the failed site removes what its apply made, the uploaded objects with the
    // bucket (`force_destroy`).
    destroy_leaves_nothing(&aws, &leftovers, &name).await;
    destroy_leaves_nothing(&aws, &leftovers, &api).await;
    let buckets = s3.list_buckets().send().await.expect("ListBuckets");
    assert!(
        !buckets
            .buckets()
            .iter()
            .any(|b| b.name() == Some(bucket.as_str())),
        "the site bucket is gone"
    );
}

/// A shared stack of `infrastructure/shared/` applied (or destroyed) through idp-core's
/// provisioner into `aws`'s state bucket, named for this run.
struct SharedStack {
    provisioner: idp_core::adapters::tofu::TofuProvisioner,
    request: idp_core::ports::ProvisionRequest,
}

impl SharedStack {
    fn new(aws: &Aws, stack: &str, run: &str, tfvars: Value) -> Self {
        use idp_core::adapters::tofu::{TofuConfig, TofuProvisioner};
        use idp_core::domain::naming::EnvName;
        use idp_core::domain::template::TemplateName;
        let mut config = TofuConfig::new(
            repo_root().join("infrastructure/shared"),
            aws.state.path().join("shared-stacks"),
            &aws.bucket,
            &aws.table,
            REGION,
        )
        .with_endpoint_url(&aws.harness.endpoint);
        // The harness's wrapper: moto's test credentials, and the output kept in a log.
        let dir = aws.state.path().join("shared-stacks").join(stack);
        config.program = idp_test_support::terraform::wrapper(
            &dir.join("bin"),
            &aws.harness.terraform,
            &dir.join("terraform.log"),
        );
        config.command_timeout = Duration::from_secs(15 * 60);
        let mut request = idp_core::ports::ProvisionRequest::new(
            EnvName::parse(&format!("{run}-{stack}")).expect("a stack name"),
            TemplateName::new(stack).expect("a stack"),
            format!("shared/{stack}/terraform.tfstate"),
        );
        if let Value::Object(vars) = tfvars {
            request.tfvars = vars;
        }
        Self {
            provisioner: TofuProvisioner::new(config),
            request,
        }
    }

    async fn apply(&self) -> idp_core::ports::Outputs {
        use idp_core::ports::Provisioner;
        self.provisioner
            .apply(&self.request)
            .await
            .unwrap_or_else(|e| panic!("apply {}: {e}\n{e:?}", self.request.template))
    }

    async fn destroy(&self) {
        use idp_core::ports::Provisioner;
        self.provisioner
            .destroy(&self.request)
            .await
            .unwrap_or_else(|e| panic!("destroy {}: {e}\n{e:?}", self.request.template));
    }
}

fn output(outputs: &idp_core::ports::Outputs, name: &str) -> String {
    outputs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("output `{name}` in {outputs:?}"))
        .to_owned()
}

/// The rules of `listener` that forward `host`, as (priority, target group ARN).
async fn rules_for(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    listener: &str,
    host: &str,
) -> Vec<(String, String)> {
    let rules = elb
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .expect("describe the listener's rules");
    rules
        .rules()
        .iter()
        .filter(|rule| {
            rule.conditions().iter().any(|c| {
                c.host_header_config()
                    .is_some_and(|h| h.values().iter().any(|v| v == host))
                    || c.values().iter().any(|v| v == host)
            })
        })
        .map(|rule| {
            let target = rule
                .actions()
                .iter()
                .find_map(|a| a.target_group_arn())
                .unwrap_or_default()
                .to_owned();
            (rule.priority().unwrap_or_default().to_owned(), target)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_ingress_environment_is_created_and_destroyed_on_the_shared_load_balancer() {
    let Some((aws, sdk, name)) = start("edge").await else {
        return;
    };
    // This run's own names, so terraform_stacks can apply the same stacks on this moto at the
    // same time.
    let run = name.replace("edge-", "ing");
    let domain = format!("{run}.preview.example.com");
    let networking = SharedStack::new(
        &aws,
        "preview-networking",
        &run,
        serde_json::json!({"name_prefix": format!("idp-{run}-net"), "enable_flow_logs": false}),
    );
    let dns = SharedStack::new(
        &aws,
        "preview-dns",
        &run,
        serde_json::json!({"preview_domain": domain}),
    );
    let started = std::time::Instant::now();
    let (_, dns_out) = tokio::join!(networking.apply(), dns.apply());
    let ingress = SharedStack::new(
        &aws,
        "preview-ingress",
        &run,
        serde_json::json!({
            "name_prefix": format!("idp-{run}-ing"),
            "state_bucket": aws.bucket,
            "deletion_protection": false,
        }),
    );
    let ingress_out = ingress.apply().await;
    let shared_seconds = started.elapsed().as_secs();
    let listener = output(&ingress_out, "https_listener_arn");

    let config = aws.config("template: api-service\nuse_shared_ingress: true\n");
    let with_dns = |args: &[&str]| {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let out = aws
            .command(&all)
            .env(
                EnvVars::IDP_ACM_CERTIFICATE_ARN,
                output(&dns_out, "certificate_arn"),
            )
            .env(EnvVars::IDP_ROUTE53_ZONE_ID, output(&dns_out, "zone_id"))
            .env(EnvVars::IDP_PREVIEW_DOMAIN, &domain)
            .output()
            .expect("idp runs");
        assert!(
            out.status.success(),
            "`idp {}` failed with {}:\n{}\n{}",
            all.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON on stdout")
    };
    let create_started = std::time::Instant::now();
    let created = with_dns(&[
        "create", "--name", &name, "--config", &config, "--ttl", "2h", "--yes",
    ]);
    let create_seconds = create_started.elapsed().as_secs();
    assert_eq!(created["outcome"], "created", "{created}");
    let host = format!("{name}.{domain}");
    assert_eq!(
        created["endpoint"].as_str(),
        Some(format!("https://{host}").as_str()),
        "{created}"
    );

    // The priority idp claimed, in the record, the tfvars and the claim object.
    let s3 = aws_sdk_s3::Client::new(&sdk);
    let read = |key: String| {
        let s3 = s3.clone();
        let bucket = aws.bucket.clone();
        async move {
            let object = s3.get_object().bucket(bucket).key(&key).send().await.ok()?;
            let bytes = object.body.collect().await.ok()?.into_bytes();
            serde_json::from_slice::<Value>(&bytes).ok()
        }
    };
    let meta = read(format!("environments/{name}/metadata.json"))
        .await
        .expect("the record");
    let priority = meta["listener_rule_priority"]
        .as_u64()
        .unwrap_or_else(|| panic!("a listener priority in {meta}"));
    let tfvars = read(format!("environments/{name}/tfvars.json"))
        .await
        .expect("the tfvars");
    assert_eq!(tfvars["use_shared_ingress"], true, "{tfvars}");
    assert_eq!(tfvars["listener_rule_priority"], priority, "{tfvars}");
    let claim_key = format!("shared/preview-ingress/priorities/{priority:05}.json");
    let claim = read(claim_key.clone()).await.expect("the claim object");
    assert_eq!(claim["environment"], name.as_str(), "{claim}");

    // On the shared listener: one rule for its host name at that priority, forwarding to its
    // own target group; no load balancer of its own.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let rules = rules_for(&elb, &listener, &host).await;
    assert_eq!(rules.len(), 1, "one rule for {host}: {rules:?}");
    assert_eq!(rules[0].0, priority.to_string(), "{rules:?}");
    let target_group = rules[0].1.clone();
    assert!(
        target_group.contains(":targetgroup/idp-"),
        "its own target group: {rules:?}"
    );
    let groups = elb
        .describe_target_groups()
        .target_group_arns(&target_group)
        .send()
        .await
        .expect("its target group exists");
    assert_eq!(groups.target_groups().len(), 1);
    let leftovers = Leftovers::new(sdk.clone());
    let tagged = leftovers.tagged("idp:environment", &name).await;
    assert!(
        !tagged.iter().any(|arn| arn.contains(":loadbalancer/app/")),
        "no load balancer of its own: {tagged:?}"
    );

    let destroy_started = std::time::Instant::now();
    let destroyed = with_dns(&["destroy", &name, "--yes"]);
    let destroy_seconds = destroy_started.elapsed().as_secs();
    assert_eq!(destroyed["outcome"], "destroyed", "{destroyed}");
    assert!(
        rules_for(&elb, &listener, &host).await.is_empty(),
        "the rule is gone"
    );
    assert!(
        elb.describe_target_groups()
            .target_group_arns(&target_group)
            .send()
            .await
            .map(|g| g.target_groups().is_empty())
            .unwrap_or(true),
        "the target group is gone"
    );
    assert!(read(claim_key).await.is_none(), "the claim is released");
    let left = live(&leftovers, &name).await;
    assert!(left.is_empty(), "moto still holds {left:?}");
    #[allow(
        clippy::print_stderr,
        reason = "the measured seconds go to benches/RESULTS.md"
    )]
    {
        eprintln!(
            "shared ingress on moto: shared stacks {shared_seconds} s; environment create {create_seconds} s, destroy {destroy_seconds} s"
        );
    }

    ingress.destroy().await;
    tokio::join!(networking.destroy(), dns.destroy());
}
