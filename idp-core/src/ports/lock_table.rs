//! The `LockTable` port: leases with expiry, and the Terraform/OpenTofu lock items.
//!
//! A lease serialises work on one environment across machines (two destroy triggers for one
//! environment: one acts, the other sees the lease). Leases expire, so a crashed holder never
//! blocks forever. The same table holds OpenTofu's own state lock items (`LockID` =
//! `{bucket}/{state_key}` with an `Info` JSON, and `{bucket}/{state_key}-md5` with the state
//! digest), which `idp unlock` and destroy clean up.
//!
//! Time is always a parameter: adapters never read the clock.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::BoxError;

/// A request for a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRequest {
    /// What is leased, e.g. `environments/preview-x`.
    pub key: String,
    /// Who asks, shown to whoever finds the lease held (e.g. `alice@laptop:4242`).
    pub owner: String,
    /// How long the lease lasts from `now`; a zero or negative ttl grants a lease that is already
    /// expired (free for the next caller).
    pub ttl: TimeDelta,
}

/// A lease held by the caller. Renew or release it with this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// What is leased.
    pub key: String,
    /// Who holds it.
    pub owner: String,
    /// When it stops protecting anything.
    pub expires_at: DateTime<Utc>,
    /// A value unique to this acquisition (a fencing token): renew and release check it, so a
    /// second acquisition by the same owner is a different lease.
    pub token: String,
}

impl Lease {
    /// The public view of this lease.
    pub fn info(&self) -> LeaseInfo {
        LeaseInfo {
            key: self.key.clone(),
            owner: self.owner.clone(),
            expires_at: self.expires_at,
        }
    }
}

/// What anyone may know about a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// What is leased.
    pub key: String,
    /// Who holds it.
    pub owner: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl LeaseInfo {
    /// Whether the lease still protects its key at `now` (expiry is exclusive: a lease expiring
    /// exactly at `now` is free).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }
}

/// An OpenTofu/Terraform state lock, parsed from the lock item's `Info` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TfLockInfo {
    /// The lock id (`-lock-id` of `tofu force-unlock`).
    #[serde(rename = "ID")]
    pub id: String,
    /// The operation holding the lock, e.g. `OperationTypeApply`.
    #[serde(default)]
    pub operation: String,
    /// Who holds it, e.g. `runner@host`.
    #[serde(default)]
    pub who: String,
    /// The OpenTofu/Terraform version.
    #[serde(default)]
    pub version: String,
    /// When the lock was taken.
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    /// The state path (`{bucket}/{state_key}`).
    #[serde(default)]
    pub path: String,
    /// Free text the operator passed with the lock.
    #[serde(default)]
    pub info: String,
}

impl TfLockInfo {
    /// Parses the `Info` attribute of a lock item.
    pub fn from_info_json(info: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(info)
    }

    /// The `LockID` of the lock item of `state_key` in `bucket`.
    pub fn lock_id(bucket: &str, state_key: &str) -> String {
        format!("{bucket}/{state_key}")
    }

    /// The `LockID` of the digest item of `state_key` in `bucket`.
    pub fn digest_id(bucket: &str, state_key: &str) -> String {
        format!("{bucket}/{state_key}-md5")
    }
}

/// What [`LockTable::remove_terraform_lock_items`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TfLockRemoval {
    /// The state lock that was held, if there was one.
    pub lock: Option<TfLockInfo>,
    /// Whether a digest (`-md5`) item was removed.
    pub digest_removed: bool,
}

