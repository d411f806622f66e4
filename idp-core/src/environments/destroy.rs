//! `destroy`: tear an environment down and clean up after it.
//!
//! Order: mark `destroying` → provisioner destroy → the environment's images → its OpenTofu
//! lock items → its state objects → mark `destroyed` (a tombstone that records the branch, so
//! a late trigger says "already destroyed"). A destroy that died half way leaves `destroying`
//! behind and is finished by the next destroy or sweep; every step is idempotent.

use crate::domain::layout;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::RegistryError;
use crate::support::deploy;
use crate::support::ingress;
use crate::support::lease::{self, Purpose};
use crate::support::notify;
use crate::support::report::Outcome;
use crate::support::report::{ChangeReport, Cleanup};
use crate::support::state::{self, Versioned};

/// What to destroy.
#[derive(Debug, Clone)]
pub struct DestroyRequest {
    /// The environment.
    pub name: EnvName,
    /// Only destroy it if it belongs to this branch (destroy triggers from a branch).
    pub expect_branch: Option<String>,
}

impl DestroyRequest {
    /// Destroy `name`, whoever it belongs to.
    pub fn new(name: EnvName) -> Self {
        Self {
            name,
            expect_branch: None,
        }
    }
}

/// Destroy an environment. A destroy that finds another destroy of the same environment running
/// is a no-op that says so; an environment that is gone or already destroyed is a no-op too.
pub async fn destroy(platform: &Platform, req: DestroyRequest) -> Result<ChangeReport> {
    let backend = &platform.backend;
    let name = Some(req.name.to_string());
    let guard = match lease::acquire(
        &backend.locks,
        &backend.clock,
        &req.name,
        Purpose::Destroy,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        None,
    )
    .await
    {
        Ok(guard) => guard,
        Err(Error::LockHeld { owner, .. }) if lease::owner_purpose_is(&owner, Purpose::Destroy) => {
            return Ok(ChangeReport::no_op(
                name,
                format!("a destroy of `{}` is already running (`{owner}`)", req.name),
            ));
        }
        Err(Error::LockHeld { .. }) => {
            // A deploy is running: wait for it, then destroy what it left.
            lease::acquire(
                &backend.locks,
                &backend.clock,
                &req.name,
                Purpose::Destroy,
                &platform.settings.actor,
                platform.settings.lease_ttl,
                Some(platform.settings.lease_wait),
            )
            .await?
        }
        Err(e) => return Err(e),
    };
    let result = destroy_locked(platform, &req).await;
    guard.release().await;
    result
}

/// The destroy itself; the caller holds the environment's lease.
pub(crate) async fn destroy_locked(
    platform: &Platform,
    req: &DestroyRequest,
) -> Result<ChangeReport> {
    let store = &*platform.backend.store;
    let name = Some(req.name.to_string());
    let Some(current) = state::load(store, &req.name).await? else {
        return Ok(ChangeReport::no_op(
            name,
            format!("environment `{}` does not exist", req.name),
        ));
    };
    if let Some(branch) = req
        .expect_branch
        .as_ref()
        .filter(|b| !current.meta.adoptable() && current.meta.branch.as_deref() != Some(b.as_str()))
    {
        return Ok(ChangeReport::no_op(
            name,
            format!(
                "environment `{}` belongs to branch `{}`, not `{}`",
                req.name,
                current.meta.branch.as_deref().unwrap_or("(none)"),
                branch.escape_debug()
            ),
        ));
    }
    if current.meta.status == Status::Destroyed {
        return Ok(ChangeReport::no_op(
            name,
            format!("environment `{}` is already destroyed", req.name),
        ));
    }
    let current = mark_destroying(platform, current).await?;
    let cleanup = tear_down(platform, &current).await?;
    let now = platform.backend.clock.now();
    let saved = state::update(store, &req.name, |meta| {
        meta.transition(Status::Destroyed, now)?;
        meta.endpoint = None;
        meta.last_error = None;
        Ok(true)
    })
    .await?;
    let mut notices = Vec::new();
    notify::destroyed(platform, &saved.meta, &mut notices).await;
    let mut report = ChangeReport::changed(Outcome::Destroyed, saved.meta);
    report.cleanup = Some(cleanup);
    report.notices = notices;
    Ok(report)
}

