//! The stored platform policy: one object, `platform/policy.json`, written with
//! compare-and-swap like the metadata, so two syncs at once never lose a write.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::layout::POLICY_KEY;
use crate::domain::policy::Policy;
use crate::error::{Error, Result};
use crate::ports::{Etag, ObjectStore, PutMode, StoreError};

/// The layout version of the stored policy.
pub const SCHEMA: u32 = 1;

/// The stored document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The policy.
    pub policy: Policy,
    /// The file it was read from, as the sync named it.
    pub source: String,
    /// Who stored it.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// The stored policy and its etag; `None` when no sync has stored one.
pub async fn load(store: &dyn ObjectStore) -> Result<Option<(StoredPolicy, Etag)>> {
    match store.get(POLICY_KEY).await {
        Ok(object) => {
            let doc: StoredPolicy =
                serde_json::from_slice(&object.bytes).map_err(|e| Error::CorruptState {
                    key: POLICY_KEY.to_owned(),
                    message: format!(
                        "{e}; run `idp budgets sync --policy platform.yml` to store it again"
                    ),
                })?;
            if doc.schema != SCHEMA {
                return Err(Error::CorruptState {
                    key: POLICY_KEY.to_owned(),
                    message: format!(
                        "schema `{}`, this idp reads `{SCHEMA}`; sync the policy with this version",
                        doc.schema
                    ),
                });
            }
            Ok(Some((doc, object.etag)))
        }
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The stored policy, or the empty one (no budgets, no admins) when none is stored.
pub async fn policy(store: &dyn ObjectStore) -> Result<Policy> {
    Ok(load(store)
        .await?
        .map(|(doc, _)| doc.policy)
        .unwrap_or_default())
}

/// Write `doc`: create-only when `previous` is `None`, else only over `previous`. Losing the
/// race is [`Error::Conflict`].
pub async fn save(
    store: &dyn ObjectStore,
    doc: &StoredPolicy,
    previous: Option<&Etag>,
) -> Result<Etag> {
    let bytes = serde_json::to_vec_pretty(doc).unwrap_or_default();
    let mode = match previous {
        None => PutMode::CreateOnly,
        Some(etag) => PutMode::IfMatch(etag.clone()),
    };
    match store.put(POLICY_KEY, Bytes::from(bytes), mode).await {
        Ok(etag) => Ok(etag),
        Err(
            StoreError::AlreadyExists { .. }
            | StoreError::PreconditionFailed { .. }
            | StoreError::NotFound { .. },
        ) => Err(Error::Conflict {
            name: POLICY_KEY.to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}
