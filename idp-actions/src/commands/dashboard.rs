//! `idp-action dashboard`: write `ENVIRONMENTS.md` (and, with `--html`, a self-contained page)
//! from every environment's record. The output `changed` says whether the file changed other
//! than its "Last updated" line, so the workflow commits only real changes.

use std::path::PathBuf;

use idp_core::domain::render;
use idp_core::environments::list::{self, ListRequest};

use super::Failure;
use crate::exit::Code;
use crate::open;
use crate::step::Step;

/// `dashboard` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The Markdown file to write.
    #[arg(long, default_value = "ENVIRONMENTS.md")]
    out: PathBuf,
    /// Also write an HTML page here.
    #[arg(long)]
    html: Option<PathBuf>,
}

/// Run `dashboard`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let platform = open::platform().await?;
    let listed = list::list(
        &platform,
        ListRequest {
            all: false,
            spend: false,
        },
    )
    .await?;
    let now = platform.backend.clock.now();
    let markdown = render::dashboard_markdown(&listed.environments, now);
    let old = match fs_err::read_to_string(&args.out) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Failure::Io(e.to_string())),
    };
    let changed = old
        .as_deref()
        .is_none_or(|old| !render::same_dashboard(old, &markdown));
    if changed {
        fs_err::write(&args.out, &markdown).map_err(|e| Failure::Io(e.to_string()))?;
    }
    if let Some(html) = &args.html {
        fs_err::write(html, render::dashboard_html(&listed.environments, now))
            .map_err(|e| Failure::Io(e.to_string()))?;
    }
    step.output("changed", if changed { "true" } else { "false" });
    step.output("path", args.out.display().to_string());
    step.output("environments", listed.environments.len().to_string());
    step.summary(&format!(
        "### idp: dashboard\n\n{} environment(s); {} {}.\n",
        listed.environments.len(),
        render::code_span(&args.out.display().to_string()),
        if changed { "updated" } else { "unchanged" }
    ));
    step.finish()?;
    Ok(Code::Ok)
}
