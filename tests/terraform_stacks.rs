//! Every template and shared stack of `infrastructure/`, applied and destroyed with Terraform
//! against moto (the real AWS provider; the AWS APIs emulated). No real AWS account is reached.
//!
//! Long because it is one scenario: the shared stacks are applied before the variants that read
//! them and destroyed after them, so the seventeen stacks, their checks and the timing table share
//! one test function and its helpers.
//!
//! Each stack runs `init` and `validate` (no warning allowed), `apply`, `destroy`, and is then
//! checked through the AWS APIs on moto (not through Terraform's own word): nothing tagged with
//! or named after the stack is left. The stacks with an S3 backend are driven by idp-core's
//! `TofuProvisioner` with `program = terraform` and the endpoint override, the product's own path
//! (state and locks in moto's S3 and DynamoDB); `shared/bootstrap` keeps local state and runs
//! against a second moto over HTTPS, because its bucket policy denies requests without TLS and
//! moto enforces it. The override document comes from idp-core in both cases.
//!
//! Independent stacks run at the same time; the variants that read the shared stacks (shared
//! networking, HTTPS with the preview zone and certificate, ALB access logs), the shared EKS
//! cluster (on the shared VPC) and the shared load balancer (`shared/preview-ingress`, then an
//! `api-service` on it with `use_shared_ingress`) start once those are applied. The shared
//! stacks are named for the run (`name_prefix`), so another suite can apply them on the same
//! moto at the same time. The suite prints each stack's apply and destroy seconds and the resources the
//! provider waited on.
//!
//! What moto cannot honour, and how the suite deals with it:
//! - every RDS instance gets the same `DbiResourceId` in moto, which the provider looks
//!   instances up by, so two instances in one region of one moto break each other:
//!   `api-database` runs alone in us-west-2, and the suite refuses to start when that region
//!   already holds an instance (a leftover of an earlier run: restart moto).
//! - moto's hosted zone ids do not start with `Z` as AWS's do; the templates accept any id of
//!   capitals and digits (as idp's own setting check does), AWS's included.
//! - Route 53 is not in moto's tagging API: the preview zone is looked up by name through
//!   Route 53's own API. Nor are EKS and IAM: the cluster, its node group, the OIDC provider,
//!   roles and policies are looked up through EKS's and IAM's own APIs.
//! - moto knows AWS managed IAM policies (`AmazonEKSClusterPolicy`, …) only when started with
//!   `MOTO_IAM_LOAD_MANAGED_POLICIES=true`, which `.ci/moto.sh` sets.
//! - a destroyed KMS key stays `PendingDeletion` for its deletion window, as in AWS, and is not
//!   counted as left.
//!
//! - moto's API Gateway v2 domain names carry no `DomainNameStatus`, and the provider waits for
//!   `AVAILABLE` until it fails: `lambda-api` runs without its custom domain (the one part of
//!   a stack not applied here). moto runs no Lambda code and serves no CloudFront content, so
//!   `static-site` and `lambda-api` are checked as resources, not as sites answering.
//!
//! Apart from that custom domain, nothing is turned off or targeted: every resource of every
//! stack is applied.
#![allow(
    clippy::disallowed_methods,
    reason = "the suite runs terraform validate and the bootstrap stack as processes, and reads their files"
)]
#![allow(
    clippy::print_stdout,
    reason = "the suite prints the timings of every stack"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idp_core::adapters::tofu::{
    ENDPOINT_OVERRIDE_FILE, TofuConfig, TofuProvisioner, endpoint_override_document,
};
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::ports::{Outputs, ProvisionRequest, Provisioner};
use idp_test_support::terraform::{Harness, Leftovers, slow_resources, wrapper};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

const REGION: &str = "us-east-1";
/// Where `api-database` runs alone (see the module comment on RDS in moto).
const DATABASE_REGION: &str = "us-west-2";

fn infrastructure() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure")
}

/// The tags every template and shared stack puts on its resources (`default_tags`).
fn base_vars(env: &str) -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "environment_name": env,
        "owner": "stacks@example.com",
        "ttl": "1d",
        "created_at": "2026-12-01T00:00:00Z",
        "expires_at": "2026-12-02T00:00:00Z",
    }) else {
        unreachable!()
    };
    map
}

fn vars(pairs: Value) -> serde_json::Map<String, Value> {
    let Value::Object(map) = pairs else {
        panic!("variables must be an object")
    };
    map
}

