//! `unlock`: break a stuck lease and OpenTofu state lock of an environment, showing who held
//! them first.

use serde::Serialize;

use crate::domain::layout;
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::{LeaseInfo, TfLockInfo};
use crate::support::lease::lease_key;
use crate::support::state;

/// Who held what, before the unlock.
#[derive(Debug, Clone, Serialize)]
pub struct UnlockReport {
    /// The environment.
    pub name: String,
    /// The idp lease that was removed.
    pub lease: Option<LeaseInfo>,
    /// The OpenTofu state lock that was removed.
    pub terraform_lock: Option<TfLockInfo>,
    /// Whether anything was held.
    pub unlocked: bool,
}

/// What is held on an environment, without changing anything.
pub async fn holders(platform: &Platform, name: &EnvName) -> Result<UnlockReport> {
    let backend = &platform.backend;
    let lease = backend.locks.get(&lease_key(name)).await?;
    let lock_id = TfLockInfo::lock_id(
        &platform.settings.state_bucket,
        &layout::state_key(name, None),
    );
    let terraform_lock = backend.locks.terraform_lock(&lock_id).await?;
    Ok(UnlockReport {
        name: name.to_string(),
        unlocked: false,
        lease,
        terraform_lock,
    })
}

/// Force-release the environment's lease and OpenTofu state lock (never its state digest).
/// The environment must exist.
pub async fn unlock(platform: &Platform, name: &EnvName) -> Result<UnlockReport> {
    state::load_existing(&*platform.backend.store, name).await?;
    let backend = &platform.backend;
    let lease = backend.locks.force_unlock(&lease_key(name)).await?;
    let lock_id = TfLockInfo::lock_id(
        &platform.settings.state_bucket,
        &layout::state_key(name, None),
    );
    let terraform_lock = backend.locks.remove_terraform_lock(&lock_id).await?;
    Ok(UnlockReport {
        name: name.to_string(),
        unlocked: lease.is_some() || terraform_lock.is_some(),
        lease,
        terraform_lock,
    })
}