/// What went wrong in a lock table call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Someone else holds a live lease.
    #[error(
        "`{key}` is locked by `{owner}` until {expires_at}; wait, or run `idp unlock` if that holder is gone"
    )]
    Held {
        /// The leased key.
        key: String,
        /// The current holder.
        owner: String,
        /// When the holder's lease expires.
        expires_at: DateTime<Utc>,
    },
    /// The lease no longer exists (released, force-unlocked, or never taken).
    #[error("no lease on `{key}`; acquire it again")]
    NotFound {
        /// The leased key.
        key: String,
    },
    /// A lock item exists but cannot be read (e.g. a Terraform `Info` that is not JSON).
    #[error("lock item `{key}` is malformed: {reason}")]
    Malformed {
        /// The item's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key cannot be stored.
    #[error("invalid lock key `{key}`: {reason}")]
    InvalidKey {
        /// The rejected key.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`dynamodb`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`dynamodb`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl LockError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }
}

/// A table of leases with expiry, shaped like a DynamoDB table keyed by `LockID`.
///
/// Expired leases count as free even while the backend still returns their items (DynamoDB TTL
/// deletion is lazy and may take days; moto never deletes). Every write is one conditional,
/// atomic step, also against other processes and machines.
#[async_trait]
pub trait LockTable: Debug + Send + Sync + 'static {
    /// Takes the lease on `request.key` until `now + request.ttl`.
    ///
    /// Succeeds if there is no lease or the existing one expired at `now` ([`LeaseInfo::is_live`]).
    /// A live lease MUST make it fail with [`LockError::Held`] naming the holder, whoever that is
    /// (the same owner acquiring twice gets `Held` too). Of N concurrent acquisitions exactly one
    /// succeeds.
    async fn acquire(&self, request: &LeaseRequest, now: DateTime<Utc>)
    -> Result<Lease, LockError>;

    /// Moves the expiry of a lease the caller holds to `expires_at` and returns the renewed lease.
    ///
    /// Works while the stored lease is still this one (same owner and token), even past its
    /// expiry if nobody took it meanwhile. MUST fail with [`LockError::Held`] if another lease
    /// replaced it and with [`LockError::NotFound`] if there is none.
    async fn renew(&self, lease: &Lease, expires_at: DateTime<Utc>) -> Result<Lease, LockError>;

    /// Releases a lease the caller holds.
    ///
    /// MUST fail with [`LockError::Held`] (leaving the lease in place) if the stored lease is not
    /// this one, and with [`LockError::NotFound`] if there is none.
    async fn release(&self, lease: &Lease) -> Result<(), LockError>;

    /// Removes the lease on `key` whoever holds it, and returns who held it (`None` if nobody).
    /// The returned holder may already have expired.
    async fn force_unlock(&self, key: &str) -> Result<Option<LeaseInfo>, LockError>;

    /// The stored lease on `key`, live or expired; `None` if there is none. Use
    /// [`LeaseInfo::is_live`] to tell.
    async fn get(&self, key: &str) -> Result<Option<LeaseInfo>, LockError>;

    /// Every stored lease (live or expired) whose key starts with `prefix`, sorted by key.
    /// Terraform lock items are not leases and are not listed.
    async fn list(&self, prefix: &str) -> Result<Vec<LeaseInfo>, LockError>;

    /// The OpenTofu/Terraform state lock with this `LockID` (`{bucket}/{state_key}`), if held.
    ///
    /// MUST fail with [`LockError::Malformed`] if the item exists but its `Info` is not a lock.
    async fn terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError>;

    /// Removes only the OpenTofu state lock item `lock_id` (`{bucket}/{state_key}`), never the
    /// state digest, and returns the lock it held (`None` if there was none, or if its `Info` was
    /// malformed: such an item is removed all the same).
    ///
    /// This is `idp unlock` (`tofu force-unlock`): the digest must stay, or the next `tofu init`
    /// rejects the state as "state data in S3 does not have the expected content".
    async fn remove_terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError>;

    /// Deletes the OpenTofu/Terraform lock item `{bucket}/{state_key}` and digest item
    /// `{bucket}/{state_key}-md5`, whichever exist, and says what was there.
    ///
    /// A stale digest makes a re-provisioned environment of the same name fail with "state data
    /// in S3 does not have the expected content", so destroy removes both. Missing items are fine.
    async fn remove_terraform_lock_items(
        &self,
        bucket: &str,
        state_key: &str,
    ) -> Result<TfLockRemoval, LockError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_info_json_parses_with_all_fields() {
        let info = r#"{"ID":"9db6d3f2-1b1c-4f3e-8d7c-1a2b3c4d5e6f","Operation":"OperationTypeApply","Info":"","Who":"runner@fv-az1","Version":"1.8.2","Created":"2026-02-18T22:03:39.123456789Z","Path":"state-bucket/environments/preview-x/terraform.tfstate"}"#;
        let parsed = TfLockInfo::from_info_json(info).map_err(|e| e.to_string());
        let parsed = parsed.as_ref().map(|p| {
            (
                p.id.as_str(),
                p.operation.as_str(),
                p.who.as_str(),
                p.created.is_some(),
            )
        });
        assert_eq!(
            parsed,
            Ok((
                "9db6d3f2-1b1c-4f3e-8d7c-1a2b3c4d5e6f",
                "OperationTypeApply",
                "runner@fv-az1",
                true
            ))
        );
    }

    #[test]
    fn terraform_info_that_is_not_json_is_an_error() {
        assert!(TfLockInfo::from_info_json("not json").is_err());
    }

    #[test]
    fn a_lease_expiring_exactly_now_is_free() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let lease = LeaseInfo {
            key: "k".into(),
            owner: "o".into(),
            expires_at: now,
        };
        assert!(!lease.is_live(now));
        assert!(lease.is_live(now - TimeDelta::seconds(1)));
    }
}
