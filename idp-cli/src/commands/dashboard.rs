//! `idp dashboard [--format md|html] [--out FILE]`.

use idp_core::environments::dashboard::{self, DashboardFormat};
use idp_core::error::{Error, Result};
use idp_core::platform::Platform;

use crate::cli::{self, DashboardArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &DashboardArgs, out: Output) -> Result<Code> {
    let format = match args.format {
        cli::DashboardFormat::Md => DashboardFormat::Markdown,
        cli::DashboardFormat::Html => DashboardFormat::Html,
    };
    let report = dashboard::dashboard(platform, format).await?;
    if let Some(path) = &args.out {
        fs_err::write(path, &report.content).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    render::dashboard(&report, args.out.as_deref(), out);
    Ok(Code::Ok)
}
