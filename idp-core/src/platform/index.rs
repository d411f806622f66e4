//! The environment index in the state store: kept up to date with every metadata write, read
//! verified against a listing of the metadata objects, rebuilt when missing, corrupt or asked to.
//!
//! Reading one object per environment costs one request each (on S3 20–50 ms; moto serves about
//! 240 a second), so `list` and `sweep` read the index at
//! [`INDEX_KEY`](crate::domain::layout::INDEX_KEY) instead: one GET, plus the paged LIST of
//! `environments/` (1,000 keys a page) that carries every `metadata.json`'s etag. A row whose
//! etag matches the listed one is trusted as it is; only the other environments' metadata is read
//! again, and the repaired index is written back by compare-and-swap. The metadata objects stay
//! the source of truth, so an index left stale by a crash between a metadata write and its index
//! update (or written by an older idp) never shows a wrong record: it costs a few extra reads
//! once.
//!
//! [`record`] is called by [`state::save`](crate::platform::state::save), the only writer of
//! metadata, after each successful write: it sets the environment's row by If-Match on the
//! index's etag and retries on conflict, so concurrent writers never lose each other's rows.

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::domain::index::{Entry, EnvIndex};
use crate::domain::layout::{self, INDEX_KEY};
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::{Etag, ObjectStore, PutMode, StoreError};

/// How often [`record`] re-reads the index and retries after losing a compare-and-swap.
pub const INDEX_ATTEMPTS: usize = 64;

/// How often [`rebuild`] starts over when the index changed while it was being rebuilt.
const REBUILD_ATTEMPTS: usize = 4;

/// What reading the index found and cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Metadata objects in the listing.
    pub listed: usize,
    /// Rows whose etag matched the listing (trusted without reading their metadata).
    pub fresh: usize,
    /// Metadata objects read because their row was missing, stale or vanished.
    pub reread: usize,
    /// Whether the index was missing, unreadable or asked to be rebuilt.
    pub rebuilt: bool,
    /// Whether the index was written back.
    pub written: bool,
}

/// The index after verification: every row matches its metadata object as listed.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// The rows.
    pub index: EnvIndex,
    /// What it cost.
    pub stats: IndexStats,
}

/// Read the index and check it against a listing of the metadata objects; repair the rows that
/// do not match (reading only those metadata objects) or rebuild a missing or unreadable index.
///
/// A healthy index of N environments costs 1 GET and ceil(K / 1000) LISTs, K being the number of
/// objects under `environments/`.
pub async fn load(platform: &Platform) -> Result<Verified> {
    let store = &*platform.backend.store;
    let (current, listed) = futures::try_join!(read(store), listed_metadata(store))?;
    let (mut index, previous) = match current {
        Current::Missing if listed.is_empty() => return Ok(Verified::default()),
        Current::Missing => return build(platform, listed, None).await,
        Current::Corrupt(etag) => return build(platform, listed, Some(etag)).await,
        Current::Index(index, etag) => (index, etag),
    };
    let check = index.check(listed.iter().map(|(name, etag)| (name, etag.as_str())));
    let mut stats = IndexStats {
        listed: listed.len(),
        fresh: check.fresh,
        ..IndexStats::default()
    };
    if check.is_clean() {
        return Ok(Verified { index, stats });
    }
    let mut again = check.stale;
    again.extend(
        check
            .vanished
            .iter()
            .filter_map(|name| EnvName::parse(name).ok()),
    );
    // A row under a name that is not an environment name can only be dropped.
    index.rows.retain(|name, _| EnvName::parse(name).is_ok());
    stats.reread = again.len();
    for (name, found) in fetch_all(platform, again).await? {
        match found {
            Some((etag, entry)) => {
                index.set(&name, etag.as_str(), entry);
            }
            None => {
                index.rows.remove(name.as_str());
            }
        }
    }
    stats.written = write(store, &index, PutMode::IfMatch(previous)).await;
    Ok(Verified { index, stats })
}

