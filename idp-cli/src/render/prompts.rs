//! Questions on a terminal (confirmations, tokens); without a terminal, the flag that answers
//! them is required instead.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use idp_core::error::Error;
use std::io::IsTerminal;

/// Read all of standard input (`idp auth login --with-token`).
pub(crate) fn read_stdin() -> idp_core::error::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Io {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(text)
}

/// Ask for a token on a terminal; without one, require `--with-token`.
pub(crate) fn ask_token() -> idp_core::error::Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused {
            reason: "no_terminal".into(),
            message: "no terminal to ask for the token on: pipe it in with `--with-token`".into(),
        });
    }
    eprint!("Paste a GitHub token (scopes: repo, workflow): ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| Error::Io {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(answer)
}

/// Ask for confirmation on a terminal; without one, require `--yes`.
pub(crate) fn confirm(question: &str, yes: bool) -> idp_core::error::Result<()> {
    if yes {
        return Ok(());
    }
    let refuse = |message: &str| idp_core::error::Error::Refused {
        reason: "confirmation_required".into(),
        message: message.to_owned(),
    };
    if !std::io::stdin().is_terminal() {
        return Err(refuse(&format!(
            "{question} — no terminal to confirm on: pass `--yes`"
        )));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|_| refuse("could not read the answer"))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(refuse("cancelled"))
    }
}
