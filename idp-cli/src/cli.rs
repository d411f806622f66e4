//! Command-line arguments (clap derive only; no behaviour).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes, shown under `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  failure (a backend or the environment failed)
  2  invalid input (bad config, name, TTL or arguments)
  3  not found
  4  conflict (lock held, branch collision, concurrent change)";

/// idp — preview environments and infrastructure runs for AWS teams.
///
/// Every push to a branch gets its own running copy of the app; it is redeployed on every push,
/// extended while work goes on, and destroyed when the pull request closes or its TTL runs out.
#[derive(Debug, Parser)]
#[command(name = "idp", version, about, long_about, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// Output format: `human` (tables and messages) or `json` (one JSON document on stdout).
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Human, env = "IDP_OUTPUT")]
    pub(crate) output: Output,

    /// Where state lives: `local` (a directory, the default; no AWS account needed) or `aws`.
    #[arg(long, global = true, value_enum, default_value_t = BackendKind::Local, env = "IDP_BACKEND")]
    pub(crate) backend: BackendKind,

    /// The local backend's state directory [default: `$XDG_DATA_HOME/idp`, else `~/.local/share/idp`].
    #[arg(long, global = true, env = "IDP_STATE_DIR", hide_env_values = true, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) aws: AwsArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the AWS backend keeps state (used with `--backend aws`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "AWS backend")]
pub(crate) struct AwsArgs {
    /// The S3 bucket holding environment state.
    #[arg(long, global = true, env = "IDP_STATE_BUCKET", value_name = "BUCKET")]
    pub(crate) state_bucket: Option<String>,
    /// The DynamoDB table of leases and OpenTofu locks (partition key `LockID`).
    #[arg(long, global = true, env = "IDP_LOCK_TABLE", value_name = "TABLE")]
    pub(crate) lock_table: Option<String>,
    /// The AWS region.
    #[arg(long, global = true, env = "IDP_REGION", value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// An endpoint override (S3/DynamoDB-compatible services, a local AWS double).
    #[arg(long, global = true, env = "IDP_ENDPOINT_URL", value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The AWS profile for credentials (else the standard credential chain).
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    /// The ECR repository holding preview images.
    #[arg(long, global = true, env = "IDP_ECR_REPOSITORY", default_value = "idp-preview", value_name = "REPO")]
    pub(crate) ecr_repository: String,
    /// The directory of OpenTofu templates.
    #[arg(long, global = true, env = "IDP_TEMPLATES_DIR", default_value = "infrastructure/templates", value_name = "DIR")]
    pub(crate) templates_dir: PathBuf,
    /// The OpenTofu (or Terraform) binary.
    #[arg(long, global = true, env = "IDP_TOFU", default_value = "tofu", value_name = "PROGRAM")]
    pub(crate) tofu: PathBuf,
}

/// Which backend holds state and runs environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendKind {
    /// A local directory; environments run as local processes.
    Local,
    /// S3 + DynamoDB + ECS + CloudWatch Logs + ECR, applied with OpenTofu.
    Aws,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Human-readable text.
    Human,
    /// One JSON document with stable field names.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an environment and wait until it answers.
    ///
    /// Reads `.idp/config.yml` (or `--config`) for the template, sizes and, on the local
    /// backend, `local.command`. Example:
    /// `idp create --name demo --config examples/app/.idp/config.yml --ttl 2h --yes`
    Create(CreateArgs),
    /// Destroy an environment and clean up its state, images and locks.
    Destroy(DestroyArgs),
    /// Give an environment more time: the new expiry is the later of now and the current
    /// expiry, plus TTL. `created_at` never changes.
    Extend(ExtendArgs),
    /// List environments (destroyed ones only with `--all`).
    List(ListArgs),
    /// Show an environment's record, expiry and live health.
    Status(NameArg),
    /// Print an environment's logs.
    Logs(LogsArgs),
    /// Break a stuck lease and OpenTofu state lock of an environment (shows the holder first).
    Unlock(UnlockArgs),
    /// Destroy expired environments and retry destroys stuck for more than 2 hours.
    Sweep(SweepArgs),
    /// Show the environment name a branch maps to, and the AWS names derived from it.
    ///
    /// Example: `idp name feature/payment-api` prints `preview-payment-api`.
    Name(NameArgs),
    /// Check a `.idp/config.yml` file and report every problem with file, line, column and fix.
    ///
    /// Exits 0 when the file is valid (or absent: the defaults apply), 2 when it is not.
    /// Diagnostics go to stderr as `file:line:col: message`.
    Validate(ValidateArgs),
    /// Print the JSON Schema of `.idp/config.yml` (for editors: yaml-language-server, VS Code).
    Schema,
    /// Print a shell completion script, e.g. `idp completions bash > /etc/bash_completion.d/idp`.
    Completions(CompletionsArgs),
}

/// Arguments of `idp name`.
#[derive(Debug, clap::Args)]
pub(crate) struct NameArgs {
    /// The git branch, e.g. `feature/payment-api`.
    pub(crate) branch: String,
}

/// Arguments of `idp validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The config file, or a repository directory containing `.idp/config.yml`.
    #[arg(default_value = ".idp/config.yml")]
    pub(crate) path: PathBuf,
}

/// Arguments of `idp completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `idp create`.
#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// The environment name: 2–40 of `a-z`, `0-9`, `-`, starting with a letter.
    #[arg(long)]
    pub(crate) name: String,
    /// The template; overrides the config file's.
    #[arg(long)]
    pub(crate) template: Option<String>,
    /// How long it lives, e.g. `2h`, `7d`; overrides the config file's.
    #[arg(long)]
    pub(crate) ttl: Option<String>,
    /// The config file [default: `.idp/config.yml` if present, else the defaults].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Who owns it (recorded in the metadata and tags).
    #[arg(long)]
    pub(crate) owner: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

/// Arguments of `idp destroy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DestroyArgs {
    /// The environment.
    pub(crate) name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

/// Arguments of `idp extend`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExtendArgs {
    /// The environment.
    pub(crate) name: String,
    /// How much time to add, e.g. `2d`.
    #[arg(long)]
    pub(crate) ttl: String,
}

/// Arguments of `idp list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Include destroyed environments.
    #[arg(long)]
    pub(crate) all: bool,
}

/// One environment name.
#[derive(Debug, clap::Args)]
pub(crate) struct NameArg {
    /// The environment.
    pub(crate) name: String,
}

/// Arguments of `idp logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct LogsArgs {
    /// The environment.
    pub(crate) name: String,
    /// How far back, e.g. `10m`, `1h`, `2d`.
    #[arg(long, default_value = "1h")]
    pub(crate) since: String,
    /// Keep printing new events until interrupted.
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// Only events containing these terms.
    #[arg(long)]
    pub(crate) filter: Option<String>,
}

/// Arguments of `idp unlock`.
#[derive(Debug, clap::Args)]
pub(crate) struct UnlockArgs {
    /// The environment.
    pub(crate) name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

/// Arguments of `idp sweep`.
#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    /// Only show what would be destroyed.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Rebuild the environment index from every environment's metadata first (normally it is
    /// checked against the metadata and only mismatched rows are re-read).
    #[arg(long)]
    pub(crate) reindex: bool,
}
