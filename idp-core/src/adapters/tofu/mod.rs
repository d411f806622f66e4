//! The OpenTofu provisioner: drives the `tofu` (or `terraform`) CLI on a template.
//!
//! Every environment is one root module (`{templates_dir}/{template}`) applied with its own state
//! key in the S3 backend, locked by the DynamoDB table. The commands run in the environment's
//! working copy of the template (see `workdir.rs`: nothing is written into the templates
//! directory, the lock file `init` writes included). Each call runs:
//!
//! - `init -no-color -input=false -reconfigure -backend-config=bucket=…
//!   -backend-config=key={state_key} -backend-config=region={the state bucket's}
//!   -backend-config=dynamodb_table=…
//!   -backend-config=encrypt=true`
//! - `apply -no-color -input=false -auto-approve -lock-timeout=5m -var-file={tfvars.json}` (or
//!   `destroy` with the same arguments), the tfvars written to a private temporary file that is
//!   removed afterwards,
//! - `output -no-color -json`, flattened into [`Outputs`] with sensitive values kept masked.
//!
//! With an endpoint override ([`TofuConfig::endpoint_url`], the same setting that points the SDK
//! clients elsewhere: moto, LocalStack, an S3-compatible service), `init` also gets
//! [`endpoint_backend_config`], the working copy gets the provider override
//! [`endpoint_override_document`] as [`ENDPOINT_OVERRIDE_FILE`], and every command gets
//! `AWS_ENDPOINT_URL`, which the provider and `terraform_remote_state` read.
//!
//! Arguments are an argv vector, never a shell line; `TF_IN_AUTOMATION=1` and `TF_INPUT=0` are
//! set, and `TF_DATA_DIR` points at a directory of the environment's own, so that two environments
//! of one template never share a `.terraform` directory. Each command has a timeout that kills its
//! whole process group. A failed command's error is the part of its output that says what went
//! wrong (`diagnostics.rs`), not its last line.
#![allow(
    clippy::disallowed_methods,
    reason = "the tofu adapter checks template directories and writes each environment's working copy"
)]

mod command;
mod diagnostics;
mod workdir;

pub use self::workdir::{
    ENDPOINT_OVERRIDE_FILE, endpoint_backend_config, endpoint_override_document,
};

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;

use self::command::{Finished, RunError};
use crate::domain::template::TemplateName;
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

const BACKEND: &str = "tofu";

/// The default timeout of one OpenTofu command (an RDS instance takes a while).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(45 * 60);

/// How to run OpenTofu and where its S3 backend is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TofuConfig {
    /// The CLI: `tofu` or `terraform` (looked up in `PATH`), or a path to either.
    pub program: PathBuf,
    /// The directory holding one root module per template (`infrastructure/templates`).
    pub templates_dir: PathBuf,
    /// Teams' own templates directories, searched after `templates_dir` for a template it lacks.
    pub team_templates_dirs: Vec<PathBuf>,
    /// Where each environment gets its own `TF_DATA_DIR` (`{data_dir}/{env}`).
    pub data_dir: PathBuf,
    /// The state bucket (`-backend-config=bucket=`).
    pub state_bucket: String,
    /// The DynamoDB lock table (`-backend-config=dynamodb_table=`).
    pub lock_table: String,
    /// The region used when a request names none.
    pub region: String,
    /// The longest one command may run before its process group is killed.
    pub command_timeout: Duration,
    /// An endpoint that replaces every AWS endpoint, for the S3 backend and the AWS provider
    /// alike (`IDP_ENDPOINT_URL`, setting `aws.endpointUrl`); `None` for AWS itself.
    pub endpoint_url: Option<String>,
}

impl TofuConfig {
    /// A configuration running `tofu` from `PATH` with [`DEFAULT_COMMAND_TIMEOUT`].
    pub fn new(
        templates_dir: impl Into<PathBuf>,
        data_dir: impl Into<PathBuf>,
        state_bucket: impl Into<String>,
        lock_table: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            program: PathBuf::from("tofu"),
            templates_dir: templates_dir.into(),
            team_templates_dirs: Vec::new(),
            data_dir: data_dir.into(),
            state_bucket: state_bucket.into(),
            lock_table: lock_table.into(),
            region: region.into(),
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            endpoint_url: None,
        }
    }

    /// The same configuration with every AWS endpoint replaced by `endpoint_url`.
    #[must_use]
    pub fn with_endpoint_url(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }
}

