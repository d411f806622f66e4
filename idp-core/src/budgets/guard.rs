//! The guardrail: before a new environment is provisioned, on every path (`idp create`, the
//! GitOps push in one process or as workflow steps, the REST API), its owner's budgets must
//! have room for the month's spend so far plus the new environment's lifetime estimate.
//!
//! The rule is [`policy::check`]; this is where its inputs are gathered: the stored policy,
//! the environments of the index, their spend this month ([`spend::month_to_date`]) and the
//! estimate ([`cost::estimate`]). Redeploys of an existing environment are never checked.

use std::collections::BTreeSet;

use crate::budgets::{spend, store};
use crate::domain::config::Config;
use crate::domain::cost;
use crate::domain::event::Trigger;
use crate::domain::index::Entry;
use crate::domain::lifecycle::{BudgetOverride, Metadata};
use crate::domain::naming::EnvName;
use crate::domain::policy::{self, Overrun, Policy, comment::refusal_comment};
use crate::domain::ttl::Ttl;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::support::index;

/// What is about to be provisioned.
#[derive(Debug, Clone, Copy)]
pub struct NewEnvironment<'a> {
    /// Its name.
    pub name: &'a EnvName,
    /// Its owner, whose budgets apply.
    pub owner: &'a str,
    /// Its configuration (template and sizes, for the estimate).
    pub config: &'a Config,
    /// How long it will live.
    pub ttl: Ttl,
}

/// The lifetime estimate of `env`, in US dollars.
pub fn estimate_usd(env: &NewEnvironment<'_>) -> f64 {
    cost::estimate(
        &env.config.template,
        env.config.cpu,
        env.config.memory,
        env.ttl,
        crate::domain::tfvars::network(env.config, &crate::domain::tfvars::PlatformVars::default()),
    )
    .total_usd
}

/// The budget `env` would overrun, if any (no budget covering its owner: `None`).
pub async fn overrun(platform: &Platform, env: &NewEnvironment<'_>) -> Result<Option<Overrun>> {
    let policy = store::policy(&*platform.backend.store).await?;
    overrun_with(platform, &policy, env).await
}

async fn overrun_with(
    platform: &Platform,
    rules: &Policy,
    env: &NewEnvironment<'_>,
) -> Result<Option<Overrun>> {
    if rules.budgets_for(env.owner).is_empty() {
        return Ok(None);
    }
    let envs = environments(platform).await?;
    let month = spend::month_of(platform.backend.clock.now());
    let spent = spend::month_to_date(platform, month, &envs).await?;
    let estimate = estimate_usd(env);
    Ok(policy::check(rules, env.owner, estimate, |budget| {
        let members: BTreeSet<String> = rules.members(budget).into_iter().collect();
        envs.iter()
            .filter(|m| members.contains(&m.owner.to_ascii_lowercase()))
            .filter_map(|m| spent.by_env.get(&m.name))
            .sum()
    }))
}

/// Every environment record of the index (read only; unreadable rows are left out).
pub async fn environments(platform: &Platform) -> Result<Vec<Metadata>> {
    let verified = index::peek(platform).await?;
    Ok(verified
        .index
        .rows
        .into_values()
        .filter_map(|row| match row.entry {
            Entry::Record(meta) => Some(meta),
            Entry::Unreadable(_) => None,
        })
        .collect())
}

/// The error of `overrun` for environment `name`.
pub fn exceeded(name: &EnvName, overrun: &Overrun) -> Error {
    Error::BudgetExceeded {
        name: name.to_string(),
        overrun: overrun.clone(),
    }
}

/// Check `env` before it is provisioned: `Ok(None)` when it fits (or no budget covers its
/// owner); [`Error::BudgetExceeded`] when it does not. With `override_reason`, an admin of the
/// policy (the platform's actor) gets `Ok(Some(override))` to record in the metadata instead;
/// anyone else is refused. An override that was not needed is not recorded.
pub async fn check_new(
    platform: &Platform,
    env: &NewEnvironment<'_>,
    override_reason: Option<&str>,
) -> Result<Option<BudgetOverride>> {
    let policy = store::policy(&*platform.backend.store).await?;
    let Some(overrun) = overrun_with(platform, &policy, env).await? else {
        return Ok(None);
    };
    let Some(reason) = override_reason else {
        return Err(exceeded(env.name, &overrun));
    };
    let actor = &platform.settings.actor;
    if !policy.is_admin(actor) {
        return Err(Error::Refused {
            reason: "budget_override_not_allowed".to_owned(),
            message: format!(
                "`{actor}` may not override the budget of {}: only the platform policy's `admins` ({}) may",
                overrun.scope,
                if policy.admins.is_empty() {
                    "none listed".to_owned()
                } else {
                    policy.admins.join(", ")
                }
            ),
        });
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().any(char::is_control) || reason.chars().count() > 500 {
        return Err(Error::Refused {
            reason: "invalid_override_reason".to_owned(),
            message: "`--override-budget` needs a reason of one line (at most 500 characters), e.g. `--override-budget \"release demo for the board\"`".to_owned(),
        });
    }
    Ok(Some(BudgetOverride {
        by: actor.clone(),
        reason: reason.to_owned(),
        at: platform.backend.clock.now(),
        budget: overrun.scope.to_string(),
        figures: figures(&overrun),
    }))
}

/// `spent $190.00 + estimate $30.00 > limit $200.00`.
pub fn figures(overrun: &Overrun) -> String {
    format!(
        "spent {} + estimate {} > limit {}",
        cost::format_usd(overrun.spent_usd),
        cost::format_usd(overrun.estimate_usd),
        cost::format_usd(overrun.limit_usd)
    )
}

/// On the GitOps path: the pull request's preview comment says the budget refused the push
/// (forge errors become `notices`). `pr` is the pull request (the trigger's, or the branch's
/// open one).
pub async fn comment_refusal(
    platform: &Platform,
    trigger: &Trigger,
    pr: Option<u64>,
    env: &EnvName,
    error: &Error,
    notices: &mut Vec<String>,
) {
    let Error::BudgetExceeded { overrun, .. } = error else {
        return;
    };
    let (Some(repo), Some(pr)) = (trigger.repository(), pr) else {
        return;
    };
    let hints = [
        "Destroy a preview of the team that is no longer needed (`idp list`, `idp destroy NAME`), or ask a platform admin to raise the budget in the platform policy (`idp budgets sync`); then push again.".to_owned(),
        "Nothing was provisioned for this push.".to_owned(),
    ];
    let branch = trigger
        .branch()
        .map(|b| b.as_str().to_owned())
        .unwrap_or_default();
    let body = refusal_comment(env, &branch, overrun, &hints);
    let marker = crate::domain::render::comment_marker(env);
    if let Err(e) = platform
        .backend
        .forge
        .upsert_pr_comment(repo, pr, &marker, &body)
        .await
        && !matches!(e, crate::ports::ForgeError::NotConfigured)
    {
        notices.push(format!("could not update the pull request comment: {e}"));
    }
}
