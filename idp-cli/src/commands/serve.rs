//! `idp serve` and `idp serve token create|list|revoke`.
//!
//! Serving handles its own signals (it is not run under `run_until_signal`): the first Ctrl-C or
//! SIGTERM stops taking work and waits for running operations; a second one ends at once.

use std::time::Duration;

use idp_core::access::{self, CreateTokenRequest};
use idp_core::adapters::github::oauth::GithubOAuth;
use idp_core::domain::access::{Role, RoleRules};
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
        team_templates_dirs: idp_core::setup::open::team_templates_dirs(&settings),
        runs_dir: args.runs_dir.clone().unwrap_or_else(|| ".".into()),
        webhook_secret: env_vars::get(EnvVars::IDP_WEBHOOK_SECRET).map(Secret::new),
        jwt_secret: env_vars::get(EnvVars::IDP_JWT_SECRET).map(Secret::new),
        cors_origins: args.cors_origins.clone(),
        rate_limit_per_minute: args.rate_limit,
        body_limit: args.max_body_kib as usize * 1024,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        follow_poll: Duration::from_secs(1),
        backend_label: settings.get(Key::Backend).unwrap_or("local").to_owned(),
        public_url: public_url(args.public_url.as_deref())?,
        session_lifetime: Ttl::parse(&args.session_lifetime)?
            .duration()
            .to_std()
            .unwrap_or(Duration::from_secs(12 * 3600)),
        github: github_login(args)?,
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

fn refused(reason: &str, message: String) -> Error {
    Error::Refused {
        reason: reason.to_owned(),
        message,
    }
}

/// `--public-url`: an `http(s)://` URL without a path.
fn public_url(url: Option<&str>) -> Result<Option<String>> {
    let Some(url) = url else { return Ok(None) };
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => {
            Ok(Some(url.to_owned()))
        }
        _ => Err(refused(
            "invalid_public_url",
            format!(
                "`--public-url {}` is not a URL such as `https://idp.example.com` (scheme and host, no path)",
                url.escape_debug()
            ),
        )),
    }
}

/// Signing in with GitHub: `--github-client-id` with `IDP_GITHUB_CLIENT_SECRET` and at least one
/// `--github-role`; none of them: off.
fn github_login(args: &ServeArgs) -> Result<Option<idp_server::GithubLogin>> {
    let secret = env_vars::get(EnvVars::IDP_GITHUB_CLIENT_SECRET);
    let Some(client_id) = args.github_client_id.clone() else {
        if !args.github_roles.is_empty() {
            return Err(refused(
                "incomplete_github_login",
                "`--github-role` needs `--github-client-id` (and `IDP_GITHUB_CLIENT_SECRET`)"
                    .to_owned(),
            ));
        }
        return Ok(None);
    };
    let Some(secret) = secret else {
        return Err(refused(
            "incomplete_github_login",
            "`--github-client-id` needs the OAuth App's client secret in `IDP_GITHUB_CLIENT_SECRET`"
                .to_owned(),
        ));
    };
    let roles =
        RoleRules::parse(&args.github_roles).map_err(|m| refused("invalid_github_role", m))?;
    if roles.is_empty() {
        return Err(refused(
            "incomplete_github_login",
            "`--github-client-id` needs at least one `--github-role ROLE=WHO`, e.g. `--github-role admin=alice`: without one nobody could sign in".to_owned(),
        ));
    }
    let oauth = GithubOAuth::new(
        client_id,
        Secret::new(secret),
        &args.github_url,
        &args.github_api_url,
    )
    .map_err(|e| refused("invalid_github_login", e.to_string()))?;
    Ok(Some(idp_server::GithubLogin {
        oauth: std::sync::Arc::new(oauth),
        roles,
    }))
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
