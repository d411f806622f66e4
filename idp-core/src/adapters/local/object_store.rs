//! The local [`ObjectStore`]: one file per key under a directory laid out like the bucket.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::fs::{self, BACKEND, DirLock, LOCAL_DIR, LOCKS_DIR, TMP_PREFIX};
use crate::ports::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};

/// The lock file that serialises every write of the store.
const STORE_LOCK: &str = "store.lock";

/// An [`ObjectStore`] in a local directory.
///
/// The object `environments/x/metadata.json` is the file `<dir>/environments/x/metadata.json`.
/// Etags are SHA-256 hashes of the content (like S3's MD5 etags, identical bytes give identical
/// etags). Conditional puts check and write under an advisory lock on `<dir>/.locks/store.lock`,
/// so they are atomic across processes; reads take no lock (renames are atomic).
///
/// One difference from S3: a key cannot also be the folder of other keys (`a` and `a/b`); such a
/// put fails with [`StoreError::InvalidKey`].
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    page_size: usize,
}

impl LocalStore {
    /// A store in `root`; the directory is created on the first write.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            page_size: 1000,
        }
    }

    /// The same store, returning at most `page_size` keys a listing page (at least 1).
    #[must_use]
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The directory of the store.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

fn etag_of(bytes: &[u8]) -> Etag {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Etag::new(format!("\"{hex}\""))
}

fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

fn io(e: io::Error) -> StoreError {
    backend(e)
}

fn path_of(root: &Path, key: &str) -> Result<PathBuf, StoreError> {
    let segments = fs::key_segments(key).map_err(|reason| StoreError::InvalidKey {
        key: key.to_owned(),
        reason,
    })?;
    Ok(fs::key_path(root, &segments))
}

/// Reads the object at `path`; `None` if there is no file (a folder is not an object).
fn read_object(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    if path.is_dir() {
        return Ok(None);
    }
    fs::read_optional(path).map_err(io)
}

fn put_locked(root: &Path, key: &str, bytes: &[u8], mode: &PutMode) -> Result<Etag, StoreError> {
    let path = path_of(root, key)?;
    let _lock = DirLock::acquire(root, STORE_LOCK).map_err(io)?;
    if path.is_dir() {
        return Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason: "it is the folder of other objects in the local store; choose another key"
                .to_owned(),
        });
    }
    let current = match mode {
        PutMode::Overwrite => None,
        PutMode::CreateOnly | PutMode::IfMatch(_) => read_object(&path)?,
    };
    match (mode, current) {
        (PutMode::Overwrite, _) | (PutMode::CreateOnly, None) => {}
        (PutMode::CreateOnly, Some(_)) => {
            return Err(StoreError::AlreadyExists {
                key: key.to_owned(),
            });
        }
        (PutMode::IfMatch(_), None) => {
            return Err(StoreError::NotFound {
                key: key.to_owned(),
            });
        }
        (PutMode::IfMatch(expected), Some(current)) => {
            if etag_of(&current) != *expected {
                return Err(StoreError::PreconditionFailed {
                    key: key.to_owned(),
                });
            }
        }
    }
    match fs::atomic_write(&path, bytes) {
        Ok(()) => Ok(etag_of(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory || e.kind() == io::ErrorKind::AlreadyExists => Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason: "a part of it is an object in the local store, so it cannot be a folder; choose another key".to_owned(),
        }),
        Err(e) => Err(io(e)),
    }
}

/// A walk of the store's files in key order, stopping once it has found `limit` keys.
struct Walk<'a> {
    prefix: &'a str,
    /// Only keys after this one.
    after: Option<&'a str>,
    limit: usize,
    keys: Vec<String>,
}

