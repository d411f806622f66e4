//! Leases on environments: one operation at a time per environment, across machines.
//!
//! A lease has an expiry and is renewed in the background while the work runs, so a crashed
//! holder blocks others only until its lease runs out. The owner string records the purpose
//! (`deploy:…`, `destroy:…`), so a destroy that finds another destroy running can say so
//! instead of waiting.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::task::JoinHandle;

use crate::domain::naming::EnvName;
use crate::error::{Error, Result};
use crate::ports::{Clock, Lease, LeaseRequest, LockError, LockTable};

/// What a lease is taken for; recorded in the owner string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Provision or redeploy.
    Deploy,
    /// Change metadata only (extend).
    Update,
    Destroy,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Deploy => "deploy",
            Purpose::Update => "update",
            Purpose::Destroy => "destroy",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lease key of an environment.
pub fn lease_key(name: &EnvName) -> String {
    format!("env/{name}")
}

/// Whether a lease owner string was written for `purpose`.
pub fn owner_purpose_is(owner: &str, purpose: Purpose) -> bool {
    owner.split(':').next() == Some(purpose.as_str())
}

/// A held lease, renewed in the background until [`Guard::release`].
#[derive(Debug)]
pub struct Guard {
    locks: Arc<dyn LockTable>,
    lease: Lease,
    renewer: JoinHandle<()>,
}

impl Drop for Guard {
    /// A guard dropped without [`Guard::release`] (a cancelled or crashed operation) stops
    /// renewing, so its lease expires instead of being renewed forever by a detached task.
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

impl Guard {
    /// The lease.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Stop renewing and release the lease. A lease that already expired and was taken by
    /// someone else is left alone.
    pub async fn release(self) {
        self.renewer.abort();
        if let Err(e) = self.locks.release(&self.lease).await {
            tracing::warn!(key = %self.lease.key, error = %e, "releasing the lease failed; it will expire");
        }
    }
}

/// Take the lease of `name` for `purpose`. With `wait`, a lease held by someone else is waited
/// for (polling with backoff) up to that long; without, it is [`Error::LockHeld`] at once.
pub async fn acquire(
    locks: &Arc<dyn LockTable>,
    clock: &Arc<dyn Clock>,
    name: &EnvName,
    purpose: Purpose,
    actor: &str,
    ttl: TimeDelta,
    wait: Option<TimeDelta>,
) -> Result<Guard> {
    let owner = format!("{purpose}:{actor}:{}", uuid::Uuid::new_v4().simple());
    acquire_key(
        locks,
        clock,
        lease_key(name),
        owner,
        name.as_str(),
        ttl,
        wait,
    )
    .await
}

/// Take the lease of any `key` (e.g. `run/{run_id}`) for `owner`; `what` names the leased
/// thing in errors. Same waiting and renewal as [`acquire`].
pub async fn acquire_key(
    locks: &Arc<dyn LockTable>,
    clock: &Arc<dyn Clock>,
    key: String,
    owner: String,
    what: &str,
    ttl: TimeDelta,
    wait: Option<TimeDelta>,
) -> Result<Guard> {
    let request = LeaseRequest { key, owner, ttl };
    let attempt = async {
        let mut backoff = Duration::from_millis(20);
        loop {
            match locks.acquire(&request, clock.now()).await {
                Ok(lease) => return Ok(lease),
                Err(LockError::Held { .. }) if wait.is_some() => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                Err(LockError::Held {
                    owner, expires_at, ..
                }) => {
                    return Err(Error::LockHeld {
                        name: what.to_owned(),
                        owner,
                        expires_at,
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let lease = match wait {
        None => attempt.await?,
        Some(wait) => {
            let limit = wait.to_std().unwrap_or(Duration::ZERO);
            match tokio::time::timeout(limit, attempt).await {
                Ok(lease) => lease?,
                Err(_) => {
                    let holder = locks.get(&request.key).await?;
                    return Err(match holder {
                        Some(info) => Error::LockHeld {
                            name: what.to_owned(),
                            owner: info.owner,
                            expires_at: info.expires_at,
                        },
                        None => Error::Conflict {
                            name: what.to_owned(),
                        },
                    });
                }
            }
        }
    };
    let renewer = spawn_renewer(Arc::clone(locks), Arc::clone(clock), lease.clone(), ttl);
    Ok(Guard {
        locks: Arc::clone(locks),
        lease,
        renewer,
    })
}

fn spawn_renewer(
    locks: Arc<dyn LockTable>,
    clock: Arc<dyn Clock>,
    lease: Lease,
    ttl: TimeDelta,
) -> JoinHandle<()> {
    let every = (ttl / 3)
        .to_std()
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut lease = lease;
        loop {
            tokio::time::sleep(every).await;
            match locks.renew(&lease, clock.now() + ttl).await {
                Ok(renewed) => lease = renewed,
                Err(e) => {
                    tracing::warn!(key = %lease.key, error = %e, "renewing the lease failed");
                    return;
                }
            }
        }
    })
}
