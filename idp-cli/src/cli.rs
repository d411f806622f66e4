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

    #[command(subcommand)]
    pub(crate) command: Command,
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
