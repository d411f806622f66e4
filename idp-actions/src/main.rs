//! `idp-action`: idp's steps for GitHub Actions.
//!
//! `idp-action validate [PATH]` checks `.idp/config.yml` and reports every problem as an
//! `::error file=…,line=…,col=…::` annotation on the pull request, plus a step summary.

mod gha;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use idp_core::domain::config::Config;

/// idp's steps for GitHub Actions.
#[derive(Debug, Parser)]
#[command(name = "idp-action", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the repository's `.idp/config.yml`; every problem becomes an annotation.
    ///
    /// Exits 0 when valid (or absent: the defaults apply), 2 when not.
    Validate {
        /// The config file.
        #[arg(default_value = ".idp/config.yml")]
        path: PathBuf,
    },
}

#[allow(clippy::print_stdout, clippy::print_stderr, reason = "workflow commands go to stdout")]
fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { path } => {
            let file = path.display().to_string();
            let text = match fs_err::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    println!("{file} does not exist: the defaults apply");
                    return ExitCode::SUCCESS;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            };
            let parsed = Config::from_yaml(&text, &file);
            let template = parsed.as_ref().map(|c| c.template.to_string()).unwrap_or_default();
            let valid = if parsed.is_ok() { "true" } else { "false" };
            if let Some(path) = idp_core::env_vars::get("GITHUB_OUTPUT") {
                let written = gha::render_outputs(&[("valid", valid), ("template", &template)], &gha::delimiter())
                    .and_then(|text| gha::append(std::path::Path::new(&path), &text));
                if let Err(e) = written {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
            let (code, summary) = match parsed {
                Ok(config) => (
                    ExitCode::SUCCESS,
                    format!(
                        "### ✅ `{}` is valid\n\nTemplate `{}`, port {}, TTL {}.\n",
                        gha::escape_data(&file),
                        config.template,
                        config.container_port,
                        config.ttl
                    ),
                ),
                Err(errors) => {
                    let mut summary = format!("### ❌ `{}`: {} problem(s)\n\n", gha::escape_data(&file), errors.len());
                    for e in errors.iter() {
                        let message = format!("key `{}`: {} — {}", e.key, e.message, e.fix);
                        println!("{}", gha::error_annotation(&e.file, e.line, e.column, "invalid idp config", &message));
                        summary.push_str(&format!("- line {}, column {}: {}\n", e.line, e.column, message.replace('\n', " ")));
                    }
                    (ExitCode::from(2), summary)
                }
            };
            let summary_file = idp_core::env_vars::get("GITHUB_STEP_SUMMARY");
            if let Some(Err(e)) = summary_file.map(|path| gha::append(std::path::Path::new(&path), &summary)) {
                eprintln!("warning: {e}");
            }
            code
        }
    }
}
