//! `list`: every environment's record, read concurrently (bounded), in a stable order.

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::domain::layout;
use crate::domain::lifecycle::{Metadata, Status};
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::StoreError;

/// What to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRequest {
    /// Include destroyed environments (tombstones).
    pub all: bool,
}

/// Every environment, sorted by name, plus the records that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// The environments.
    pub environments: Vec<Metadata>,
    /// Metadata objects that exist but do not parse (key and reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// A metadata object that could not be parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    /// Its key.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// List environments.
pub async fn list(platform: &Platform, req: ListRequest) -> Result<ListReport> {
    let store = &platform.backend.store;
    let keys: Vec<String> = store
        .list_all(layout::ENVIRONMENTS_PREFIX)
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| {
            layout::env_of_key(k).is_some_and(|name| *k == layout::metadata_key(&name, None))
        })
        .collect();
    let fetched: Vec<(String, Option<bytes::Bytes>)> = stream::iter(keys)
        .map(|key| async move {
            match store.get(&key).await {
                Ok(object) => Ok((key, Some(object.bytes))),
                // Deleted between the listing and the read.
                Err(StoreError::NotFound { .. }) => Ok((key, None)),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(platform.settings.read_concurrency.max(1))
        .try_collect()
        .await?;
    let mut environments = Vec::new();
    let mut unreadable = Vec::new();
    for (key, bytes) in fetched {
        let Some(bytes) = bytes else { continue };
        match Metadata::from_json(&bytes) {
            Ok(meta) if req.all || meta.status != Status::Destroyed => environments.push(meta),
            Ok(_) => {}
            Err(e) => unreadable.push(Unreadable {
                key,
                reason: e.to_string(),
            }),
        }
    }
    environments.sort_by(|a, b| a.name.cmp(&b.name));
    unreadable.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(ListReport {
        environments,
        unreadable,
    })
}
