//! Every environment variable idp reads, declared once with its meaning.
//!
//! Frontends and adapters read the environment only through these names, so the reference
//! documentation lists them all.
#![allow(clippy::disallowed_methods, reason = "this module is the one place that reads the environment")]

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
}

/// The value of an environment variable, if set and valid UTF-8 and not empty.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
