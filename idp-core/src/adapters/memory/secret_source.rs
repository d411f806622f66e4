//! The in-memory [`SecretSource`]: parameters and secrets put by the test or the embedding
//! program, read back as SSM and Secrets Manager answer.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::ports::secret_source::{SecretSource, SecretSourceError, SourcedValue};
use crate::secret::Secret;

/// The account and region of the ARNs [`MemorySecrets::put_secret`] returns.
const ARN_PREFIX: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:";

/// A [`SecretSource`] in process memory. Add values with [`MemorySecrets::put_parameter`] and
/// [`MemorySecrets::put_secret`].
#[derive(Debug, Default)]
pub struct MemorySecrets {
    parameters: Mutex<BTreeMap<String, String>>,
    /// By name: the value and the ARN.
    secrets: Mutex<BTreeMap<String, (String, String)>>,
}

impl MemorySecrets {
    /// No parameters, no secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets parameter `name` (a `String` or `SecureString`: both read back in clear).
    pub fn put_parameter(&self, name: &str, value: &str) {
        lock(&self.parameters).insert(name.to_owned(), value.to_owned());
    }

    /// Sets secret `name`; returns its ARN which, as in Secrets Manager, ends with `-` and six
    /// characters after the name.
    pub fn put_secret(&self, name: &str, value: &str) -> String {
        let mut secrets = lock(&self.secrets);
        let arn = format!("{ARN_PREFIX}{name}-{:06}", secrets.len() % 1_000_000);
        secrets.insert(name.to_owned(), (value.to_owned(), arn.clone()));
        arn
    }
}

fn value(name: &str, value: &str) -> SourcedValue {
    SourcedValue {
        name: name.to_owned(),
        value: Secret::new(value.to_owned()),
    }
}

#[async_trait]
impl SecretSource for MemorySecrets {
    async fn parameter(&self, name: &str) -> Result<SourcedValue, SecretSourceError> {
        lock(&self.parameters)
            .get(name)
            .map(|v| value(name, v))
            .ok_or_else(|| SecretSourceError::NotFound {
                what: "SSM parameter",
                name: name.to_owned(),
            })
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<SourcedValue>, SecretSourceError> {
        // SSM takes the path with or without its trailing `/` and matches whole segments.
        let prefix = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        let found: Vec<SourcedValue> = lock(&self.parameters)
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| value(k, v))
            .collect();
        if found.is_empty() {
            return Err(SecretSourceError::NotFound {
                what: "SSM path",
                name: path.to_owned(),
            });
        }
        Ok(found)
    }

    async fn secret(&self, id: &str) -> Result<SourcedValue, SecretSourceError> {
        let secrets = lock(&self.secrets);
        let by_name = secrets.get(id).map(|(v, _)| value(id, v));
        by_name
            .or_else(|| {
                secrets
                    .iter()
                    .find(|(_, (_, arn))| arn == id)
                    .map(|(name, (v, _))| value(name, v))
            })
            .ok_or_else(|| SecretSourceError::NotFound {
                what: "secret",
                name: id.to_owned(),
            })
    }
}
