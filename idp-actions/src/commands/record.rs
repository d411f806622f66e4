//! `idp-action record`: after the workflow's apply, store the template's outputs and mark the
//! environment `active` with its endpoint (or, with `--failed`, mark it `failed`).
//!
//! Sensitive outputs are masked in the log (`::add-mask::`) before anything else is printed,
//! and stored masked in `outputs.json`.

use std::path::PathBuf;

use idp_core::domain::naming::EnvName;
use idp_core::domain::render;
use idp_core::gitops::steps::{self, ApplyResult};
use idp_core::platform::Platform;
use idp_core::ports::provisioner::Outputs;

use super::{Failure, env_name};
use crate::exit::Code;
use crate::gha;
use crate::open;
use crate::step::Step;

/// `record` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The environment [default: `$IDP_ENVIRONMENT`].
    #[arg(long)]
    name: Option<String>,
    /// The `tofu output -json` document of the apply.
    #[arg(long, required_unless_present = "failed", conflicts_with = "failed")]
    outputs: Option<PathBuf>,
    /// The apply (or the build before it) failed.
    #[arg(long)]
    failed: bool,
}

/// Run `record`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let name = env_name(args.name.as_deref())?;
    let result = match &args.outputs {
        Some(path) => {
            let bytes = fs_err::read(path).map_err(|e| Failure::Io(e.to_string()))?;
            let outputs = Outputs::from_tofu_json(&bytes).map_err(|e| {
                Failure::Usage(format!(
                    "`{}` is not `tofu output -json` output: {e}",
                    path.display()
                ))
            })?;
            ApplyResult::Applied(outputs)
        }
        None => ApplyResult::Failed,
    };
    let platform = open::platform().await?;
    record(&mut step, &platform, &name, &result).await?;
    step.finish()?;
    Ok(Code::Ok)
}

/// Mask `result`'s sensitive outputs in the log, record it, and report the environment's
/// status and endpoint as outputs and summary (shared with `apply`).
pub(crate) async fn record(
    step: &mut Step,
    platform: &Platform,
    name: &EnvName,
    result: &ApplyResult,
) -> Result<(), Failure> {
    if let ApplyResult::Applied(outputs) = result {
        for output in outputs.names().filter(|n| outputs.is_sensitive(n)) {
            if let Some(secret) = outputs.secret(output) {
                let text = match secret.expose() {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                for mask in gha::masks(&text) {
                    step.command(&mask);
                }
            }
        }
    }
    let saved = steps::record(platform, name, result).await?;
    let meta = &saved.meta;
    step.output("environment", name.as_str());
    step.output("status", meta.status.as_str());
    step.output("endpoint", meta.endpoint.clone().unwrap_or_default());
    if let ApplyResult::Applied(outputs) = result {
        step.output("outputs", outputs.to_string());
    }
    let endpoint = meta
        .endpoint
        .as_deref()
        .and_then(render::safe_url)
        .map_or_else(|| "—".to_owned(), |u| format!("<{u}>"));
    step.summary(&format!(
        "### idp: {} is {}\n\n| | |\n|---|---|\n| Endpoint | {endpoint} |\n| Expires | {} |\n",
        render::code_span(name.as_str()),
        render::code_span(meta.status.as_str()),
        render::format_time(meta.expires_at),
    ));
    Ok(())
}
