//! Order bundles: one order's secret environment, encrypted with age for one run, beside a
//! manifest that lists the variable names only.
//!
//! A run generates its own X25519 identity ([`RunKey::generate`]); [`seal`] encrypts each
//! order's variables to that identity's recipient (age's binary format, the plaintext a JSON
//! object of names to values) and [`open`] decrypts them. The identity never leaves the
//! [`RunKey`] value: it has no serialization, and its `Debug` shows only the public recipient.
//! Whoever keeps the bundles (the state store) therefore cannot read them without the process
//! that holds the key; where that key lives is the caller's choice (see `runs`).

use std::collections::BTreeMap;
use std::fmt;

use age::secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The manifest's `schema`.
pub const MANIFEST_SCHEMA: u32 = 1;

/// The manifest's `format`: age v1, binary, one X25519 recipient.
pub const FORMAT: &str = "age-v1-x25519";

/// A run's age identity. Exists only in the memory of the process that generated it.
pub struct RunKey {
    identity: age::x25519::Identity,
}

impl RunKey {
    /// A new random identity.
    pub fn generate() -> Self {
        Self {
            identity: age::x25519::Identity::generate(),
        }
    }

    /// Its public recipient (`age1…`), safe to store and print.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// The identity as age writes it (`AGE-SECRET-KEY-1…`), for a caller that wraps it (for
    /// example with a KMS key) to hand it to another process.
    pub fn to_secret(&self) -> Secret<String> {
        Secret::new(self.identity.to_string().expose_secret().to_owned())
    }

    /// Reads an identity written by [`RunKey::to_secret`].
    pub fn from_secret(text: &Secret<String>) -> Result<Self, BundleError> {
        text.expose()
            .parse::<age::x25519::Identity>()
            .map(|identity| Self { identity })
            .map_err(|_| BundleError::BadKey)
    }
}

impl fmt::Debug for RunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RunKey({})", self.recipient())
    }
}

/// What is stored in clear beside a bundle: who it is for and which variables it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_SCHEMA`].
    pub schema: u32,
    /// [`FORMAT`].
    pub format: String,
    /// The run.
    pub run_id: String,
    /// The order.
    pub order: String,
    /// The recipient the bundle is encrypted to (the run key's public half).
    pub recipient: String,
    /// The variable names, sorted; never their values.
    pub variables: Vec<String>,
}

/// An encrypted bundle and its manifest.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The clear part.
    pub manifest: Manifest,
    /// The age ciphertext.
    pub ciphertext: Vec<u8>,
}

/// A bundle that cannot be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// age refused to encrypt.
    #[error("cannot encrypt the bundle of order `{order}`: {reason}")]
    Encrypt { order: String, reason: String },
    /// The key is not the one the bundle was sealed for, or the ciphertext was altered.
    #[error("cannot decrypt the bundle of order `{order}` (sealed for `{recipient}`): {reason}")]
    Decrypt {
        order: String,
        recipient: String,
        reason: String,
    },
    /// The decrypted content is not what the manifest says.
    #[error("the bundle of order `{order}` does not match its manifest: {reason}")]
    Mismatch { order: String, reason: String },
    /// Not an age X25519 identity.
    #[error("not an age identity (`AGE-SECRET-KEY-1…`)")]
    BadKey,
}