/// A [`Provisioner`] that runs the OpenTofu CLI.
///
/// [`Provisioner::health`] answers [`RuntimeHealth::Unknown`]: OpenTofu knows the
/// infrastructure, not whether the app on it is up (the `Deployer` port does).
#[derive(Debug, Clone)]
pub struct TofuProvisioner {
    config: TofuConfig,
}

/// The `apply` and `destroy` arguments, after the subcommand and before `-var-file`.
const CHANGE_ARGS: [&str; 4] = [
    "-no-color",
    "-input=false",
    "-auto-approve",
    "-lock-timeout=5m",
];

impl TofuProvisioner {
    /// A provisioner with `config`.
    pub fn new(config: TofuConfig) -> Self {
        Self { config }
    }

    /// The `init` arguments for `request`. The backend's region is the state bucket's (the
    /// platform's), whatever region the environment runs in.
    pub fn init_args(&self, request: &ProvisionRequest) -> Vec<String> {
        let region = &self.config.region;
        let mut args = vec![
            "init".to_owned(),
            "-no-color".to_owned(),
            "-input=false".to_owned(),
            "-reconfigure".to_owned(),
            format!("-backend-config=bucket={}", self.config.state_bucket),
            format!("-backend-config=key={}", request.state_key),
            format!("-backend-config=region={region}"),
            format!("-backend-config=dynamodb_table={}", self.config.lock_table),
            "-backend-config=encrypt=true".to_owned(),
        ];
        if let Some(endpoint) = &self.config.endpoint_url {
            args.extend(endpoint_backend_config(endpoint));
        }
        args
    }

    /// The template's directory; refuses a name that is not a plain template name (`../x`) or a
    /// template that does not exist, before any process starts.
    fn template_dir(&self, template: &TemplateName) -> Result<PathBuf, ProvisionError> {
        let name = template.as_str();
        if TemplateName::new(name).is_none() {
            return Err(ProvisionError::InvalidRequest {
                reason: format!(
                    "template name `{}` is invalid: use 1-64 characters of a-z, 0-9 and `-`, starting with a letter",
                    name.escape_default()
                ),
            });
        }
        find_template(
            &self.config.templates_dir,
            &self.config.team_templates_dirs,
            name,
        )
        .ok_or_else(|| ProvisionError::InvalidRequest {
            reason: format!(
                "template `{name}` does not exist: no directory `{}`{}; run `idp templates` for the available ones",
                self.config.templates_dir.join(name).display(),
                if self.config.team_templates_dirs.is_empty() {
                    String::new()
                } else {
                    " nor in a team templates directory".to_owned()
                }
            ),
        })
    }

    fn data_dir(&self, request: &ProvisionRequest) -> PathBuf {
        let mut name = request.env.to_string();
        if let Some(region) = &request.region {
            name = format!("{name}.{}", region.replace(['/', '\\', '.'], "_"));
        }
        self.config.data_dir.join(name)
    }

    async fn step(
        &self,
        request: &ProvisionRequest,
        dir: &Path,
        args: Vec<String>,
    ) -> Result<Finished, ProvisionError> {
        let program = self.config.program.file_name().unwrap_or_default();
        let step = format!(
            "{} {}",
            program.to_string_lossy(),
            args.first().map_or("", String::as_str)
        );
        let data_dir = self.data_dir(request);
        fs_err::create_dir_all(&data_dir).map_err(backend)?;
        let mut envs = vec![("TF_DATA_DIR", data_dir.as_os_str())];
        if let Some(endpoint) = &self.config.endpoint_url {
            envs.push(("AWS_ENDPOINT_URL", OsStr::new(endpoint)));
        }
        let secrets = request.secret_values();
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        match command::run(
            &self.config.program,
            &args,
            dir,
            &envs,
            self.config.command_timeout,
        )
        .await
        {
            Ok(finished) if finished.status.success() => Ok(finished),
            Ok(finished) => Err(ProvisionError::Failed {
                step,
                exit_code: finished.status.code(),
                stderr_tail: diagnostics::error_tail(&finished.stderr, &secret_refs),
            }),
            Err(RunError::Timeout { output }) => Err(ProvisionError::Timeout {
                step,
                after: self.config.command_timeout,
                output_tail: diagnostics::error_tail(&output, &secret_refs),
            }),
            Err(RunError::Interrupted { output, killed }) => Err(ProvisionError::Interrupted {
                step,
                killed,
                output_tail: diagnostics::error_tail(&output, &secret_refs),
            }),
            Err(RunError::Spawn(source)) => Err(ProvisionError::Unavailable {
                backend: BACKEND,
                retryable: false,
                source: format!(
                    "cannot start `{}`: {source}; install OpenTofu or set the path of the `tofu` binary",
                    self.config.program.display()
                )
                .into(),
            }),
            Err(RunError::Wait(source)) => Err(backend(source)),
        }
    }

