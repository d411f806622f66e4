//! `extend`: give an environment more time. `created_at` never changes; the new expiry is the
//! later of now and the current expiry, plus the TTL (bounded by the TTL policy).
//!
//! Where the provisioner's resources carry the expiry in their tags (OpenTofu: every resource
//! has `idp:expires-at`), the environment is re-applied with the new expiry under its lease, so
//! the tags stay true; a failed re-tag is reported as a notice, never undoes the extension
//! (expiry decisions read only the metadata).

use chrono::SecondsFormat;

use crate::domain::lifecycle::Status;
use crate::domain::naming::EnvName;
use crate::domain::ttl::{self, Ttl};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::support::deploy;
use crate::support::lease::{self, Purpose};
use crate::support::report::ChangeReport;
use crate::support::report::Outcome;
use crate::support::state::{self, Versioned};

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
        let until = meta.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        meta.record_event(now, "extended", Some(format!("until {until}")));
        Ok(true)
    })
    .await?;
    let mut report = ChangeReport::changed(Outcome::Extended, saved.meta.clone());
    let retags = platform
        .backend
        .provisioner
        .tags_follow_expiry(&saved.meta.template)
        && saved.meta.status == Status::Active;
    if let Some(Err(e)) = if retags {
        Some(retag(platform, &saved).await)
    } else {
        None
    } {
        report.notices.push(format!(
            "the expiry tags of `{}` were not updated ({e}); they catch up on the next deploy",
            req.name
        ));
    }
    Ok(report)
}

/// Re-apply `env` with its stored variables and the new expiry, under its lease.
async fn retag(platform: &Platform, saved: &Versioned) -> Result<()> {
    let backend = &platform.backend;
    let guard = lease::acquire(
        &backend.locks,
        &backend.clock,
        &saved.meta.name,
        Purpose::Update,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        Some(platform.settings.lease_wait),
    )
    .await?;
    let result = async {
        // Re-read under the lease: the environment may have moved on meanwhile.
        let current = state::load_existing(&*backend.store, &saved.meta.name).await?;
        if current.meta.status != Status::Active {
            return Ok(());
        }
        let mut req = deploy::stored_request(platform, &current.meta).await?;
        let expiry = current
            .meta
            .expires_at
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        req.tfvars
            .insert("expires_at".to_owned(), serde_json::Value::String(expiry));
        backend
            .provisioner
            .apply(&req)
            .await
            .map_err(|source| Error::Provision {
                name: current.meta.name.to_string(),
                source,
            })?;
        state::put_json(
            &*backend.store,
            &state::keys(&current.meta)?.tfvars,
            &serde_json::Value::Object(req.tfvars),
        )
        .await
    }
    .await;
    guard.release().await;
    result
}
