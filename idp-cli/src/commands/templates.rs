//! `idp templates`.

use idp_core::error::Result;
use idp_core::repo::templates;
use idp_core::setup::settings::Key;

use crate::cli::{Cli, Output};
use crate::exit::Code;
use crate::{open, render};

pub(crate) fn run(cli: &Cli, out: Output) -> Result<Code> {
    let settings = open::settings(cli)?;
    let dir = settings.get(Key::AwsTemplatesDir).unwrap_or_default();
    let report = templates::list(std::path::Path::new(dir))?;
    render::templates(&report, out);
    Ok(Code::Ok)
}
