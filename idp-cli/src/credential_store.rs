//! Choosing where `idp auth` keeps the GitHub token: the OS credential store (Keychain,
//! Windows Credential Manager, the Secret Service) through the `keyring` crate, or — where
//! there is none, as on a headless Linux machine without D-Bus — a file with mode 0600.

use idp_core::secret::Secret;
use idp_core::setup::credentials::{ACCOUNT, CredentialError, CredentialStore, FileStore, SERVICE};
use idp_core::setup::env_vars::{self, EnvVars};

/// The OS credential store.
#[derive(Debug)]
pub(crate) struct KeyringStore;

fn unavailable(e: keyring::Error) -> CredentialError {
    CredentialError::Unavailable {
        store: "OS credential store".into(),
        message: e.to_string(),
    }
}

impl KeyringStore {
    fn entry() -> Result<keyring::Entry, CredentialError> {
        keyring::Entry::new(SERVICE, ACCOUNT).map_err(unavailable)
    }

    /// Whether the OS store can be used here.
    pub(crate) fn available() -> Result<(), String> {
        keyring::Entry::store_status()
            .as_ref()
            .map_err(ToString::to_string)
            .map(|_| ())
    }
}

impl CredentialStore for KeyringStore {
    fn describe(&self) -> String {
        "OS credential store".to_owned()
    }
    fn get(&self) -> Result<Option<Secret<String>>, CredentialError> {
        match Self::entry()?.get_password() {
            Ok(t) => Ok(Some(Secret::new(t))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
    fn set(&self, token: &Secret<String>) -> Result<(), CredentialError> {
        Self::entry()?
            .set_password(token.expose())
            .map_err(unavailable)
    }
    fn delete(&self) -> Result<bool, CredentialError> {
        match Self::entry()?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// The store to use, and a warning when it is the file because the OS store is missing.
///
/// `IDP_CREDENTIALS_FILE` or `IDP_CREDENTIAL_STORE=file` choose the file; `keyring` forces the
/// OS store; otherwise the OS store is used when it is available.
pub(crate) fn open() -> (Box<dyn CredentialStore>, Option<String>) {
    let file = || Box::new(FileStore::new(FileStore::default_path()));
    let forced = env_vars::get(EnvVars::IDP_CREDENTIAL_STORE);
    if env_vars::get(EnvVars::IDP_CREDENTIALS_FILE).is_some() || forced.as_deref() == Some("file") {
        return (file(), None);
    }
    if forced.as_deref() == Some("keyring") {
        return (Box::new(KeyringStore), None);
    }
    match KeyringStore::available() {
        Ok(()) => (Box::new(KeyringStore), None),
        Err(why) => {
            let store = file();
            let warning = format!(
                "no OS credential store is available ({why}); the token is kept in {} (mode 0600) instead",
                store.describe()
            );
            (store, Some(warning))
        }
    }
}
