//! `idp serve`: the platform's REST API (`/v1`), the GitHub webhook intake and the job runner's
//! `/init` intake, over axum.
//!
//! This crate is a frontend like the CLI: every route authenticates the caller, converts the
//! request into a use-case request of `idp-core`, calls one use case and renders its report as
//! JSON. Long operations (create, destroy, runs, webhook deliveries) run in the background and
//! are reported through `/v1/operations/{id}`. Errors are RFC 9457 problem documents carrying the
//! same stable `kind` codes as the CLI's JSON errors.
//!
//! ```text
//! lib.rs        ServeOptions, serve(), router()
//! state.rs      what every handler shares: the platform, operations, limits, metrics
//! auth.rs       Authorization: Bearer (idp tokens, HS256 JWTs), roles, the rate limit
//! problem.rs    RFC 9457 problem documents from idp-core errors
//! ops.rs        background operations and their records
//! model.rs      the API's wire types (its OpenAPI schemas)
//! openapi.rs    the OpenAPI 3.1 document
//! metrics.rs    Prometheus metrics
//! routes/       one file per resource
//! portal/       the web portal: pages over the same handlers, sessions, sign-in
//! ```

#![allow(
    clippy::result_large_err,
    reason = "a Problem is every handler's error and becomes the response as it is; boxing it would only move the allocation"
)]

mod auth;
mod metrics;
mod model;
mod openapi;
mod ops;
mod portal;
mod problem;
mod routes;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use idp_core::domain::config::Config;
use idp_core::platform::Platform;
use idp_core::secret::Secret;

pub use openapi::openapi_json;
pub use state::AppState;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The configuration environments are created with when a request gives none, and that
    /// webhook-driven previews use.
    pub config: Config,
    /// The directory of the template catalog (`infrastructure/templates`).
    pub templates_dir: PathBuf,
    /// Teams' own templates directories, listed after the platform's.
    pub team_templates_dirs: Vec<PathBuf>,
    /// The directory runs' orders start in.
    pub runs_dir: PathBuf,
    /// The GitHub webhook secret; without it the webhook route answers 503.
    pub webhook_secret: Option<Secret<String>>,
    /// The HS256 secret of JWTs (`Authorization: Bearer <jwt>`, `credentials_token`); without
    /// it JWTs are refused.
    pub jwt_secret: Option<Secret<String>>,
    /// Origins allowed by CORS; empty: no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Requests per minute per credential (at least 1).
    pub rate_limit_per_minute: u32,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a shutdown waits for operations in flight before it gives up on them.
    pub shutdown_timeout: Duration,
    /// How often a followed log stream polls.
    pub follow_poll: Duration,
    /// The backend's name in `/healthz` and `/readyz` (`local`, `aws`, `memory`).
    pub backend_label: String,
    /// The URL people reach the portal at (`https://idp.example.com` behind a TLS proxy):
    /// cookies are `Secure` when it is HTTPS, and GitHub sends sign-ins back to it. `None`: the
    /// request's `Host`, over plain HTTP.
    pub public_url: Option<String>,
    /// How long a portal session lasts.
    pub session_lifetime: Duration,
    /// Signing in to the portal with GitHub; `None`: API tokens only.
    pub github: Option<GithubLogin>,
}

/// Signing in with GitHub: the OAuth App, and which GitHub users, teams and organizations get
/// which role (anyone no rule matches may not sign in).
#[derive(Debug, Clone)]
pub struct GithubLogin {
    /// The OAuth App.
    pub oauth: Arc<idp_core::adapters::github::oauth::GithubOAuth>,
    /// The role rules (`admin=alice`, `developer=acme/platform`, `viewer=acme/*`).
    pub roles: idp_core::domain::access::RoleRules,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            config: Config::default(),
            templates_dir: PathBuf::from("infrastructure/templates"),
            team_templates_dirs: Vec::new(),
            runs_dir: PathBuf::from("."),
            webhook_secret: None,
            jwt_secret: None,
            cors_origins: Vec::new(),
            rate_limit_per_minute: 600,
            body_limit: 5 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(90),
            follow_poll: Duration::from_secs(1),
            backend_label: "local".to_owned(),
            public_url: None,
            session_lifetime: Duration::from_secs(12 * 3600),
            github: None,
        }
    }
}

/// The error of [`serve`].
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while serving.
    #[error("the server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// A CORS origin is not a valid header value.
    #[error("CORS origin `{0}` is not valid: give an origin such as `https://portal.example.com`")]
    Cors(String),
}

/// What a finished [`serve`] reports.
#[derive(Debug, Clone)]
pub struct Stopped {
    /// Operations that were still running when the shutdown timeout passed.
    pub abandoned: usize,
}

/// Serves until `shutdown` resolves, then stops accepting connections and new work, asks
/// running operations to stop cleanly (OpenTofu gets SIGINT, leases are released) and waits for
/// them at most [`ServeOptions::shutdown_timeout`]. `on_bound` is called with the bound
/// address (the port of `:0`) before the first request is served.
pub async fn serve(
    platform: Platform,
    options: ServeOptions,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Stopped, ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(ServeError::Serve)?;
    let timeout = options.shutdown_timeout;
    let state = Arc::new(AppState::new(platform, options));
    let app = router(state.clone())?;
    on_bound(bound);
    let draining = state.clone();
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        draining.begin_drain();
    });
    served.await.map_err(ServeError::Serve)?;
    let abandoned = state.finish_in_flight(timeout).await;
    Ok(Stopped { abandoned })
}

/// The application: every route with its layers, over `state`.
pub fn router(state: Arc<AppState>) -> Result<axum::Router, ServeError> {
    routes::router(state)
}
