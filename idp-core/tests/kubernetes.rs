//! Every Kubernetes object idp renders, checked against the real schemas: the namespace of a
//! `k8s-namespace` preview for a matrix of configurations (hostile names and values, maximum
//! lengths, each ingress flavour), made the way `idp create` makes them (config → variables →
//! objects), and the teams' ApplicationSets and objects of `examples/teams`.
//!
//! - `kubernetes-validate --strict` (the upstream Kubernetes OpenAPI schemas, pinned by
//!   `.ci/k8s-checks.sh`) on every object of the core API groups;
//! - the Argo CD CRD schemas (`@kubernetes-models/argo-cd`, through
//!   `tests/kubernetes/validate-argo.mjs`) on every `argoproj.io` object;
//! - `checkov --framework kubernetes` on all of them.
//!
//! `.ci/run` installs the tools first (`.ci/k8s-checks.sh`, `npm ci`); without them the test
//! says it skipped, except in CI (`CI` set), where it fails.
#![allow(
    clippy::disallowed_methods,
    reason = "the test writes the manifests to disk, runs the validators and says when it skips"
)]
#![allow(clippy::print_stderr, reason = "a skipped check says so on stderr")]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use idp_core::domain::config::Config;
use idp_core::domain::kubernetes::Manifest;
use idp_core::domain::kubernetes::manifest::to_yaml;
use idp_core::domain::kubernetes::namespace::{NamespaceSpec, render};
use idp_core::domain::naming::{EnvName, MAX_LEN};
use idp_core::domain::tfvars::{PlatformVars, TfvarsInputs, tfvars};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One case of the matrix: a name, the config file, who owns it and where it comes from.
struct Case {
    name: &'static str,
    env: String,
    config: &'static str,
    owner: &'static str,
    repository: Option<&'static str>,
    branch: Option<&'static str>,
    platform: PlatformVars,
}

fn platform() -> PlatformVars {
    PlatformVars {
        preview_domain: "preview.example.com".to_owned(),
        acm_certificate_arn:
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
                .to_owned(),
        ..PlatformVars::default()
    }
}

fn cases() -> Vec<Case> {
    let longest = format!("preview-{}", "a".repeat(MAX_LEN - "preview-".len()));
    vec![
        Case {
            name: "defaults",
            env: "preview-payments".to_owned(),
            config: "template: k8s-namespace\n",
            owner: "octocat",
            repository: Some("acme/payments"),
            branch: Some("feature/login"),
            platform: platform(),
        },
        Case {
            name: "everything-set",
            env: "preview-pr-42".to_owned(),
            config: "template: k8s-namespace\ncontainer_port: 8080\nkubernetes:\n  repo_url: git@github.com:acme/payments.git\n  path: deploy/preview\n  cpu: \"1.5\"\n  memory: 3Gi\n  pods: 50\n  default_cpu: 250m\n  default_memory: 256Mi\n  role_arn: arn:aws:iam::123456789012:role/payments-preview\n  group: acme/payments-developers\n  viewer_group: acme/everyone\n  ingress_class: nginx\n  ingress_namespace: ingress-nginx\n  tls_secret: wildcard-preview\n",
            owner: "dev@example.com",
            repository: None,
            branch: Some("main"),
            platform: PlatformVars {
                acm_certificate_arn: String::new(),
                ..platform()
            },
        },
        Case {
            name: "hostile-and-longest",
            env: longest,
            config: "template: k8s-namespace\nkubernetes:\n  group: \"x\\\"; rm -rf / #\"\n",
            owner: "12345+Mallory.O'Brien@users.noreply.github.com; $(reboot)",
            repository: Some("acme/pay-ments.v2"),
            branch: Some("ümlaut/😀/--x"),
            platform: platform(),
        },
    ]
}

fn manifests(case: &Case) -> Vec<Manifest> {
    let config = Config::from_yaml(case.config, ".idp/config.yml")
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let env = EnvName::parse(&case.env).unwrap();
    let inputs = TfvarsInputs {
        owner: case.owner.to_owned(),
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
        expires_at: Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap(),
        image: None,
        aws_region: "us-east-1".to_owned(),
        platform: case.platform.clone(),
        repository: case.repository.map(str::to_owned),
        branch: case.branch.map(str::to_owned),
        listener_rule_priority: None,
    };
    let vars = tfvars(&config, &env, &inputs);
    let spec =
        NamespaceSpec::from_vars(&env, &vars).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    render(&spec)
}

