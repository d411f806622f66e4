//! `idp-action sweep`: destroy expired environments and retry destroys stuck for more than 2
//! hours (the scheduled `ttl-cleanup` workflow). Destroys run the templates with OpenTofu
//! (`IDP_TEMPLATES_DIR`, `IDP_TOFU`).

use idp_core::domain::render;
use idp_core::environments::sweep::{self, SweepRequest};

use super::Failure;
use crate::exit::Code;
use crate::gha;
use crate::open;
use crate::step::Step;

/// `sweep` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only report what would be destroyed.
    #[arg(long)]
    dry_run: bool,
}

/// Run `sweep`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let platform = open::platform().await?;
    let report = sweep::sweep(
        &platform,
        SweepRequest {
            dry_run: args.dry_run,
        },
    )
    .await?;
    step.output("examined", report.examined.to_string());
    step.output("acted_on", report.actions.len().to_string());
    step.output("errors", report.errors.len().to_string());
    step.output("unreadable", report.unreadable.len().to_string());
    let verb = if report.dry_run {
        "would destroy"
    } else {
        "destroyed"
    };
    let mut summary = format!(
        "### idp: TTL sweep\n\n{} environment(s) examined, {} {verb}, {} error(s), {} unreadable record(s).\n",
        report.examined,
        report.actions.len(),
        report.errors.len(),
        report.unreadable.len()
    );
    if !report.actions.is_empty() {
        summary.push_str("\n| Environment | Why | Outcome |\n|---|---|---|\n");
        for a in &report.actions {
            let why = a.reason.code();
            let outcome = a.outcome.map_or("dry run", |o| o.code());
            summary.push_str(&format!(
                "| {} | {why} | {outcome} |\n",
                render::code_span(&a.name)
            ));
        }
    }
    if !report.unreadable.is_empty() {
        summary.push_str(
            "\nThese records cannot be read, so the sweep cannot tell whether they are due; each may be a running environment nobody cleans up. `idp migrate --dry-run` says why, field by field.\n\n| Record | Why |\n|---|---|\n",
        );
        for u in &report.unreadable {
            summary.push_str(&format!(
                "| {} | {} |\n",
                render::code_span(&u.key),
                render::code_span(&u.reason)
            ));
            step.command(&gha::annotation(
                "warning",
                &format!("{} cannot be read", u.key),
                &u.reason,
            ));
        }
    }
    for e in &report.errors {
        step.command(&gha::annotation(
            "error",
            &format!("destroy of {} failed", e.name),
            &e.message,
        ));
    }
    step.summary(&summary);
    step.finish()?;
    Ok(if report.errors.is_empty() {
        Code::Ok
    } else {
        Code::Failure
    })
}
