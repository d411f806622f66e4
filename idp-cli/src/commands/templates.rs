//! `idp templates [new NAME [--from T] | check [NAME…]]`.

use idp_core::error::Result;
use idp_core::repo::templates::{self, contract, new};
use idp_core::setup::open::templates_dirs;

use crate::cli::{Cli, Output, TemplatesArgs, TemplatesCommand};
use crate::exit::Code;
use crate::{open, render};

pub(crate) fn run(cli: &Cli, args: &TemplatesArgs, out: Output) -> Result<Code> {
    let settings = open::settings(cli)?;
    let (dir, team_dirs) = templates_dirs(&settings);
    match &args.command {
        None => {
            render::templates(&templates::discover(&dir, &team_dirs)?, out);
            Ok(Code::Ok)
        }
        Some(TemplatesCommand::New(a)) => {
            let mut dirs = vec![dir];
            dirs.extend(team_dirs.iter().cloned());
            let report = new::new(&new::NewTemplate {
                name: a.name.clone(),
                from: a.from.clone(),
                into: a.dir.clone(),
                dirs,
                description: a.description.clone(),
            })?;
            render::template_created(&report, out);
            Ok(Code::Ok)
        }
        Some(TemplatesCommand::Check(a)) => {
            let report = contract::check_all(&dir, &team_dirs, &a.names)?;
            render::templates_checked(&report, out);
            Ok(if report.ok() { Code::Ok } else { Code::Invalid })
        }
    }
}
