//! The in-memory [`ObjectStore`]: a sorted map behind a mutex, with S3's conditional-write and
//! pagination semantics.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;

use super::lock;
use crate::ports::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};

/// S3 returns at most 1,000 keys per `ListObjectsV2` page.
const DEFAULT_PAGE_SIZE: usize = 1000;

#[derive(Debug)]
struct Entry {
    bytes: Bytes,
    etag: Etag,
    /// When it was written (wall clock, as S3 would stamp it).
    modified: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<String, Entry>,
    /// Counts writes; every write gets a fresh etag from it.
    writes: u64,
}

/// An [`ObjectStore`] in process memory.
///
/// Etags come from a write counter, so they change on every write, even of identical bytes
/// (stricter than S3, whose etag is the content's MD5). Listings are sorted by key in byte order
/// and paginated like S3 `ListObjectsV2` (1,000 keys a page unless [`MemoryStore::with_page_size`]
/// says otherwise); the continuation token is the last key returned, so keys written during a
/// listing after the current position show up.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    page_size: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store with S3's page size of 1,000.
    pub fn new() -> Self {
        Self::with_page_size(DEFAULT_PAGE_SIZE)
    }

    /// An empty store whose listings return at most `page_size` keys a page (at least 1).
    pub fn with_page_size(page_size: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            page_size: page_size.max(1),
        }
    }
}

fn check_key(key: &str) -> Result<(), StoreError> {
    // S3 rejects empty keys and keys over 1,024 bytes.
    if key.is_empty() || key.len() > 1024 {
        return Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason: "keys are 1 to 1,024 bytes long".to_owned(),
        });
    }
    Ok(())
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Object, StoreError> {
        let state = lock(&self.state);
        state
            .objects
            .get(key)
            .map(|e| Object {
                bytes: e.bytes.clone(),
                etag: e.etag.clone(),
                last_modified: Some(e.modified),
            })
            .ok_or_else(|| StoreError::NotFound {
                key: key.to_owned(),
            })
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let state = lock(&self.state);
        state
            .objects
            .get(key)
            .map(|e| ObjectMeta {
                key: key.to_owned(),
                etag: e.etag.clone(),
                size: e.bytes.len() as u64,
            })
            .ok_or_else(|| StoreError::NotFound {
                key: key.to_owned(),
            })
    }

    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError> {
        check_key(key)?;
        let mut state = lock(&self.state);
        // Check and write under one lock: the same atomicity S3 gives conditional writes.
        match (&mode, state.objects.get(key)) {
            (PutMode::Overwrite, _) | (PutMode::CreateOnly, None) => {}
            (PutMode::CreateOnly, Some(_)) => {
                return Err(StoreError::AlreadyExists {
                    key: key.to_owned(),
                });
            }
            // S3 answers If-Match on a missing key with 404, not 412.
            (PutMode::IfMatch(_), None) => {
                return Err(StoreError::NotFound {
                    key: key.to_owned(),
                });
            }
            (PutMode::IfMatch(expected), Some(current)) if current.etag != *expected => {
                return Err(StoreError::PreconditionFailed {
                    key: key.to_owned(),
                });
            }
            (PutMode::IfMatch(_), Some(_)) => {}
        }
        state.writes += 1;
        let etag = Etag::new(format!("\"mem-{}\"", state.writes));
        #[allow(
            clippy::disallowed_methods,
            reason = "a store stamps its objects with the wall clock, as S3 does"
        )]
        let modified = chrono::Utc::now();
        state.objects.insert(
            key.to_owned(),
            Entry {
                bytes,
                etag: etag.clone(),
                modified,
            },
        );
        Ok(etag)
    }

    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError> {
        let state = lock(&self.state);
        let start = match continuation {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut objects = Vec::new();
        let mut more = false;
        for (key, entry) in state.objects.range::<str, _>((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            if objects.len() == self.page_size {
                more = true;
                break;
            }
            objects.push(ObjectMeta {
                key: key.clone(),
                etag: entry.etag.clone(),
                size: entry.bytes.len() as u64,
            });
        }
        let next = if more {
            objects.last().map(|o| o.key.clone())
        } else {
            None
        };
        Ok(ListPage { objects, next })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.state).objects.remove(key);
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let mut state = lock(&self.state);
        let before = state.objects.len();
        state.objects.retain(|key, _| !key.starts_with(prefix));
        Ok(before - state.objects.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    #[test]
    fn small_pages_cover_every_key_once_even_with_writes_in_between() {
        run(async {
            let store = MemoryStore::with_page_size(2);
            for key in ["p/a", "p/b", "p/c", "p/d", "q/a"] {
                store
                    .put(key, Bytes::new(), PutMode::Overwrite)
                    .await
                    .expect("put");
            }
            let first = store.list("p/", None).await.expect("list");
            assert_eq!(first.keys().collect::<Vec<_>>(), ["p/a", "p/b"]);
            // A key written behind the cursor is not listed again; one ahead of it is.
            store
                .put("p/aa", Bytes::new(), PutMode::Overwrite)
                .await
                .expect("put");
            store
                .put("p/e", Bytes::new(), PutMode::Overwrite)
                .await
                .expect("put");
            let second = store.list("p/", first.next.as_deref()).await.expect("list");
            assert_eq!(second.keys().collect::<Vec<_>>(), ["p/c", "p/d"]);
            let third = store
                .list("p/", second.next.as_deref())
                .await
                .expect("list");
            assert_eq!(third.keys().collect::<Vec<_>>(), ["p/e"]);
            assert_eq!(third.next, None);
        });
    }

    #[test]
    fn rewriting_identical_bytes_still_changes_the_etag() {
        run(async {
            let store = MemoryStore::new();
            let first = store
                .put("k", Bytes::from_static(b"x"), PutMode::Overwrite)
                .await
                .expect("put");
            let second = store
                .put("k", Bytes::from_static(b"x"), PutMode::Overwrite)
                .await
                .expect("put");
            assert_ne!(first, second);
        });
    }

    #[test]
    fn empty_keys_are_invalid_as_in_s3() {
        run(async {
            let result = MemoryStore::new()
                .put("", Bytes::new(), PutMode::Overwrite)
                .await;
            assert!(matches!(result, Err(StoreError::InvalidKey { .. })));
        });
    }
}
