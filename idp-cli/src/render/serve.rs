//! `idp serve`: what it says on stderr while serving, and its tokens.
#![allow(
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use std::net::SocketAddr;

use idp_core::access::{CreatedToken, TokenInfo};
use serde::Serialize;

use super::print::{diag, json, line};
use super::tables::table;
use crate::cli::Output;

/// The first line of `idp serve`, once the address is bound (scripts read the address from it).
pub(crate) fn serve_listening(addr: SocketAddr, backend: &str) {
    diag(&format!(
        "idp serve: listening on http://{addr} (backend {backend}); Ctrl-C stops"
    ));
}

/// The first signal: what happens now.
pub(crate) fn serve_stopping(signalled: bool) {
    if signalled {
        diag(
            "idp serve: stopping: no new work is taken; waiting for running operations (Ctrl-C again ends at once)",
        );
    }
}

/// The end of serving.
pub(crate) fn serve_stopped(abandoned: usize) {
    if abandoned == 0 {
        diag("idp serve: stopped");
    } else {
        diag(&format!(
            "idp serve: stopped with {abandoned} operations still running; their leases expire by themselves, `idp unlock NAME` breaks one now"
        ));
    }
}

#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    info: &'a TokenInfo,
    /// The token text, shown this once.
    token: &'a str,
}

/// `idp serve token create`: the token, once.
pub(crate) fn token_created(created: &CreatedToken, out: Output) {
    if out == Output::Json {
        return json(&Created {
            info: &created.info,
            token: created.token.expose(),
        });
    }
    let info = &created.info;
    line(created.token.expose());
    diag(&format!(
        "Token `{}` ({} for `{}`{}). It is shown this once and stored only as a hash: keep it in a secret store.",
        info.id,
        info.role,
        info.owner,
        info.expires_at
            .map_or_else(String::new, |at| format!(", expires {}", at.to_rfc3339())),
    ));
}

/// `idp serve token list`.
pub(crate) fn tokens(tokens: &[TokenInfo], out: Output) {
    if out == Output::Json {
        return json(&tokens);
    }
    if tokens.is_empty() {
        return line("No tokens. Create one with `idp serve token create --role admin`.");
    }
    let mut t = table(&["ID", "ROLE", "OWNER", "CREATED", "EXPIRES", "DESCRIPTION"]);
    for info in tokens {
        t.add_row(vec![
            info.id.clone(),
            info.role.to_string(),
            info.owner.clone(),
            info.created_at.format("%Y-%m-%d %H:%M").to_string(),
            info.expires_at.map_or_else(
                || "never".to_owned(),
                |at| at.format("%Y-%m-%d %H:%M").to_string(),
            ),
            info.description.clone().unwrap_or_default(),
        ]);
    }
    line(&t.to_string());
}

/// `idp serve token revoke`.
pub(crate) fn token_revoked(info: &TokenInfo, out: Output) {
    if out == Output::Json {
        return json(info);
    }
    line(&format!(
        "Revoked token `{}` ({} for `{}`).",
        info.id, info.role, info.owner
    ));
}
