//! Printing: data to stdout, diagnostics to stderr; JSON as one document with stable fields;
//! errors as `error:` plus `hint:` lines.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use crate::cli::Output;
use idp_core::error::Error;
use serde::Serialize;
use std::io::IsTerminal;

/// Print a JSON document on stdout.
pub(crate) fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => line(&text),
        Err(e) => eprintln!("error: cannot serialize the result: {e}"),
    }
}

/// Print a line of data on stdout.
pub(crate) fn line(text: &str) {
    text_out(&format!("{text}\n"));
}

/// Print text on stdout as is. When the reader has gone (`idp list | head -3`), stop quietly
/// with exit code 0 instead of failing on every later line: nobody is left to read them.
pub(crate) fn text_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// Print a diagnostic on stderr.
pub(crate) fn diag(text: &str) {
    eprintln!("{text}");
}

/// Say, on the first Ctrl-C or SIGTERM, that OpenTofu is being stopped cleanly.
pub(crate) fn interrupting() {
    eprintln!(
        "idp: stopping OpenTofu cleanly (it saves its state and releases its lock); press Ctrl-C again to stop at once"
    );
}

/// Whether stderr is a terminal that accepts colours (never with `NO_COLOR`).
pub(crate) fn color() -> bool {
    std::io::stderr().is_terminal()
        && idp_core::setup::env_vars::get(idp_core::setup::env_vars::EnvVars::NO_COLOR).is_none()
}

/// Print an error: `error: ...` plus `hint:` lines on stderr, and under `--output json` also an
/// `{"error": {"kind", "message", "hints"}}` document on stdout.
pub(crate) fn error(err: &Error, out: Output) {
    failure(err.kind().as_str(), &err.to_string(), &err.hints(), out);
}

/// Print a failure that is not an idp-core error (e.g. a setting that is not set), in the same
/// shape as [`error`]: `kind` must be one of the stable error kinds.
pub(crate) fn failure(kind: &str, message: &str, hints: &[String], out: Output) {
    let prefix = if color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    eprintln!("{prefix}: {message}");
    for hint in hints {
        eprintln!("  hint: {hint}");
    }
    if out == Output::Json {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Inner<'a>,
        }
        #[derive(Serialize)]
        struct Inner<'a> {
            kind: &'a str,
            message: String,
            hints: Vec<String>,
        }
        json(&Body {
            error: Inner {
                kind,
                message: message.to_owned(),
                hints: hints.to_vec(),
            },
        });
    }
}