/// Rebuild the index from every metadata object, whatever it holds now (`idp sweep --reindex`).
pub async fn rebuild(platform: &Platform) -> Result<Verified> {
    let store = &*platform.backend.store;
    let mut last = Verified::default();
    for _ in 0..REBUILD_ATTEMPTS {
        let previous = match store.head(INDEX_KEY).await {
            Ok(meta) => Some(meta.etag),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let listed = listed_metadata(store).await?;
        last = build(platform, listed, previous).await?;
        if last.stats.written {
            break;
        }
    }
    Ok(last)
}

/// Set `meta`'s row to what was just written at `etag`, by compare-and-swap on the index,
/// retrying on conflict. Called after every metadata write.
///
/// A missing or unreadable index is left alone: the next reader builds it from the metadata.
/// Failures are logged, not returned: the metadata write already succeeded, and a row left
/// stale is repaired by the next read.
pub async fn record(store: &dyn ObjectStore, meta: &Metadata, etag: &Etag) {
    for attempt in 0..INDEX_ATTEMPTS {
        let current = match store.get(INDEX_KEY).await {
            Ok(object) => object,
            Err(StoreError::NotFound { .. }) => return,
            Err(e) => {
                tracing::warn!(env = %meta.name, error = %e, "reading the environment index failed; the next list repairs it");
                return;
            }
        };
        let Ok(mut index) = EnvIndex::from_json(&current.bytes) else {
            return;
        };
        if !index.set_record(meta, etag.as_str()) {
            return;
        }
        match store
            .put(
                INDEX_KEY,
                Bytes::from(index.to_json()),
                PutMode::IfMatch(current.etag),
            )
            .await
        {
            Ok(_) => return,
            Err(e) if e.is_conflict() || e.is_not_found() => backoff(attempt).await,
            Err(e) if e.is_retryable() => backoff(attempt).await,
            Err(e) => {
                tracing::warn!(env = %meta.name, error = %e, "updating the environment index failed; the next list repairs it");
                return;
            }
        }
    }
    tracing::warn!(env = %meta.name, "the environment index stayed contended; the next list repairs it");
}

/// Wait a little before retrying, more after each attempt, with jitter so that writers that
/// collided do not collide again.
async fn backoff(attempt: usize) {
    let ceiling_ms = 2u64.saturating_pow(attempt.min(7) as u32).clamp(2, 100);
    let jitter = uuid::Uuid::new_v4().as_u128() as u64 % ceiling_ms;
    tokio::time::sleep(std::time::Duration::from_millis(1 + jitter)).await;
}

/// The index object as found.
enum Current {
    Missing,
    Corrupt(Etag),
    Index(EnvIndex, Etag),
}

async fn read(store: &dyn ObjectStore) -> Result<Current> {
    match store.get(INDEX_KEY).await {
        Ok(object) => Ok(match EnvIndex::from_json(&object.bytes) {
            Ok(index) => Current::Index(index, object.etag),
            Err(e) => {
                tracing::warn!(error = %e, "rebuilding the environment index");
                Current::Corrupt(object.etag)
            }
        }),
        Err(StoreError::NotFound { .. }) => Ok(Current::Missing),
        Err(e) => Err(e.into()),
    }
}

/// Every `environments/{name}/metadata.json` with its etag, from the paged listing.
async fn listed_metadata(store: &dyn ObjectStore) -> Result<Vec<(EnvName, Etag)>> {
    Ok(store
        .list_all(layout::ENVIRONMENTS_PREFIX)
        .await?
        .into_iter()
        .filter_map(|object| {
            let name = layout::env_of_key(&object.key)?;
            (object.key == layout::metadata_key(&name, None)).then_some((name, object.etag))
        })
        .collect())
}

/// Build an index from every listed metadata object and write it (create-only over nothing,
/// else If-Match over `previous`).
async fn build(
    platform: &Platform,
    listed: Vec<(EnvName, Etag)>,
    previous: Option<Etag>,
) -> Result<Verified> {
    let mut stats = IndexStats {
        listed: listed.len(),
        reread: listed.len(),
        rebuilt: true,
        ..IndexStats::default()
    };
    let mut index = EnvIndex::new();
    for (name, found) in fetch_all(platform, listed.into_iter().map(|(n, _)| n).collect()).await? {
        if let Some((etag, entry)) = found {
            index.set(&name, etag.as_str(), entry);
        }
    }
    let mode = previous.map_or(PutMode::CreateOnly, PutMode::IfMatch);
    stats.written = write(&*platform.backend.store, &index, mode).await;
    Ok(Verified { index, stats })
}

/// Read these environments' metadata (bounded concurrency); `None` for one that is gone.
async fn fetch_all(
    platform: &Platform,
    names: Vec<EnvName>,
) -> Result<Vec<(EnvName, Option<(Etag, Entry)>)>> {
    let store = &*platform.backend.store;
    stream::iter(names)
        .map(|name| async move {
            let key = layout::metadata_key(&name, None);
            match store.get(&key).await {
                Ok(object) => {
                    let entry = match Metadata::from_json(&object.bytes) {
                        Ok(meta) => Entry::Record(meta),
                        Err(e) => Entry::Unreadable(e.to_string()),
                    };
                    Ok((name, Some((object.etag, entry))))
                }
                Err(StoreError::NotFound { .. }) => Ok((name, None)),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(platform.settings.read_concurrency.max(1))
        .try_collect()
        .await
        .map_err(Into::into)
}

/// Write the index under `mode`; whether it was written. Losing the race is fine (someone
/// else's index is at least as fresh and is verified by its next reader); other failures are
/// logged, since the caller's answer is already right.
async fn write(store: &dyn ObjectStore, index: &EnvIndex, mode: PutMode) -> bool {
    match store.put(INDEX_KEY, Bytes::from(index.to_json()), mode).await {
        Ok(_) => true,
        Err(e) if e.is_conflict() || e.is_not_found() => false,
        Err(e) => {
            tracing::warn!(error = %e, "writing the environment index failed; it is rebuilt on a later read");
            false
        }
    }
}
