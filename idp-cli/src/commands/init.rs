//! `idp init [DIR]`.

use idp_core::error::Result;
use idp_core::repo::scaffold::{self, InitRequest};
use idp_core::setup::settings::Key;

use crate::cli::{Cli, InitArgs, Output};
use crate::exit::Code;
use crate::{open, render};

pub(crate) fn run(cli: &Cli, args: &InitArgs, out: Output) -> Result<Code> {
    let platform_repo = match &args.platform_repo {
        Some(repo) => Some(repo.clone()),
        None => open::settings(cli)?.get(Key::GithubRepo).map(str::to_owned),
    };
    let report = scaffold::init(&InitRequest {
        dir: args.dir.clone(),
        platform_repo,
        git_ref: args.git_ref.clone(),
        force: args.force,
    })?;
    render::init(&report, out);
    Ok(Code::Ok)
}
