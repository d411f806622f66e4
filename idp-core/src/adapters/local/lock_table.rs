//! The local [`LockTable`]: one JSON file per lease under `<dir>/.locks/leases/`.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fs::{self, BACKEND, DirLock, LOCKS_DIR};
use crate::adapters::model::locks::{check_holder, check_lock_key, grant, parse_tf_info};
use crate::ports::{
    Lease, LeaseInfo, LeaseRequest, LockError, LockTable, TfLockInfo, TfLockRemoval,
};

/// The lock file that serialises every write of the table.
const TABLE_LOCK: &str = "leases.lock";

/// An OpenTofu item as the DynamoDB table stores it: `LockID` plus `Info` or `Digest`.
#[derive(Debug, Serialize, Deserialize)]
struct TfItem {
    #[serde(rename = "LockID")]
    lock_id: String,
    #[serde(rename = "Info", default, skip_serializing_if = "Option::is_none")]
    info: Option<String>,
    #[serde(rename = "Digest", default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

/// A [`LockTable`] in a local directory, safe across processes.
///
/// A lease on `environments/x` is the file `<dir>/.locks/leases/environments%2Fx.json` holding
/// `{key, owner, expires_at, token}`; OpenTofu items are `<dir>/.locks/terraform/<LockID>.json`.
/// Every check-then-write runs under an advisory lock on `<dir>/.locks/leases.lock`. Expired lease
/// files stay until replaced, released or force-unlocked, and count as free.
#[derive(Debug, Clone)]
pub struct LocalLocks {
    root: PathBuf,
}

fn io(e: io::Error) -> LockError {
    LockError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

fn joined(e: tokio::task::JoinError) -> LockError {
    LockError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

fn item_path(root: &Path, dir: &str, key: &str) -> Result<PathBuf, LockError> {
    check_lock_key(key)?;
    let name = format!("{}.json", fs::escape_file_name(key));
    if !fs::file_name_fits(&name) {
        return Err(LockError::InvalidKey {
            key: key.to_owned(),
            reason: "too long for a local lock file; use a shorter key".to_owned(),
        });
    }
    Ok(root.join(LOCKS_DIR).join(dir).join(name))
}

fn read_lease(path: &Path, key: &str) -> Result<Option<Lease>, LockError> {
    match fs::read_optional(path).map_err(io)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LockError::Malformed {
                key: key.to_owned(),
                reason: format!("`{}` is not a lease: {e}", path.display()),
            }),
    }
}

fn write_lease(path: &Path, lease: &Lease) -> Result<(), LockError> {
    let bytes = serde_json::to_vec_pretty(lease).map_err(|e| io(io::Error::other(e)))?;
    fs::atomic_write(path, &bytes).map_err(io)
}

fn read_tf_item(path: &Path, key: &str) -> Result<Option<TfItem>, LockError> {
    match fs::read_optional(path).map_err(io)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LockError::Malformed {
                key: key.to_owned(),
                reason: format!("`{}` is not a lock item: {e}", path.display()),
            }),
    }
}

impl LocalLocks {
    /// A lock table in `root` (the same directory as the [`LocalStore`](super::LocalStore)).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Writes an OpenTofu lock item `LockID` = `lock_id` with this raw `Info` JSON, as OpenTofu's
    /// S3 backend writes it to DynamoDB; for tests of unlock and destroy.
    pub fn put_terraform_lock(&self, lock_id: &str, info_json: &str) -> Result<(), LockError> {
        self.put_tf_item(TfItem {
            lock_id: lock_id.to_owned(),
            info: Some(info_json.to_owned()),
            digest: None,
        })
    }

    /// Writes an OpenTofu digest item `LockID` = `digest_id` (`{bucket}/{state_key}-md5`).
    pub fn put_terraform_digest(&self, digest_id: &str, digest: &str) -> Result<(), LockError> {
        self.put_tf_item(TfItem {
            lock_id: digest_id.to_owned(),
            info: None,
            digest: Some(digest.to_owned()),
        })
    }

    fn put_tf_item(&self, item: TfItem) -> Result<(), LockError> {
        let path = item_path(&self.root, "terraform", &item.lock_id)?;
        let _lock = DirLock::acquire(&self.root, TABLE_LOCK).map_err(io)?;
        let bytes = serde_json::to_vec_pretty(&item).map_err(|e| io(io::Error::other(e)))?;
        fs::atomic_write(&path, &bytes).map_err(io)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Path) -> Result<T, LockError> + Send + 'static,
    ) -> Result<T, LockError> {
        let root = self.root.clone();
        fs::blocking(move || f(&root))
            .await
            .unwrap_or_else(|e| Err(joined(e)))
    }
}

