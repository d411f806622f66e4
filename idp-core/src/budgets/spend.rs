//! Month-to-date spend of environments, behind the one function the guardrail and
//! `idp budgets` call ([`month_to_date`]).
//!
//! Today it is the list-price estimate of each environment for the hours it ran this month
//! (from [`cost::lifetime_estimate`]'s hourly rate, at the default sizes: the record keeps no
//! sizes). When billed spend is available (Cost Explorer by the `idp:environment` tag), this
//! function is where it comes in, as billed + the estimate of the hours not billed yet.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::domain::config::Config;
use crate::domain::cost;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;

/// Where the figures of [`month_to_date`] come from, as reports say it.
pub const SOURCE: &str = "estimate: list prices for the hours each environment ran this month";

/// The first day of the month of `now`.
pub fn month_of(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
        .with_day(1)
        .unwrap_or_else(|| now.date_naive())
}

/// Spend in US dollars of each of `envs` in `month` (its first day) up to now.
pub async fn month_to_date(
    platform: &Platform,
    month: NaiveDate,
    envs: &[Metadata],
) -> Result<BTreeMap<EnvName, f64>> {
    let now = platform.backend.clock.now();
    let start = Utc.from_utc_datetime(&month.and_hms_opt(0, 0, 0).unwrap_or_default());
    let defaults = Config::default();
    let mut out = BTreeMap::new();
    for meta in envs {
        let end = match meta.status {
            Status::Destroyed => meta.status_changed_at,
            _ => now,
        }
        .min(meta.expires_at)
        .min(now);
        let from = meta.created_at.max(start);
        if end <= from {
            out.insert(meta.name.clone(), 0.0);
            continue;
        }
        let shared = meta
            .inputs
            .as_ref()
            .and_then(|i| i.use_shared_networking)
            .unwrap_or(defaults.use_shared_networking);
        let e = cost::lifetime_estimate(
            &meta.template,
            defaults.cpu,
            defaults.memory,
            shared,
            from,
            end,
            end,
        );
        out.insert(meta.name.clone(), e.to_date_usd);
    }
    Ok(out)
}
