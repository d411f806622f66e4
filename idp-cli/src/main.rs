//! The `idp` binary: parse arguments, run one command, render its result, exit with a code
//! scripts can rely on (see `exit.rs`).

mod cli;
mod commands;
mod credential_store;
mod exit;
mod open;
mod render;

use std::process::ExitCode;

use clap::Parser;
use idp_core::setup::env_vars::EnvVars;

use crate::cli::{Cli, Command};
use crate::exit::Code;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let out = cli.output;
    let result = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(async {
            // `idp serve` handles its own signals: the first drains, a second ends at once.
            if let Command::Serve(args) = &cli.command
                && args.action.is_none()
            {
                return commands::serve::serve(&cli, args).await;
            }
            let work = async {
                match &cli.command {
                    // The one command whose exit code is not idp's own but the command's it ran.
                    Command::Exec(args) => {
                        commands::exec::run(&open::platform(&cli).await?, args, out)
                            .await
                            .map(ExitCode::from)
                    }
                    _ => run(&cli).await.map(ExitCode::from),
                }
            };
            // Ctrl-C or SIGTERM while OpenTofu runs stops it cleanly and reports; otherwise,
            // or on a second signal, idp ends at once with 128 + the signal's number.
            idp_core::interrupt::run_until_signal(work, |_| render::interrupting())
                .await
                .unwrap_or_else(|signal| Ok(ExitCode::from(signal.exit_code())))
        }),
        Err(source) => Err(idp_core::error::Error::Io {
            path: "tokio runtime".into(),
            source,
        }),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            render::error(&err, out);
            Code::from(err.kind()).into()
        }
    }
}

/// Logs on stderr, filtered by `IDP_LOG`; `idp serve` logs requests (`info`) by default, as JSON
/// lines with `--log-format json`.
fn init_logging(cli: &Cli) {
    let serving = match &cli.command {
        Command::Serve(args) if args.action.is_none() => Some(args.log_format),
        _ => None,
    };
    let default = if serving.is_some() { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env(EnvVars::IDP_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if serving == Some(cli::LogFormat::Json) {
        logs.json().init();
    } else {
        logs.init();
    }
}

async fn run(cli: &Cli) -> idp_core::error::Result<Code> {
    let out = cli.output;
    match &cli.command {
        Command::Name(args) => commands::name::run(args, out),
        Command::Validate(args) => commands::validate::run(args, out),
        Command::Schema => commands::schema::run(out),
        Command::Teams(args) => commands::teams::run(args, out),
        Command::Completions(args) => commands::completions::run(args),
        Command::Create(args) if args.via.via_github => {
            commands::create::via_github(cli, args, out).await
        }
        Command::Destroy(args) if args.via.via_github => {
            commands::destroy::via_github(cli, args, out).await
        }
        Command::Extend(args) if args.via.via_github => {
            commands::extend::via_github(cli, args, out).await
        }
        Command::Create(args) => {
            commands::create::run(&open::platform(cli).await?, args, out).await
        }
        Command::Destroy(args) => {
            commands::destroy::run(&open::platform(cli).await?, args, out).await
        }
        Command::Extend(args) => {
            commands::extend::run(&open::platform(cli).await?, args, out).await
        }
        Command::List(args) => commands::list::run(&open::platform(cli).await?, args, out).await,
        Command::Approve(args) => {
            commands::approve::run(&open::platform(cli).await?, args, out).await
        }
        Command::Status(args) => {
            commands::status::run(&open::platform(cli).await?, args, out).await
        }
        Command::Logs(args) => commands::logs::run(&open::platform(cli).await?, args, out).await,
        Command::Unlock(args) => {
            commands::unlock::run(&open::platform(cli).await?, args, out).await
        }
        Command::Sweep(args) => commands::sweep::run(&open::platform(cli).await?, args, out).await,
        Command::Exec(_) => unreachable!("`idp exec` is run by `main`"),
        Command::Migrate(args) => {
            commands::migrate::run(&open::platform(cli).await?, args, out).await
        }
        Command::Run(args) => commands::run::run(cli, args, out).await,
        Command::Templates(args) => commands::templates::run(cli, args, out),
        Command::Cost(args) => commands::cost::run(&open::platform(cli).await?, args, out).await,
        Command::Budgets(args) => {
            commands::budgets::run(&open::platform(cli).await?, args, out).await
        }
        Command::Dashboard(args) => {
            commands::dashboard::run(&open::platform(cli).await?, args, out).await
        }
        Command::Init(args) => commands::init::run(cli, args, out).await,
        Command::Config(args) => commands::config::run(cli, args, out),
        Command::Auth(args) => commands::auth::run(args, out),
        Command::Serve(args) => match &args.action {
            Some(action) => commands::serve::token(cli, action, out).await,
            None => unreachable!("`idp serve` is run by `main`"),
        },
    }
}
