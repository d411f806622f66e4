//! One step's results: outputs, workflow commands and the step summary, written at the end.
//!
//! Outputs go to `GITHUB_OUTPUT` in one append (heredocs with a fresh random delimiter, see
//! [`crate::gha`]); outside a workflow (no `GITHUB_OUTPUT`) they are printed as JSON on stdout so
//! a person or script can read them. Workflow commands (`::error …`, `::add-mask::…`) go to
//! stdout as they are produced; the summary is appended to `GITHUB_STEP_SUMMARY`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "workflow commands go to stdout, diagnostics to stderr"
)]

use std::path::Path;

use idp_core::setup::env_vars::{self, EnvVars};

use crate::gha::{self, GhaError};

/// What a step reports.
#[derive(Debug, Default)]
pub(crate) struct Step {
    outputs: Vec<(String, String)>,
    summary: String,
}

impl Step {
    /// A step with nothing to report yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Set output `name` (a later value of the same name replaces the earlier one).
    pub(crate) fn output(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.outputs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.outputs.push((name.to_owned(), value)),
        }
    }

    /// Append Markdown to the step summary.
    pub(crate) fn summary(&mut self, markdown: &str) {
        self.summary.push_str(markdown);
    }

    /// Print a workflow command (an annotation, a mask) now.
    pub(crate) fn command(&self, line: &str) {
        println!("{line}");
    }

    /// Print a line of the log (a diagnostic).
    pub(crate) fn log(&self, line: &str) {
        eprintln!("{line}");
    }

    /// Write the outputs and the summary.
    pub(crate) fn finish(self) -> Result<(), GhaError> {
        let pairs: Vec<(&str, &str)> = self
            .outputs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        match env_vars::get(EnvVars::GITHUB_OUTPUT) {
            Some(path) => {
                let text = gha::render_outputs(&pairs, &gha::delimiter())?;
                gha::append(Path::new(&path), &text)?;
            }
            None => {
                let map: serde_json::Map<String, serde_json::Value> = self
                    .outputs
                    .iter()
                    .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                println!("{}", serde_json::Value::Object(map));
            }
        }
        if !self.summary.is_empty()
            && let Some(path) = env_vars::get(EnvVars::GITHUB_STEP_SUMMARY)
        {
            gha::append(Path::new(&path), &self.summary)?;
        }
        Ok(())
    }
}