/// The example teams (`examples/teams`) rendered as `idp teams render --dir examples/teams`
/// renders them: the ApplicationSets and every team's objects.
fn team_manifests() -> Vec<Manifest> {
    let report = idp_core::teams::render(&idp_core::teams::RenderRequest {
        dir: repo_root().join("examples/teams"),
        team: None,
        platform: idp_core::domain::kubernetes::teams::Platform {
            repo_url: "https://github.com/acme/gitops".to_owned(),
            ..Default::default()
        },
    })
    .expect("the example teams render");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.manifests.len() > 10, "{}", report.manifests.len());
    report.manifests
}

/// Writes every case: core objects as YAML (for kubernetes-validate), everything as YAML (for
/// checkov) and as JSON (for the Argo CD schemas).
fn write_all(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    fs_err::create_dir_all(dir).unwrap();
    let mut core_files = Vec::new();
    let mut json_files = Vec::new();
    let mut sets: Vec<(String, Vec<Manifest>)> = cases()
        .iter()
        .map(|case| (format!("namespace-{}", case.name), manifests(case)))
        .collect();
    sets.push(("teams".to_owned(), team_manifests()));
    for (name, objects) in sets {
        let core: Vec<Manifest> = objects
            .iter()
            .filter(|m| !m.api_version().starts_with("argoproj.io/"))
            .cloned()
            .collect();
        let core_file = dir.join(format!("{name}.core.yaml"));
        fs_err::write(&core_file, to_yaml(&core)).unwrap();
        core_files.push(core_file);
        fs_err::write(dir.join(format!("all-{name}.yaml")), to_yaml(&objects)).unwrap();
        let json_file = dir.join(format!("{name}.json"));
        let array: Vec<&serde_json::Value> = objects.iter().map(|m| &m.object).collect();
        fs_err::write(&json_file, serde_json::to_vec_pretty(&array).unwrap()).unwrap();
        json_files.push(json_file);
    }
    (core_files, json_files)
}

/// The tool at `path`, or `None` (after one loud line) when it is not installed outside CI.
fn tool(path: &Path, install: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run {install} first",
        path.display()
    );
    eprintln!(
        "!!!!! SKIPPED: {} is missing: run {install} !!!!!",
        path.display()
    );
    None
}

fn run(command: &mut Command) -> (bool, String) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn every_rendered_object_validates_against_the_kubernetes_schemas() {
    let root = repo_root();
    let Some(validate) = tool(
        &root.join(".tools/k8s/bin/kubernetes-validate"),
        "`bash .ci/k8s-checks.sh`",
    ) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("k8s-manifests/kubernetes-validate");
    let (core, _) = write_all(&dir);
    let (ok, text) = run(Command::new(validate)
        .args(["--strict", "--kubernetes-version", "1.33.0"])
        .args(&core));
    assert!(ok, "kubernetes-validate:\n{text}");
    assert!(
        !text.contains("WARN"),
        "kubernetes-validate warned:\n{text}"
    );
}

#[test]
fn every_argo_cd_object_validates_against_the_argo_cd_schemas() {
    let root = repo_root();
    let Some(_) = tool(
        &root.join("node_modules/@kubernetes-models/argo-cd/package.json"),
        "`npm ci`",
    ) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("k8s-manifests/argo-cd");
    let (_, json) = write_all(&dir);
    let (ok, text) = run(Command::new("node")
        .current_dir(&root)
        .arg("tests/kubernetes/validate-argo.mjs")
        .args(&json));
    assert!(ok, "Argo CD schemas:\n{text}");
    assert!(!text.contains(" 0 object(s) checked"), "{text}");
}

#[test]
fn checkov_finds_nothing_in_the_rendered_objects() {
    let root = repo_root();
    let Some(checkov) = tool(
        &root.join(".tools/checkov/bin/checkov"),
        "`bash .ci/k8s-checks.sh`",
    ) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("k8s-manifests/checkov");
    write_all(&dir);
    let (ok, text) = run(Command::new(checkov)
        .env("BC_SKIP_MAPPING", "TRUE")
        .args([
            "--framework",
            "kubernetes",
            "--skip-download",
            "--compact",
            "--quiet",
            "-d",
        ])
        .arg(&dir));
    assert!(ok, "checkov:\n{text}");
}
