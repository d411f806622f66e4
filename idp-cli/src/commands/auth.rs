//! `idp auth login|logout|status`: the GitHub token `--via-github` uses.

use idp_core::error::Result;
use idp_core::setup::credentials::{self, CredentialStore};

use crate::cli::{AuthArgs, AuthCommand, Output};
use crate::exit::Code;
use crate::{credential_store, render};

pub(crate) fn run(args: &AuthArgs, out: Output) -> Result<Code> {
    // The OS store may block on D-Bus; keep that off the async workers.
    tokio::task::block_in_place(|| {
        let (store, warning) = credential_store::open();
        run_with(&*store, warning.as_deref(), args, out)
    })
}

fn run_with(
    store: &dyn CredentialStore,
    warning: Option<&str>,
    args: &AuthArgs,
    out: Output,
) -> Result<Code> {
    match &args.command {
        AuthCommand::Login(login) => {
            let text = if login.with_token {
                render::read_stdin()?
            } else {
                render::ask_token()?
            };
            let token = credentials::check_token(&text)?;
            if let Some(w) = warning {
                render::diag(&format!("warning: {w}"));
            }
            store.set(&token)?;
            render::auth_changed("logged_in", &store.describe(), out);
            Ok(Code::Ok)
        }
        AuthCommand::Logout => {
            let removed = store.delete()?;
            render::auth_changed(
                if removed { "logged_out" } else { "no-op" },
                &store.describe(),
                out,
            );
            Ok(Code::Ok)
        }
        AuthCommand::Status => {
            let found = credentials::token(store)?;
            let logged_in = found.is_some();
            render::auth_status(found.map(|(_, source)| source), &store.describe(), out);
            Ok(if logged_in { Code::Ok } else { Code::NotFound })
        }
    }
}
