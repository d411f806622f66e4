//! The platform's workflow files end to end, as a GitHub runner runs them
//! (`idp_test_support::runner`), with the machine's real Terraform against moto and the GitHub
//! fake on loopback.
//!
//! Long because one fixture (moto, the GitHub fake, the app and its git server) serves two
//! scenarios that each run several workflows and check what each left in moto and GitHub:
//!
//! - the consumer's `examples/consumer/.github/workflows/preview-env.yml` on a push of a branch
//!   (setup, then `provision.yml` through the reusable call: `tofu apply` of `api-service`,
//!   `record`, `comment`, then `update-dashboard.yml`), on a second push with another image (a
//!   redeploy: the ECS service runs a task definition with the new image; the one comment is
//!   edited) and on the pull request's closing (`destroy.yml`: `tofu destroy`, `cleanup`, the
//!   comment says destroyed; moto holds nothing of the environment);
//! - the consumer's workflow on a push of a branch with no pull request (`scheduled-worker`, TTL
//!   1h), then the platform's `ttl-cleanup.yml` on its schedule, whose `idp-action sweep`
//!   destroys the expired environment through idp's provisioner (`tofu` from `PATH`, as the
//!   workflow installs it), and whose dashboard job (`update-dashboard.yml`, called as
//!   `$/.github/workflows/update-dashboard.yml`) commits `ENVIRONMENTS.md`;
//! - the consumer's workflow on a pull request's push with `template: k8s-namespace`
//!   (`provision.yml` hands the apply to `idp-action apply`: the namespace, its policies and
//!   its Argo CD Application on the cluster of `vars.IDP_KUBECONFIG`, a loopback stand-in for
//!   the Kubernetes API that also plays the Argo CD controller, `idp_test_support::kube_fake`;
//!   no Kubernetes API server runs here), then on its closing (`destroy.yml`: `idp-action
//!   destroy`, `cleanup`; nothing is left on the cluster);
//! - (ignored until the scaffold is fixed) the workflow `idp init` writes, on a pull request
//!   opened and closed: it fails today, see the test.
//!
//! What cannot run here, and what stands in for it: GitHub's hosted runner (the test runner
//! above, on this machine); OIDC (`configure-aws-credentials` exports moto's test credentials
//! and `AWS_ENDPOINT_URL`; the workflows pass nothing else, and Terraform's S3 backend and AWS
//! provider and idp's SDK clients all reach moto through that variable alone); OpenTofu (`tofu`
//! is the machine's Terraform); Docker (the config names an `image:` and no Dockerfile, so the
//! build job is skipped); `cargo install` of idp-action (an `actions/cache` hit restores the
//! binary the workspace built); GitHub's git server (the dashboard is pushed to a bare
//! repository on disk, `GITHUB_SERVER_URL` being a `file://` URL). No TTL shorter than the
//! policy's 1h exists, so the expiry is an hour passing in the record: the test moves
//! `created_at` and `expires_at` of `metadata.json` back by two hours; everything after that is
//! the sweep's own.
//!
//! moto starts no ECS task: the service is checked through DescribeServices and
//! DescribeTaskDefinition, not by reaching it.
#![allow(
    clippy::disallowed_methods,
    reason = "an end-to-end suite writes the app's files, reads fixtures and runs git"
)]
#![allow(clippy::print_stderr, reason = "the runs' timings are shown on stderr")]

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_config::SdkConfig;
use idp_test_support::github_fake::{ACTIONS_TOKEN, GitHubFake};
use idp_test_support::runner::{Event, Runner, WorkflowRun, World};
use idp_test_support::terraform::{Harness, Leftovers};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const PLATFORM: &str = "idp-dev/idp";
const APP: &str = "acme/shop";
const ROLE: &str = "arn:aws:iam::123456789012:role/idp-previews";
const CONSUMER_WORKFLOW: &str = ".github/workflows/preview-env.yml";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is a folder of the repository")
        .to_path_buf()
}