/// What to look for in moto after a destroy (and, to prove the check can fail, after apply).
#[derive(Debug, Clone, Default)]
struct Expect {
    /// Resources tagged `key = value` (at least one after apply, none after destroy).
    tag: Option<(&'static str, String)>,
    /// A resource type that must be among the tagged ones after apply (`:vpc/`, `loadbalancer/`).
    tagged_kinds: Vec<&'static str>,
    /// How many NAT gateways the stack has after apply (0: not checked).
    nat_gateways: usize,
    /// A Route 53 hosted zone of this domain.
    zone: Option<String>,
    /// A VPC named so (EC2's own API, besides the tagging one).
    vpc: Option<String>,
    role_prefix: Option<String>,
    log_prefixes: Vec<String>,
    cluster: Option<String>,
    bucket: Option<String>,
    repository: Option<String>,
    secret_prefix: Option<String>,
    /// An EKS cluster of this name (with at least one node group after apply).
    eks_cluster: Option<String>,
    /// An IAM OIDC provider tagged `Name = …`.
    oidc_provider: Option<String>,
    /// Customer managed IAM policies named with this prefix.
    policy_prefix: Option<String>,
    /// KMS aliases with this prefix (`alias/…`).
    kms_alias: Option<String>,
    /// CloudWatch alarms of these names (every one after apply, none after destroy).
    alarms: Vec<String>,
}

/// Resources and the seconds the provider spent on each.
type Slow = Vec<(String, u64)>;

/// How long each part took.
#[derive(Debug, Clone)]
struct Timing {
    apply: Duration,
    destroy: Duration,
    /// Resources the apply added (`Apply complete! Resources: N added`), 0 when not read.
    resources: usize,
    slow_apply: Vec<(String, u64)>,
    slow_destroy: Vec<(String, u64)>,
}

/// One stack driven by idp-core's provisioner: its working directory, wrapper log and request.
struct Stack {
    name: String,
    region: &'static str,
    root: PathBuf,
    data_dir: PathBuf,
    log: PathBuf,
    provisioner: TofuProvisioner,
    request: ProvisionRequest,
    expect: Expect,
    harness: Harness,
}

impl Stack {
    #[allow(
        clippy::too_many_arguments,
        reason = "a test helper with one call site per stack"
    )]
    fn new(
        harness: &Harness,
        work: &Path,
        state: &(String, String),
        name: &str,
        dir: &str,
        env: &str,
        state_key: String,
        tfvars: serde_json::Map<String, Value>,
        region: &'static str,
        expect: Expect,
    ) -> Self {
        let (kind, template) = dir.split_once('/').expect("kind/stack");
        let stack_dir = work.join(name);
        let log = stack_dir.join("terraform.log");
        let program = wrapper(&stack_dir.join("bin"), &harness.terraform, &log);
        let data_dir = stack_dir.join("data");
        let mut config = TofuConfig::new(
            infrastructure().join(kind),
            &data_dir,
            &state.0,
            &state.1,
            REGION,
        )
        .with_endpoint_url(&harness.endpoint);
        config.program = program;
        config.command_timeout = Duration::from_secs(20 * 60);
        let mut request = ProvisionRequest::new(
            EnvName::parse(env).expect("environment name"),
            TemplateName::new(template).expect("template name"),
            state_key,
        );
        request.tfvars = tfvars;
        Self {
            name: name.to_owned(),
            region,
            root: infrastructure().join(dir),
            data_dir,
            log,
            provisioner: TofuProvisioner::new(config),
            request,
            expect,
            harness: harness.clone(),
        }
    }

    /// The working copy the provisioner runs in (see `adapters::tofu::workdir`).
    fn working_copy(&self) -> PathBuf {
        let kind = self.root.parent().and_then(Path::file_name).expect("kind");
        let template = self.root.file_name().expect("stack");
        self.data_dir
            .join(self.request.env.as_str())
            .join("workdir")
            .join(kind)
            .join(template)
    }

    fn log_text(&self) -> String {
        fs_err::read_to_string(&self.log).unwrap_or_default()
    }

    /// `init` (through the provisioner: `outputs` of an empty state, which must be not found),
    /// `validate` without warnings, `apply`; returns the outputs and the seconds and slow
    /// resources of the apply.
    /// Also counts the resources the apply added.
    async fn apply_counted(
        &self,
    ) -> Result<(Outputs, Duration, Vec<(String, u64)>, usize), String> {
        let empty = self.provisioner.outputs(&self.request).await;
        match empty {
            Err(error) if error.is_not_found() => {}
            other => return Err(format!("{}: outputs before apply: {other:?}", self.name)),
        }
        let validate = Command::new(&self.harness.terraform)
            .args(["validate", "-no-color"])
            .current_dir(self.working_copy())
            .env("TF_DATA_DIR", self.data_dir.join(self.request.env.as_str()))
            .output()
            .map_err(|e| format!("{}: terraform validate: {e}", self.name))?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&validate.stdout),
            String::from_utf8_lossy(&validate.stderr)
        );
        if !validate.status.success() || said.contains("Warning") || said.contains("deprecated") {
            return Err(format!("{}: terraform validate:\n{said}", self.name));
        }
        let before = self.log_text().len();
        let started = Instant::now();
        let outputs = self
            .provisioner
            .apply(&self.request)
            .await
            .map_err(|e| format!("{}: apply: {e}\n{e:?}", self.name))?;
        let took = started.elapsed();
        let log = self.log_text();
        let this_run = log.get(before..).unwrap_or_default();
        Ok((
            outputs,
            took,
            slow_resources(this_run, 5),
            resources_added(this_run),
        ))
    }

    async fn destroy(&self) -> Result<(Duration, Vec<(String, u64)>), String> {
        let before = self.log_text().len();
        let started = Instant::now();
        self.provisioner
            .destroy(&self.request)
            .await
            .map_err(|e| format!("{}: destroy: {e}\n{e:?}", self.name))?;
        let took = started.elapsed();
        let log = self.log_text();
        Ok((
            took,
            slow_resources(log.get(before..).unwrap_or_default(), 5),
        ))
    }

    /// What is left of the stack in moto: one line per leftover (empty: nothing).
    async fn leftovers(&self) -> Vec<String> {
        leftovers(
            &Leftovers::new(self.harness.sdk(self.region).await),
            &Leftovers::new(self.harness.sdk(REGION).await),
            &self.expect,
        )
        .await
    }

    /// Applies, checks that the checks see the stack, and returns the outputs.
    async fn up(&self) -> Result<(Outputs, Duration, Vec<(String, u64)>), String> {
        let (outputs, took, slow, _) = self.up_counted().await?;
        Ok((outputs, took, slow))
    }

    /// [`Stack::up`], with the number of resources the apply added (see [`Stack::apply_counted`]).
    async fn up_counted(&self) -> Result<(Outputs, Duration, Vec<(String, u64)>, usize), String> {
        let applied = self.apply_counted().await?;
        let regional = Leftovers::new(self.harness.sdk(self.region).await);
        // moto's tagging API, paging through a server that other suites change at the same
        // time, can leave a resource out of one answer: a miss is asked again a few times.
        let mut found = present(&regional, &self.expect).await;
        for _ in 0..4 {
            if found.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            found = present(&regional, &self.expect).await;
        }
        if let Err(missing) = found {
            return Err(format!(
                "{}: after apply the checks do not see it: {missing}",
                self.name
            ));
        }
        Ok(applied)
    }

    /// Destroys and checks that nothing is left.
    async fn down(&self) -> Result<(Duration, Vec<(String, u64)>), String> {
        let destroyed = self.destroy().await?;
        let left = self.leftovers().await;
        if !left.is_empty() {
            return Err(format!(
                "{}: left in moto after destroy:\n  {}",
                self.name,
                left.join("\n  ")
            ));
        }
        Ok(destroyed)
    }

    /// `up` then `down`, timed.
    async fn cycle(self: Arc<Self>) -> Result<(String, Timing), String> {
        let (_, apply, slow_apply, resources) = self.up_counted().await?;
        let (destroy, slow_destroy) = self.down().await?;
        Ok((
            self.name.clone(),
            Timing {
                apply,
                destroy,
                resources,
                slow_apply,
                slow_destroy,
            },
        ))
    }
}

