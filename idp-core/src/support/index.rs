//! The environment index in the state store: kept up to date with every metadata write, read
//! with the markers of writes in flight, checked in full against a listing of the metadata
//! objects by every sweep, rebuilt when missing, corrupt or asked to.
//!
//! Reading one object per environment costs one request each (on S3 20–50 ms; moto serves about
//! 240 a second), so `list` and `sweep --dry-run` read the index at
//! [`INDEX_KEY`](crate::domain::layout::INDEX_KEY) instead ([`load`]): one GET, and one LIST of
//! [`PENDING_PREFIX`](crate::domain::layout::PENDING_PREFIX), which is empty unless a writer
//! is at work or died between its metadata write and its index update. Only the environments
//! named there are read again; the index is repaired by compare-and-swap and the settled markers
//! removed. Two requests whatever the number of environments.
//!
//! Rows of records that could not be read are read again by every load, so a record corrected
//! by hand, or one an earlier idp could not read (the original platform's layout), is never kept
//! hidden by its row.
//!
//! A sweep that acts ([`load_checked`]) also lists `environments/` (1,000 keys a page) and
//! compares every row with its `metadata.json`'s etag, so rows written around idp (by hand, or
//! by a tool that leaves no marker) are repaired within one sweep.
//!
//! [`record`] is called by [`state::save`](crate::support::state::save), the only writer of
//! metadata, after each successful write: it sets the environment's row by If-Match on the
//! index's etag and retries on conflict, so concurrent writers never lose each other's rows.

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::domain::index::{Entry, EnvIndex, Intent};
use crate::domain::layout::{self, INDEX_KEY, PENDING_PREFIX};
use crate::domain::legacy;
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::{Etag, ObjectStore, PutMode, StoreError};
use crate::support::state;

/// How often [`record`] re-reads the index and retries after losing a compare-and-swap.
pub const INDEX_ATTEMPTS: usize = 64;

/// How often [`rebuild`] starts over when the index changed while it was being rebuilt.
const REBUILD_ATTEMPTS: usize = 4;

/// What reading the index found and cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Markers of metadata writes in flight (or left by a writer that died).
    pub pending: usize,
    /// Markers removed because their write was over.
    pub settled: usize,
    /// Metadata objects in the listing (a full check only).
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

/// Read the index, and read again only the environments that a marker says are being (or were
/// last) written; repair their rows and remove the settled markers. A missing or unreadable index
/// is built as [`load_checked`] does.
///
/// A healthy index costs 1 GET and 1 LIST, whatever the number of environments.
///
/// This is the one write a read command may make: the repaired or built index is written back
/// (and settled markers removed) so the next reader pays two requests again. [`peek`] reads the
/// same rows and writes nothing.
pub async fn load(platform: &Platform) -> Result<Verified> {
    load_with(platform, Persist::Yes).await
}

/// [`load`] without any write: the rows are verified the same way, but a repaired or missing
/// index is not written back and no marker is removed (`--dry-run`).
pub async fn peek(platform: &Platform) -> Result<Verified> {
    load_with(platform, Persist::No).await
}

/// Whether reading the index may write it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persist {
    Yes,
    No,
}

async fn load_with(platform: &Platform, persist: Persist) -> Result<Verified> {
    let store = &*platform.backend.store;
    let (current, intents) = futures::try_join!(read(store), pending(store))?;
    let Current::Index(mut index, previous) = current else {
        // The markers were listed with the index read, before the metadata listing that
        // follows: they can be judged against it, so neither is asked for again.
        return checked_from(platform, persist, Some((current, intents))).await;
    };
    let mut stats = IndexStats {
        pending: intents.len(),
        ..IndexStats::default()
    };
    let unreadable = unreadable_rows(&index);
    if intents.is_empty() && unreadable.is_empty() {
        return Ok(Verified { index, stats });
    }
    let names: Vec<EnvName> = intents
        .iter()
        .map(|(_, intent)| intent.name.clone())
        .chain(unreadable)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    stats.reread = names.len();
    let mut changed = false;
    for (name, found) in fetch_all(platform, names).await? {
        changed |= match found {
            Some((etag, entry)) => index.set(&name, etag.as_str(), entry),
            None => index.rows.remove(name.as_str()).is_some(),
        };
    }
    if persist == Persist::No {
        return Ok(Verified { index, stats });
    }
    if changed {
        stats.written = write(store, &index, PutMode::IfMatch(previous)).await;
    }
    if stats.written || !changed {
        stats.settled = settle(store, &index, intents).await;
    }
    Ok(Verified { index, stats })
}

