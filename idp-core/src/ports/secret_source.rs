//! The `SecretSource` port: reads the SSM parameters and Secrets Manager secrets an order names
//! (`ssm_paths`, `secret_manager_paths`), decrypted, when a run starts.
//!
//! Values come back as [`Secret`]s, so they are never printed by accident; errors name the
//! parameter or secret, never its value. A parameter or secret that does not exist is
//! [`SecretSourceError::NotFound`], never an empty value.

use std::fmt::Debug;

use async_trait::async_trait;

use super::BoxError;
use crate::secret::Secret;

/// One parameter or secret, with the name the service gives it (a secret asked for by ARN
/// comes back with its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedValue {
    /// The full parameter name (`/app/prod/db-password`) or secret name (`prod/db-creds`).
    pub name: String,
    /// The value, decrypted.
    pub value: Secret<String>,
}

/// What went wrong reading a parameter or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretSourceError {
    /// No such parameter, no parameter under a path, or no such secret.
    #[error(
        "{what} `{name}` does not exist (or is not readable with these credentials): create it or remove it from the order"
    )]
    NotFound {
        /// `SSM parameter`, `SSM path` or `secret`.
        what: &'static str,
        name: String,
    },
    /// The value cannot be given to a process (a binary secret).
    #[error("{what} `{name}` cannot be used: {reason}")]
    Unsupported {
        what: &'static str,
        name: String,
        reason: String,
    },
    /// This backend has no source of parameters and secrets.
    #[error(
        "this backend reads no {what} (`{name}`): run with the AWS backend (`--backend aws`), or give the value in `secrets`"
    )]
    NoSource { what: &'static str, name: String },
    /// The service could not be reached or refused for now.
    #[error("{backend} is unavailable{}", if *retryable { "; retry later" } else { "" })]
    Unavailable {
        backend: &'static str,
        retryable: bool,
        #[source]
        source: BoxError,
    },
    /// Any other failure of the service.
    #[error("{backend} failed")]
    Backend {
        backend: &'static str,
        #[source]
        source: BoxError,
    },
}

/// Reads SSM parameters and Secrets Manager secrets.
#[async_trait]
pub trait SecretSource: Debug + Send + Sync + 'static {
    /// The parameter called `name`, decrypted (a `SecureString` comes back in clear). A missing
    /// one MUST be [`SecretSourceError::NotFound`] with `what` = `SSM parameter`.
    async fn parameter(&self, name: &str) -> Result<SourcedValue, SecretSourceError>;

    /// Every parameter under `path` (which ends with `/`), at any depth, decrypted, sorted by
    /// name, across every page of the service's answers. A path with no parameter MUST be
    /// [`SecretSourceError::NotFound`] with `what` = `SSM path`.
    async fn parameters_by_path(&self, path: &str) -> Result<Vec<SourcedValue>, SecretSourceError>;

    /// The current value of the secret `id` (a name or an ARN), with the secret's name. A
    /// missing one MUST be [`SecretSourceError::NotFound`] with `what` = `secret`; a binary
    /// secret is [`SecretSourceError::Unsupported`].
    async fn secret(&self, id: &str) -> Result<SourcedValue, SecretSourceError>;
}

/// The source of a backend without parameters or secrets (the local backend): every read is
/// [`SecretSourceError::NoSource`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecretSource;

#[async_trait]
impl SecretSource for NoSecretSource {
    async fn parameter(&self, name: &str) -> Result<SourcedValue, SecretSourceError> {
        Err(SecretSourceError::NoSource {
            what: "SSM parameter",
            name: name.to_owned(),
        })
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<SourcedValue>, SecretSourceError> {
        Err(SecretSourceError::NoSource {
            what: "SSM path",
            name: path.to_owned(),
        })
    }

    async fn secret(&self, id: &str) -> Result<SourcedValue, SecretSourceError> {
        Err(SecretSourceError::NoSource {
            what: "secret",
            name: id.to_owned(),
        })
    }
}