    /// Refreshes the environment's working copy of its template and runs `init` in it; returns
    /// the working copy's root module, where the later commands run.
    async fn init(&self, request: &ProvisionRequest) -> Result<PathBuf, ProvisionError> {
        let template = self.template_dir(&request.template)?;
        let dir = workdir::prepare(
            &self.config.templates_dir,
            template
                .parent()
                .unwrap_or(self.config.templates_dir.as_path()),
            &template,
            &self.data_dir(request).join("workdir"),
            self.config.endpoint_url.as_deref(),
        )
        .map_err(backend)?;
        self.step(request, &dir, self.init_args(request)).await?;
        Ok(dir)
    }

    /// Runs `apply` or `destroy` with the request's tfvars in a temporary file.
    async fn change(
        &self,
        request: &ProvisionRequest,
        dir: &Path,
        subcommand: &str,
    ) -> Result<(), ProvisionError> {
        // Created with mode 0600 and removed when dropped, also on error.
        let mut vars = tempfile::Builder::new()
            .prefix("idp-")
            .suffix(".tfvars.json")
            .tempfile()
            .map_err(backend)?;
        let json = serde_json::to_vec_pretty(&request.tfvars).map_err(backend)?;
        vars.write_all(&json)
            .and_then(|()| vars.flush())
            .map_err(backend)?;
        let mut args = vec![subcommand.to_owned()];
        args.extend(CHANGE_ARGS.iter().map(|a| (*a).to_owned()));
        args.push(format!("-var-file={}", vars.path().display()));
        self.step(request, dir, args).await?;
        vars.close().map_err(backend)
    }

    async fn read_outputs(
        &self,
        request: &ProvisionRequest,
        dir: &Path,
    ) -> Result<Outputs, ProvisionError> {
        let args = vec![
            "output".to_owned(),
            "-no-color".to_owned(),
            "-json".to_owned(),
        ];
        let finished = self.step(request, dir, args).await?;
        Outputs::from_tofu_json(&finished.stdout).map_err(|source| ProvisionError::Backend {
            backend: BACKEND,
            source: format!("`output -json` did not print an output document: {source}").into(),
        })
    }
}

fn backend(source: impl Into<crate::ports::BoxError>) -> ProvisionError {
    ProvisionError::Backend {
        backend: BACKEND,
        source: source.into(),
    }
}

#[async_trait]
impl Provisioner for TofuProvisioner {
    /// Every taggable resource carries `idp:expires-at` through the provider's `default_tags`.
    fn tags_follow_expiry(&self, _template: &crate::domain::template::TemplateName) -> bool {
        true
    }

    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let dir = self.init(request).await?;
        self.change(request, &dir, "apply").await?;
        self.read_outputs(request, &dir).await
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        // Destroying an empty state succeeds in OpenTofu, so this is idempotent as it is.
        let dir = self.init(request).await?;
        self.change(request, &dir, "destroy").await?;
        if let Err(error) = fs_err::remove_dir_all(self.data_dir(request)) {
            tracing::debug!(%error, "could not remove the environment's TF_DATA_DIR");
        }
        Ok(())
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let dir = self.init(request).await?;
        let outputs = self.read_outputs(request, &dir).await?;
        // Every template has outputs, so an empty document means an empty (or absent) state.
        if outputs.is_empty() {
            return Err(ProvisionError::NotFound {
                env: request.env.to_string(),
            });
        }
        Ok(outputs)
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        self.template_dir(&request.template)?;
        Ok(RuntimeHealth::Unknown)
    }
}

/// The folder of template `name`: the first of `dir` (the platform's templates directory) and
/// `team_dirs` (the teams' own, in order) that has it, so a team template never shadows a
/// platform one. The one rule of where a template lives: discovery and `idp templates new` use it
/// too (`repo::templates::find`).
pub fn find_template(dir: &Path, team_dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    std::iter::once(dir)
        .chain(team_dirs.iter().map(PathBuf::as_path))
        .map(|d| d.join(name))
        .find(|d| d.is_dir())
}