/// The first `event` example of `@octokit/webhooks-examples` that `pick` accepts.
fn example(event: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let path =
        repo_root().join("node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let bytes = fs_err::read(&path)
        .unwrap_or_else(|e| panic!("{e}: run `npm ci` for GitHub's webhook examples"));
    let index: Vec<Value> = serde_json::from_slice(&bytes).expect("the examples' index");
    index
        .into_iter()
        .find(|e| e["name"] == event)
        .and_then(|e| e["examples"].as_array()?.iter().find(|x| pick(x)).cloned())
        .unwrap_or_else(|| panic!("no `{event}` example fits"))
}

/// Points a payload's repository objects at `full_name` (default branch `main`).
fn set_repository(repo: &mut Value, full_name: &str) {
    let (owner, name) = full_name.split_once('/').expect("owner/name");
    repo["full_name"] = json!(full_name);
    repo["name"] = json!(name);
    repo["owner"]["login"] = json!(owner);
    repo["owner"]["name"] = json!(owner);
    repo["default_branch"] = json!("main");
    repo["master_branch"] = json!("main");
}

/// A commit id: 40 hexadecimal digits.
fn sha() -> String {
    let two = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    two[..40].to_owned()
}

fn git(args: &[&str], dir: &Path) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// moto, the GitHub fake, the state bucket and lock table of one test, and the runner's world.
struct Platform {
    sdk: SdkConfig,
    github: GitHubFake,
    bucket: String,
    table: String,
    /// Bare repositories under `GITHUB_SERVER_URL` (the dashboard branch is pushed there).
    git_server: tempfile::TempDir,
    app: tempfile::TempDir,
    runner: Runner,
}

impl Platform {
    async fn start(harness: Harness, id: &str) -> Self {
        Self::start_with(harness, id, &[]).await
    }

    /// [`Platform::start`] with more repository variables.
    async fn start_with(harness: Harness, id: &str, vars: &[(&str, &str)]) -> Self {
        let sdk = harness.sdk(REGION).await;
        let bucket = format!("idp-wf-state-{id}");
        let table = format!("idp-wf-locks-{id}");
        aws_sdk_s3::Client::new(&sdk)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create the state bucket");
        idp_test_support::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
            .await;
        let ecr_repo = format!("idp-wf-{id}");
        aws_sdk_ecr::Client::new(&sdk)
            .create_repository()
            .repository_name(&ecr_repo)
            .send()
            .await
            .expect("create the ECR repository");
        let github = GitHubFake::start().await;
        github.add_repo(APP);
        github.add_repo(PLATFORM);
        let git_server = tempfile::tempdir().expect("a git server directory");
        for repo in [APP, PLATFORM] {
            let dir = git_server.path().join(format!("{repo}.git"));
            fs_err::create_dir_all(&dir).expect("a bare repository directory");
            git(&["init", "--quiet", "--bare"], &dir);
        }
        let app = tempfile::tempdir().expect("the application's repository");
        let workflows = app.path().join(".github/workflows");
        fs_err::create_dir_all(&workflows).expect("the app's workflows");
        fs_err::copy(
            repo_root()
                .join("examples/consumer")
                .join(CONSUMER_WORKFLOW),
            workflows.join("preview-env.yml"),
        )
        .expect("the consumer's workflow");
        let mut world = World::new(
            &harness.terraform,
            &harness.endpoint,
            &github.uri(),
            ACTIONS_TOKEN,
        );
        world.server_url = format!("file://{}", git_server.path().display());
        world.repos.insert(PLATFORM.to_owned(), repo_root());
        world.repos.insert(APP.to_owned(), app.path().to_owned());
        for (k, v) in [
            ("AWS_REGION", REGION),
            ("STATE_BUCKET", &bucket),
            ("LOCK_TABLE", &table),
            ("ECR_REPO", &ecr_repo),
            ("IDP_PLATFORM_REPOSITORY", PLATFORM),
            ("IDP_PLATFORM_REF", "v0.1.0"),
        ]
        .into_iter()
        .chain(vars.iter().copied())
        {
            world.vars.insert(k.to_owned(), v.to_owned());
        }
        world
            .secrets
            .insert("AWS_ROLE_ARN".to_owned(), ROLE.to_owned());
        Self {
            sdk,
            github,
            bucket,
            table,
            git_server,
            app,
            runner: Runner::new(world),
        }
    }

    /// Writes the application's `.idp/config.yml`.
    fn config(&self, text: &str) {
        let dir = self.app.path().join(".idp");
        fs_err::create_dir_all(&dir).expect("the app's .idp");
        fs_err::write(dir.join("config.yml"), text).expect("the app's config");
    }

    /// Runs `workflow` of `repo` for `event` and asserts it succeeded, showing the timings.
    fn run(&self, repo: &str, workflow: &str, event: &Event) -> WorkflowRun {
        let run = tokio::task::block_in_place(|| self.runner.run(repo, workflow, event));
        eprintln!("{}", run.timings());
        assert_eq!(
            run.conclusion.as_str(),
            "success",
            "{workflow} on {}: {:?}",
            event.name,
            run.results()
        );
        run
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::new(&self.sdk)
    }

    async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let got = self
            .s3()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(
            got.body
                .collect()
                .await
                .expect("the object's body")
                .to_vec(),
        )
    }

    async fn metadata(&self, env: &str) -> Value {
        let bytes = self
            .object(&format!("environments/{env}/metadata.json"))
            .await
            .unwrap_or_else(|| panic!("no metadata.json for {env}"));
        serde_json::from_slice(&bytes).expect("metadata.json is JSON")
    }

    async fn keys(&self, env: &str) -> Vec<String> {
        let listed = self
            .s3()
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("environments/{env}/"))
            .send()
            .await
            .expect("list the environment's objects");
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(ToOwned::to_owned))
            .collect()
    }

    async fn lock_items(&self, env: &str) -> Vec<String> {
        let items = aws_sdk_dynamodb::Client::new(&self.sdk)
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan the lock table");
        items
            .items()
            .iter()
            .filter_map(|i| i.get("LockID").and_then(|v| v.as_s().ok()).cloned())
            .filter(|id| id.contains(env))
            .collect()
    }

    /// The image of the task definition the environment's ECS service runs.
    async fn service_image(&self, env: &str) -> String {
        let outputs: Value = serde_json::from_slice(
            &self
                .object(&format!("environments/{env}/outputs.json"))
                .await
                .expect("outputs.json"),
        )
        .expect("outputs.json is JSON");
        let output = |k: &str| {
            let v = &outputs[k];
            v["value"]
                .as_str()
                .or(v.as_str())
                .unwrap_or_else(|| panic!("output {k}: {outputs}"))
                .to_owned()
        };
        let ecs = aws_sdk_ecs::Client::new(&self.sdk);
        let described = ecs
            .describe_services()
            .cluster(output("cluster_name"))
            .services(output("service_name"))
            .send()
            .await
            .expect("DescribeServices");
        let service = described.services().first().expect("the service exists");
        assert_eq!(service.status(), Some("ACTIVE"));
        let task = ecs
            .describe_task_definition()
            .task_definition(service.task_definition().expect("a task definition"))
            .send()
            .await
            .expect("DescribeTaskDefinition");
        task.task_definition()
            .and_then(|t| t.container_definitions().first())
            .and_then(|c| c.image())
            .expect("a container image")
            .to_owned()
    }

    /// `ENVIRONMENTS.md` on the dashboard branch of `repo`'s bare repository.
    fn dashboard(&self, repo: &str) -> String {
        let dir = self.git_server.path().join(format!("{repo}.git"));
        git(&["show", "idp-dashboard:ENVIRONMENTS.md"], &dir)
    }

    /// Asserts moto holds nothing of `env` but the tombstone record.
    async fn assert_gone(&self, env: &str) {
        let leftovers = Leftovers::new(self.sdk.clone());
        let left = leftovers
            .live(leftovers.tagged("idp:environment", env).await)
            .await;
        assert!(left.is_empty(), "moto still holds {left:?}");
        assert_eq!(
            self.keys(env).await,
            [format!("environments/{env}/metadata.json")],
            "only the tombstone is left"
        );
        assert_eq!(self.metadata(env).await["status"], "destroyed");
        let locks = self.lock_items(env).await;
        assert!(locks.is_empty(), "lock items left: {locks:?}");
    }
}

