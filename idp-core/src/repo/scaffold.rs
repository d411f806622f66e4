//! `idp init`: the files a repository needs to get preview environments: `.idp/config.yml`
//! (the documented example) and `.github/workflows/preview-env.yml`, a workflow that calls the
//! platform's reusable workflows (see [`crate::github::workflows`] for their inputs). Existing files are
//! never overwritten unless asked.
#![allow(
    clippy::disallowed_methods,
    reason = "scaffolding writes files into a repository"
)]

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::config::EXAMPLE_YAML;
use crate::error::{Error, Result};
use crate::github::workflows::{DESTROY_WORKFLOW, INPUT_ENVIRONMENT_NAME, PROVISION_WORKFLOW};

/// The config file, relative to the repository.
pub const CONFIG_PATH: &str = ".idp/config.yml";
/// The consumer workflow, relative to the repository.
pub const WORKFLOW_PATH: &str = ".github/workflows/preview-env.yml";
/// The placeholder used when no platform repository is known.
pub const PLATFORM_REPO_PLACEHOLDER: &str = "OWNER/idp";

/// The consumer workflow calling `platform_repo`'s reusable workflows at `git_ref`.
pub fn consumer_workflow(platform_repo: &str, git_ref: &str) -> String {
    format!(
        r#"# Preview environments for this repository, run by the idp platform ({platform_repo}).
# Every push to a pull request creates or redeploys its environment; closing it destroys it.
name: Preview environment

on:
  pull_request:
    types: [opened, synchronize, reopened, closed]

permissions:
  contents: read
  id-token: write
  pull-requests: write

concurrency:
  group: preview-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: false

jobs:
  provision:
    if: github.event.action != 'closed'
    uses: {platform_repo}/.github/workflows/{PROVISION_WORKFLOW}@{git_ref}
    with:
      {INPUT_ENVIRONMENT_NAME}: preview-pr-${{{{ github.event.pull_request.number }}}}
    secrets: inherit

  destroy:
    if: github.event.action == 'closed'
    uses: {platform_repo}/.github/workflows/{DESTROY_WORKFLOW}@{git_ref}
    with:
      {INPUT_ENVIRONMENT_NAME}: preview-pr-${{{{ github.event.pull_request.number }}}}
    secrets: inherit
"#
    )
}

/// What `idp init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The repository directory.
    pub dir: PathBuf,
    /// `owner/name` of the platform repository (None: [`PLATFORM_REPO_PLACEHOLDER`]).
    pub platform_repo: Option<String>,
    /// The git ref of the platform's workflows, e.g. `v1` or `main`.
    pub git_ref: String,
    /// Overwrite existing files.
    pub force: bool,
}

/// One file `idp init` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Whether it replaced an existing file (only with `force`).
    pub overwritten: bool,
}

/// What `idp init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The files written.
    pub files: Vec<Written>,
    /// The platform repository the workflow calls.
    pub platform_repo: String,
    /// Whether the workflow still holds the placeholder repository.
    pub placeholder: bool,
}

/// Write the scaffold. Refuses (writing nothing) when a file exists and `force` is not set.
pub fn init(req: &InitRequest) -> Result<InitReport> {
    let placeholder = req.platform_repo.is_none();
    let platform_repo = req
        .platform_repo
        .clone()
        .unwrap_or_else(|| PLATFORM_REPO_PLACEHOLDER.to_owned());
    if !placeholder {
        crate::setup::settings::Key::GithubRepo.validate(&platform_repo)?;
    }
    if req.git_ref.is_empty()
        || req
            .git_ref
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::Refused {
            reason: "invalid_ref".into(),
            message: format!(
                "`{}` is not a git ref: pass e.g. `--ref v1` or `--ref main`",
                req.git_ref.escape_debug()
            ),
        });
    }
    let files = [
        (req.dir.join(CONFIG_PATH), EXAMPLE_YAML.to_owned()),
        (
            req.dir.join(WORKFLOW_PATH),
            consumer_workflow(&platform_repo, &req.git_ref),
        ),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| format!("`{}`", p.display()))
        .collect();
    if !existing.is_empty() && !req.force {
        return Err(Error::Refused {
            reason: "file_exists".into(),
            message: format!(
                "{} already exist(s): pass `--force` to overwrite",
                existing.join(", ")
            ),
        });
    }
    let mut written = Vec::new();
    for (path, text) in files {
        let overwritten = path.exists();
        write(&path, &text)?;
        written.push(Written { path, overwritten });
    }
    Ok(InitReport {
        files: written,
        platform_repo,
        placeholder,
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(io)?;
    }
    fs_err::write(path, text).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(dir: &Path, force: bool) -> InitRequest {
        InitRequest {
            dir: dir.to_path_buf(),
            platform_repo: Some("acme/idp".into()),
            git_ref: "v1".into(),
            force,
        }
    }

    #[test]
    fn init_writes_a_valid_config_and_a_workflow_calling_the_platform() {
        let dir = tempfile::tempdir().unwrap();
        let report = init(&req(dir.path(), false)).unwrap();
        assert_eq!(report.files.len(), 2);
        let config = fs_err::read_to_string(dir.path().join(CONFIG_PATH)).unwrap();
        assert!(crate::domain::config::Config::from_yaml(&config, "c").is_ok());
        let wf = fs_err::read_to_string(dir.path().join(WORKFLOW_PATH)).unwrap();
        assert!(
            wf.contains("uses: acme/idp/.github/workflows/provision.yml@v1"),
            "{wf}"
        );
        assert!(
            wf.contains("environment_name: preview-pr-${{ github.event.pull_request.number }}"),
            "{wf}"
        );
    }

    #[test]
    fn init_refuses_to_overwrite_without_force_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join(".idp")).unwrap();
        fs_err::write(dir.path().join(CONFIG_PATH), "template: api-service\n").unwrap();
        let err = init(&req(dir.path(), false)).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(!dir.path().join(WORKFLOW_PATH).exists());
        let report = init(&req(dir.path(), true)).unwrap();
        assert!(report.files.first().unwrap().overwritten);
    }

    #[test]
    fn a_platform_repository_that_is_not_owner_slash_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = req(dir.path(), false);
        r.platform_repo = Some("not a repo".into());
        assert!(init(&r).is_err());
    }
}
