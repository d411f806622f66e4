//! `idp budgets sync`: store the policy, then make the AWS budgets match it.
//!
//! One COST budget per policy entry (`idp-team-<team>`, `idp-owner-<login>`), monthly, filtered
//! on the `idp:owner` tag with the members' logins, with one notification per `alert_at`
//! threshold sending to the `idp-budgets` SNS topic; the `notify` addresses are subscribed to
//! the topic. Only what differs is written, so a second sync changes nothing. Budgets whose
//! names start with `idp-` and are no longer in the policy are deleted; others are never
//! touched. A backend without budgets (the local one) stores the policy and says so.

use serde::Serialize;

use crate::budgets::{TOPIC_NAME, store};
use crate::domain::policy::{BUDGET_PREFIX, Policy};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::budgets::{BudgetError, BudgetSpec};
use crate::support::state::CAS_ATTEMPTS;

/// What to sync.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The checked policy.
    pub policy: Policy,
    /// The file it was read from (recorded with it).
    pub source: String,
}

/// What happened to one budget or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It did not exist and was made.
    Created,
    /// It existed with other settings and was changed.
    Updated,
    /// It is no longer in the policy and was removed.
    Deleted,
    /// It already matched.
    Unchanged,
}

/// One budget's change.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetChange {
    /// The AWS budget's name.
    pub name: String,
    pub change: Change,
    /// Its settings after the sync (`None` once deleted).
    pub spec: Option<BudgetSpec>,
}

/// One subscription's change.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionChange {
    pub email: String,
    pub change: Change,
}

/// What [`sync`] did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// Whether the stored policy changed.
    pub policy: Change,
    /// The state store object it is kept in.
    pub policy_key: String,
    /// Every budget touched or checked, by name; empty without a budgets backend.
    pub budgets: Vec<BudgetChange>,
    /// The alerts' topic (an SNS ARN), when there are budgets.
    pub topic: Option<String>,
    /// The topic's email subscriptions.
    pub subscriptions: Vec<SubscriptionChange>,
    /// Things to know (no budgets on this backend, unconfirmed addresses).
    pub notices: Vec<String>,
}

impl SyncReport {
    /// Whether the sync wrote anything.
    pub fn changed(&self) -> bool {
        self.policy != Change::Unchanged
            || self.budgets.iter().any(|b| b.change != Change::Unchanged)
            || self
                .subscriptions
                .iter()
                .any(|s| s.change != Change::Unchanged)
    }
}

/// Read and check the policy file at `path` (errors name it as given).
#[allow(
    clippy::disallowed_methods,
    reason = "the policy file is read once, by the command that syncs it"
)]
pub fn read_policy(path: &std::path::Path) -> Result<Policy> {
    let bytes = fs_err::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(Policy::from_bytes(&bytes, &path.display().to_string())?)
}

