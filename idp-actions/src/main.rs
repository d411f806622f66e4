//! `idp-action`: idp's steps for GitHub Actions.
//!
//! Each subcommand is one step of the preview workflows: `setup` decides what an event means
//! (and, with `--begin`, records the start of the work), `record` stores an apply's outputs, `apply` and
//! `destroy` run the templates the workflow does not run `tofu` on,
//! `comment` updates the pull request's comment, `cleanup` finishes a destroy, `sweep` destroys
//! expired environments, `dashboard` writes `ENVIRONMENTS.md`, and `validate` checks
//! `.idp/config.yml`. Results are step outputs, annotations and a step summary; the rules are
//! all in `idp-core`.

mod commands;
mod exit;
mod gha;
mod open;
mod step;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, shown under `--help`.
const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (including nothing to do)
  1  failure (a backend, GitHub or a file failed)
  2  invalid input (bad config, event, name, TTL or arguments)
  3  not found
  4  conflict (lock held, branch collision, concurrent change)
  5  over budget (a new preview would pass its team's or owner's monthly budget)

  6  approval required (an admin runs `idp approve`, then run the command again)
  7  secret not allowed (the config references a secret outside the repository's allow-list)";

/// idp's steps for GitHub Actions.
#[derive(Debug, Parser)]
#[command(name = "idp-action", version, about, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide what the event (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`) means for its
    /// environment and write the step outputs the workflow needs (environment, action,
    /// template, image tag, tfvars file, …).
    Setup(commands::setup::Args),
    /// After an apply: store its outputs and mark the environment `active` (or `failed`).
    Record(commands::record::Args),
    /// Apply a template `setup` reports as not OpenTofu (`provisioner` output, e.g.
    /// `k8s-namespace` on the cluster of `KUBECONFIG`) through idp's provisioner, and record
    /// its outputs as `record` would.
    Apply(commands::apply::Args),
    /// Destroy such a template through idp's provisioner (`cleanup` follows).
    Destroy(commands::apply::Args),
    /// After a destroy: delete the environment's images, lock items and state objects and mark
    /// it `destroyed`.
    Cleanup(commands::cleanup::Args),
    /// Create or update the pull request's comment for the environment.
    Comment(commands::comment::Args),
    /// Destroy expired environments and retry destroys stuck for more than 2 hours.
    Sweep(commands::sweep::Args),
    /// Write `ENVIRONMENTS.md` (and optionally an HTML page) from every environment's record.
    Dashboard(commands::dashboard::Args),
    /// Check the repository's `.idp/config.yml`; every problem becomes an annotation.
    ///
    /// Exits 0 when valid (or absent: the defaults apply), 2 when not.
    Validate {
        /// The config file.
        #[arg(default_value = ".idp/config.yml")]
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return commands::fail("idp-action", &commands::Failure::Io(e.to_string())).into();
        }
    };
    let stopped = runtime.block_on(async {
        let work = async {
            match cli.command {
                Command::Setup(args) => ("setup", commands::setup::run(args).await),
                Command::Record(args) => ("record", commands::record::run(args).await),
                Command::Apply(args) => ("apply", commands::apply::apply(args).await),
                Command::Destroy(args) => ("destroy", commands::apply::destroy(args).await),
                Command::Cleanup(args) => ("cleanup", commands::cleanup::run(args).await),
                Command::Comment(args) => ("comment", commands::comment::run(args).await),
                Command::Sweep(args) => ("sweep", commands::sweep::run(args).await),
                Command::Dashboard(args) => ("dashboard", commands::dashboard::run(args).await),
                Command::Validate { path } => ("validate", commands::validate::run(&path)),
            }
        };
        // A cancelled workflow run sends SIGINT: OpenTofu, if running, is stopped cleanly and
        // the step reports; otherwise the step ends at once with 128 + the signal's number.
        idp_core::interrupt::run_until_signal(work, |_| commands::interrupting()).await
    });
    let (name, result) = match stopped {
        Ok(done) => done,
        Err(signal) => return ExitCode::from(signal.exit_code()),
    };
    match result {
        Ok(code) => code.into(),
        Err(failure) => commands::fail(name, &failure).into(),
    }
}
