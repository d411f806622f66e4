//! Where the GitHub token of `idp auth login` is kept, behind one trait so frontends can use
//! the OS credential store where there is one, a private file where there is not (a headless
//! Linux machine has no Secret Service), and memory in tests.
//!
//! Lookup order for a token ([`token`]): `GH_TOKEN`, then `GITHUB_TOKEN`, then the store — the
//! same as `gh`, so a CI job's token always wins over a developer's stored one.
#![allow(
    clippy::disallowed_methods,
    reason = "the file store reads and writes its file; token variables come from the environment"
)]

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::secret::Secret;
use crate::setup::env_vars::{self, EnvVars};

/// The service name under which the token is stored in an OS credential store.
pub const SERVICE: &str = "idp";
/// The account name under which the token is stored in an OS credential store.
pub const ACCOUNT: &str = "github.com";
/// Token variables, in the order they are consulted.
pub const TOKEN_VARS: [&str; 2] = [EnvVars::GH_TOKEN, EnvVars::GITHUB_TOKEN];

/// A failure of a credential store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The store cannot be used on this machine (no Secret Service, access denied).
    #[error("the {store} is not available: {message}")]
    Unavailable {
        store: String,
        /// Why.
        message: String,
    },
    /// The file store's file could not be read or written.
    #[error("cannot access `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl From<CredentialError> for crate::error::Error {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::Io { path, source } => crate::error::Error::Io { path, source },
            other => crate::error::Error::Refused {
                reason: "credential_store_unavailable".into(),
                message: other.to_string(),
            },
        }
    }
}

/// Somewhere one GitHub token can be kept.
pub trait CredentialStore: Debug + Send + Sync {
    /// What the store is, for messages: `OS credential store`, `file /path`, `memory`.
    fn describe(&self) -> String;
    /// The stored token, if any.
    fn get(&self) -> Result<Option<Secret<String>>, CredentialError>;
    /// Store `token`, replacing any previous one.
    fn set(&self, token: &Secret<String>) -> Result<(), CredentialError>;
    /// Remove the token; `Ok(false)` when there was none.
    fn delete(&self) -> Result<bool, CredentialError>;
}

/// A store in memory, for tests.
#[derive(Default)]
pub struct MemoryStore(Mutex<Option<String>>);

impl Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore(****)")
    }
}

impl CredentialStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".to_owned()
    }
    fn get(&self) -> Result<Option<Secret<String>>, CredentialError> {
        Ok(self
            .0
            .lock()
            .map(|t| t.clone().map(Secret::new))
            .unwrap_or(None))
    }
    fn set(&self, token: &Secret<String>) -> Result<(), CredentialError> {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(token.expose().clone());
        }
        Ok(())
    }
    fn delete(&self) -> Result<bool, CredentialError> {
        Ok(self
            .0
            .lock()
            .map(|mut t| t.take().is_some())
            .unwrap_or(false))
    }
}

/// A file holding the token, readable and writable by its owner only (mode 0600).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store in `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The default file: `$IDP_CREDENTIALS_FILE`, else `<config dir>/github-token`.
    pub fn default_path() -> PathBuf {
        env_vars::get(EnvVars::IDP_CREDENTIALS_FILE)
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::setup::settings::config_dir().join("github-token"))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> CredentialError {
        CredentialError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl CredentialStore for FileStore {
    fn describe(&self) -> String {
        format!("file `{}`", self.path.display())
    }

    fn get(&self) -> Result<Option<Secret<String>>, CredentialError> {
        match fs_err::read_to_string(&self.path) {
            Ok(text) => {
                let token = text.trim();
                Ok((!token.is_empty()).then(|| Secret::new(token.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    fn set(&self, token: &Secret<String>) -> Result<(), CredentialError> {
        use std::io::Write as _;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir).map_err(|e| self.io(e))?;
        // NamedTempFile is created with mode 0600 on Unix; the rename keeps the mode, so the
        // token is never readable by others, not even for a moment.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io(e))?;
        writeln!(tmp, "{}", token.expose()).map_err(|e| self.io(e))?;
        tmp.persist(&self.path).map_err(|e| self.io(e.error))?;
        Ok(())
    }

    fn delete(&self) -> Result<bool, CredentialError> {
        match fs_err::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io(e)),
        }
    }
}

/// Where a token came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenSource {
    /// An environment variable.
    Env {
        /// Its name.
        variable: String,
    },
    /// A credential store.
    Store {
        /// [`CredentialStore::describe`].
        store: String,
    },
}

/// The token from `GH_TOKEN`, `GITHUB_TOKEN` or `store`, in that order.
pub fn token(
    store: &dyn CredentialStore,
) -> Result<Option<(Secret<String>, TokenSource)>, CredentialError> {
    for var in TOKEN_VARS {
        if let Some(t) = env_vars::get(var) {
            return Ok(Some((
                Secret::new(t),
                TokenSource::Env {
                    variable: var.to_owned(),
                },
            )));
        }
    }
    Ok(store.get()?.map(|t| {
        (
            t,
            TokenSource::Store {
                store: store.describe(),
            },
        )
    }))
}

/// Check a token's shape before storing it: one line of printable ASCII without spaces.
pub fn check_token(token: &str) -> Result<Secret<String>, crate::error::Error> {
    let token = token.trim();
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(crate::error::Error::Refused {
            reason: "invalid_token".into(),
            message: "the token must be one line of printable characters without spaces: paste a GitHub token (`ghp_...`, `github_pat_...`)".into(),
        });
    }
    Ok(Secret::new(token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_store_keeps_the_token_private_and_forgets_it_on_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("idp/github-token"));
        assert!(store.get().unwrap().is_none());
        store.set(&Secret::new("ghp_abc".to_owned())).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "ghp_abc");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs_err::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.delete().unwrap());
        assert!(!store.delete().unwrap());
    }

    #[test]
    fn the_memory_store_replaces_the_token() {
        let store = MemoryStore::default();
        store.set(&Secret::new("a".to_owned())).unwrap();
        store.set(&Secret::new("b".to_owned())).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "b");
        assert!(store.delete().unwrap());
        assert!(store.get().unwrap().is_none());
    }

    #[test]
    fn a_token_with_spaces_or_nothing_in_it_is_refused() {
        assert!(check_token("  \n").is_err());
        assert!(check_token("ghp a").is_err());
        assert_eq!(check_token(" ghp_x\n").unwrap().expose(), "ghp_x");
    }
}