/// Encrypts `env` (one order's secret variables) to `key`.
pub fn seal(
    key: &RunKey,
    run_id: &str,
    order: &str,
    env: &BTreeMap<String, Secret<String>>,
) -> Result<Bundle, BundleError> {
    let plain: BTreeMap<&str, &str> = env
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose().as_str()))
        .collect();
    let plaintext = serde_json::to_vec(&plain).map_err(|e| BundleError::Encrypt {
        order: order.to_owned(),
        reason: e.to_string(),
    })?;
    let ciphertext =
        age::encrypt(&key.identity.to_public(), &plaintext).map_err(|e| BundleError::Encrypt {
            order: order.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(Bundle {
        manifest: Manifest {
            schema: MANIFEST_SCHEMA,
            format: FORMAT.to_owned(),
            run_id: run_id.to_owned(),
            order: order.to_owned(),
            recipient: key.recipient(),
            variables: env.keys().cloned().collect(),
        },
        ciphertext,
    })
}

/// Decrypts a bundle with `key`; its variables must be exactly the manifest's.
pub fn open(
    key: &RunKey,
    manifest: &Manifest,
    ciphertext: &[u8],
) -> Result<BTreeMap<String, Secret<String>>, BundleError> {
    let decrypt_error = |reason: String| BundleError::Decrypt {
        order: manifest.order.clone(),
        recipient: manifest.recipient.clone(),
        reason,
    };
    if manifest.format != FORMAT {
        return Err(decrypt_error(format!(
            "format `{}` is not `{FORMAT}`",
            manifest.format
        )));
    }
    let plaintext =
        age::decrypt(&key.identity, ciphertext).map_err(|e| decrypt_error(e.to_string()))?;
    let env: BTreeMap<String, String> =
        serde_json::from_slice(&plaintext).map_err(|_| BundleError::Mismatch {
            order: manifest.order.clone(),
            reason: "the content is not an object of variables".into(),
        })?;
    if !env.keys().eq(manifest.variables.iter()) {
        return Err(BundleError::Mismatch {
            order: manifest.order.clone(),
            reason: format!(
                "it holds {:?}, the manifest lists {:?}",
                env.keys().collect::<Vec<_>>(),
                manifest.variables
            ),
        });
    }
    Ok(env.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, Secret<String>> {
        [("DB_PASSWORD", "hunter2-very-secret"), ("TOKEN", "t0k3n")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Secret::new(v.to_owned())))
            .collect()
    }

    #[test]
    fn a_bundle_round_trips_and_keeps_only_names_in_clear() {
        let key = RunKey::generate();
        let bundle = seal(&key, "r-1", "plan", &env()).unwrap();
        assert_eq!(bundle.manifest.variables, ["DB_PASSWORD", "TOKEN"]);
        assert_eq!(bundle.manifest.recipient, key.recipient());
        assert!(bundle.ciphertext.starts_with(b"age-encryption.org/v1"));
        let clear = serde_json::to_string(&bundle.manifest).unwrap();
        for secret in ["hunter2-very-secret", "t0k3n"] {
            assert!(!clear.contains(secret));
            assert!(
                !bundle
                    .ciphertext
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes())
            );
        }
        let opened = open(&key, &bundle.manifest, &bundle.ciphertext).unwrap();
        assert_eq!(opened, env());
        assert!(format!("{key:?}").starts_with("RunKey(age1"));
        assert!(!format!("{key:?}").contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn another_runs_key_cannot_open_a_bundle() {
        let bundle = seal(&RunKey::generate(), "r-1", "plan", &env()).unwrap();
        let err = open(&RunKey::generate(), &bundle.manifest, &bundle.ciphertext).unwrap_err();
        assert!(matches!(err, BundleError::Decrypt { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("cannot decrypt the bundle of order `plan` (sealed for `age1"),
            "{err}"
        );
    }

    #[test]
    fn an_altered_bundle_or_manifest_is_refused() {
        let key = RunKey::generate();
        let mut bundle = seal(&key, "r-1", "plan", &env()).unwrap();
        let mut manifest = bundle.manifest.clone();
        manifest.variables.pop();
        assert!(matches!(
            open(&key, &manifest, &bundle.ciphertext),
            Err(BundleError::Mismatch { .. })
        ));
        if let Some(last) = bundle.ciphertext.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(
            open(&key, &bundle.manifest, &bundle.ciphertext),
            Err(BundleError::Decrypt { .. })
        ));
    }

    #[test]
    fn a_key_written_out_reads_back_as_the_same_key() {
        let key = RunKey::generate();
        let again = RunKey::from_secret(&key.to_secret()).unwrap();
        assert_eq!(again.recipient(), key.recipient());
        assert!(matches!(
            RunKey::from_secret(&Secret::new("nope".into())),
            Err(BundleError::BadKey)
        ));
        let bundle = seal(&key, "r", "o", &BTreeMap::new()).unwrap();
        assert!(
            open(&again, &bundle.manifest, &bundle.ciphertext)
                .unwrap()
                .is_empty()
        );
    }
}
