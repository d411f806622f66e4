//! `idp serve` and `idp serve token create|list|revoke`.
//!
//! Serving handles its own signals (it is not run under `run_until_signal`): the first Ctrl-C or
//! SIGTERM stops taking work and waits for running operations; a second one ends at once.

use std::time::Duration;

use idp_core::access::{self, CreateTokenRequest};
use idp_core::domain::access::Role;
use idp_core::domain::ttl::Ttl;
use idp_core::error::{Error, Result};
use idp_core::secret::Secret;
use idp_core::setup::config_file;
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::settings::Key;
use idp_server::ServeOptions;

use crate::cli::{Cli, Output, RoleArg, ServeAction, ServeArgs, TokenAction, TokenCreateArgs};
use crate::exit::Code;
use crate::{open, render};

/// `idp serve token …`.
pub(crate) async fn token(cli: &Cli, action: &ServeAction, out: Output) -> Result<Code> {
    let ServeAction::Token(action) = action;
    let platform = open::platform(cli).await?;
    match action {
        TokenAction::Create(args) => {
            let created = access::create(&platform, create_request(args, &platform)?).await?;
            render::token_created(&created, out);
        }
        TokenAction::List => render::tokens(&access::list(&platform).await?, out),
        TokenAction::Revoke(args) => {
            render::token_revoked(&access::revoke(&platform, &args.id).await?, out);
        }
    }
    Ok(Code::Ok)
}

fn create_request(
    args: &TokenCreateArgs,
    platform: &idp_core::platform::Platform,
) -> Result<CreateTokenRequest> {
    let expires_in = match &args.expires {
        None => None,
        Some(text) => Some(Ttl::parse(text)?.duration()),
    };
    Ok(CreateTokenRequest {
        role: match args.role {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Developer => Role::Developer,
            RoleArg::Admin => Role::Admin,
        },
        owner: args
            .owner
            .clone()
            .unwrap_or_else(|| platform.settings.actor.clone()),
        expires_in,
        description: args.description.clone(),
    })
}

/// `idp serve`: serve until the first signal, then drain; a second signal ends at once.
pub(crate) async fn serve(cli: &Cli, args: &ServeArgs) -> Result<std::process::ExitCode> {
    let platform = open::platform(cli).await?;
    let settings = open::settings(cli)?;
    let config =
        config_file::load_with(args.config.as_deref(), &platform.settings.config_options())?;
    let options = ServeOptions {
        config,
        templates_dir: settings
            .get(Key::AwsTemplatesDir)
            .unwrap_or_default()
            .into(),
        runs_dir: args.runs_dir.clone().unwrap_or_else(|| ".".into()),
        webhook_secret: env_vars::get(EnvVars::IDP_WEBHOOK_SECRET).map(Secret::new),
        jwt_secret: env_vars::get(EnvVars::IDP_JWT_SECRET).map(Secret::new),
        cors_origins: args.cors_origins.clone(),
        rate_limit_per_minute: args.rate_limit,
        body_limit: args.max_body_kib as usize * 1024,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        follow_poll: Duration::from_secs(1),
        backend_label: settings.get(Key::Backend).unwrap_or("local").to_owned(),
    };
    let backend = options.backend_label.clone();
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let signal = idp_core::interrupt::next_signal().await;
        render::serve_stopping(signal.is_ok());
        let _ = first_tx.send(());
    };
    let serving = idp_server::serve(
        platform,
        options,
        args.listen,
        |addr| render::serve_listening(addr, &backend),
        shutdown,
    );
    tokio::pin!(serving);
    let second = async move {
        if first_rx.await.is_err() {
            return std::future::pending().await;
        }
        idp_core::interrupt::next_signal().await
    };
    tokio::select! {
        stopped = &mut serving => match stopped {
            Ok(stopped) => {
                render::serve_stopped(stopped.abandoned);
                Ok(if stopped.abandoned == 0 { Code::Ok } else { Code::Failure }.into())
            }
            Err(e) => Err(serve_error(e)),
        },
        signal = second => Ok(signal.map_or(std::process::ExitCode::FAILURE, |s| {
            std::process::ExitCode::from(s.exit_code())
        })),
    }
}

fn serve_error(e: idp_server::ServeError) -> Error {
    match e {
        idp_server::ServeError::Bind { addr, source } => Error::Io {
            path: addr.to_string().into(),
            source,
        },
        idp_server::ServeError::Serve(source) => Error::Io {
            path: "the HTTP server".into(),
            source,
        },
        e @ idp_server::ServeError::Cors(_) => Error::Refused {
            reason: "invalid_cors_origin".into(),
            message: e.to_string(),
        },
    }
}
