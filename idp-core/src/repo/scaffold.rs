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
use crate::domain::event::Repository;
use crate::error::{Error, Result};
use crate::github::workflows::{DESTROY_WORKFLOW, INPUT_ENVIRONMENT_NAME, PROVISION_WORKFLOW};
use crate::ports::Forge;

/// The config file, relative to the repository.
pub const CONFIG_PATH: &str = ".idp/config.yml";
/// The consumer workflow, relative to the repository.
pub const WORKFLOW_PATH: &str = ".github/workflows/preview-env.yml";
/// The placeholder used when no platform repository is known.
pub const PLATFORM_REPO_PLACEHOLDER: &str = "OWNER/idp";

/// The secret the platform's reusable workflows declare (`on.workflow_call.secrets`): the only
/// one the consumer workflow passes.
pub const ROLE_SECRET: &str = "AWS_ROLE_ARN";

/// The consumer workflow calling `platform_repo`'s reusable workflows at `git_ref`, pinned to
/// the commit `pinned` when it is known (the ref then stays in a comment).
///
/// A `setup` job runs the platform's `idp-action setup` on the event, which names the
/// environment after the pull request's branch and says whether to deploy or destroy; the
/// `provision` and `destroy` jobs pass that name on unchanged (the reusable workflows refuse any
/// other). Pull requests from forks get no job at all. No permission at the workflow's level;
/// each job grants exactly what its steps or the reusable workflow's job declare
/// (`contents: read`, `id-token: write` for the OIDC role, `pull-requests: write` for the
/// comment, `statuses: write` for the commit status), and passes only [`ROLE_SECRET`].
pub fn consumer_workflow(platform_repo: &str, git_ref: &str, pinned: Option<&str>) -> String {
    let at = match pinned {
        Some(sha) => format!("{sha} # {git_ref}"),
        None => git_ref.to_owned(),
    };
    let checkout_ref = pinned.unwrap_or(git_ref);
    let job = |name: &str, output: &str, workflow: &str| {
        format!(
            r#"  {name}:
    needs: setup
    if: needs.setup.outputs.{output} == 'true'
    permissions:
      contents: read
      id-token: write
      pull-requests: write
      statuses: write
    uses: {platform_repo}/.github/workflows/{workflow}@{at}
    with:
      {INPUT_ENVIRONMENT_NAME}: ${{{{ needs.setup.outputs.environment }}}}
      platform_repository: {platform_repo}
      platform_ref: {checkout_ref}
    secrets:
      {ROLE_SECRET}: ${{{{ secrets.{ROLE_SECRET} }}}}
"#
        )
    };
    format!(
        r#"# Preview environments for this repository, run by the idp platform ({platform_repo}).
# Every push to a pull request creates or redeploys its environment; closing it destroys it.
# Set the secret {ROLE_SECRET} (the IAM role GitHub OIDC assumes) and the repository variables
# AWS_REGION, STATE_BUCKET, LOCK_TABLE and ECR_REPO in this repository. A template that needs
# approval waits for an approving review or the approval label (docs/approvals.md).
name: Preview environment

on:
  pull_request:
    types: [opened, synchronize, reopened, closed, labeled]
  pull_request_review:
    types: [submitted]

permissions: {{}}

concurrency:
  group: preview-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: false

jobs:
  setup:
    name: Decide
    # Pull requests from forks get no preview: their code must never run with the role.
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    permissions:
      contents: read
      id-token: write
      pull-requests: write
      statuses: write
    outputs:
      environment: ${{{{ steps.idp.outputs.environment }}}}
      deploy: ${{{{ steps.idp.outputs.deploy }}}}
      destroy: ${{{{ steps.idp.outputs.destroy }}}}
    env:
      IDP_BACKEND: aws
      IDP_REGION: ${{{{ vars.AWS_REGION }}}}
      IDP_STATE_BUCKET: ${{{{ vars.STATE_BUCKET }}}}
      IDP_LOCK_TABLE: ${{{{ vars.LOCK_TABLE }}}}
      IDP_ECR_REPOSITORY: ${{{{ vars.ECR_REPO }}}}
      IDP_TEMPLATES_DIR: .idp-platform/infrastructure/templates
    steps:
      - name: Check out the application
        uses: actions/checkout@{CHECKOUT}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          persist-credentials: false

      - name: Check out idp
        uses: actions/checkout@{CHECKOUT}
        with:
          repository: {platform_repo}
          ref: {checkout_ref}
          path: .idp-platform
          persist-credentials: false

      - name: Assume the platform role (OIDC)
        uses: aws-actions/configure-aws-credentials@{AWS_CREDENTIALS}
        with:
          role-to-assume: ${{{{ secrets.{ROLE_SECRET} }}}}
          aws-region: ${{{{ vars.AWS_REGION }}}}

      - name: idp setup
        id: idp
        uses: ./.idp-platform # zizmor: ignore[self-repository] reason: a checkout of the idp platform, not of this repository
        with:
          command: setup
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}

{provision}
{destroy}"#,
        provision = job("provision", "deploy", PROVISION_WORKFLOW),
        destroy = job("destroy", "destroy", DESTROY_WORKFLOW),
    )
}

