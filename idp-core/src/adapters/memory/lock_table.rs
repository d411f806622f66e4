//! The in-memory [`LockTable`]: a map of lock items behind a mutex, with DynamoDB's
//! conditional-put semantics and lazy expiry.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock;
use crate::adapters::model::locks::{check_holder, grant, parse_tf_info};
use crate::ports::{
    Lease, LeaseInfo, LeaseRequest, LockError, LockTable, TfLockInfo, TfLockRemoval,
};

/// One item of the table, as the DynamoDB table stores them under `LockID`.
#[derive(Debug, Clone)]
enum Item {
    Lease(Lease),
    /// An OpenTofu state lock: the raw `Info` JSON.
    TfLock(String),
    /// An OpenTofu state digest (`-md5` item).
    TfDigest(
        #[expect(
            dead_code,
            reason = "kept as OpenTofu stores it; only its presence is read"
        )]
        String,
    ),
}

/// A [`LockTable`] in process memory.
///
/// Expired leases stay in the map until replaced or removed, as DynamoDB items with a TTL
/// attribute do until the (lazy) TTL sweeper runs, and they count as free all the same.
/// [`MemoryLocks::put_terraform_lock`] and [`MemoryLocks::put_terraform_digest`] write the items
/// OpenTofu's S3 backend would write, for tests of unlock and destroy.
#[derive(Debug, Default)]
pub struct MemoryLocks {
    items: Mutex<BTreeMap<String, Item>>,
}

impl MemoryLocks {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes an OpenTofu lock item `LockID` = `lock_id` with this raw `Info` JSON.
    pub fn put_terraform_lock(&self, lock_id: &str, info_json: &str) {
        lock(&self.items).insert(lock_id.to_owned(), Item::TfLock(info_json.to_owned()));
    }

    /// Writes an OpenTofu digest item `LockID` = `digest_id` (`{bucket}/{state_key}-md5`).
    pub fn put_terraform_digest(&self, digest_id: &str, digest: &str) {
        lock(&self.items).insert(digest_id.to_owned(), Item::TfDigest(digest.to_owned()));
    }
}

#[async_trait]
impl LockTable for MemoryLocks {
    async fn acquire(
        &self,
        request: &LeaseRequest,
        now: DateTime<Utc>,
    ) -> Result<Lease, LockError> {
        let mut items = lock(&self.items);
        let current = match items.get(&request.key) {
            Some(Item::Lease(l)) => Some(l),
            Some(Item::TfLock(_) | Item::TfDigest(_)) => {
                return Err(LockError::InvalidKey {
                    key: request.key.clone(),
                    reason: "an OpenTofu lock item has this key; lease a different key".to_owned(),
                });
            }
            None => None,
        };
        let lease = grant(current, request, now)?;
        items.insert(lease.key.clone(), Item::Lease(lease.clone()));
        Ok(lease)
    }

    async fn renew(&self, lease: &Lease, expires_at: DateTime<Utc>) -> Result<Lease, LockError> {
        let mut items = lock(&self.items);
        let stored = match items.get(&lease.key) {
            Some(Item::Lease(l)) => Some(l),
            _ => None,
        };
        check_holder(stored, lease)?;
        let renewed = Lease {
            expires_at,
            ..lease.clone()
        };
        items.insert(lease.key.clone(), Item::Lease(renewed.clone()));
        Ok(renewed)
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        let mut items = lock(&self.items);
        let stored = match items.get(&lease.key) {
            Some(Item::Lease(l)) => Some(l),
            _ => None,
        };
        check_holder(stored, lease)?;
        items.remove(&lease.key);
        Ok(())
    }

    async fn force_unlock(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        let mut items = lock(&self.items);
        match items.get(key) {
            Some(Item::Lease(l)) => {
                let info = l.info();
                items.remove(key);
                Ok(Some(info))
            }
            _ => Ok(None),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        Ok(match lock(&self.items).get(key) {
            Some(Item::Lease(l)) => Some(l.info()),
            _ => None,
        })
    }

    async fn list(&self, prefix: &str) -> Result<Vec<LeaseInfo>, LockError> {
        let items = lock(&self.items);
        Ok(items
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter_map(|(_, item)| match item {
                Item::Lease(l) => Some(l.info()),
                _ => None,
            })
            .collect())
    }

    async fn terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        match lock(&self.items).get(lock_id) {
            Some(Item::TfLock(info)) => parse_tf_info(lock_id, info).map(Some),
            _ => Ok(None),
        }
    }

    async fn remove_terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        let mut items = lock(&self.items);
        match items.get(lock_id) {
            Some(Item::TfLock(info)) => {
                let parsed = parse_tf_info(lock_id, info).ok();
                items.remove(lock_id);
                Ok(parsed)
            }
            _ => Ok(None),
        }
    }

    async fn remove_terraform_lock_items(
        &self,
        bucket: &str,
        state_key: &str,
    ) -> Result<TfLockRemoval, LockError> {
        let lock_id = TfLockInfo::lock_id(bucket, state_key);
        let digest_id = TfLockInfo::digest_id(bucket, state_key);
        let mut items = lock(&self.items);
        let lock_info = match items.get(&lock_id) {
            // Remove even a malformed lock item: destroy must be able to clear it.
            Some(Item::TfLock(info)) => {
                let parsed = parse_tf_info(&lock_id, info).ok();
                items.remove(&lock_id);
                parsed
            }
            _ => None,
        };
        let digest_removed = matches!(items.get(&digest_id), Some(Item::TfDigest(_)));
        if digest_removed {
            items.remove(&digest_id);
        }
        Ok(TfLockRemoval {
            lock: lock_info,
            digest_removed,
        })
    }
}