/// The resources an apply's output says it added (`Apply complete! Resources: N added, …`).
fn resources_added(log: &str) -> usize {
    log.lines()
        .filter_map(|line| line.split("Apply complete! Resources: ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .next_back()
        .unwrap_or(0)
}

/// Every check of `expect` that finds something, as lines. `regional` is the stack's region,
/// `global` the default one (IAM is global; moto keeps it under every region alike).
async fn leftovers(regional: &Leftovers, global: &Leftovers, expect: &Expect) -> Vec<String> {
    let mut left = Vec::new();
    if let Some((key, value)) = &expect.tag {
        for arn in regional.live(regional.tagged(key, value).await).await {
            left.push(format!("tagged {key}={value}: {arn}"));
        }
    }
    if let Some(name) = &expect.vpc {
        for vpc in regional.vpcs_named(name).await {
            left.push(format!("VPC {vpc} named {name}"));
        }
    }
    if let Some(domain) = &expect.zone {
        for zone in regional.hosted_zones(domain).await {
            left.push(format!("hosted zone {zone} of {domain}"));
        }
    }
    if let Some(prefix) = &expect.role_prefix {
        for role in global.roles(prefix).await {
            left.push(format!("IAM role {role}"));
        }
    }
    for prefix in &expect.log_prefixes {
        for group in regional.log_groups(prefix).await {
            left.push(format!("log group {group}"));
        }
    }
    if let Some(cluster) = &expect.cluster {
        for arn in regional.active_clusters(cluster).await {
            left.push(format!("ECS cluster {arn}"));
        }
    }
    if let Some(bucket) = &expect.bucket
        && regional.bucket_exists(bucket).await
    {
        left.push(format!("S3 bucket {bucket}"));
    }
    if let Some(repository) = &expect.repository
        && regional.repository_exists(repository).await
    {
        left.push(format!("ECR repository {repository}"));
    }
    if let Some(prefix) = &expect.secret_prefix {
        for secret in regional.secrets(prefix).await {
            left.push(format!("secret {secret}"));
        }
    }
    if let Some(name) = &expect.eks_cluster {
        for part in regional.eks_cluster(name).await {
            left.push(format!("EKS cluster or node group {part}"));
        }
    }
    if let Some(name) = &expect.oidc_provider {
        for arn in global.oidc_providers_named(name).await {
            left.push(format!("IAM OIDC provider {arn}"));
        }
    }
    if let Some(prefix) = &expect.policy_prefix {
        for policy in global.policies(prefix).await {
            left.push(format!("IAM policy {policy}"));
        }
    }
    if let Some(prefix) = &expect.kms_alias {
        for alias in regional.kms_aliases(prefix).await {
            left.push(format!("KMS alias {alias}"));
        }
    }
    for alarm in regional.alarms(&expect.alarms).await {
        left.push(format!("CloudWatch alarm {alarm}"));
    }
    left
}

/// After apply every check must find what it looks for, or the check proves nothing later.
async fn present(regional: &Leftovers, expect: &Expect) -> Result<(), String> {
    if let Some((key, value)) = &expect.tag {
        let tagged = regional.tagged(key, value).await;
        if tagged.is_empty() {
            return Err(format!("nothing tagged {key}={value}"));
        }
        for kind in &expect.tagged_kinds {
            if !tagged.iter().any(|arn| arn.contains(kind)) {
                return Err(format!("no `{kind}` among {tagged:?}"));
            }
        }
        let nat = tagged.iter().filter(|a| a.contains(":natgateway/")).count();
        if expect.nat_gateways > 0 && nat != expect.nat_gateways {
            return Err(format!(
                "{nat} NAT gateways, expected {}",
                expect.nat_gateways
            ));
        }
    }
    if let Some(name) = &expect.vpc
        && regional.vpcs_named(name).await.is_empty()
    {
        return Err(format!("no VPC named {name}"));
    }
    if let Some(domain) = &expect.zone
        && regional.hosted_zones(domain).await.is_empty()
    {
        return Err(format!("no hosted zone of {domain}"));
    }
    if let Some(prefix) = &expect.role_prefix
        && regional.roles(prefix).await.is_empty()
    {
        return Err(format!("no IAM role {prefix}*"));
    }
    for prefix in &expect.log_prefixes {
        if regional.log_groups(prefix).await.is_empty() {
            return Err(format!("no log group {prefix}*"));
        }
    }
    if let Some(cluster) = &expect.cluster
        && regional.active_clusters(cluster).await.is_empty()
    {
        return Err(format!("no active ECS cluster {cluster}"));
    }
    if let Some(bucket) = &expect.bucket
        && !regional.bucket_exists(bucket).await
    {
        return Err(format!("no bucket {bucket}"));
    }
    if let Some(repository) = &expect.repository
        && !regional.repository_exists(repository).await
    {
        return Err(format!("no ECR repository {repository}"));
    }
    if let Some(prefix) = &expect.secret_prefix
        && regional.secrets(prefix).await.is_empty()
    {
        return Err(format!("no secret {prefix}*"));
    }
    if let Some(name) = &expect.eks_cluster {
        let parts = regional.eks_cluster(name).await;
        if parts.len() < 2 {
            return Err(format!(
                "no EKS cluster {name} with a node group (found {parts:?})"
            ));
        }
    }
    if let Some(name) = &expect.oidc_provider
        && regional.oidc_providers_named(name).await.is_empty()
    {
        return Err(format!("no IAM OIDC provider named {name}"));
    }
    if let Some(prefix) = &expect.policy_prefix
        && regional.policies(prefix).await.is_empty()
    {
        return Err(format!("no IAM policy {prefix}*"));
    }
    if let Some(prefix) = &expect.kms_alias
        && regional.kms_aliases(prefix).await.is_empty()
    {
        return Err(format!("no KMS alias {prefix}*"));
    }
    let alarms = regional.alarms(&expect.alarms).await;
    if let Some(missing) = expect.alarms.iter().find(|a| !alarms.contains(a)) {
        return Err(format!("no CloudWatch alarm {missing} (found {alarms:?})"));
    }
    Ok(())
}

/// The checks of a serverless template environment `env` (`static-site`, `lambda-api`): no VPC,
/// no ECS cluster. moto's tagging API lists CloudFront distributions, S3 buckets, Lambda
/// functions, log groups and alarms, so `kinds` proves each is gone; it does not list API
/// Gateway v2 APIs, which go with the stack's state only.
fn serverless_expect(env: &str, kinds: &[&'static str], logs: &[&str]) -> Expect {
    Expect {
        tag: Some(("idp:environment", env.to_owned())),
        tagged_kinds: kinds.to_vec(),
        role_prefix: (!logs.is_empty()).then(|| format!("idp-{env}-")),
        log_prefixes: logs.iter().map(|l| l.replace("{env}", env)).collect(),
        ..Expect::default()
    }
}

/// The checks of a template environment `env`.
fn environment_expect(env: &str, kinds: &[&'static str], logs: &[&str]) -> Expect {
    Expect {
        vpc: kinds.contains(&":vpc/").then(|| format!("idp-{env}-vpc")),
        tag: Some(("idp:environment", env.to_owned())),
        tagged_kinds: kinds.to_vec(),
        role_prefix: Some(format!("idp-{env}-")),
        log_prefixes: logs.iter().map(|l| l.replace("{env}", env)).collect(),
        cluster: Some(format!("idp-{env}-cluster")),
        ..Expect::default()
    }
}

fn output_string(outputs: &Outputs, name: &str) -> String {
    outputs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("output `{name}` in {outputs:?}"))
        .to_owned()
}

/// `shared/bootstrap`: local state, moto over HTTPS, the override from idp-core.
async fn bootstrap(
    harness: Harness,
    work: PathBuf,
    run: String,
) -> Result<(String, Timing), String> {
    let copy = work.join("bootstrap");
    fs_err::create_dir_all(&copy).map_err(|e| e.to_string())?;
    for entry in
        fs_err::read_dir(infrastructure().join("shared/bootstrap")).map_err(|e| e.to_string())?
    {
        let entry = entry.map_err(|e| e.to_string())?;
        fs_err::copy(entry.path(), copy.join(entry.file_name())).map_err(|e| e.to_string())?;
    }
    fs_err::write(
        copy.join(ENDPOINT_OVERRIDE_FILE),
        serde_json::to_vec_pretty(&endpoint_override_document()).expect("override"),
    )
    .map_err(|e| e.to_string())?;
    let bucket = format!("idp-{run}-bootstrap-state");
    let table = format!("idp-{run}-bootstrap-locks");
    fs_err::write(
        copy.join("stack.tfvars.json"),
        serde_json::to_vec(&json!({"state_bucket_name": bucket, "lock_table_name": table}))
            .expect("vars"),
    )
    .map_err(|e| e.to_string())?;
    let log = copy.join("terraform.log");
    let terraform = |args: &[&str]| -> Result<(), String> {
        let out = Command::new(&harness.terraform)
            .args(args)
            .current_dir(&copy)
            .env("AWS_ENDPOINT_URL", &harness.tls_endpoint)
            .env("AWS_CA_BUNDLE", &harness.ca_bundle)
            .env("SSL_CERT_FILE", &harness.ca_bundle)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", REGION)
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .map_err(|e| format!("bootstrap: terraform {args:?}: {e}"))?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let mut all = fs_err::read_to_string(&log).unwrap_or_default();
        all.push_str(&text);
        fs_err::write(&log, all).map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("bootstrap: terraform {args:?} failed:\n{text}"));
        }
        if args.first() == Some(&"validate")
            && (text.contains("Warning") || text.contains("deprecated"))
        {
            return Err(format!("bootstrap: terraform validate:\n{text}"));
        }
        Ok(())
    };
    let moto = Leftovers::new(harness.tls_sdk(REGION).await);
    let expect = Expect {
        bucket: Some(bucket.clone()),
        ..Expect::default()
    };
    tokio::task::block_in_place(|| {
        terraform(&["init", "-no-color", "-input=false"])?;
        terraform(&["validate", "-no-color"])
    })?;
    let started = Instant::now();
    tokio::task::block_in_place(|| {
        terraform(&[
            "apply",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-var-file=stack.tfvars.json",
        ])
    })?;
    let apply = started.elapsed();
    let applied = fs_err::read_to_string(&log).unwrap_or_default();
    present(&moto, &expect)
        .await
        .map_err(|m| format!("bootstrap: after apply: {m}"))?;
    if !moto.table_exists(&table).await {
        return Err(format!("bootstrap: after apply: no table {table}"));
    }
    // The lock table is protected from deletion; tearing down, a user first turns that off.
    fs_err::write(
        copy.join("stack.tfvars.json"),
        serde_json::to_vec(&json!({"state_bucket_name": bucket, "lock_table_name": table, "deletion_protection": false}))
            .expect("vars"),
    )
    .map_err(|e| e.to_string())?;
    let started = Instant::now();
    tokio::task::block_in_place(|| {
        terraform(&[
            "apply",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-var-file=stack.tfvars.json",
        ])?;
        terraform(&[
            "destroy",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-var-file=stack.tfvars.json",
        ])
    })?;
    let destroy = started.elapsed();
    let all = fs_err::read_to_string(&log).unwrap_or_default();
    let mut left = leftovers(&moto, &moto, &expect).await;
    if moto.table_exists(&table).await {
        left.push(format!("DynamoDB table {table}"));
    }
    if !left.is_empty() {
        return Err(format!("bootstrap: left in moto after destroy: {left:?}"));
    }
    Ok((
        "shared/bootstrap (TLS)".to_owned(),
        Timing {
            apply,
            destroy,
            resources: resources_added(&applied),
            slow_apply: slow_resources(&applied, 5),
            slow_destroy: slow_resources(all.get(applied.len()..).unwrap_or_default(), 5),
        },
    ))
}

fn spawn(stack: Stack) -> JoinHandle<Result<(String, Timing), String>> {
    tokio::spawn(Arc::new(stack).cycle())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_template_and_shared_stack_applies_and_destroys_on_moto() {
    let Some(harness) = Harness::from_env() else {
        return;
    };
    let suite_started = Instant::now();
    let run = format!("s{}", &uuid_hex()[..6]);
    let work_dir = tempfile::tempdir().expect("work dir");
    let work = work_dir.path().to_path_buf();

    // The state bucket and lock table of every stack with an S3 backend, in moto.
    let state = (format!("idp-{run}-state"), format!("idp-{run}-locks"));
    let sdk = harness.sdk(REGION).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(&state.0)
        .send()
        .await
        .expect("create the state bucket");
    idp_test_support::moto::create_lock_table(&aws_sdk_dynamodb::Client::new(&sdk), &state.1).await;
    let database_region = Leftovers::new(harness.sdk(DATABASE_REGION).await);
    let instances = database_region.of_types(&["rds:db"]).await;
    assert!(
        instances.is_empty(),
        "moto already holds RDS instances in {DATABASE_REGION} ({instances:?}), and it gives every instance the same DbiResourceId: restart moto (`.ci/moto.sh stop` and start it again)"
    );
    let main = Leftovers::new(sdk.clone());

    let env = |suffix: &str| format!("{run}-{suffix}");
    let shared_key = |stack: &str| format!("shared/{stack}/terraform.tfstate");
    let env_key = |name: &str| format!("environments/{name}/terraform.tfstate");
    let template = |name: &str,
                    dir: &str,
                    env_name: &str,
                    extra: Value,
                    region: &'static str,
                    expect: Expect| {
        let mut tfvars = base_vars(env_name);
        tfvars.extend(vars(extra));
        Stack::new(
            &harness,
            &work,
            &state,
            name,
            dir,
            env_name,
            env_key(env_name),
            tfvars,
            region,
            expect,
        )
    };
    // Each shared stack is owned by this run (`idp:owner` = `stacks-{run}-{stack}`), and what it
    // leaves is looked for by that tag: another suite applying the same stack on the same moto
    // at the same time (aws_lifecycle's shared-ingress test) tags its copy `idp:template` alike,
    // and the run's other shared stacks are destroyed at other times.
    let shared_owner = |stack: &str| format!("stacks-{run}-{stack}");
    let shared = |stack: &str, extra: Value, expect: Expect| {
        let mut tfvars = vars(extra);
        tfvars
            .entry("owner")
            .or_insert_with(|| Value::from(shared_owner(stack)));
        Stack::new(
            &harness,
            &work,
            &state,
            &format!("shared/{stack}"),
            &format!("shared/{stack}"),
            &format!("{run}-{stack}"),
            shared_key(stack),
            tfvars,
            REGION,
            expect,
        )
    };
    let shared_tag = |stack: &str| Some(("idp:owner", shared_owner(stack)));

    // --- The shared stacks the variants read, applied first; and everything independent.
    // Named for this run (`name_prefix`), so another suite applying the stack on the same
    // moto at the same time (aws_lifecycle's shared-ingress test) makes names of its own.
    let net_prefix = format!("idp-{run}-net");
    let networking = Arc::new(shared(
        "preview-networking",
        json!({"name_prefix": net_prefix}),
        Expect {
            tag: shared_tag("preview-networking"),
            tagged_kinds: vec![":vpc/", ":natgateway/", ":flow-logs/"],
            vpc: Some(format!("{net_prefix}-vpc")),
            role_prefix: Some(format!("{net_prefix}-")),
            log_prefixes: vec![format!("/vpc/{net_prefix}/")],
            ..Expect::default()
        },
    ));
    let domain = format!("{run}.preview.example.com");
    let dns = Arc::new(shared(
        "preview-dns",
        json!({"preview_domain": domain}),
        Expect {
            tag: shared_tag("preview-dns"),
            tagged_kinds: vec![":certificate/"],
            zone: Some(domain.clone()),
            ..Expect::default()
        },
    ));
    let logs_bucket = format!("idp-{run}-alb-logs");
    let alb_logs = Arc::new(shared(
        "alb-logs",
        json!({"bucket_name": logs_bucket}),
        Expect {
            bucket: Some(logs_bucket.clone()),
            ..Expect::default()
        },
    ));
    let repository = format!("idp-{run}-preview");
    let ecr = shared(
        "ecr-preview",
        json!({"repository_name": repository}),
        Expect {
            repository: Some(repository.clone()),
            ..Expect::default()
        },
    );
    // The platform's own access: the GitHub OIDC provider, the deploy and read-only roles and
    // a permissions boundary per repository, with this run's names (`idpx-`: the environments'
    // own roles are `idp-{run}-…`, and each stack's check must see only its own).
    let access_prefix = format!("idpx-{run}");
    let github_oidc = shared(
        "github-oidc",
        json!({
            "name_prefix": access_prefix,
            "repositories": ["acme/shop", "acme/billing"],
            "state_bucket": state.0,
            "lock_table": state.1,
            "preview_domain": domain,
        }),
        // IAM resources only, which moto's tagging API does not list: found by their names.
        Expect {
            role_prefix: Some(format!("{access_prefix}-")),
            oidc_provider: Some(format!("{access_prefix}-github-oidc")),
            policy_prefix: Some(format!("{access_prefix}-")),
            ..Expect::default()
        },
    );
    let service_logs = ["/ecs/idp-{env}"];
    let own_vpc = [":vpc/", "loadbalancer/"];
    let mut jobs: Vec<JoinHandle<Result<(String, Timing), String>>> = vec![
        tokio::spawn(bootstrap(harness.clone(), work.clone(), run.clone())),
        spawn(ecr),
        spawn(github_oidc),
        spawn(template(
            "api-service (default)",
            "templates/api-service",
            &env("web"),
            json!({}),
            REGION,
            Expect {
                nat_gateways: 1,
                alarms: vec![
                    format!("idp-{}-5xx-rate", env("web")),
                    format!("idp-{}-unhealthy-targets", env("web")),
                ],
                ..environment_expect(&env("web"), &own_vpc, &service_logs)
            },
        )),
        spawn(template(
            "api-service (NAT per AZ, VPC flow logs)",
            "templates/api-service",
            &env("ha"),
            json!({"nat_gateway_per_az": true, "enable_flow_logs": true}),
            REGION,
            Expect {
                // One per availability zone (two zones).
                nat_gateways: 2,
                ..environment_expect(
                    &env("ha"),
                    &[":vpc/", "loadbalancer/", ":natgateway/", ":flow-logs/"],
                    &["/ecs/idp-{env}", "/vpc/idp-{env}/flow-logs"],
                )
            },
        )),
        spawn(template(
            "api-database (default)",
            "templates/api-database",
            &env("db"),
            json!({"aws_region": DATABASE_REGION}),
            DATABASE_REGION,
            Expect {
                // The master credentials secret is RDS's own (`rds!db-…`), deleted with the
                // instance.
                secret_prefix: Some("rds!db-".to_owned()),
                ..environment_expect(
                    &env("db"),
                    &[":vpc/", "loadbalancer/", ":db:"],
                    &["/ecs/idp-{env}", "/aws/rds/instance/idp-{env}-postgres/"],
                )
            },
        )),
        spawn(template(
            "scheduled-worker (default)",
            "templates/scheduled-worker",
            &env("worker"),
            json!({"schedule_expression": "rate(1 hour)"}),
            REGION,
            environment_expect(&env("worker"), &[":vpc/"], &["/ecs/idp-{env}"]),
        )),
        spawn(template(
            "static-site (default)",
            "templates/static-site",
            &env("site"),
            json!({}),
            REGION,
            Expect {
                bucket: Some(format!("idp-{}-site-123456789012", env("site"))),
                ..serverless_expect(&env("site"), &[":distribution/", ":s3:::", ":alarm:"], &[])
            },
        )),
        // Without the custom domain: moto's API Gateway v2 domain names have no status, and the
        // provider waits for `AVAILABLE` until it fails (see the template's README).
        spawn(template(
            "lambda-api (default zip, alarm topic)",
            "templates/lambda-api",
            &env("fn"),
            json!({
                "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:idp-alarms",
                "environment_variables": {"GREETING": "hello"},
            }),
            REGION,
            Expect {
                alarms: vec![
                    format!("idp-{}-api-errors", env("fn")),
                    format!("idp-{}-api-5xx", env("fn")),
                ],
                ..serverless_expect(
                    &env("fn"),
                    &[":function:", ":log-group:", ":alarm:"],
                    &["/aws/lambda/idp-{env}-api", "/aws/apigateway/idp-{env}-api"],
                )
            },
        )),
    ];
    let shared_up = {
        let (networking, dns, alb_logs) = (networking.clone(), dns.clone(), alb_logs.clone());
        tokio::spawn(async move {
            let (a, b, c) = tokio::join!(networking.up(), dns.up(), alb_logs.up());
            Ok::<_, String>((a?, b?, c?))
        })
    };

    let mut timings: BTreeMap<String, Timing> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut shared_applied: BTreeMap<&str, (Duration, Slow)> = BTreeMap::new();

    // --- The variant a platform with shared stacks runs: shared VPC, HTTPS on the preview
    // zone, a secret from Secrets Manager, its own health check path, ALB access logs.
    match shared_up.await.expect("shared stacks task") {
        Ok(((_, net_s, net_slow), (dns_out, dns_s, dns_slow), (logs_out, logs_s, logs_slow))) => {
            shared_applied.insert("preview-networking", (net_s, net_slow));
            shared_applied.insert("preview-dns", (dns_s, dns_slow));
            shared_applied.insert("alb-logs", (logs_s, logs_slow));
            let secret_name = format!("idp-{run}/api-key");
            let secret = main.create_secret(&secret_name, "s3cr3t-api-key").await;
            let name = env("shared");
            let variant = template(
                "api-service (shared VPC, HTTPS, secret, health check, access logs)",
                "templates/api-service",
                &name,
                json!({
                    "use_shared_networking": true,
                    "state_bucket": state.0,
                    "acm_certificate_arn": output_string(&dns_out, "certificate_arn"),
                    "route53_zone_id": output_string(&dns_out, "zone_id"),
                    "preview_domain": output_string(&dns_out, "preview_domain"),
                    "secret_variables": {"API_KEY": secret},
                    "health_check_path": "/healthz",
                    "alb_access_logs_bucket": output_string(&logs_out, "bucket_name"),
                }),
                REGION,
                // No VPC of its own: `:vpc/` must not be tagged with this environment.
                environment_expect(&name, &["loadbalancer/"], &service_logs),
            );
            // The shared cluster, on the shared VPC's private subnets (read from its state).
            let cluster = format!("idp-{run}-eks");
            let eks = shared(
                "preview-eks",
                json!({"cluster_name": cluster, "state_bucket": state.0}),
                Expect {
                    tag: shared_tag("preview-eks"),
                    tagged_kinds: vec![":key/", ":log-group:"],
                    role_prefix: Some(format!("{cluster}-")),
                    log_prefixes: vec![format!("/aws/eks/{cluster}/")],
                    eks_cluster: Some(cluster.clone()),
                    oidc_provider: Some(format!("{cluster}-irsa")),
                    policy_prefix: Some(format!("{cluster}-")),
                    kms_alias: Some(format!("alias/{cluster}-")),
                    ..Expect::default()
                },
            );
            // The static site on the preview zone: alias, certificate and A/AAAA records.
            let site_env = env("site-dns");
            let site = template(
                "static-site (host name in the preview zone, certificate)",
                "templates/static-site",
                &site_env,
                json!({
                    "acm_certificate_arn": output_string(&dns_out, "certificate_arn"),
                    "route53_zone_id": output_string(&dns_out, "zone_id"),
                    "preview_domain": output_string(&dns_out, "preview_domain"),
                }),
                REGION,
                serverless_expect(&site_env, &[":distribution/", ":s3:::"], &[]),
            );
            // The shared load balancer on the shared VPC, with the preview zone's certificate
            // (read from preview-dns's state) and access logs; then an environment on it: a
            // target group, a host-header rule, its record and its service, nothing more.
            let ingress_prefix = format!("idp-{run}-ing");
            let ingress = Arc::new(shared(
                "preview-ingress",
                json!({
                    "name_prefix": ingress_prefix,
                    "state_bucket": state.0,
                    "access_logs_bucket": output_string(&logs_out, "bucket_name"),
                    "deletion_protection": false,
                }),
                Expect {
                    tag: shared_tag("preview-ingress"),
                    tagged_kinds: vec!["loadbalancer/"],
                    ..Expect::default()
                },
            ));
            let on_ingress_name = env("edge");
            let on_ingress = Arc::new(template(
                "api-service (shared ingress: rule on the shared load balancer)",
                "templates/api-service",
                &on_ingress_name,
                json!({
                    "use_shared_ingress": true,
                    "listener_rule_priority": 4321,
                    "state_bucket": state.0,
                    "acm_certificate_arn": output_string(&dns_out, "certificate_arn"),
                    "route53_zone_id": output_string(&dns_out, "zone_id"),
                    "preview_domain": output_string(&dns_out, "preview_domain"),
                }),
                REGION,
                environment_expect(&on_ingress_name, &[], &service_logs),
            ));
            let shared_ingress = async {
                let (_, apply, slow_apply, resources) = ingress.up_counted().await?;
                let environment = async {
                    let (_, apply, slow_apply, resources) = on_ingress.up_counted().await?;
                    let tagged = main.tagged("idp:environment", &on_ingress_name).await;
                    let own_alb = tagged.iter().any(|arn| arn.contains(":loadbalancer/app/"));
                    let (destroy, slow_destroy) = on_ingress.down().await?;
                    if own_alb {
                        return Err(format!(
                            "the shared-ingress environment made a load balancer of its own: {tagged:?}"
                        ));
                    }
                    Ok((
                        on_ingress.name.clone(),
                        Timing {
                            apply,
                            destroy,
                            resources,
                            slow_apply,
                            slow_destroy,
                        },
                    ))
                }
                .await;
                let (destroy, slow_destroy) = ingress.down().await?;
                let own = (
                    ingress.name.clone(),
                    Timing {
                        apply,
                        destroy,
                        resources,
                        slow_apply,
                        slow_destroy,
                    },
                );
                Ok::<_, String>((own, environment))
            };
            let (variant, eks, site, shared_ingress) = tokio::join!(
                Arc::new(variant).cycle(),
                Arc::new(eks).cycle(),
                Arc::new(site).cycle(),
                shared_ingress
            );
            let mut results = vec![variant, eks, site];
            match shared_ingress {
                Ok((own, environment)) => {
                    results.push(Ok(own));
                    results.push(environment);
                }
                Err(error) => failures.push(error),
            }
            for result in results {
                match result {
                    Ok((name, timing)) => {
                        timings.insert(name, timing);
                    }
                    Err(error) => failures.push(error),
                }
            }
            main.delete_secret(&secret_name).await;
        }
        Err(error) => failures.push(format!("a shared stack did not apply: {error}")),
    }
    for (key, stack) in [
        ("preview-networking", &networking),
        ("preview-dns", &dns),
        ("alb-logs", &alb_logs),
    ] {
        match stack.down().await {
            Ok((destroy, slow_destroy)) => {
                if let Some((apply, slow_apply)) = shared_applied.remove(key) {
                    timings.insert(
                        stack.name.clone(),
                        Timing {
                            apply,
                            destroy,
                            resources: 0,
                            slow_apply,
                            slow_destroy,
                        },
                    );
                }
            }
            Err(error) => failures.push(error),
        }
    }
    for job in jobs.drain(..) {
        match job.await.expect("stack task") {
            Ok((name, timing)) => {
                timings.insert(name, timing);
            }
            Err(error) => failures.push(error),
        }
    }

    println!(
        "\nTerraform on moto, {} stacks, suite wall time {:.0} s",
        timings.len(),
        suite_started.elapsed().as_secs_f64()
    );
    println!(
        "| stack | resources | apply s | destroy s | waited on (apply) | waited on (destroy) |"
    );
    println!("|---|---:|---:|---:|---|---|");
    for (name, t) in &timings {
        let show = |slow: &[(String, u64)]| {
            slow.iter()
                .map(|(r, s)| format!("`{r}` {s} s"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let resources = if t.resources == 0 {
            String::new()
        } else {
            t.resources.to_string()
        };
        println!(
            "| {name} | {resources} | {:.0} | {:.0} | {} | {} |",
            t.apply.as_secs_f64(),
            t.destroy.as_secs_f64(),
            show(&t.slow_apply),
            show(&t.slow_destroy)
        );
    }
    assert!(
        failures.is_empty(),
        "{} of the stacks failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(
        timings.len(),
        17,
        "every stack and variant ran: {:?}",
        timings.keys()
    );
}

fn uuid_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
