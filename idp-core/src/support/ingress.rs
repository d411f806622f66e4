//! Claiming and releasing an environment's listener rule priority on the shared load balancer
//! ([`crate::domain::ingress`]) in the state store.
//!
//! A claim is a create-only put of the priority's claim object, so two environments created at
//! once never hold one priority: the store lets exactly one create-only write of a key
//! succeed, and the loser tries the next candidate. A claim found that names the environment
//! itself (a retried create, a redeploy that lost its record of it) is kept.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::domain::ingress::{self, Claim};
use crate::domain::naming::EnvName;
use crate::error::{Error, Result};
use crate::ports::{ObjectStore, PutMode, StoreError};

/// Claim a priority for `env`: the first of [`ingress::candidates`] whose claim object this
/// write creates, or that already names `env`. [`Error::Refused`] (`no_listener_priority`)
/// when all [`ingress::MAX_PROBES`] candidates are held by others.
pub async fn claim(store: &dyn ObjectStore, env: &EnvName, now: DateTime<Utc>) -> Result<u32> {
    for priority in ingress::candidates(env) {
        let key = ingress::claim_key(priority);
        let claim = Claim {
            environment: env.to_string(),
            priority,
            claimed_at: now,
        };
        match store
            .put(&key, Bytes::from(claim.to_json()), PutMode::CreateOnly)
            .await
        {
            Ok(_) => return Ok(priority),
            Err(StoreError::AlreadyExists { .. } | StoreError::PreconditionFailed { .. }) => {
                if holder(store, &key).await?.as_deref() == Some(env.as_str()) {
                    return Ok(priority);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Refused {
        reason: "no_listener_priority".to_owned(),
        message: format!(
            "no free listener rule priority for `{env}` on the shared load balancer: {} tried, all held by other environments; destroy unused shared-ingress environments, or create this one with a load balancer of its own (no `use_shared_ingress` in its config, `aws.useSharedIngress` unset)",
            ingress::MAX_PROBES
        ),
    })
}

/// Release `env`'s claim of `priority`: delete the claim object if it names `env`. A claim of
/// another environment (or none) is left alone; returns whether one was deleted.
pub async fn release(store: &dyn ObjectStore, env: &EnvName, priority: u32) -> Result<bool> {
    let key = ingress::claim_key(priority);
    if holder(store, &key).await?.as_deref() != Some(env.as_str()) {
        return Ok(false);
    }
    match store.delete(&key).await {
        Ok(()) | Err(StoreError::NotFound { .. }) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// The environment a claim object names; `None` when there is none, or it is not a claim.
pub async fn holder(store: &dyn ObjectStore, key: &str) -> Result<Option<String>> {
    match store.get(key).await {
        Ok(object) => Ok(Claim::parse(&object.bytes).map(|c| c.environment)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
