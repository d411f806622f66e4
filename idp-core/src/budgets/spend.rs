//! Month-to-date spend of a budget's environments, behind the one function the guardrail and
//! `idp budgets` call ([`month_to_date`]).
//!
//! Each environment's figure is [`crate::support::spend`]'s: what the bill (Cost Explorer by
//! the `idp:environment` tag) reports through the last day it covers, plus the list-price
//! estimate of the hours after it. Without a billing source (the local backend) it is the
//! estimate alone, and [`MonthToDate::source`] says so.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::spend::{self, SpendSource};

/// The spend of each environment this month, and where the figures come from.
#[derive(Debug, Clone)]
pub struct MonthToDate {
    /// Environment → billed + unbilled estimate, in US dollars.
    pub by_env: BTreeMap<EnvName, f64>,
    /// Where the figures come from, as reports say it.
    pub source: String,
}

/// The first day of the month of `now`.
pub fn month_of(now: DateTime<Utc>) -> NaiveDate {
    spend::month_start(now.date_naive())
}

/// Spend in US dollars of each of `envs` in `month` (its first day) up to now: billed plus
/// the estimate of what the bill does not cover yet.
pub async fn month_to_date(
    platform: &Platform,
    month: NaiveDate,
    envs: &[Metadata],
) -> Result<MonthToDate> {
    let report = spend::month_report(platform, month, envs).await?;
    let source = match (report.source, report.billed_through) {
        (SpendSource::Billed, Some(through)) => format!(
            "billed by Cost Explorer through {through}, plus list-price estimates of the hours after"
        ),
        (SpendSource::Billed, None) => {
            "list-price estimates (nothing billed this month yet)".to_owned()
        }
        (SpendSource::EstimateOnly, _) => {
            "list-price estimates of the hours each environment ran this month (no bill on this backend)"
                .to_owned()
        }
    };
    Ok(MonthToDate {
        by_env: report
            .environments
            .into_iter()
            .map(|(name, spend)| (name, spend.total_usd()))
            .collect(),
        source,
    })
}