/// `actions/checkout`, pinned (v4.2.2).
const CHECKOUT: &str = "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";
/// `aws-actions/configure-aws-credentials`, pinned (v4.0.2).
const AWS_CREDENTIALS: &str = "e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2";

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
    /// The commit the workflow's `uses:` are pinned to (`None`: left at the ref, see
    /// `warnings`).
    pub pinned: Option<String>,
    /// What the user should know, e.g. that the ref could not be resolved.
    pub warnings: Vec<String>,
}

/// Write the scaffold, with the platform's workflows pinned to the commit `--ref` names there
/// (resolved through `forge`); when it cannot be resolved (offline, no such ref, the placeholder
/// repository) the ref is kept and a warning says so. Refuses (writing nothing) when a file
/// exists and `force` is not set.
pub async fn init(req: &InitRequest, forge: &dyn Forge) -> Result<InitReport> {
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
    let mut warnings = Vec::new();
    let pinned = match Repository::parse(&platform_repo).filter(|_| !placeholder) {
        None => {
            warnings.push(format!(
                "the workflow calls the placeholder `{PLATFORM_REPO_PLACEHOLDER}` at `{}`: pass `--platform-repo OWNER/NAME` (or set `github.repo`) and run `idp init --force` again",
                req.git_ref.escape_debug()
            ));
            None
        }
        Some(repo) => match forge.resolve_ref(&repo, &req.git_ref).await {
            Ok(sha) => Some(sha.as_str().to_owned()),
            Err(e) => {
                warnings.push(format!(
                    "the platform's workflows are left at `{}`, a ref that can move, because it could not be resolved to a commit in `{repo}` ({e}): pin them by hand to the commit, or run `idp init --force` again online",
                    req.git_ref.escape_debug()
                ));
                None
            }
        },
    };
    let files = [
        (req.dir.join(CONFIG_PATH), EXAMPLE_YAML.to_owned()),
        (
            req.dir.join(WORKFLOW_PATH),
            consumer_workflow(&platform_repo, &req.git_ref, pinned.as_deref()),
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
        pinned,
        warnings,
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
    use crate::adapters::memory::MemoryForge;
    use crate::ports::NoForge;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn req(dir: &Path, force: bool) -> InitRequest {
        InitRequest {
            dir: dir.to_path_buf(),
            platform_repo: Some("acme/idp".into()),
            git_ref: "v1".into(),
            force,
        }
    }

    fn forge() -> MemoryForge {
        let forge = MemoryForge::new();
        forge.set_ref("acme/idp", "refs/tags/v1", SHA);
        forge
    }

    #[tokio::test]
    async fn init_writes_a_valid_config_and_a_workflow_pinned_to_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let report = init(&req(dir.path(), false), &forge()).await.unwrap();
        assert_eq!(report.files.len(), 2);
        assert_eq!(report.pinned.as_deref(), Some(SHA));
        assert!(report.warnings.is_empty());
        let config = fs_err::read_to_string(dir.path().join(CONFIG_PATH)).unwrap();
        assert!(crate::domain::config::Config::from_yaml(&config, "c").is_ok());
        let wf = fs_err::read_to_string(dir.path().join(WORKFLOW_PATH)).unwrap();
        assert!(
            wf.contains(&format!(
                "uses: acme/idp/.github/workflows/provision.yml@{SHA} # v1"
            )),
            "{wf}"
        );
        assert!(
            wf.contains("environment_name: ${{ needs.setup.outputs.environment }}"),
            "{wf}"
        );
        assert!(wf.contains("permissions: {}"), "{wf}");
        assert!(!wf.contains("secrets: inherit"), "{wf}");
        assert_eq!(
            wf.matches("AWS_ROLE_ARN: ${{ secrets.AWS_ROLE_ARN }}")
                .count(),
            2,
            "one per reusable workflow"
        );
    }

    #[tokio::test]
    async fn offline_the_ref_is_kept_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let report = init(&req(dir.path(), false), &NoForge).await.unwrap();
        assert_eq!(report.pinned, None);
        assert!(
            report.warnings[0].contains("a ref that can move"),
            "{:?}",
            report.warnings
        );
        let wf = fs_err::read_to_string(dir.path().join(WORKFLOW_PATH)).unwrap();
        assert!(wf.contains("provision.yml@v1\n"), "{wf}");
    }

    #[tokio::test]
    async fn init_refuses_to_overwrite_without_force_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join(".idp")).unwrap();
        fs_err::write(dir.path().join(CONFIG_PATH), "template: api-service\n").unwrap();
        let err = init(&req(dir.path(), false), &forge()).await.unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(!dir.path().join(WORKFLOW_PATH).exists());
        let report = init(&req(dir.path(), true), &forge()).await.unwrap();
        assert!(report.files.first().unwrap().overwritten);
    }

    #[tokio::test]
    async fn a_platform_repository_that_is_not_owner_slash_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = req(dir.path(), false);
        r.platform_repo = Some("not a repo".into());
        assert!(init(&r, &forge()).await.is_err());
    }
}
