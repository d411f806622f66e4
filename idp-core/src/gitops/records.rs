//! The writes a GitOps trigger makes to an environment's record, in one place for both ways of
//! running the path: [`super::preview`] (one process, apply included) and [`super::steps`] (a
//! workflow that applies between two idp steps).
//!
//! Each write is a compare-and-swap on the etag the caller read, so a caller that lost a race
//! gets `Error::Conflict` and re-decides on fresh metadata; nothing is written blindly.

use chrono::{DateTime, Utc};

use crate::budgets::guard;
use crate::domain::approval::Approval;
use crate::domain::config::Config;
use crate::domain::lifecycle::{Metadata, Source, Status};
use crate::domain::naming::EnvName;
use crate::domain::ttl;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::deploy;
use crate::support::state::{self, Versioned};

/// What a deploy of a branch brings: its config, the image built for the commit, who pushed,
/// and where the code comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deployment<'a> {
    pub(crate) config: &'a Config,
    /// The image built for this commit; `None` runs the config's image.
    pub(crate) image: Option<&'a str>,
    /// The owner of a new environment; `None` is the platform's actor.
    pub(crate) owner: Option<&'a str>,
    pub(crate) source: &'a Source,
    /// The approval a costly template got, recorded with a new environment.
    pub(crate) approval: Option<&'a Approval>,
}

impl Deployment<'_> {
    /// The image the environment runs after this deploy.
    pub(crate) fn image(&self) -> String {
        self.image
            .map_or_else(|| self.config.image.clone(), str::to_owned)
    }

    /// A fresh `provisioning` record for `env`, expiring one TTL from `now`.
    pub(crate) fn new_record(
        &self,
        platform: &Platform,
        env: &EnvName,
        now: DateTime<Utc>,
    ) -> Result<Metadata> {
        let ttl = platform.settings.ttl_policy.check(self.config.ttl)?;
        let owner = self
            .owner
            .map_or_else(|| platform.settings.actor.clone(), str::to_owned);
        let mut meta = Metadata::new(
            env.clone(),
            self.config.template.clone(),
            owner,
            now,
            ttl::expires_at(now, ttl),
        );
        meta.place_in(deploy::region_of(self.config)?.as_ref());
        meta.apply_source(self.source, Some(self.image()));
        meta.approval = self.approval.cloned();
        Ok(meta)
    }

    /// The budget check of a provision: a new environment (no record, or a `destroyed`
    /// tombstone) must fit its owner's budgets ([`guard::check_new`], no override on this
    /// path); the recovery of a `failed` one and redeploys are not checked.
    pub(crate) async fn check_budget(
        &self,
        platform: &Platform,
        env: &EnvName,
        current: Option<&Metadata>,
    ) -> Result<()> {
        if current.is_some_and(|c| c.status != Status::Destroyed) {
            return Ok(());
        }
        let ttl = platform.settings.ttl_policy.check(self.config.ttl)?;
        let owner = self.owner.unwrap_or(&platform.settings.actor);
        let new = guard::NewEnvironment {
            name: env,
            owner,
            config: self.config,
            ttl,
        };
        guard::check_new(platform, &new, None).await.map(|_| ())
    }

    /// `current` as a redeploy leaves it: `updating` (from `active`), alive for at least one
    /// more TTL from `now`, with the new source and image.
    pub(crate) fn redeployed(
        &self,
        platform: &Platform,
        current: &Metadata,
        now: DateTime<Utc>,
    ) -> Result<Metadata> {
        let ttl = platform.settings.ttl_policy.check(self.config.ttl)?;
        let mut meta = current.clone();
        if meta.status == Status::Active {
            meta.transition(Status::Updating, now)?;
        }
        meta.expires_at = meta.expires_at.max(ttl::expires_at(now, ttl));
        meta.updated_at = now;
        meta.apply_source(self.source, Some(self.image()));
        Ok(meta)
    }

    /// Write the start of a provision: a new record (replacing a `destroyed` tombstone), or the
    /// recovery of a `failed` one, which keeps its creation time and takes the config's
    /// template. What refuses the request itself (a region without a certificate, a config that
    /// moves the environment to another region) refuses it before anything is written.
    pub(crate) async fn begin_provision(
        &self,
        platform: &Platform,
        env: &EnvName,
        current: Option<Versioned>,
    ) -> Result<Versioned> {
        let store = &*platform.backend.store;
        let now = platform.backend.clock.now();
        match current {
            Some(failed) if failed.meta.status == Status::Failed => {
                let ttl = platform.settings.ttl_policy.check(self.config.ttl)?;
                let mut meta = failed.meta.clone();
                meta.transition(Status::Provisioning, now)?;
                meta.template = self.config.template.clone();
                if let Some(approval) = self.approval {
                    meta.approval = Some(approval.clone());
                }
                meta.expires_at = meta.expires_at.max(ttl::expires_at(now, ttl));
                meta.apply_source(self.source, Some(self.image()));
                deploy::request(platform, &meta, self.config)?;
                state::save(store, &meta, Some(&failed.etag)).await
            }
            previous => {
                let meta = self.new_record(platform, env, now)?;
                deploy::request(platform, &meta, self.config)?;
                state::save(store, &meta, previous.as_ref().map(|p| &p.etag)).await
            }
        }
    }

    /// Write the start of a redeploy of `current`.
    pub(crate) async fn begin_redeploy(
        &self,
        platform: &Platform,
        current: &Versioned,
    ) -> Result<Versioned> {
        let now = platform.backend.clock.now();
        let meta = self.redeployed(platform, &current.meta, now)?;
        deploy::request(platform, &meta, self.config)?;
        state::save(&*platform.backend.store, &meta, Some(&current.etag)).await
    }
}

/// Write the start of a destroy: `destroying` (a `provisioning` or `updating` record is marked
/// `failed` first, as the status machine requires). A record already `destroying` is returned
/// as it is.
pub(crate) async fn begin_destroy(platform: &Platform, current: Versioned) -> Result<Versioned> {
    if current.meta.status == Status::Destroying {
        return Ok(current);
    }
    let now = platform.backend.clock.now();
    let mut meta = current.meta.clone();
    if matches!(meta.status, Status::Provisioning | Status::Updating) {
        meta.transition(Status::Failed, now)?;
    }
    meta.transition(Status::Destroying, now)?;
    state::save(&*platform.backend.store, &meta, Some(&current.etag)).await
}
