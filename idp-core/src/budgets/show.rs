//! `idp budgets`: each budget of the stored policy with its limit, spend this month,
//! percentage, remaining and alert thresholds.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use crate::budgets::{guard, spend, store};
use crate::domain::policy::{BUDGET_PREFIX, Scope, round_cents};
use crate::error::Result;
use crate::platform::Platform;
use crate::ports::budgets::BudgetError;

/// One budget's row.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetRow {
    /// Whose budget.
    pub scope: Scope,
    /// The AWS budget's name.
    pub name: String,
    /// The monthly limit in US dollars.
    pub limit_usd: f64,
    /// Spent this month so far (see [`BudgetsReport::spend_source`]).
    pub spent_usd: f64,
    /// `spent_usd` in percent of the limit (one decimal).
    pub percent: f64,
    /// What is left this month (negative when over).
    pub remaining_usd: f64,
    /// The alert thresholds in percent.
    pub alert_at: Vec<u32>,
    /// Whose environments count.
    pub members: Vec<String>,
    /// The month's actual spend AWS Budgets reports, when the backend has budgets and this
    /// one exists there.
    pub aws_actual_usd: Option<f64>,
    /// Whether the AWS budget exists (`None`: the backend has no budgets).
    pub synced: Option<bool>,
}

/// What `idp budgets` shows.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetsReport {
    /// The month (its first day).
    pub month: NaiveDate,
    pub budgets: Vec<BudgetRow>,
    /// Where `spent_usd` comes from.
    pub spend_source: String,
    /// Things to know (no policy stored, no AWS budgets on this backend).
    pub notices: Vec<String>,
}

/// The budgets of the stored policy with this month's figures.
pub async fn show(platform: &Platform) -> Result<BudgetsReport> {
    let now = platform.backend.clock.now();
    let month = spend::month_of(now);
    let mut notices = Vec::new();
    let policy = match store::load(&*platform.backend.store).await? {
        Some((doc, _)) => doc.policy,
        None => {
            notices.push(
                "no platform policy is stored: run `idp budgets sync --policy platform.yml`"
                    .to_owned(),
            );
            return Ok(BudgetsReport {
                month,
                budgets: Vec::new(),
                spend_source: "no policy stored".to_owned(),
                notices,
            });
        }
    };
    let aws = match platform.backend.budgets.list_budgets(BUDGET_PREFIX).await {
        Ok(list) => Some(list),
        Err(BudgetError::NotSupported { backend }) => {
            notices.push(format!(
                "the {backend} backend has no AWS Budgets: the limits are enforced by idp's guardrail only, with no alert mail"
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let envs = guard::environments(platform).await?;
    let spent = spend::month_to_date(platform, month, &envs).await?;
    let mut budgets = Vec::new();
    for budget in &policy.budgets {
        let members = policy.members(budget);
        let set: BTreeSet<&String> = members.iter().collect();
        let total: f64 = envs
            .iter()
            .filter(|m| set.contains(&m.owner.to_ascii_lowercase()))
            .filter_map(|m| spent.by_env.get(&m.name))
            .sum();
        let spent_usd = round_cents(total);
        let name = budget.scope.budget_name();
        let found = aws
            .as_ref()
            .map(|list| list.iter().find(|b| b.spec.name == name));
        budgets.push(BudgetRow {
            scope: budget.scope.clone(),
            limit_usd: budget.monthly_usd,
            spent_usd,
            percent: (spent_usd / budget.monthly_usd * 1000.0).round() / 10.0,
            remaining_usd: round_cents(budget.monthly_usd - spent_usd),
            alert_at: budget.alert_at.clone(),
            members,
            aws_actual_usd: found.flatten().and_then(|b| b.actual_usd),
            synced: found.map(|f| f.is_some()),
            name,
        });
    }
    if budgets.iter().any(|b| b.synced == Some(false)) {
        notices.push(
            "some budgets are not in AWS yet: run `idp budgets sync --policy platform.yml`"
                .to_owned(),
        );
    }
    Ok(BudgetsReport {
        month,
        budgets,
        spend_source: spent.source,
        notices,
    })
}
