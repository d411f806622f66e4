//! `create`: provision a new environment (`idp create`, or the first push of a branch).

use crate::domain::config::Config;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::domain::ttl::{self, Ttl};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::support::deploy;
use crate::support::lease::{self, Purpose};
use crate::support::report::ChangeReport;
use crate::support::report::Outcome;
use crate::support::state::{self, Versioned};

pub use crate::domain::lifecycle::Source;

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// The environment name.
    pub name: EnvName,
    /// The configuration (template, sizes, `local.command`, …).
    pub config: Config,
    /// The TTL; `None` uses the config's.
    pub ttl: Option<Ttl>,
    /// Who owns it; `None` uses the platform's actor.
    pub owner: Option<String>,
    /// The image to run; `None` uses the config's.
    pub image: Option<String>,
    /// Where the code comes from.
    pub source: Source,
}

/// Create an environment: refuse if one of that name exists (and is not `destroyed`), write
/// its metadata (`provisioning`), apply it, and record `active` with its endpoint — or
/// `failed` with the provisioner's error.
pub async fn create(platform: &Platform, req: CreateRequest) -> Result<ChangeReport> {
    let ttl = platform
        .settings
        .ttl_policy
        .check(req.ttl.unwrap_or(req.config.ttl))?;
    let backend = &platform.backend;
    let guard = lease::acquire(
        &backend.locks,
        &backend.clock,
        &req.name,
        Purpose::Deploy,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        None,
    )
    .await?;
    let result = create_locked(platform, &req, ttl).await;
    guard.release().await;
    let (saved, _) = result?;
    Ok(ChangeReport::changed(Outcome::Created, saved.meta))
}

async fn create_locked(
    platform: &Platform,
    req: &CreateRequest,
    ttl: Ttl,
) -> Result<(Versioned, crate::ports::provisioner::Outputs)> {
    let store = &*platform.backend.store;
    let previous = state::load(store, &req.name).await?;
    if let Some(existing) = previous
        .as_ref()
        .filter(|p| p.meta.status != Status::Destroyed)
    {
        return Err(Error::AlreadyExists {
            name: req.name.to_string(),
            status: existing.meta.status,
        });
    }
    let now = platform.backend.clock.now();
    let mut meta = Metadata::new(
        req.name.clone(),
        req.config.template.clone(),
        req.owner
            .clone()
            .unwrap_or_else(|| platform.settings.actor.clone()),
        now,
        ttl::expires_at(now, ttl),
    );
    let image = req
        .image
        .clone()
        .unwrap_or_else(|| req.config.image.clone());
    meta.apply_source(&req.source, Some(image));
    meta.region = req.config.region.clone();
    let written = state::save(store, &meta, previous.as_ref().map(|p| &p.etag)).await?;
    deploy::apply(platform, written, &req.config).await
}
