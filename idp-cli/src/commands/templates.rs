//! `idp templates`.

use idp_core::error::Result;
use idp_core::repo::templates;

use crate::cli::{Cli, Output};
use crate::exit::Code;
use crate::render;

pub(crate) fn run(cli: &Cli, out: Output) -> Result<Code> {
    let report = templates::list(&cli.aws.templates_dir)?;
    render::templates(&report, out);
    Ok(Code::Ok)
}
