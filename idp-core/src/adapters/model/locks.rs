//! The lock table's conditional rules, shared by the memory and local lock tables: when a lease
//! is granted, who holds it, which keys are valid, and how an OpenTofu lock item reads.

use chrono::{DateTime, Utc};

use crate::ports::{Lease, LeaseRequest, LockError, TfLockInfo};

/// The lease `request` would get if the stored lease is `current`: the one conditional rule
/// (item absent, or its expiry at or before `now`) of DynamoDB's
/// `attribute_not_exists(LockID) OR ExpiresAt <= :now`.
pub(crate) fn grant(
    current: Option<&Lease>,
    request: &LeaseRequest,
    now: DateTime<Utc>,
) -> Result<Lease, LockError> {
    check_lock_key(&request.key)?;
    if let Some(held) = current.filter(|l| l.info().is_live(now)) {
        return Err(held_error(held));
    }
    Ok(Lease {
        key: request.key.clone(),
        owner: request.owner.clone(),
        expires_at: now + request.ttl,
        token: uuid::Uuid::new_v4().to_string(),
    })
}

/// Whether `stored` is the caller's `lease` (same owner and token); the condition of renew and
/// release.
pub(crate) fn check_holder(stored: Option<&Lease>, lease: &Lease) -> Result<(), LockError> {
    match stored {
        None => Err(LockError::NotFound {
            key: lease.key.clone(),
        }),
        Some(s) if s.owner == lease.owner && s.token == lease.token => Ok(()),
        Some(other) => Err(held_error(other)),
    }
}

pub(crate) fn held_error(held: &Lease) -> LockError {
    LockError::Held {
        key: held.key.clone(),
        owner: held.owner.clone(),
        expires_at: held.expires_at,
    }
}

pub(crate) fn check_lock_key(key: &str) -> Result<(), LockError> {
    // DynamoDB string keys are 1 to 2,048 bytes.
    if key.is_empty() || key.len() > 2048 {
        return Err(LockError::InvalidKey {
            key: key.to_owned(),
            reason: "keys are 1 to 2,048 bytes long".to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn parse_tf_info(lock_id: &str, info: &str) -> Result<TfLockInfo, LockError> {
    TfLockInfo::from_info_json(info).map_err(|e| LockError::Malformed {
        key: lock_id.to_owned(),
        reason: format!("its `Info` is not a lock: {e}"),
    })
}
