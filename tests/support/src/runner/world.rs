//! The runner's world (the repositories, variables and secrets it knows, what the simulated
//! actions hand out) and the event a run is for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What the runner's machine knows: the repositories it can check out, the repository variables
/// and secrets, and what the simulated actions hand out.
#[derive(Debug, Clone)]
pub struct World {
    /// `owner/name` → the directory a checkout copies (a git work tree: its tracked and
    /// untracked, not ignored files; any other directory: all of it).
    pub repos: BTreeMap<String, PathBuf>,
    /// The repository variables (`vars`).
    pub vars: BTreeMap<String, String>,
    /// The repository secrets (`secrets`).
    pub secrets: BTreeMap<String, String>,
    /// `github.token` (the job's `GITHUB_TOKEN`).
    pub token: String,
    /// `GITHUB_API_URL`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL` (a `file://` URL makes `git` reach repositories on disk).
    pub server_url: String,
    /// The endpoint `configure-aws-credentials` points the AWS SDKs and Terraform at.
    pub aws_endpoint: String,
    /// The binary `setup-opentofu` puts on `PATH` as `tofu`.
    pub terraform: PathBuf,
    /// Variables the `tofu` stand-in sets for it (the provider mirror, the plugin cache).
    pub terraform_env: Vec<(String, String)>,
    /// The `idp-action` binary an `actions/cache` hit restores.
    pub idp_action: PathBuf,
    /// The `PATH` every step starts from.
    pub path: String,
}

impl World {
    /// A world for the harness's Terraform and moto: the terraform settings the harness exports
    /// (`TF_CLI_CONFIG_FILE`, `TF_PLUGIN_CACHE_DIR`, `CHECKPOINT_DISABLE`), this process's
    /// `PATH`, the workspace's `idp-action`; no repositories, variables or secrets yet.
    pub fn new(terraform: &Path, aws_endpoint: &str, api_url: &str, token: &str) -> Self {
        use idp_core::setup::env_vars;
        let terraform_env = [
            "TF_CLI_CONFIG_FILE",
            "TF_PLUGIN_CACHE_DIR",
            "CHECKPOINT_DISABLE",
        ]
        .iter()
        .filter_map(|name| env_vars::get(name).map(|v| ((*name).to_owned(), v)))
        .collect();
        Self {
            repos: BTreeMap::new(),
            vars: BTreeMap::new(),
            secrets: BTreeMap::new(),
            token: token.to_owned(),
            api_url: api_url.to_owned(),
            server_url: "https://github.com".to_owned(),
            aws_endpoint: aws_endpoint.to_owned(),
            terraform: terraform.to_owned(),
            terraform_env,
            idp_action: crate::bins::idp_action(),
            path: env_vars::get("PATH").unwrap_or_else(|| "/usr/bin:/bin".to_owned()),
        }
    }
}

/// The event a run is for: its name, its payload as GitHub sends it, and the `github` fields
/// GitHub derives from them.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub payload: Value,
    pub repository: String,
    pub sha: String,
    pub git_ref: String,
    pub head_ref: String,
    pub base_ref: String,
    pub actor: String,
}

impl Event {
    /// The event `name` with `payload`; `sha` is `GITHUB_SHA` where the payload does not say
    /// it (`schedule`, `workflow_dispatch`, `delete`: the default branch's last commit).
    pub fn new(name: &str, payload: Value, sha: &str) -> Self {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let repository = text(&payload["repository"]["full_name"]);
        let default_branch = payload["repository"]["default_branch"]
            .as_str()
            .unwrap_or("main");
        let mut event = Self {
            name: name.to_owned(),
            repository,
            sha: sha.to_owned(),
            git_ref: format!("refs/heads/{default_branch}"),
            head_ref: String::new(),
            base_ref: String::new(),
            actor: text(&payload["sender"]["login"]),
            payload: Value::Null,
        };
        match name {
            "push" => {
                event.git_ref = text(&payload["ref"]);
                event.sha = text(&payload["after"]);
            }
            "pull_request" => {
                let pr = &payload["pull_request"];
                event.git_ref = format!("refs/pull/{}/merge", payload["number"]);
                event.sha = pr["merge_commit_sha"]
                    .as_str()
                    .or(pr["head"]["sha"].as_str())
                    .unwrap_or(sha)
                    .to_owned();
                event.head_ref = text(&pr["head"]["ref"]);
                event.base_ref = text(&pr["base"]["ref"]);
            }
            "workflow_dispatch" => {
                if let Some(r) = payload["ref"].as_str() {
                    event.git_ref = r.to_owned();
                }
            }
            _ => {}
        }
        event.payload = payload;
        event
    }

    /// `github.ref_name`: `main` for `refs/heads/main`, `7/merge` for `refs/pull/7/merge`.
    pub(super) fn ref_name(&self) -> &str {
        ["refs/heads/", "refs/tags/", "refs/pull/", "refs/"]
            .iter()
            .find_map(|prefix| self.git_ref.strip_prefix(prefix))
            .unwrap_or(&self.git_ref)
    }
}