impl Walk<'_> {
    /// Walks `dir`, whose keys start with `key_prefix`; `Ok(true)` once `limit` keys are found.
    ///
    /// Entries are visited sorted by `name` for files and `name/` for folders, which yields keys
    /// in byte order (`a-b` < `a/x` because `-` < `/`). Folders that cannot hold a key matching
    /// the prefix, or only hold keys at or before `after`, are skipped unread.
    fn dir(&mut self, dir: &Path, key_prefix: &str) -> Result<bool, StoreError> {
        let entries = match fs_err::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if fs::is_missing(&e) => return Ok(false),
            Err(e) => return Err(io(e)),
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with(TMP_PREFIX)
                || (key_prefix.is_empty() && (name == LOCKS_DIR || name == LOCAL_DIR))
            {
                continue;
            }
            // Symlinks are neither followed nor listed: nothing outside the root is reachable.
            let kind = entry.file_type().map_err(io)?;
            if kind.is_dir() {
                children.push((format!("{key_prefix}{name}/"), true, entry.path()));
            } else if kind.is_file() {
                children.push((format!("{key_prefix}{name}"), false, entry.path()));
            }
        }
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, is_dir, path) in children {
            if is_dir {
                let relevant = key.starts_with(self.prefix) || self.prefix.starts_with(&key);
                let all_before = self
                    .after
                    .is_some_and(|a| key.as_str() < a && !a.starts_with(&key));
                if relevant && !all_before && self.dir(&path, &key)? {
                    return Ok(true);
                }
            } else if key.starts_with(self.prefix) && self.after.is_none_or(|a| key.as_str() > a) {
                self.keys.push(key);
                if self.keys.len() >= self.limit {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// The first `limit` keys (in byte order) under `root` that start with `prefix` and come after
/// `after`.
fn keys_under(
    root: &Path,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    // Start at the deepest folder the prefix names; a prefix that is not a valid folder path
    // cannot prefix any valid key.
    let (base, start) = match prefix.rfind('/') {
        None => (String::new(), root.to_path_buf()),
        Some(i) => {
            let dir = &prefix[..i];
            match fs::key_segments(dir) {
                Ok(segments) => (format!("{dir}/"), fs::key_path(root, &segments)),
                Err(_) => return Ok(Vec::new()),
            }
        }
    };
    let mut walk = Walk {
        prefix,
        after,
        limit,
        keys: Vec::new(),
    };
    walk.dir(&start, &base)?;
    Ok(walk.keys)
}

fn list_page(
    root: &Path,
    prefix: &str,
    continuation: Option<&str>,
    page_size: usize,
) -> Result<ListPage, StoreError> {
    // One key more than a page tells whether there is a next page.
    let mut keys = keys_under(root, prefix, continuation, page_size.saturating_add(1))?;
    let more = keys.len() > page_size;
    keys.truncate(page_size);
    let next = if more { keys.last().cloned() } else { None };
    let mut objects = Vec::with_capacity(keys.len());
    for key in keys {
        // A file deleted since the walk is simply not listed.
        if let Some(bytes) = fs::read_optional(&root.join(&key)).map_err(io)? {
            objects.push(ObjectMeta {
                etag: etag_of(&bytes),
                size: bytes.len() as u64,
                key,
            });
        }
    }
    Ok(ListPage { objects, next })
}

/// Removes `path` and then its parents while they are empty, up to (not including) `root`.
fn remove_and_prune(root: &Path, path: &Path) -> Result<bool, StoreError> {
    let removed = fs::remove_optional(path).map_err(io)?;
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs_err::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(removed)
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn get(&self, key: &str) -> Result<Object, StoreError> {
        let path = path_of(&self.root, key)?;
        let key = key.to_owned();
        fs::blocking(move || match read_object(&path)? {
            Some(bytes) => Ok(Object {
                etag: etag_of(&bytes),
                bytes: Bytes::from(bytes),
                last_modified: fs_err::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .map(chrono::DateTime::<chrono::Utc>::from),
            }),
            None => Err(StoreError::NotFound { key }),
        })
        .await
        .unwrap_or_else(|e| Err(backend(e)))
    }

    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError> {
        let root = self.root.clone();
        let key = key.to_owned();
        fs::blocking(move || put_locked(&root, &key, &bytes, &mode))
            .await
            .unwrap_or_else(|e| Err(backend(e)))
    }

    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let continuation = continuation.map(str::to_owned);
        let page_size = self.page_size;
        fs::blocking(move || list_page(&root, &prefix, continuation.as_deref(), page_size))
            .await
            .unwrap_or_else(|e| Err(backend(e)))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = path_of(&self.root, key)?;
        let root = self.root.clone();
        fs::blocking(move || {
            let _lock = DirLock::acquire(&root, STORE_LOCK).map_err(io)?;
            if !path.is_dir() {
                remove_and_prune(&root, &path)?;
            }
            Ok(())
        })
        .await
        .unwrap_or_else(|e| Err(backend(e)))
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        fs::blocking(move || {
            let _lock = DirLock::acquire(&root, STORE_LOCK).map_err(io)?;
            let mut deleted = 0;
            for key in keys_under(&root, &prefix, None, usize::MAX)? {
                if remove_and_prune(&root, &root.join(&key))? {
                    deleted += 1;
                }
            }
            Ok(deleted)
        })
        .await
        .unwrap_or_else(|e| Err(backend(e)))
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
    fn objects_are_plain_files_laid_out_like_the_bucket() {
        run(async {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = LocalStore::new(dir.path());
            let etag = store
                .put(
                    "environments/preview-a/metadata.json",
                    Bytes::from_static(b"{}"),
                    PutMode::CreateOnly,
                )
                .await
                .expect("put");
            let on_disk = fs_err::read(dir.path().join("environments/preview-a/metadata.json"))
                .expect("the file");
            assert_eq!(on_disk, b"{}");
            // The etag is the SHA-256 of the content.
            assert_eq!(
                etag.as_str(),
                "\"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\""
            );
        });
    }

    #[test]
    fn a_key_cannot_also_be_a_folder() {
        run(async {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = LocalStore::new(dir.path());
            store
                .put("a/b", Bytes::new(), PutMode::Overwrite)
                .await
                .expect("put");
            let as_file = store.put("a", Bytes::new(), PutMode::Overwrite).await;
            assert!(
                matches!(as_file, Err(StoreError::InvalidKey { .. })),
                "{as_file:?}"
            );
            store
                .put("c", Bytes::new(), PutMode::Overwrite)
                .await
                .expect("put");
            let under_file = store.put("c/d", Bytes::new(), PutMode::Overwrite).await;
            assert!(
                matches!(under_file, Err(StoreError::InvalidKey { .. })),
                "{under_file:?}"
            );
        });
    }

    #[test]
    fn listing_skips_the_backends_own_files_and_deleting_prunes_empty_folders() {
        run(async {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = LocalStore::new(dir.path());
            store
                .put(
                    "environments/a/metadata.json",
                    Bytes::new(),
                    PutMode::Overwrite,
                )
                .await
                .expect("put");
            fs_err::write(dir.path().join("environments/a/.idp-tmp-leftover"), b"").expect("write");
            fs_err::create_dir_all(dir.path().join(".local")).expect("mkdir");
            fs_err::write(dir.path().join(".local/images.json"), b"{}").expect("write");
            let keys: Vec<String> = store
                .list_all("")
                .await
                .expect("list")
                .into_iter()
                .map(|o| o.key)
                .collect();
            assert_eq!(keys, ["environments/a/metadata.json"]);
            fs_err::remove_file(dir.path().join("environments/a/.idp-tmp-leftover")).expect("rm");
            store
                .delete("environments/a/metadata.json")
                .await
                .expect("delete");
            assert!(
                !dir.path().join("environments").exists(),
                "empty folders are removed"
            );
        });
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        #[test]
        fn pages_of_any_size_list_exactly_the_sorted_keys_under_any_prefix(
            keys in proptest::collection::btree_set("[ab.-]{1,2}(/[ab.-]{1,2}){0,2}", 1..10),
            prefix in "[ab./-]{0,3}",
            page_size in 1usize..4,
        ) {
            // S3 allows `a` and `a/b` together, the local store does not: drop such pairs.
            let keys: Vec<String> = keys.iter().filter(|k| {
                fs::key_segments(k).is_ok() && !keys.iter().any(|o| o != *k && (o.starts_with(&format!("{k}/")) || k.starts_with(&format!("{o}/"))))
            }).cloned().collect();
            let listed = run(async {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = LocalStore::new(dir.path()).with_page_size(page_size);
                for key in &keys {
                    store.put(key, Bytes::new(), PutMode::Overwrite).await.expect("put");
                }
                store.list_all(&prefix).await.expect("list").into_iter().map(|o| o.key).collect::<Vec<_>>()
            });
            let expected: Vec<String> = keys.iter().filter(|k| k.starts_with(&prefix)).cloned().collect();
            proptest::prop_assert_eq!(listed, expected);
        }
    }
}
