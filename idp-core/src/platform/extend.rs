//! `extend`: give an environment more time. `created_at` never changes; the new expiry is the
//! later of now and the current expiry, plus the TTL (bounded by the TTL policy).

use crate::domain::lifecycle::Status;
use crate::domain::naming::EnvName;
use crate::domain::ttl::{self, Ttl};
use crate::error::{Error, Result};
use crate::platform::report::ChangeReport;
use crate::platform::state;
use crate::platform::{Outcome, Platform};

/// What to extend, by how much.
#[derive(Debug, Clone)]
pub struct ExtendRequest {
    /// The environment.
    pub name: EnvName,
    /// How much time to add.
    pub ttl: Ttl,
}

/// Extend an environment's expiry. The metadata write is a compare-and-swap: a concurrent
/// change makes it re-read and re-apply the extension to the fresh record.
///
/// The `idp:expires-at` tag on cloud resources is informational and catches up on the next
/// apply; expiry decisions read only the metadata.
pub async fn extend(platform: &Platform, req: ExtendRequest) -> Result<ChangeReport> {
    let policy = platform.settings.ttl_policy;
    let now = platform.backend.clock.now();
    let saved = state::update(&*platform.backend.store, &req.name, |meta| {
        if matches!(meta.status, Status::Destroying | Status::Destroyed) {
            return Err(Error::InvalidState {
                name: meta.name.to_string(),
                status: meta.status,
                action: "extend",
            });
        }
        meta.expires_at = ttl::extend(meta.created_at, meta.expires_at, now, req.ttl, &policy)?;
        meta.updated_at = now;
        Ok(true)
    })
    .await?;
    Ok(ChangeReport::changed(Outcome::Extended, saved.meta))
}
