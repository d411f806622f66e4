//! `idp approve`: an admin approves an environment whose template needs approval, on the CLI
//! or the API (the GitOps path reads a pull request's reviews and labels instead, see
//! [`crate::gitops`]).
//!
//! A refused `idp create` leaves an approval request at `approvals/{name}.json` (never an
//! environment record: nothing is applied, and `list` and `sweep` see no half-made
//! environment). `idp approve NAME` records who approved, when, how (`admin`) and why in it;
//! the next `idp create NAME` of the same template proceeds, copies the approval into the
//! environment's record (shown by `idp status`) and removes the request. [`pending`] lists the
//! requests for `idp list`.

use serde::Serialize;

use crate::domain::approval::{Approval, ApprovalMethod, ApprovalRequest, Requirement};
use crate::domain::config::Config;
use crate::domain::layout;
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::ttl::Ttl;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::support::state;

/// What to approve.
#[derive(Debug, Clone)]
pub struct ApproveRequest {
    /// The environment waiting for approval.
    pub name: EnvName,
    /// Who approves (the CLI's actor, the API token's identity).
    pub by: String,
    /// Why (kept with the approval).
    pub reason: Option<String>,
}

/// What [`approve`] did.
#[derive(Debug, Clone, Serialize)]
pub struct ApproveReport {
    /// The request, now approved.
    pub request: ApprovalRequest,
    /// Whether it was approved before (the earlier approval is kept).
    pub already_approved: bool,
}

/// The approval request of `name`, if one waits (or was approved and not used yet).
pub async fn load(platform: &Platform, name: &EnvName) -> Result<Option<ApprovalRequest>> {
    let key = layout::approval_key(name);
    let Some(value) = state::get_json(&*platform.backend.store, &key).await? else {
        return Ok(None);
    };
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| Error::CorruptState {
            key,
            message: e.to_string(),
        })
}

/// Approve `req.name`. Fails with [`Error::NotFound`] when nothing waits for approval under
/// that name (run `idp create` first: it says what approval is needed).
pub async fn approve(platform: &Platform, req: ApproveRequest) -> Result<ApproveReport> {
    let Some(mut request) = load(platform, &req.name).await? else {
        return Err(Error::NotFound {
            name: req.name.to_string(),
        });
    };
    if request.approval.is_some() {
        return Ok(ApproveReport {
            request,
            already_approved: true,
        });
    }
    request.approval = Some(Approval {
        by: req.by,
        at: platform.backend.clock.now(),
        how: ApprovalMethod::Admin,
        template: request.template.clone(),
        reason: req.reason.filter(|r| !r.trim().is_empty()),
    });
    save(platform, &request).await?;
    Ok(ApproveReport {
        request,
        already_approved: false,
    })
}

/// Every approval request, by name.
pub async fn pending(platform: &Platform) -> Result<Vec<ApprovalRequest>> {
    let store = &*platform.backend.store;
    let mut requests = Vec::new();
    for object in store.list_all(layout::APPROVALS_PREFIX).await? {
        let Some(name) = object
            .key
            .strip_prefix(layout::APPROVALS_PREFIX)
            .and_then(|k| k.strip_suffix(".json"))
            .and_then(|n| EnvName::parse(n).ok())
        else {
            continue;
        };
        if let Some(request) = load(platform, &name).await? {
            requests.push(request);
        }
    }
    requests.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(requests)
}

async fn save(platform: &Platform, request: &ApprovalRequest) -> Result<()> {
    let value = serde_json::to_value(request).map_err(|e| Error::CorruptState {
        key: layout::approval_key(&request.name),
        message: e.to_string(),
    })?;
    state::put_json(
        &*platform.backend.store,
        &layout::approval_key(&request.name),
        &value,
    )
    .await
}

/// What `idp status` of a name that has no record but a pending approval request says.
pub fn waiting_error(request: &ApprovalRequest) -> Error {
    Error::ApprovalRequired {
        name: request.name.to_string(),
        reason: format!(
            "{} (asked by `{}` on {})",
            request.why,
            request.requested_by,
            request.requested_at.format("%Y-%m-%d %H:%M UTC")
        ),
        who: "it has no pull request; only an admin can approve it".to_owned(),
    }
}

/// What approval `config` living `ttl` needs on this platform, if any: the rule of its
/// template's `template.json` against its lifetime estimate.
pub(crate) fn requirement_for(
    platform: &Platform,
    config: &Config,
    ttl: Ttl,
) -> Result<Option<Requirement>> {
    let rule = platform
        .settings
        .approval_rules
        .get(config.template.as_str());
    if rule.is_none() {
        return Ok(None);
    }
    let ttl = platform.settings.ttl_policy.check(ttl)?;
    let estimate = crate::domain::cost::estimate(
        &config.template,
        config.cpu,
        config.memory,
        ttl,
        crate::domain::tfvars::network(config, &platform.settings.platform_vars),
    );
    Ok(crate::domain::approval::requirement(
        &config.template,
        rule,
        estimate.total_usd,
    ))
}

/// The approval an admin gave `name` for `template`, if any.
pub(crate) async fn admin_approval(
    platform: &Platform,
    name: &EnvName,
    template: &TemplateName,
) -> Result<Option<Approval>> {
    Ok(load(platform, name)
        .await
        .ok()
        .flatten()
        .and_then(|r| r.approval)
        .filter(|a| &a.template == template))
}

/// Before `idp create` (or the API) provisions `name` from `config` for `ttl`: `Ok(None)` when
/// no approval is needed, the approval when one was given (by an admin, or kept by `previous`,
/// a failed attempt of the same template); otherwise the request is written (or kept) and
/// [`Error::ApprovalRequired`] says what is needed.
pub(crate) async fn gate_create(
    platform: &Platform,
    name: &EnvName,
    config: &Config,
    ttl: Ttl,
    requested_by: &str,
    previous: Option<&Metadata>,
) -> Result<Option<Approval>> {
    let Some(requirement) = requirement_for(platform, config, ttl)? else {
        return Ok(None);
    };
    if let Some(kept) = previous
        .and_then(|m| m.approval.clone())
        .filter(|a| a.template == config.template)
    {
        return Ok(Some(kept));
    }
    let existing = load(platform, name).await?;
    if let Some(approval) = existing
        .as_ref()
        .and_then(|r| r.approval.clone())
        .filter(|a| a.template == config.template)
    {
        return Ok(Some(approval));
    }
    let unchanged = existing
        .as_ref()
        .is_some_and(|r| r.template == config.template && r.approval.is_none());
    if !unchanged {
        save(
            platform,
            &ApprovalRequest {
                name: name.clone(),
                template: config.template.clone(),
                estimate_usd: requirement.estimate_usd,
                why: requirement.reason(),
                requested_by: requested_by.to_owned(),
                requested_at: platform.backend.clock.now(),
                approval: None,
            },
        )
        .await?;
    }
    Err(Error::ApprovalRequired {
        name: name.to_string(),
        reason: requirement.reason(),
        who: requirement.who(),
    })
}

/// After `name` was created: its approval request is used up.
pub(crate) async fn consume(platform: &Platform, name: &EnvName) {
    if let Err(error) = platform
        .backend
        .store
        .delete(&layout::approval_key(name))
        .await
    {
        tracing::warn!(%error, env = %name, "could not remove the used approval request");
    }
}