#[async_trait]
impl LockTable for LocalLocks {
    async fn acquire(
        &self,
        request: &LeaseRequest,
        now: DateTime<Utc>,
    ) -> Result<Lease, LockError> {
        let request = request.clone();
        self.run(move |root| {
            let path = item_path(root, "leases", &request.key)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            let lease = grant(read_lease(&path, &request.key)?.as_ref(), &request, now)?;
            write_lease(&path, &lease)?;
            Ok(lease)
        })
        .await
    }

    async fn renew(&self, lease: &Lease, expires_at: DateTime<Utc>) -> Result<Lease, LockError> {
        let lease = lease.clone();
        self.run(move |root| {
            let path = item_path(root, "leases", &lease.key)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            check_holder(read_lease(&path, &lease.key)?.as_ref(), &lease)?;
            let renewed = Lease {
                expires_at,
                ..lease
            };
            write_lease(&path, &renewed)?;
            Ok(renewed)
        })
        .await
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        let lease = lease.clone();
        self.run(move |root| {
            let path = item_path(root, "leases", &lease.key)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            check_holder(read_lease(&path, &lease.key)?.as_ref(), &lease)?;
            fs::remove_optional(&path).map_err(io)?;
            Ok(())
        })
        .await
    }

    async fn force_unlock(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        let key = key.to_owned();
        self.run(move |root| {
            let path = item_path(root, "leases", &key)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            // A corrupt lease file is removed too: unlocking is how an operator clears it.
            let held = read_lease(&path, &key).ok().flatten().map(|l| l.info());
            fs::remove_optional(&path).map_err(io)?;
            Ok(held)
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        let key = key.to_owned();
        self.run(move |root| {
            Ok(read_lease(&item_path(root, "leases", &key)?, &key)?.map(|l| l.info()))
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<LeaseInfo>, LockError> {
        let prefix = prefix.to_owned();
        self.run(move |root| {
            let dir = root.join(LOCKS_DIR).join("leases");
            let entries = match fs_err::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if fs::is_missing(&e) => return Ok(Vec::new()),
                Err(e) => return Err(io(e)),
            };
            let mut leases = Vec::new();
            for entry in entries {
                let path = entry.map_err(io)?.path();
                if path.extension().is_none_or(|ext| ext != "json") {
                    continue;
                }
                if let Some(lease) = read_lease(&path, &path.display().to_string())?
                    && lease.key.starts_with(&prefix)
                {
                    leases.push(lease.info());
                }
            }
            leases.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(leases)
        })
        .await
    }

    async fn terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        let lock_id = lock_id.to_owned();
        self.run(move |root| {
            match read_tf_item(&item_path(root, "terraform", &lock_id)?, &lock_id)? {
                Some(TfItem {
                    info: Some(info), ..
                }) => parse_tf_info(&lock_id, &info).map(Some),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn remove_terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        let lock_id = lock_id.to_owned();
        self.run(move |root| {
            let lock_path = item_path(root, "terraform", &lock_id)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            let item = read_tf_item(&lock_path, &lock_id);
            // Only a lock item (even a malformed one) goes; a digest item is not a lock and stays.
            if matches!(
                item,
                Ok(Some(TfItem {
                    digest: Some(_),
                    ..
                })) | Ok(None)
            ) {
                return Ok(None);
            }
            fs::remove_optional(&lock_path).map_err(io)?;
            let held = match item {
                Ok(Some(TfItem {
                    info: Some(info), ..
                })) => parse_tf_info(&lock_id, &info).ok(),
                _ => None,
            };
            Ok(held)
        })
        .await
    }

    async fn remove_terraform_lock_items(
        &self,
        bucket: &str,
        state_key: &str,
    ) -> Result<TfLockRemoval, LockError> {
        let lock_id = TfLockInfo::lock_id(bucket, state_key);
        let digest_id = TfLockInfo::digest_id(bucket, state_key);
        self.run(move |root| {
            let lock_path = item_path(root, "terraform", &lock_id)?;
            let digest_path = item_path(root, "terraform", &digest_id)?;
            let _lock = DirLock::acquire(root, TABLE_LOCK).map_err(io)?;
            let lock = match read_tf_item(&lock_path, &lock_id) {
                Ok(Some(TfItem {
                    info: Some(info), ..
                })) => parse_tf_info(&lock_id, &info).ok(),
                _ => None,
            };
            fs::remove_optional(&lock_path).map_err(io)?;
            let digest_removed = fs::remove_optional(&digest_path).map_err(io)?;
            Ok(TfLockRemoval {
                lock,
                digest_removed,
            })
        })
        .await
    }
}
