//! `idp completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Code;

pub(crate) fn run(args: &CompletionsArgs) -> idp_core::error::Result<Code> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "idp", &mut std::io::stdout());
    Ok(Code::Ok)
}