/// Read the index and check every row against a listing of the metadata objects; repair the
/// rows that do not match (reading only those metadata objects) or rebuild a missing or
/// unreadable index. Used by a sweep that acts.
///
/// Costs 1 GET, 1 LIST of the markers and ceil(K / 1000) LISTs, K being the number of objects
/// under `environments/`.
pub async fn load_checked(platform: &Platform) -> Result<Verified> {
    checked(platform, Persist::Yes).await
}

async fn checked(platform: &Platform, persist: Persist) -> Result<Verified> {
    checked_from(platform, persist, None).await
}

/// [`checked`], with the index and markers already read (in that order, or together) when the
/// caller has them.
async fn checked_from(
    platform: &Platform,
    persist: Persist,
    read_already: Option<(Current, Vec<(String, Intent)>)>,
) -> Result<Verified> {
    let store = &*platform.backend.store;
    let (current, intents, listed) = match read_already {
        Some((current, intents)) => (current, intents, listed_metadata(store).await?),
        None => {
            // Markers first: a marker is judged settled only against a metadata etag seen
            // after it.
            let intents = pending(store).await?;
            let (current, listed) = futures::try_join!(read(store), listed_metadata(store))?;
            (current, intents, listed)
        }
    };
    let (mut index, previous) = match current {
        Current::Missing if listed.is_empty() => return Ok(Verified::default()),
        Current::Missing => return build(platform, listed, None, intents, persist).await,
        Current::Corrupt(etag) => {
            return build(platform, listed, Some(etag), intents, persist).await;
        }
        Current::Index(index, etag) => (index, etag),
    };
    let check = index.check(listed.iter().map(|(name, etag)| (name, etag.as_str())));
    let mut stats = IndexStats {
        pending: intents.len(),
        listed: listed.len(),
        fresh: check.fresh,
        ..IndexStats::default()
    };
    let unreadable = unreadable_rows(&index);
    if check.is_clean() && unreadable.is_empty() {
        if persist == Persist::Yes {
            stats.settled = settle(store, &index, intents).await;
        }
        return Ok(Verified { index, stats });
    }
    let mut again = check.stale;
    again.extend(
        check
            .vanished
            .iter()
            .filter_map(|name| EnvName::parse(name).ok()),
    );
    for name in unreadable {
        if !again.contains(&name) {
            again.push(name);
        }
    }
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
    if persist == Persist::No {
        return Ok(Verified { index, stats });
    }
    stats.written = write(store, &index, PutMode::IfMatch(previous)).await;
    if stats.written {
        stats.settled = settle(store, &index, intents).await;
    }
    Ok(Verified { index, stats })
}

