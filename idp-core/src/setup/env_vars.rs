//! Every environment variable idp reads, declared once with its meaning.
//!
//! Frontends and adapters read the environment only through these names, so the reference
//! documentation lists them all.
#![allow(
    clippy::disallowed_methods,
    reason = "this module is the one place that reads the environment"
)]

/// The names of the environment variables idp reads.
pub struct EnvVars;

impl EnvVars {
    /// The backend: `local` (default) or `aws`.
    pub const IDP_BACKEND: &'static str = "IDP_BACKEND";
    /// The directory of the local backend's state.
    pub const IDP_STATE_DIR: &'static str = "IDP_STATE_DIR";
    /// The S3 bucket of the AWS backend.
    pub const IDP_STATE_BUCKET: &'static str = "IDP_STATE_BUCKET";
    /// The DynamoDB lock table of the AWS backend.
    pub const IDP_LOCK_TABLE: &'static str = "IDP_LOCK_TABLE";
    /// The AWS region.
    pub const IDP_REGION: &'static str = "IDP_REGION";
    /// An AWS endpoint override (S3-compatible stores, moto in tests).
    pub const IDP_ENDPOINT_URL: &'static str = "IDP_ENDPOINT_URL";
    /// The moto endpoint the AWS test suites run against.
    pub const IDP_TEST_AWS_ENDPOINT: &'static str = "IDP_TEST_AWS_ENDPOINT";
    /// Set by CI systems; makes skipped AWS suites fail instead.
    pub const CI: &'static str = "CI";
    /// Disables colours.
    pub const NO_COLOR: &'static str = "NO_COLOR";
    /// The GitHub user that triggered a workflow run (the actor of GitOps changes).
    pub const GITHUB_ACTOR: &'static str = "GITHUB_ACTOR";
    /// The GitHub REST API base URL (GitHub Enterprise: `https://HOST/api/v3`); default
    /// `https://api.github.com`.
    pub const GITHUB_API_URL: &'static str = "GITHUB_API_URL";
    /// The token the GitHub forge authenticates with (set by GitHub Actions).
    pub const GITHUB_TOKEN: &'static str = "GITHUB_TOKEN";
    /// The token the GitHub forge authenticates with when `GITHUB_TOKEN` is not set (the `gh`
    /// CLI's variable).
    pub const GH_TOKEN: &'static str = "GH_TOKEN";
    /// The login name of the local user.
    pub const USER: &'static str = "USER";
    /// The base directory of user data files (XDG).
    pub const XDG_DATA_HOME: &'static str = "XDG_DATA_HOME";
    /// The user's home directory.
    pub const HOME: &'static str = "HOME";
}

/// Who is acting: `$GITHUB_ACTOR` in a workflow, else `$USER`, else `idp`.
pub fn actor() -> String {
    get(EnvVars::GITHUB_ACTOR)
        .or_else(|| get(EnvVars::USER))
        .unwrap_or_else(|| "idp".to_owned())
}

/// The local backend's default state directory: `$XDG_DATA_HOME/idp`, else
/// `$HOME/.local/share/idp`, else `./.idp-state`.
pub fn default_state_dir() -> std::path::PathBuf {
    if let Some(data) = get(EnvVars::XDG_DATA_HOME) {
        return std::path::Path::new(&data).join("idp");
    }
    match get(EnvVars::HOME) {
        Some(home) => std::path::Path::new(&home).join(".local/share/idp"),
        None => std::path::PathBuf::from(".idp-state"),
    }
}

/// The value of an environment variable, if set and valid UTF-8 and not empty.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
