//! `idp teams`: the problems of the team files as `idp validate` prints them, the teams found,
//! and the rendered objects as one multi-document YAML stream.

use idp_core::teams::TeamsReport;
use serde::Serialize;

use super::print::{diag, json, line, text_out};
use crate::cli::Output;

/// Every problem on stderr (`file:line:col: key `k`: message` + `hint:`), a count, and under
/// `--output json` the report on stdout.
pub(crate) fn teams_invalid(report: &TeamsReport, out: Output) {
    for e in &report.errors {
        diag(&e.to_string());
    }
    diag(&format!(
        "{}: {} problem(s) found",
        report.dir.display(),
        report.errors.len()
    ));
    if out == Output::Json {
        json(&Checked::of(report));
    }
}

/// The teams found valid.
pub(crate) fn teams_valid(report: &TeamsReport, out: Output) {
    if out == Output::Json {
        return json(&Checked::of(report));
    }
    if report.teams.is_empty() {
        return line(&format!(
            "{}: no team folders (each team is `<dir>/<team>/team.yaml`)",
            report.dir.display()
        ));
    }
    let names: Vec<&str> = report.teams.iter().map(|t| t.name.as_str()).collect();
    line(&format!(
        "{}: {} team(s) valid: {}",
        report.dir.display(),
        names.len(),
        names.join(", ")
    ));
}

/// The objects: YAML by default, the whole report under `--output json`.
pub(crate) fn teams_rendered(report: &TeamsReport, out: Output) {
    match out {
        Output::Json => json(report),
        Output::Human => text_out(&report.to_yaml()),
    }
}

/// What `idp teams validate -o json` prints: no objects.
#[derive(Serialize)]
struct Checked<'a> {
    dir: &'a std::path::Path,
    valid: bool,
    teams: &'a [idp_core::domain::kubernetes::teams::Team],
    errors: &'a [idp_core::domain::config::ConfigError],
}

impl<'a> Checked<'a> {
    fn of(report: &'a TeamsReport) -> Self {
        Self {
            dir: &report.dir,
            valid: report.valid,
            teams: &report.teams,
            errors: &report.errors,
        }
    }
}