/// Rebuild the index from every metadata object, whatever it holds now (`idp sweep --reindex`).
pub async fn rebuild(platform: &Platform) -> Result<Verified> {
    let store = &*platform.backend.store;
    let mut last = Verified::default();
    for _ in 0..REBUILD_ATTEMPTS {
        let intents = pending(store).await?;
        let previous = match store.head(INDEX_KEY).await {
            Ok(meta) => Some(meta.etag),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let listed = listed_metadata(store).await?;
        last = build(platform, listed, previous, intents, Persist::Yes).await?;
        if last.stats.written {
            break;
        }
    }
    Ok(last)
}

/// Build the index from every metadata object, as [`rebuild`] does, and write nothing
/// (`idp sweep --reindex --dry-run`, `idp migrate --dry-run`).
pub async fn scan(platform: &Platform) -> Result<Verified> {
    let store = &*platform.backend.store;
    let intents = pending(store).await?;
    let listed = listed_metadata(store).await?;
    build(platform, listed, None, intents, Persist::No).await
}

/// Set `meta`'s row to what was just written at `etag`, by compare-and-swap on the index,
/// retrying on conflict. Called after every metadata write.
///
/// A missing or unreadable index is left alone: the next reader builds it from the metadata, and
/// the writer's marker stays until then (a build that listed the metadata just before this write
/// would otherwise write a stale row that nothing marks). Failures are logged, not returned: the
/// metadata write already succeeded, and the marker, which stays, makes the next reader repair
/// the row. Returns whether the index holds this write (so the marker can go).
pub async fn record(store: &dyn ObjectStore, meta: &Metadata, etag: &Etag) -> bool {
    for attempt in 0..INDEX_ATTEMPTS {
        let current = match store.get(INDEX_KEY).await {
            Ok(object) => object,
            Err(StoreError::NotFound { .. }) => return false,
            Err(e) => {
                tracing::warn!(env = %meta.name, error = %e, "reading the environment index failed; the next list repairs it");
                return false;
            }
        };
        let Ok(mut index) = EnvIndex::from_json(&current.bytes) else {
            return false;
        };
        if !index.set_record(meta, etag.as_str()) {
            return true;
        }
        match store
            .put(
                INDEX_KEY,
                Bytes::from(index.to_json()),
                PutMode::IfMatch(current.etag),
            )
            .await
        {
            Ok(_) => return true,
            Err(e) if e.is_conflict() || e.is_not_found() => backoff(attempt).await,
            Err(e) if e.is_retryable() => backoff(attempt).await,
            Err(e) => {
                tracing::warn!(env = %meta.name, error = %e, "updating the environment index failed; the next list repairs it");
                return false;
            }
        }
    }
    tracing::warn!(env = %meta.name, "the environment index stayed contended; the next list repairs it");
    false
}

/// Leave the marker of a metadata write of `name` over `over` (`None`: a create); returns its
/// key, for [`forget`] once the write and its index row are done.
pub async fn intend(
    store: &dyn ObjectStore,
    name: &EnvName,
    over: Option<&Etag>,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key = Intent::key(name, over.map(Etag::as_str), &id);
    store.put(&key, Bytes::new(), PutMode::Overwrite).await?;
    Ok(key)
}

/// Remove a marker left by [`intend`]. A failure is logged: a marker left behind costs the next
/// reader one metadata read, and is removed by it.
pub async fn forget(store: &dyn ObjectStore, key: &str) {
    match store.delete(key).await {
        Ok(()) | Err(StoreError::NotFound { .. }) => {}
        Err(e) => {
            tracing::warn!(key, error = %e, "removing a write marker failed; the next list removes it")
        }
    }
}

/// The environments whose row says their record could not be read. They are read again by
/// every load: the record may have been corrected since, or was written in a layout an earlier
/// idp could not read (the original platform's), and a row must not keep it hidden.
fn unreadable_rows(index: &EnvIndex) -> Vec<EnvName> {
    index
        .rows
        .iter()
        .filter(|(_, row)| matches!(row.entry, Entry::Unreadable(_)))
        .filter_map(|(name, _)| EnvName::parse(name).ok())
        .collect()
}

/// Every marker of a metadata write in flight, with its key.
async fn pending(store: &dyn ObjectStore) -> Result<Vec<(String, Intent)>> {
    Ok(store
        .list_all(PENDING_PREFIX)
        .await?
        .into_iter()
        .filter_map(|object| Intent::parse(&object.key).map(|intent| (object.key, intent)))
        .collect())
}

/// Remove the markers whose write is over, judged against `index`, whose rows for their
/// environments were read after the markers were listed. Returns how many were removed.
async fn settle(
    store: &dyn ObjectStore,
    index: &EnvIndex,
    intents: Vec<(String, Intent)>,
) -> usize {
    let done: Vec<String> = intents
        .into_iter()
        .filter(|(_, intent)| {
            let current = index
                .rows
                .get(intent.name.as_str())
                .map(|row| row.etag.as_str());
            intent.settled(current)
        })
        .map(|(key, _)| key)
        .collect();
    let count = done.len();
    stream::iter(done)
        .for_each_concurrent(8, |key| async move { forget(store, &key).await })
        .await;
    count
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
            (object.key == layout::metadata_key(&name)).then_some((name, object.etag))
        })
        .collect())
}

/// Build an index from every listed metadata object and write it (create-only over nothing,
/// else If-Match over `previous`).
async fn build(
    platform: &Platform,
    listed: Vec<(EnvName, Etag)>,
    previous: Option<Etag>,
    intents: Vec<(String, Intent)>,
    persist: Persist,
) -> Result<Verified> {
    let mut stats = IndexStats {
        pending: intents.len(),
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
    if persist == Persist::No {
        return Ok(Verified { index, stats });
    }
    let mode = previous.map_or(PutMode::CreateOnly, PutMode::IfMatch);
    let store = &*platform.backend.store;
    stats.written = write(store, &index, mode).await;
    if stats.written {
        stats.settled = settle(store, &index, intents).await;
    }
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
            let key = layout::metadata_key(&name);
            match store.get(&key).await {
                Ok(object) => {
                    let entry =
                        match legacy::read_record(&object.bytes, &name, object.last_modified) {
                            Ok(meta) => {
                                Entry::record(state::with_legacy_endpoint(store, meta).await)
                            }
                            Err(e) => Entry::Unreadable(e.reason),
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
    match store
        .put(INDEX_KEY, Bytes::from(index.to_json()), mode)
        .await
    {
        Ok(_) => true,
        Err(e) if e.is_conflict() || e.is_not_found() => false,
        Err(e) => {
            tracing::warn!(error = %e, "writing the environment index failed; it is rebuilt on a later read");
            false
        }
    }
}
