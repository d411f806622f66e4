//! The `idp` binary: parse arguments, run one command, render its result, exit with a code
//! scripts can rely on (see `exit.rs`).

mod cli;
mod commands;
mod exit;
mod render;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = cli.output;
    let result = match cli.command {
        Command::Name(args) => commands::name::run(&args, out),
        Command::Validate(args) => commands::validate::run(&args, out),
        Command::Schema => commands::schema::run(out),
        Command::Completions(args) => commands::completions::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            render::error(&err, out);
            exit::Code::from(err.kind()).into()
        }
    }
}