/// Move to `destroying` (through `failed` when a crashed deploy left `provisioning` or
/// `updating` behind); already `destroying` is resumed as is.
async fn mark_destroying(platform: &Platform, current: Versioned) -> Result<Versioned> {
    if current.meta.status == Status::Destroying {
        return Ok(current);
    }
    let now = platform.backend.clock.now();
    state::update(&*platform.backend.store, &current.meta.name, |meta| {
        match meta.status {
            Status::Destroying => return Ok(false),
            Status::Provisioning | Status::Updating => meta.transition(Status::Failed, now)?,
            _ => {}
        }
        meta.transition(Status::Destroying, now)?;
        Ok(true)
    })
    .await
}

async fn tear_down(platform: &Platform, current: &Versioned) -> Result<Cleanup> {
    let backend = &platform.backend;
    let meta = &current.meta;
    let req = deploy::stored_request(platform, meta).await?;
    if let Err(source) = backend.provisioner.destroy(&req).await {
        // The record stays `destroying` (the next destroy or sweep finishes it) and keeps why.
        let detail = source.detail();
        let recorded = state::update(&*backend.store, &meta.name, |m| {
            m.last_error = Some(detail.clone());
            Ok(true)
        })
        .await;
        if let Err(e) = recorded {
            tracing::warn!(env = %meta.name, error = %e, "recording the failed destroy failed");
        }
        return Err(Error::Provision {
            name: meta.name.to_string(),
            source,
        });
    }

    clean_up_after(platform, meta, &req.state_key).await
}

/// Everything a destroyed environment leaves besides its infrastructure: its images (tags that
/// belong to exactly this environment, in the platform's repository — in the environment's
/// region, ECR being regional — and, for a record of the original platform, in the ECR
/// repository its image names), its OpenTofu lock items
/// and its state objects except the metadata (which becomes the tombstone). Each step is
/// idempotent. Used by `destroy` after the provisioner's destroy, and by the GitHub workflow's
/// cleanup step after `tofu destroy`.
pub(crate) async fn clean_up_after(
    platform: &Platform,
    meta: &Metadata,
    state_key: &str,
) -> Result<Cleanup> {
    let backend = &platform.backend;
    let name = &meta.name;
    let mut cleanup = Cleanup::default();
    // Its rule on the shared load balancer is gone with its infrastructure: the priority is
    // free for the next environment.
    if let Some(priority) = meta.listener_rule_priority {
        ingress::release(&*backend.store, name, priority).await?;
    }
    let mut repositories = vec![platform.settings.image_repository.clone()];
    // Only a record of the original platform names its own repository; a branch's config
    // must not steer the cleanup into another one.
    if let Some(own) = meta
        .image
        .as_deref()
        .filter(|_| meta.legacy.is_some())
        .and_then(layout::ecr_repository_of)
        .filter(|own| !repositories.iter().any(|r| r == own))
    {
        repositories.push(own.to_owned());
    }
    // ECR is regional: an environment in a region of its own has its images there.
    let regional = meta
        .region
        .as_deref()
        .filter(|r| *r != platform.settings.region)
        .and_then(|r| backend.registry.in_region(r));
    let registry: &dyn crate::ports::ImageRegistry = match &regional {
        Some(registry) => registry.as_ref(),
        None => backend.registry.as_ref(),
    };
    for repository in &repositories {
        let images = match registry.list_images(repository).await {
            Ok(images) => images,
            // No repository, no images to clean up (e.g. the local backend before any build).
            Err(RegistryError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let tags: Vec<String> = images
            .into_iter()
            .map(|image| image.tag)
            .filter(|tag| layout::image_tag_belongs_to(tag, name))
            .collect();
        if !tags.is_empty() {
            let report = registry.delete_images(repository, &tags).await?;
            cleanup.images_deleted.extend(report.deleted);
            cleanup.image_failures.extend(
                report
                    .failed
                    .into_iter()
                    .map(|f| format!("{}: {}", f.tag, f.reason)),
            );
        }
    }

    let removal = backend
        .locks
        .remove_terraform_lock_items(&platform.settings.state_bucket, state_key)
        .await?;
    cleanup.terraform_lock_removed = removal.lock.is_some();
    cleanup.terraform_digest_removed = removal.digest_removed;

    let metadata_key = layout::metadata_key(name);
    for object in backend.store.list_all(&layout::env_prefix(name)).await? {
        if object.key != metadata_key {
            backend.store.delete(&object.key).await?;
            cleanup.state_objects_deleted += 1;
        }
    }
    Ok(cleanup)
}