/// The AWS budgets `policy` asks for, sorted by name.
pub fn specs(policy: &Policy) -> Vec<BudgetSpec> {
    let mut out: Vec<BudgetSpec> = policy
        .budgets
        .iter()
        .map(|b| BudgetSpec {
            name: b.scope.budget_name(),
            limit_usd: b.monthly_usd,
            owners: policy.members(b),
            alert_at: b.alert_at.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn same(a: &BudgetSpec, b: &BudgetSpec) -> bool {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let mut at = (a.alert_at.clone(), b.alert_at.clone());
    at.0.sort_unstable();
    at.1.sort_unstable();
    (a.limit_usd - b.limit_usd).abs() < 0.005
        && sorted(&a.owners) == sorted(&b.owners)
        && at.0 == at.1
}

/// Store the policy, then create, update and delete budgets, the topic and its
/// subscriptions to match it.
pub async fn sync(platform: &Platform, req: SyncRequest) -> Result<SyncReport> {
    let policy_change = store_policy(platform, &req).await?;
    let mut report = SyncReport {
        policy: policy_change,
        policy_key: crate::domain::layout::POLICY_KEY.to_owned(),
        budgets: Vec::new(),
        topic: None,
        subscriptions: Vec::new(),
        notices: Vec::new(),
    };
    let budgets = &platform.backend.budgets;
    let existing = match budgets.list_budgets(BUDGET_PREFIX).await {
        Ok(existing) => existing,
        Err(BudgetError::NotSupported { backend }) => {
            report.notices.push(format!(
                "the {backend} backend has no AWS Budgets: no budget or alert was created; the policy is stored and the guardrail applies to every new environment (use `--backend aws` for budgets with alerts)"
            ));
            return Ok(report);
        }
        Err(e) => return Err(e.into()),
    };
    let wanted = specs(&req.policy);
    let emails = req.policy.notify_emails();
    if wanted.is_empty() && existing.is_empty() && emails.is_empty() {
        return Ok(report);
    }
    let topic = budgets.ensure_topic(TOPIC_NAME).await?;
    for spec in &wanted {
        let change = match existing.iter().find(|e| e.spec.name == spec.name) {
            Some(current) if same(&current.spec, spec) => Change::Unchanged,
            Some(current) => {
                budgets.update_budget(&current.spec, spec, &topic).await?;
                Change::Updated
            }
            None => {
                budgets.create_budget(spec, &topic).await?;
                Change::Created
            }
        };
        report.budgets.push(BudgetChange {
            name: spec.name.clone(),
            change,
            spec: Some(spec.clone()),
        });
    }
    for gone in existing
        .iter()
        .filter(|e| !wanted.iter().any(|w| w.name == e.spec.name))
    {
        match budgets.delete_budget(&gone.spec.name).await {
            Ok(()) | Err(BudgetError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        report.budgets.push(BudgetChange {
            name: gone.spec.name.clone(),
            change: Change::Deleted,
            spec: None,
        });
    }
    report.budgets.sort_by(|a, b| a.name.cmp(&b.name));
    let subscribed = budgets.subscriptions(&topic).await?;
    for email in &emails {
        let change = if subscribed
            .iter()
            .any(|s| s.email.eq_ignore_ascii_case(email))
        {
            Change::Unchanged
        } else {
            budgets.subscribe(&topic, email).await?;
            report.notices.push(format!(
                "`{email}` gets a confirmation mail from AWS: alerts reach it once the link in it is followed"
            ));
            Change::Created
        };
        report.subscriptions.push(SubscriptionChange {
            email: email.clone(),
            change,
        });
    }
    for sub in subscribed
        .iter()
        .filter(|s| !emails.iter().any(|e| e.eq_ignore_ascii_case(&s.email)))
    {
        if sub.confirmed {
            budgets.unsubscribe(&topic, &sub.email).await?;
            report.subscriptions.push(SubscriptionChange {
                email: sub.email.clone(),
                change: Change::Deleted,
            });
        } else {
            report.notices.push(format!(
                "`{}` is no longer in the policy but has not confirmed its subscription: SNS cannot remove it before, and drops it after three days unconfirmed",
                sub.email
            ));
        }
    }
    report.topic = Some(topic);
    Ok(report)
}

async fn store_policy(platform: &Platform, req: &SyncRequest) -> Result<Change> {
    let store = &*platform.backend.store;
    for _ in 0..CAS_ATTEMPTS {
        let current = store::load(store).await?;
        if let Some((doc, _)) = &current
            && doc.policy == req.policy
        {
            return Ok(Change::Unchanged);
        }
        let doc = store::StoredPolicy {
            schema: store::SCHEMA,
            policy: req.policy.clone(),
            source: req.source.clone(),
            updated_by: platform.settings.actor.clone(),
            updated_at: platform.backend.clock.now(),
        };
        match store::save(store, &doc, current.as_ref().map(|(_, etag)| etag)).await {
            Ok(_) if current.is_some() => return Ok(Change::Updated),
            Ok(_) => return Ok(Change::Created),
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict {
        name: crate::domain::layout::POLICY_KEY.to_owned(),
    })
}
