//! `create`: provision a new environment (`idp create`, or the first push of a branch).

use crate::budgets::guard;
use crate::domain::config::Config;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::domain::ttl::{self, Ttl};
use crate::environments::approve;
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
    /// An admin's reason to create it past a budget refusal (`--override-budget`); only the
    /// platform policy's admins may, and the override is kept in the metadata.
    pub budget_override: Option<String>,
}

/// Puts `config` in the region a request names (`idp create --env-region`, the API's
/// `region`), over the config file's `region:`, after the same check. An environment's name is
/// unique across regions, and it keeps its region for life.
pub fn in_region(config: &mut Config, region: &str) -> Result<()> {
    if !crate::domain::config::is_region(region) {
        return Err(Error::Refused {
            reason: "invalid_region".to_owned(),
            message: format!(
                "region `{}` is not an AWS region: give a region code such as `us-east-1` or `eu-west-1`",
                region.escape_debug()
            ),
        });
    }
    config.region = Some(region.to_owned());
    Ok(())
}

/// Create an environment: refuse if one of that name exists (and is not `destroyed`), write
/// its metadata (`provisioning`), apply it, and record `active` with its endpoint — or
/// `failed` with the provisioner's error.
///
/// A `failed` environment the same owner created by hand from the same template is applied
/// again: running `create` once more is how a create that failed (or was interrupted) is
/// retried, and OpenTofu's state makes it pick up what the first attempt made. So is one still
/// `provisioning`: holding the lease, nothing else is applying it, so its creator died
/// mid-apply (its lease expired or was broken by `idp unlock`). Two creates of
/// one name at once: one applies, the other is refused with [`Error::Busy`] (a conflict).
pub async fn create(platform: &Platform, req: CreateRequest) -> Result<ChangeReport> {
    check_secrets(platform, &req)?;
    let ttl = platform
        .settings
        .ttl_policy
        .check(req.ttl.unwrap_or(req.config.ttl))?;
    let backend = &platform.backend;
    let guard = match lease::acquire(
        &backend.locks,
        &backend.clock,
        &req.name,
        Purpose::Deploy,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        None,
    )
    .await
    {
        Ok(guard) => guard,
        Err(Error::LockHeld {
            name,
            owner,
            expires_at,
        }) => {
            return Err(Error::Busy {
                name,
                owner,
                expires_at,
            });
        }
        Err(e) => return Err(e),
    };
    let result = create_locked(platform, &req, ttl).await;
    guard.release().await;
    let (saved, _) = result?;
    Ok(ChangeReport::changed(Outcome::Created, saved.meta))
}

/// Whether `req` may be created as far as approval goes, without writing anything but the
/// approval request: `Ok` when its template needs no approval or it was approved, else
/// [`Error::ApprovalRequired`]. [`create`] checks it again; this lets a frontend that creates
/// in the background (the API) refuse at once.
pub async fn check_approval(platform: &Platform, req: &CreateRequest) -> Result<()> {
    check_secrets(platform, req)?;
    let ttl = platform
        .settings
        .ttl_policy
        .check(req.ttl.unwrap_or(req.config.ttl))?;
    let owner = req
        .owner
        .clone()
        .unwrap_or_else(|| platform.settings.actor.clone());
    let previous = state::load(&*platform.backend.store, &req.name).await?;
    let retry = previous.as_ref().filter(|p| is_retry(&p.meta, req, &owner));
    approve::gate_create(
        platform,
        &req.name,
        &req.config,
        ttl,
        &owner,
        retry.map(|r| &r.meta),
    )
    .await
    .map(|_| ())
}

async fn create_locked(
    platform: &Platform,
    req: &CreateRequest,
    ttl: Ttl,
) -> Result<(Versioned, crate::ports::provisioner::Outputs)> {
    let store = &*platform.backend.store;
    let previous = state::load(store, &req.name).await?;
    let owner = req
        .owner
        .clone()
        .unwrap_or_else(|| platform.settings.actor.clone());
    let retry = previous.as_ref().filter(|p| is_retry(&p.meta, req, &owner));
    if let Some(existing) = previous
        .as_ref()
        .filter(|p| p.meta.status != Status::Destroyed && retry.is_none())
    {
        return Err(Error::AlreadyExists {
            name: req.name.to_string(),
            status: existing.meta.status,
            region: existing
                .meta
                .region_or(&platform.settings.region)
                .to_owned(),
        });
    }
    // A new environment must fit its owner's budgets; a retry applies what exists already.
    let overridden = if retry.is_none() {
        let env = guard::NewEnvironment {
            name: &req.name,
            owner: &owner,
            config: &req.config,
            ttl,
        };
        guard::check_new(platform, &env, req.budget_override.as_deref()).await?
    } else {
        None
    };
    // A costly template waits for an admin's approval; nothing is written but the request.
    let approval = approve::gate_create(
        platform,
        &req.name,
        &req.config,
        ttl,
        &owner,
        retry.map(|r| &r.meta),
    )
    .await?;
    let region = deploy::region_of(&req.config)?;
    let now = platform.backend.clock.now();
    let mut meta = Metadata::new(
        req.name.clone(),
        req.config.template.clone(),
        owner,
        now,
        ttl::expires_at(now, ttl),
    );
    if let Some(failed) = retry {
        // The first attempt's resources are in its OpenTofu state: keep when it began and what
        // went wrong (until this attempt succeeds).
        meta.created_at = failed.meta.created_at;
        meta.last_error.clone_from(&failed.meta.last_error);
    }
    let image = req
        .image
        .clone()
        .unwrap_or_else(|| req.config.image.clone());
    meta.apply_source(&req.source, Some(image));
    meta.place_in(region.as_ref());
    meta.budget_override = overridden;
    meta.approval = approval;
    let approved = meta.approval.is_some();
    // What refuses the request itself (a region without a certificate) refuses it before the
    // record is written.
    deploy::request(platform, &meta, &req.config)?;
    let written = state::save(store, &meta, previous.as_ref().map(|p| &p.etag)).await?;
    if approved {
        approve::consume(platform, &req.name).await;
    }
    deploy::apply(platform, written, &req.config).await
}

/// [`Error::SecretNotAllowed`] when the config references a secret outside the allow-list of
/// the environment's repository (`aws.secretPatterns`); checked before anything is written.
pub fn check_secrets(platform: &Platform, req: &CreateRequest) -> Result<()> {
    platform
        .settings
        .secret_allow_list
        .check(&req.config.secrets, req.source.repository.as_deref())?;
    Ok(())
}

/// Whether `create` applies the `failed` (or abandoned `provisioning`) environment `existing`
/// again: the same owner made it by hand (not a branch's preview) from the same template.
fn is_retry(existing: &Metadata, req: &CreateRequest, owner: &str) -> bool {
    matches!(existing.status, Status::Failed | Status::Provisioning)
        && existing.branch.is_none()
        && existing.template == req.config.template
        && existing.owner == owner
        // The first attempt's state is under its region: a retry elsewhere is a new environment.
        && existing.region == req.config.region
}
