//! The third-party actions the platform's workflows use, simulated on this machine, each in a
//! few lines. What each does instead of the real thing is said at its function. Any other
//! `uses:` makes the runner panic ([`knows`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::Outcome;
use super::World;
use super::exec::Machine;
use super::files::copy_tree;

/// The actions simulated here, by `owner/repo`.
const KNOWN: [&str; 6] = [
    "actions/checkout",
    "aws-actions/configure-aws-credentials",
    "opentofu/setup-opentofu",
    "actions/cache",
    "aws-actions/amazon-ecr-login",
    "docker/build-push-action",
];

/// moto's account (its default).
const ACCOUNT: &str = "123456789012";

/// What a simulated action did.
pub(super) struct Simulated {
    pub outcome: Outcome,
    pub outputs: BTreeMap<String, String>,
    pub log: String,
}

fn name(uses: &str) -> &str {
    uses.split('@').next().unwrap_or(uses)
}

/// Whether `uses` is an action simulated here.
pub(super) fn knows(uses: &str) -> bool {
    KNOWN.contains(&name(uses))
}

/// Runs the simulation of `uses` with its evaluated `with:`.
pub(super) fn run(
    world: &World,
    machine: &mut Machine,
    uses: &str,
    with: &BTreeMap<String, String>,
    github: &Value,
) -> Simulated {
    let input = |k: &str| with.get(k).cloned().unwrap_or_default();
    match name(uses) {
        "actions/checkout" => checkout(world, machine, &input, github),
        "aws-actions/configure-aws-credentials" => aws_credentials(world, machine, &input),
        "opentofu/setup-opentofu" => setup_opentofu(world, machine, &input),
        "actions/cache" => cache(world, machine, &input),
        "aws-actions/amazon-ecr-login" | "docker/build-push-action" => no_docker(uses),
        _ => panic!("`{uses}` is not simulated by the runner"),
    }
}

fn done(log: String, outputs: &[(&str, &str)]) -> Simulated {
    Simulated {
        outcome: Outcome::Success,
        outputs: outputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        log,
    }
}

fn failed(log: String) -> Simulated {
    Simulated {
        outcome: Outcome::Failure,
        outputs: BTreeMap::new(),
        log,
    }
}

/// `actions/checkout`: copies the world's directory of `repository` (default: the run's) into
/// `path` under the workspace. The `ref` is recorded in the step's `with`, not resolved: the
/// directory is the commit a test means.
fn checkout(
    world: &World,
    machine: &Machine,
    input: &dyn Fn(&str) -> String,
    github: &Value,
) -> Simulated {
    let mut repository = input("repository");
    if repository.is_empty() {
        repository = github["repository"].as_str().unwrap_or_default().to_owned();
    }
    let Some(src) = world.repos.get(&repository) else {
        panic!(
            "actions/checkout of `{repository}`: the runner's world has no such repository ({:?})",
            world.repos.keys().collect::<Vec<_>>()
        );
    };
    let path = input("path");
    assert!(
        !path.starts_with('/') && !path.split('/').any(|p| p == ".."),
        "actions/checkout: `path: {path}` is outside the workspace"
    );
    let dest = machine.workspace.join(&path);
    fs_err::create_dir_all(&dest).expect("the checkout directory");
    copy_tree(src, &dest);
    done(
        format!(
            "copied {} ({repository} at {}) to {}",
            src.display(),
            input("ref"),
            dest.display()
        ),
        &[
            ("ref", &input("ref")),
            ("commit", github["sha"].as_str().unwrap_or_default()),
        ],
    )
}

