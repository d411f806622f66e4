//! `idp-action validate [PATH]`: check `.idp/config.yml`; every problem becomes an annotation at
//! its line and column, a step summary lists them, and the outputs `valid` and `template` are set.

use std::path::Path;

use idp_core::domain::config::ConfigErrors;

use super::{Failure, read_config};
use crate::exit::Code;
use crate::gha;
use crate::step::Step;

/// Report every config problem as an `::error file=…,line=…,col=…::` annotation (or a warning)
/// and return the summary lines.
pub(crate) fn annotate(step: &Step, errors: &ConfigErrors, level: &str) -> String {
    let mut summary = String::new();
    for e in errors.iter() {
        let message = format!("key `{}`: {} — {}", e.key, e.message, e.fix);
        let line = gha::error_annotation(&e.file, e.line, e.column, "invalid idp config", &message);
        step.command(&line.replacen("::error ", &format!("::{level} "), 1));
        summary.push_str(&format!(
            "- line {}, column {}: {}\n",
            e.line,
            e.column,
            idp_core::domain::render::message_markdown(&message.replace('\n', " "))
        ));
    }
    summary
}

/// Run `validate`.
pub(crate) fn run(path: &Path) -> Result<Code, Failure> {
    let mut step = Step::new();
    let found = read_config(Path::new(""), path, &crate::open::select()?)?;
    let file = found.name;
    if found.defaults {
        step.log(&format!("{file} does not exist: the defaults apply"));
    }
    let parsed = found.parsed;
    let template = parsed
        .as_ref()
        .map(|c| c.template.to_string())
        .unwrap_or_default();
    step.output("valid", if parsed.is_ok() { "true" } else { "false" });
    step.output("template", template);
    let code = match parsed {
        Ok(config) => {
            step.summary(&format!(
                "### ✅ {} is valid\n\nTemplate `{}`, port {}, TTL {}.\n",
                idp_core::domain::render::code_span(&file),
                config.template,
                config.container_port,
                config.ttl
            ));
            Code::Ok
        }
        Err(errors) => {
            step.summary(&format!(
                "### ❌ {}: {} problem(s)\n\n",
                idp_core::domain::render::code_span(&file),
                errors.len()
            ));
            let lines = annotate(&step, &errors, "error");
            step.summary(&lines);
            Code::Invalid
        }
    };
    step.finish()?;
    Ok(code)
}