fn push_event(branch: &str, before: &str, after: &str) -> Event {
    let mut payload = example("push", |p| p["ref"] == "refs/heads/master");
    payload["ref"] = json!(format!("refs/heads/{branch}"));
    payload["before"] = json!(before);
    payload["after"] = json!(after);
    payload["head_commit"]["id"] = json!(after);
    set_repository(&mut payload["repository"], APP);
    Event::new("push", payload, after)
}

/// A `pull_request` payload of `action` for pull request `number` of the app from `branch` at
/// `head`.
fn pull_request_event(action: &str, number: u64, branch: &str, head: &str) -> Event {
    let mut payload = example("pull_request", |p| p["action"] == action);
    payload["number"] = json!(number);
    let pr = &mut payload["pull_request"];
    pr["number"] = json!(number);
    pr["state"] = json!(if action == "closed" { "closed" } else { "open" });
    pr["head"]["ref"] = json!(branch);
    pr["head"]["sha"] = json!(head);
    pr["base"]["ref"] = json!("main");
    pr["merge_commit_sha"] = json!(sha());
    set_repository(&mut pr["head"]["repo"], APP);
    set_repository(&mut pr["base"]["repo"], APP);
    set_repository(&mut payload["repository"], APP);
    Event::new("pull_request", payload, head)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_is_provisioned_redeployed_and_destroyed_by_the_consumer_workflow() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let p = Platform::start(harness, id).await;
    let branch = format!("feature/wf-{id}");
    let (first, second) = (sha(), sha());
    p.github.open_pr(APP, 7, APP, &branch, &first);
    let image_1 = "public.ecr.aws/nginx/nginx:1.27";
    p.config(&format!(
        "template: api-service\nimage: {image_1}\nhealth_check_path: /\nttl: 1d\n"
    ));

    // A push of the branch: provision.
    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &push_event(&branch, &"0".repeat(40), &first),
    );
    assert_eq!(
        run.results(),
        [
            ("setup", "success"),
            ("build", "skipped"),
            ("destroy", "skipped"),
            ("provision", "success"),
            ("provision/apply", "success"),
            ("dashboard", "success"),
            ("dashboard/dashboard", "success"),
        ]
        .map(|(j, r)| (j.to_owned(), r))
    );
    let setup = &run.job("setup").outputs;
    let env = setup["environment"].clone();
    assert_eq!(
        (
            setup["deploy"].as_str(),
            setup["build"].as_str(),
            setup["image"].as_str()
        ),
        ("true", "false", image_1)
    );
    let apply = run.job("provision/apply");
    let decide = apply.step("Decide and record the start");
    assert_eq!(decide.outputs["action"], "provision");
    assert_eq!(
        decide.steps[1].outputs["cache-hit"], "true",
        "idp-action restored, not built"
    );
    assert!(
        apply.step("tofu apply").stdout.contains("Apply complete!"),
        "{}",
        apply.step("tofu apply").stdout
    );
    assert_eq!(run.job("provision").outputs["status"], "active");
    let meta = p.metadata(&env).await;
    assert_eq!(
        (
            meta["status"].as_str(),
            meta["commit"].as_str(),
            meta["branch"].as_str()
        ),
        (Some("active"), Some(first.as_str()), Some(branch.as_str())),
        "{meta}"
    );
    assert!(
        p.keys(&env)
            .await
            .contains(&format!("environments/{env}/terraform.tfstate")),
        "the state is at the documented key"
    );
    assert_eq!(p.service_image(&env).await, image_1);
    let comments = p.github.comments(APP, 7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].author, "github-actions[bot]");
    assert!(
        comments[0].body.contains("Preview environment created") && comments[0].body.contains(&env),
        "{}",
        comments[0].body
    );
    assert!(p.dashboard(APP).contains(&env), "{}", p.dashboard(APP));

    // A second push with another image: redeploy; the comment is edited, not duplicated.
    let image_2 = "public.ecr.aws/nginx/nginx:1.28";
    p.config(&format!(
        "template: api-service\nimage: {image_2}\nhealth_check_path: /\nttl: 1d\n"
    ));
    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &push_event(&branch, &first, &second),
    );
    let decide = run
        .job("provision/apply")
        .step("Decide and record the start");
    assert_eq!(decide.outputs["action"], "extend_and_redeploy");
    assert_eq!(p.service_image(&env).await, image_2);
    let meta = p.metadata(&env).await;
    assert_eq!(
        (
            meta["status"].as_str(),
            meta["commit"].as_str(),
            meta["image"].as_str()
        ),
        (Some("active"), Some(second.as_str()), Some(image_2))
    );
    let again = p.github.comments(APP, 7);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].id, comments[0].id);
    assert!(
        again[0].body.contains("Preview environment updated")
            && again[0].body.contains(&second[..7]),
        "{}",
        again[0].body
    );

    // The pull request is closed: destroy.
    p.github.close_pr(APP, 7);
    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &pull_request_event("closed", 7, &branch, &second),
    );
    assert_eq!(
        run.results(),
        [
            ("setup", "success"),
            ("build", "skipped"),
            ("destroy", "success"),
            ("destroy/destroy", "success"),
            ("provision", "skipped"),
            ("dashboard", "success"),
            ("dashboard/dashboard", "success"),
        ]
        .map(|(j, r)| (j.to_owned(), r))
    );
    let destroy = run.job("destroy/destroy");
    assert!(
        destroy
            .step("tofu destroy")
            .stdout
            .contains("Destroy complete!"),
        "{}",
        destroy.step("tofu destroy").stdout
    );
    assert_eq!(run.job("destroy").outputs["status"], "destroyed");
    p.assert_gone(&env).await;
    assert!(!p.dashboard(APP).contains(&env), "{}", p.dashboard(APP));
    let last = p.github.comments(APP, 7);
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(
        last[0].body.contains("Preview environment destroyed"),
        "{}",
        last[0].body
    );
    assert!(
        p.github.unexpected().is_empty(),
        "{:?}",
        p.github.unexpected()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_preview_is_applied_and_destroyed_through_idp_action_by_the_workflows() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let kube = idp_test_support::kube_fake::KubeFake::start().await;
    let dir = tempfile::tempdir().expect("a directory for the kubeconfig");
    let kubeconfig = dir.path().join("kubeconfig");
    fs_err::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\nusers:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\n",
            kube.url()
        ),
    )
    .expect("the kubeconfig");
    let kubeconfig = kubeconfig.display().to_string();
    let p = Platform::start_with(
        harness,
        id,
        &[
            ("IDP_KUBECONFIG", &kubeconfig),
            ("PREVIEW_DOMAIN", "preview.example.com"),
        ],
    )
    .await;
    let branch = format!("feature/k8s-{id}");
    let head = sha();
    p.github.open_pr(APP, 9, APP, &branch, &head);
    p.config("template: k8s-namespace\ncontainer_port: 8080\nkubernetes:\n  group: acme/shop\n");

    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &push_event(&branch, &"0".repeat(40), &head),
    );
    let env = run.job("setup").outputs["environment"].clone();
    let apply = run.job("provision/apply");
    assert_eq!(
        apply.step("Decide and record the start").outputs["provisioner"],
        "kubernetes"
    );
    for skipped in [
        "Install OpenTofu",
        "tofu apply",
        "Record the outputs",
        "Reach the cluster",
    ] {
        assert_eq!(apply.step(skipped).outcome.as_str(), "skipped", "{skipped}");
    }
    let applied = apply.step("Apply to the cluster");
    assert_eq!(applied.outcome.as_str(), "success", "{}", applied.stderr);
    assert_eq!(run.job("provision").outputs["status"], "active");
    let url = format!("https://{env}.preview.example.com");
    assert_eq!(run.job("provision").outputs["endpoint"], url.as_str());
    let meta = p.metadata(&env).await;
    assert_eq!(
        (
            meta["status"].as_str(),
            meta["template"].as_str(),
            meta["endpoint"].as_str()
        ),
        (Some("active"), Some("k8s-namespace"), Some(url.as_str())),
        "{meta}"
    );
    let objects = kube.objects();
    for kind in [
        "Namespace",
        "RoleBinding",
        "AppProject",
        "Application",
        "Ingress",
    ] {
        assert!(
            objects.iter().any(|o| o.contains(kind) && o.contains(&env)),
            "{kind} of {env} applied: {objects:?}"
        );
    }
    let application = kube
        .get("argoproj.io/v1alpha1", "Application", Some("argocd"), &env)
        .expect("the Application");
    assert_eq!(
        (
            application["spec"]["source"]["targetRevision"].as_str(),
            application["spec"]["source"]["repoURL"].as_str()
        ),
        (
            Some(branch.as_str()),
            Some("https://github.com/acme/shop.git")
        ),
        "the Application follows the branch of the repository: {application}"
    );
    assert!(
        !p.keys(&env)
            .await
            .contains(&format!("environments/{env}/terraform.tfstate")),
        "no OpenTofu state for a namespace"
    );
    let comments = p.github.comments(APP, 9);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].body.contains("Preview environment created") && comments[0].body.contains(&url),
        "{}",
        comments[0].body
    );

    p.github.close_pr(APP, 9);
    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &pull_request_event("closed", 9, &branch, &head),
    );
    let destroy = run.job("destroy/destroy");
    assert_eq!(destroy.step("tofu destroy").outcome.as_str(), "skipped");
    assert_eq!(
        destroy.step("Destroy on the cluster").outcome.as_str(),
        "success"
    );
    assert_eq!(run.job("destroy").outputs["status"], "destroyed");
    let left: Vec<String> = kube
        .objects()
        .into_iter()
        .filter(|o| o.contains(&env))
        .collect();
    assert!(left.is_empty(), "left on the cluster: {left:?}");
    p.assert_gone(&env).await;
    assert!(
        p.github.comments(APP, 9)[0]
            .body
            .contains("Preview environment destroyed")
    );
    assert!(
        p.github.unexpected().is_empty(),
        "{:?}",
        p.github.unexpected()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ttl_sweep_destroys_an_expired_environment_and_refreshes_the_dashboard() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let p = Platform::start(harness, id).await;
    let branch = format!("worker/wf-{id}");
    p.config("template: scheduled-worker\nschedule_expression: rate(1 hour)\nttl: 1h\n");

    // A push of a branch with no pull request: provisioned, no comment.
    let run = p.run(
        APP,
        CONSUMER_WORKFLOW,
        &push_event(&branch, &"0".repeat(40), &sha()),
    );
    let env = run.job("setup").outputs["environment"].clone();
    assert_eq!(run.job("provision").outputs["status"], "active");
    let meta = p.metadata(&env).await;
    assert_eq!(
        (meta["status"].as_str(), meta["template"].as_str()),
        (Some("active"), Some("scheduled-worker"))
    );

    // An hour and more passes (see the module's comment).
    let mut expired = meta.clone();
    for field in ["created_at", "expires_at"] {
        let at = chrono::DateTime::parse_from_rfc3339(meta[field].as_str().expect(field))
            .expect("an RFC 3339 time");
        expired[field] = json!(
            (at - chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
    }
    p.s3()
        .put_object()
        .bucket(&p.bucket)
        .key(format!("environments/{env}/metadata.json"))
        .body(serde_json::to_vec_pretty(&expired).expect("JSON").into())
        .send()
        .await
        .expect("write the record back");

    let mut schedule =
        json!({"schedule": "17 */4 * * *", "workflow": ".github/workflows/ttl-cleanup.yml"});
    schedule["repository"] = example("push", |_| true)["repository"].clone();
    set_repository(&mut schedule["repository"], PLATFORM);
    let run = p.run(
        PLATFORM,
        ".github/workflows/ttl-cleanup.yml",
        &Event::new("schedule", schedule, &sha()),
    );
    assert_eq!(
        run.results(),
        [
            ("sweep", "success"),
            ("dashboard", "success"),
            ("dashboard/dashboard", "success"),
        ]
        .map(|(j, r)| (j.to_owned(), r))
    );
    let sweep = run.job("sweep").step("Sweep");
    let run_step = sweep.steps.last().expect("the idp-action step");
    assert_eq!(
        (
            sweep.with["dry-run"].as_str(),
            run_step.outputs["examined"].as_str(),
            run_step.outputs["acted_on"].as_str(),
            run_step.outputs["errors"].as_str()
        ),
        ("false", "1", "1", "0"),
        "{}\n{}",
        run_step.stdout,
        run_step.stderr
    );
    assert!(
        run_step.summary.contains(&env) && run_step.summary.contains("expired"),
        "{}",
        run_step.summary
    );
    p.assert_gone(&env).await;
    // The dashboard is rendered after the sweep: no environment is left to list, and the
    // first rendering is committed to the dashboard branch.
    let rendered = run.job("dashboard/dashboard").step("dashboard");
    let listed = &rendered.steps.last().expect("the idp-action step").outputs;
    assert_eq!(
        (
            listed["environments"].as_str(),
            rendered.outputs["changed"].as_str()
        ),
        ("0", "true")
    );
    let dashboard = p.dashboard(PLATFORM);
    assert!(!dashboard.contains(&env), "{dashboard}");
    let author = git(
        &["log", "-1", "--format=%an", "idp-dashboard"],
        &p.git_server.path().join(format!("{PLATFORM}.git")),
    );
    assert_eq!(author.trim(), "github-actions[bot]");
}

/// The workflow `idp init` writes, on a pull request opened and then closed: its `setup` job
/// names the environment after the pull request's branch, and the platform's reusable
/// workflows, called with that name, apply and then destroy it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_is_provisioned_and_destroyed_by_the_workflow_idp_init_writes() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let id = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let p = Platform::start(harness, id).await;
    let workflow =
        idp_test_support::idp_core::repo::scaffold::consumer_workflow(PLATFORM, "v0.1.0", None);
    fs_err::write(p.app.path().join(".github/workflows/init.yml"), workflow).expect("write it");
    p.config("template: scheduled-worker\nschedule_expression: rate(1 hour)\n");
    let branch = format!("feature/init-{id}");
    let head = sha();
    p.github.open_pr(APP, 9, APP, &branch, &head);

    let run = p.run(
        APP,
        ".github/workflows/init.yml",
        &pull_request_event("opened", 9, &branch, &head),
    );
    let env = run.job("provision").outputs["environment"].clone();
    assert_eq!(p.metadata(&env).await["status"], "active");
    let comments = p.github.comments(APP, 9);
    assert!(
        comments.len() == 1 && comments[0].body.contains("Preview environment created"),
        "{comments:?}"
    );

    p.github.close_pr(APP, 9);
    let run = p.run(
        APP,
        ".github/workflows/init.yml",
        &pull_request_event("closed", 9, &branch, &head),
    );
    assert_eq!(run.job("destroy").outputs["status"], "destroyed");
    p.assert_gone(&env).await;
}
