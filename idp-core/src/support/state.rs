//! Reading and writing an environment's state objects, with compare-and-swap on metadata.

use bytes::Bytes;

use crate::domain::layout;
use crate::domain::legacy;
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::error::{Error, Result};
use crate::ports::{Etag, ObjectStore, PutMode, StoreError};
use crate::support::index;

/// How often a compare-and-swap update re-reads and retries before giving up with
/// [`Error::Conflict`].
pub const CAS_ATTEMPTS: usize = 16;

/// An environment's metadata together with the etag it was read at.
#[derive(Debug, Clone)]
pub struct Versioned {
    /// The metadata.
    pub meta: Metadata,
    /// The etag of `metadata.json` when it was read; the next write must match it.
    pub etag: Etag,
}

/// Read `environments/{name}/metadata.json` in any layout idp knows
/// ([`legacy::read_record`]); `None` when there is none, [`Error::UnreadableRecord`] when it
/// cannot be read.
pub async fn load(store: &dyn ObjectStore, name: &EnvName) -> Result<Option<Versioned>> {
    let key = layout::metadata_key(name);
    match store.get(&key).await {
        Ok(object) => {
            let meta = legacy::read_record(&object.bytes, name, object.last_modified).map_err(
                |source| Error::UnreadableRecord {
                    name: name.to_string(),
                    key: key.clone(),
                    reason: source.reason,
                },
            )?;
            keys(&meta)?;
            let meta = with_legacy_endpoint(store, meta).await;
            Ok(Some(Versioned {
                meta,
                etag: object.etag,
            }))
        }
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The keys of `meta`'s state, outputs and tfvars ([`Metadata::keys`]): a region-scoped record
/// whose region is not a region code is [`Error::UnreadableRecord`], never read from elsewhere.
pub(crate) fn keys(meta: &Metadata) -> Result<layout::EnvKeys> {
    meta.keys().map_err(|e| Error::UnreadableRecord {
        name: meta.name.to_string(),
        key: layout::metadata_key(&meta.name),
        reason: format!("field `region`: {e}"),
    })
}

/// Read the metadata of an environment that must exist.
pub async fn load_existing(store: &dyn ObjectStore, name: &EnvName) -> Result<Versioned> {
    load(store, name).await?.ok_or_else(|| Error::NotFound {
        name: name.to_string(),
    })
}

/// Write metadata: create-only when `previous` is `None`, else only if the object still has
/// `previous`'s etag. Losing the race is [`Error::Conflict`]; the caller re-reads.
///
/// The write is bracketed by a marker ([`index::intend`]) so that readers of the index know it
/// is in flight; after the write the environment's row in the index is set to the new record
/// and etag ([`index::record`], compare-and-swap with retries) and the marker removed. A writer
/// that dies in between leaves the marker, and the next reader repairs the row. This is the only
/// writer of metadata. It always writes the current layout: a record read from an earlier one is
/// migrated by its first write ([`Metadata::for_writing`]), over the etag it was read at, so a
/// concurrent writer of the old layout makes this write lose and the caller re-read.
pub async fn save(
    store: &dyn ObjectStore,
    meta: &Metadata,
    previous: Option<&Etag>,
) -> Result<Versioned> {
    let meta = &meta.for_writing();
    let key = layout::metadata_key(&meta.name);
    let mode = match previous {
        None => PutMode::CreateOnly,
        Some(etag) => PutMode::IfMatch(etag.clone()),
    };
    let marker = index::intend(store, &meta.name, previous).await?;
    match store.put(&key, Bytes::from(meta.to_json()), mode).await {
        Ok(etag) => {
            if index::record(store, meta, &etag).await {
                index::forget(store, &marker).await;
            }
            Ok(Versioned {
                meta: meta.clone(),
                etag,
            })
        }
        Err(
            StoreError::AlreadyExists { .. }
            | StoreError::PreconditionFailed { .. }
            | StoreError::NotFound { .. },
        ) => {
            index::forget(store, &marker).await;
            Err(Error::Conflict {
                name: meta.name.to_string(),
            })
        }
        // The write may or may not have landed: the marker stays for the next reader.
        Err(e) => Err(e.into()),
    }
}

/// Apply `change` to the current metadata and write it back with compare-and-swap, re-reading
/// and re-applying on conflict (at most [`CAS_ATTEMPTS`] times). `change` sees the freshest
/// record each time, so it re-decides rather than overwriting someone else's write; it returns
/// `Ok(false)` to write nothing.
pub async fn update<F>(store: &dyn ObjectStore, name: &EnvName, mut change: F) -> Result<Versioned>
where
    F: FnMut(&mut Metadata) -> Result<bool> + Send,
{
    for _ in 0..CAS_ATTEMPTS {
        let current = load_existing(store, name).await?;
        let mut next = current.meta.clone();
        if !change(&mut next)? {
            return Ok(current);
        }
        match save(store, &next, Some(&current.etag)).await {
            Ok(saved) => return Ok(saved),
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict {
        name: name.to_string(),
    })
}

/// Write a JSON document next to the metadata (outputs, tfvars), overwriting.
pub async fn put_json(store: &dyn ObjectStore, key: &str, value: &serde_json::Value) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    store
        .put(key, Bytes::from(bytes), PutMode::Overwrite)
        .await?;
    Ok(())
}

/// Read a JSON document; `None` when absent.
pub async fn get_json(store: &dyn ObjectStore, key: &str) -> Result<Option<serde_json::Value>> {
    match store.get(key).await {
        Ok(object) => serde_json::from_slice(&object.bytes)
            .map(Some)
            .map_err(|e| Error::CorruptState {
                key: key.to_owned(),
                message: e.to_string(),
            }),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The endpoint of a record of the original platform, which keeps it only in `outputs.json`
/// (`tofu output -json`: `{"endpoint": {"value": …}}`); `meta` is returned as it is otherwise.
/// An unreadable or absent `outputs.json` leaves the endpoint unknown.
pub async fn with_legacy_endpoint(store: &dyn ObjectStore, mut meta: Metadata) -> Metadata {
    if meta.legacy.is_none() || meta.endpoint.is_some() {
        return meta;
    }
    // A record of the original platform has no region of its own: its outputs are flat.
    if let Ok(Some(outputs)) = get_json(store, &layout::outputs_key(&meta.name, None)).await {
        let endpoint = outputs.get("endpoint");
        meta.endpoint = endpoint
            .and_then(|e| e.get("value").or(Some(e)))
            .and_then(serde_json::Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
    }
    meta
}