/// `aws-actions/configure-aws-credentials`: "AWS" is moto here. No OIDC token is exchanged;
/// like GitHub, the step fails when the job may not ask for one (`permissions: id-token:
/// write`, in the job and in its caller) or when no role is given. It exports moto's test
/// credentials, `AWS_REGION` and `AWS_ENDPOINT_URL` (moto) into the job's environment, as the
/// real action exports the role's session.
fn aws_credentials(
    world: &World,
    machine: &mut Machine,
    input: &dyn Fn(&str) -> String,
) -> Simulated {
    let may_ask = machine.permissions.iter().all(|p| match p {
        Some(Value::String(s)) => s == "write-all",
        Some(Value::Object(m)) => m.get("id-token").and_then(Value::as_str) == Some("write"),
        _ => false,
    });
    if !may_ask {
        return failed(format!(
            "Could not fetch an OIDC token: the job's permissions ({:?}) do not grant `id-token: write`",
            machine.permissions
        ));
    }
    let role = input("role-to-assume");
    let region = input("aws-region");
    if role.is_empty() || region.is_empty() {
        return failed(format!(
            "Input required and not supplied: role-to-assume ({role:?}) and aws-region ({region:?})"
        ));
    }
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
        ("AWS_REGION", region.as_str()),
        ("AWS_DEFAULT_REGION", region.as_str()),
        ("AWS_ENDPOINT_URL", world.aws_endpoint.as_str()),
    ] {
        machine.github_env.insert(k.to_owned(), v.to_owned());
    }
    done(
        format!(
            "assumed {role} (moto at {}) in {region}",
            world.aws_endpoint
        ),
        &[("aws-account-id", ACCOUNT)],
    )
}

/// `opentofu/setup-opentofu`: there is no OpenTofu binary here, so the `tofu` it puts on `PATH`
/// is a script running the machine's Terraform with the harness's settings (the provider
/// mirror: no registry is reachable). The wrapper (`tofu_wrapper: true`, which captures
/// outputs) is not simulated and is refused.
fn setup_opentofu(
    world: &World,
    machine: &mut Machine,
    input: &dyn Fn(&str) -> String,
) -> Simulated {
    assert!(
        input("tofu_wrapper") == "false",
        "opentofu/setup-opentofu: only `tofu_wrapper: false` is simulated"
    );
    let version = input("tofu_version");
    let dir = machine
        .tool_cache
        .join("tofu")
        .join(if version.is_empty() {
            "latest"
        } else {
            &version
        })
        .join("x64");
    fs_err::create_dir_all(&dir).expect("the tool directory");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut script = String::from(
        "#!/usr/bin/env bash\n# `tofu` on this runner: the machine's Terraform (no OpenTofu binary here).\n",
    );
    for (k, v) in &world.terraform_env {
        script.push_str(&format!("export {k}={}\n", quote(v)));
    }
    script.push_str(&format!(
        "exec {} \"$@\"\n",
        quote(&world.terraform.display().to_string())
    ));
    let tofu = dir.join("tofu");
    fs_err::write(&tofu, script).expect("write tofu");
    std::fs::set_permissions(&tofu, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make tofu executable");
    machine.path.insert(0, dir.display().to_string());
    done(
        format!("tofu {version} is {} here", world.terraform.display()),
        &[],
    )
}

/// `actions/cache`: a hit for the `idp-action-…` key of action.yml, which places the
/// already-built `idp-action` at `path/bin/`, so `Install idp-action` skips `cargo install`;
/// a miss for any other key. Nothing is saved after the job.
fn cache(world: &World, machine: &Machine, input: &dyn Fn(&str) -> String) -> Simulated {
    let key = input("key");
    let raw = input("path");
    let path = match raw.strip_prefix("~/") {
        Some(rest) => machine.home.join(rest),
        None => PathBuf::from(&raw),
    };
    if !key.starts_with("idp-action-") || raw.is_empty() {
        return done(format!("cache miss for {key}"), &[("cache-hit", "false")]);
    }
    let bin = path.join("bin");
    fs_err::create_dir_all(&bin).expect("the cache directory");
    let restored = bin.join("idp-action");
    if fs_err::symlink_metadata(&restored).is_ok() {
        fs_err::remove_file(&restored).expect("replace an earlier restore");
    }
    fs_err::os::unix::fs::symlink(&world.idp_action, &restored).expect("restore idp-action");
    done(
        format!(
            "restored {} to {}",
            world.idp_action.display(),
            bin.display()
        ),
        &[
            ("cache-hit", "true"),
            ("cache-primary-key", &key),
            ("cache-matched-key", &key),
        ],
    )
}

/// `aws-actions/amazon-ecr-login` and `docker/build-push-action`: there is no Docker engine
/// here, so neither can run; the suites' configs name an `image:` and no Dockerfile, so the
/// build job is skipped. Reaching one fails the step.
fn no_docker(uses: &str) -> Simulated {
    failed(format!(
        "{uses}: no Docker engine on this machine; a run that builds an image cannot be run here"
    ))
}
