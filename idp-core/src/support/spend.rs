//! Month-to-date spend per environment: what the bill says, and an estimate of what it does not
//! say yet.
//!
//! Cost Explorer lags: a day's cost appears about a day after it ends. So the spend of an
//! environment is two numbers, never added up silently: `billed_usd`, what the bill reports
//! through `billed_through`, and `unbilled_estimate_usd`, the list-price estimate
//! ([`crate::domain::cost`]) of the hours after that day. Without a billing source (the local
//! backend) everything is estimated and the source says so.
//!
//! The bill is read once a day and month for all environments: the rows fetched are cached in the
//! state store under [`layout::billing_cache_key`], so listing 1,000 environments costs one Cost
//! Explorer request (which AWS charges for), not 1,000, and a second listing the same day none.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::config::Config;
use crate::domain::cost;
use crate::domain::layout;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::domain::ttl::Ttl;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::{DailyCost, ENVIRONMENT_TAG, PutMode, StoreError};

/// How many billed days the daily burn averages over (the last ones before the lag).
pub const BURN_DAYS: usize = 3;

/// Where a spend figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendSource {
    /// The bill (Cost Explorer), plus an estimate of the days it does not cover yet.
    Billed,
    /// No billing source on this backend: list-price estimates only.
    EstimateOnly,
}

/// One day of an environment's bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BilledDay {
    pub day: NaiveDate,
    /// Unblended cost in US dollars.
    pub usd: f64,
}

/// An environment's spend in one month, so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvSpend {
    /// What the bill reports for the month (0 when nothing is billed yet).
    pub billed_usd: f64,
    /// The last day the bill covers (for every environment: the bill's lag, not this one's
    /// spend); `None` when the bill has no day of the month yet, or there is no bill.
    pub billed_through: Option<NaiveDate>,
    /// The list-price estimate of the hours after `billed_through` (or of the whole month so
    /// far, without a bill), to now or the environment's end.
    pub unbilled_estimate_usd: f64,
    pub source: SpendSource,
    /// The billed days of the month with a cost, oldest first.
    pub days: Vec<BilledDay>,
}

impl EnvSpend {
    /// Billed plus estimated unbilled: the best figure for the month so far.
    pub fn total_usd(&self) -> f64 {
        round_cents(self.billed_usd + self.unbilled_estimate_usd)
    }

    /// The average billed cost per day over the last [`BURN_DAYS`] billed days (fewer when the
    /// environment is younger or the month has fewer), days without a cost counting as zero;
    /// `None` without a billed day.
    pub fn daily_burn_usd(&self, created_at: DateTime<Utc>) -> Option<f64> {
        let through = self.billed_through?;
        let first = created_at.date_naive();
        let window: Vec<NaiveDate> = (0..BURN_DAYS as u64)
            .filter_map(|back| through.checked_sub_days(Days::new(back)))
            .filter(|day| *day >= first && day.month() == through.month())
            .collect();
        if window.is_empty() {
            return None;
        }
        let sum: f64 = self
            .days
            .iter()
            .filter(|d| window.contains(&d.day))
            .map(|d| d.usd)
            .sum();
        Some(round_cents(sum / window.len() as f64))
    }
}

/// The month's spend of the environments asked about, and of everything else on the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthSpend {
    /// The first day of the month.
    pub month: NaiveDate,
    pub source: SpendSource,
    /// The last day the bill covers.
    pub billed_through: Option<NaiveDate>,
    pub environments: BTreeMap<EnvName, EnvSpend>,
    /// Billed spend of resources without the `idp:environment` tag (shared infrastructure,
    /// untagged resources).
    pub untagged_usd: f64,
    /// Billed spend per tag value that is none of the environments asked about (destroyed ones
    /// no longer listed, other tools' values), so no billed dollar goes unaccounted.
    pub other_usd: BTreeMap<String, f64>,
}

/// What the cache object holds: the rows one request returned.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    fetched_at: DateTime<Utc>,
    start: NaiveDate,
    end_exclusive: NaiveDate,
    rows: Vec<DailyCost>,
}

fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The first day of the month of `day`.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The first day of the month after the month of `day`.
pub fn next_month_start(day: NaiveDate) -> NaiveDate {
    month_start(day)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(day)
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// When `meta` stopped costing: its expiry, or when it was destroyed if that was sooner.
fn end_of(meta: &Metadata) -> DateTime<Utc> {
    if meta.status == Status::Destroyed {
        meta.status_changed_at.min(meta.expires_at)
    } else {
        meta.expires_at
    }
}

/// The list-price estimate of `meta` between `from` and `to` (clipped to its life), at the
/// default sizes (records do not keep sizes).
fn estimate_between(meta: &Metadata, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let from = from.max(meta.created_at);
    let to = to.min(end_of(meta));
    if to <= from {
        return 0.0;
    }
    let defaults = Config::default();
    let hourly = cost::estimate(
        &meta.template,
        defaults.cpu,
        defaults.memory,
        Ttl::DEFAULT,
        defaults.use_shared_networking,
    )
    .hourly_usd;
    round_cents(hourly * (to - from).num_seconds() as f64 / 3600.0)
}

/// The month's billed rows: from today's cache object, or from one billing request (then
/// cached). `None` without a billing source.
async fn billed_rows(platform: &Platform, month: NaiveDate) -> Result<Option<Vec<DailyCost>>> {
    let Some(billing) = &platform.backend.billing else {
        return Ok(None);
    };
    let now = platform.backend.clock.now();
    let today = now.date_naive();
    let start = month_start(month);
    let end_exclusive = next_month_start(month).min(today + TimeDelta::days(1));
    if start >= end_exclusive {
        return Ok(Some(Vec::new()));
    }
    let key = layout::billing_cache_key(today, start);
    let store = &*platform.backend.store;
    match store.get(&key).await {
        Ok(object) => match serde_json::from_slice::<Cached>(&object.bytes) {
            Ok(cached) if cached.start == start && cached.end_exclusive == end_exclusive => {
                return Ok(Some(cached.rows));
            }
            // Unreadable or for another range: fetched again and overwritten.
            _ => {}
        },
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let rows = billing
        .daily_cost_by_tag(ENVIRONMENT_TAG, start, end_exclusive)
        .await?;
    let cached = Cached {
        fetched_at: now,
        start,
        end_exclusive,
        rows,
    };
    let bytes = serde_json::to_vec(&cached).map_err(|e| Error::CorruptState {
        key: key.clone(),
        message: e.to_string(),
    })?;
    // Two readers racing on the first request of the day both write the same day's rows.
    store
        .put(&key, Bytes::from(bytes), PutMode::Overwrite)
        .await?;
    Ok(Some(cached.rows))
}

/// The spend in the month of `month` (any day in it) of `envs`, and of the rest of the bill.
pub async fn month_report(
    platform: &Platform,
    month: NaiveDate,
    envs: &[Metadata],
) -> Result<MonthSpend> {
    let start = month_start(month);
    let now = platform.backend.clock.now();
    let month_end = midnight(next_month_start(month)).min(now);
    let rows = billed_rows(platform, month).await?;
    let source = if rows.is_some() {
        SpendSource::Billed
    } else {
        SpendSource::EstimateOnly
    };
    let rows = rows.unwrap_or_default();
    let billed_through = rows.iter().map(|r| r.day).max();
    let unbilled_from =
        billed_through.map_or(midnight(start), |d| midnight(d) + TimeDelta::days(1));
    let mut by_value: BTreeMap<&str, Vec<BilledDay>> = BTreeMap::new();
    for row in &rows {
        by_value.entry(&row.tag_value).or_default().push(BilledDay {
            day: row.day,
            usd: row.usd,
        });
    }
    let mut environments = BTreeMap::new();
    for meta in envs {
        let days = by_value.remove(meta.name.as_str()).unwrap_or_default();
        let billed: f64 = days.iter().map(|d| d.usd).sum();
        environments.insert(
            meta.name.clone(),
            EnvSpend {
                billed_usd: round_cents(billed),
                billed_through,
                unbilled_estimate_usd: estimate_between(meta, unbilled_from, month_end),
                source,
                days,
            },
        );
    }
    let untagged_usd = by_value
        .remove("")
        .map_or(0.0, |days| round_cents(days.iter().map(|d| d.usd).sum()));
    let other_usd = by_value
        .into_iter()
        .map(|(value, days)| {
            (
                value.to_owned(),
                round_cents(days.iter().map(|d| d.usd).sum()),
            )
        })
        .collect();
    Ok(MonthSpend {
        month: start,
        source,
        billed_through,
        environments,
        untagged_usd,
        other_usd,
    })
}

/// The spend of each of `envs` in the month of `month` (any day in it), so far: billed by Cost
/// Explorer through the day it covers, and estimated after that. One billing request a day for
/// all environments (see the module docs).
pub async fn month_to_date(
    platform: &Platform,
    month: NaiveDate,
    envs: &[Metadata],
) -> Result<BTreeMap<EnvName, EnvSpend>> {
    Ok(month_report(platform, month, envs).await?.environments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Backend, MemoryHandles};
    use crate::domain::template::TemplateName;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn meta(name: &str, created: &str, expires: &str) -> Metadata {
        Metadata::new(
            EnvName::parse(name).unwrap(),
            TemplateName::default(),
            "octocat".into(),
            at(created),
            at(expires),
        )
    }

    fn platform(now: &str) -> (Platform, MemoryHandles) {
        let (backend, handles) = Backend::memory_at(at(now));
        (Platform::new(backend), handles)
    }

    fn hourly() -> f64 {
        let d = Config::default();
        cost::estimate(
            &TemplateName::default(),
            d.cpu,
            d.memory,
            Ttl::DEFAULT,
            d.use_shared_networking,
        )
        .hourly_usd
    }

    #[tokio::test]
    async fn billed_days_are_summed_and_the_hours_after_the_last_one_estimated() {
        let (platform, h) = platform("2026-12-04T06:00:00Z");
        for (d, usd) in [
            ("2026-12-01", 1.25),
            ("2026-12-02", 2.0),
            ("2026-12-03", 2.5),
        ] {
            h.billing.add(ENVIRONMENT_TAG, day(d), "preview-a", usd);
        }
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-11-30"), "preview-a", 99.0);
        let a = meta("preview-a", "2026-11-20T00:00:00Z", "2026-12-20T00:00:00Z");
        let spend = month_to_date(&platform, day("2026-12-15"), std::slice::from_ref(&a))
            .await
            .unwrap();
        let s = &spend[&a.name];
        assert_eq!(s.source, SpendSource::Billed);
        assert_eq!(s.billed_usd, 5.75);
        assert_eq!(s.billed_through, Some(day("2026-12-03")));
        // Billed through the 3rd: the 6 hours of the 4th are estimated.
        assert_eq!(s.unbilled_estimate_usd, round_cents(hourly() * 6.0));
        assert_eq!(s.daily_burn_usd(a.created_at), Some(1.92));
    }

    #[tokio::test]
    async fn untagged_and_unlisted_spend_is_reported_not_dropped() {
        let (platform, h) = platform("2026-12-04T06:00:00Z");
        h.billing.add(ENVIRONMENT_TAG, day("2026-12-01"), "", 7.0);
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-01"), "preview-gone", 3.0);
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-02"), "preview-a", 1.0);
        let a = meta("preview-a", "2026-12-01T00:00:00Z", "2026-12-20T00:00:00Z");
        let report = month_report(&platform, day("2026-12-01"), &[a])
            .await
            .unwrap();
        assert_eq!(report.untagged_usd, 7.0);
        assert_eq!(report.other_usd.get("preview-gone"), Some(&3.0));
        assert_eq!(report.billed_through, Some(day("2026-12-02")));
    }

    #[tokio::test]
    async fn a_second_look_the_same_day_is_served_from_the_cache() {
        let (platform, h) = platform("2026-12-04T06:00:00Z");
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-01"), "preview-a", 1.0);
        let envs: Vec<Metadata> = (0..1000)
            .map(|i| {
                meta(
                    &format!("preview-{i}"),
                    "2026-12-01T00:00:00Z",
                    "2026-12-20T00:00:00Z",
                )
            })
            .chain([meta(
                "preview-a",
                "2026-12-01T00:00:00Z",
                "2026-12-20T00:00:00Z",
            )])
            .collect();
        let first = month_to_date(&platform, day("2026-12-04"), &envs)
            .await
            .unwrap();
        assert_eq!((first.len(), h.billing.requests()), (1001, 1));
        // The bill changes, but the day's rows are cached: no second request.
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-02"), "preview-a", 5.0);
        let second = month_to_date(&platform, day("2026-12-04"), &envs)
            .await
            .unwrap();
        assert_eq!(h.billing.requests(), 1);
        assert_eq!(first, second);
        let key = layout::billing_cache_key(day("2026-12-04"), day("2026-12-01"));
        assert_eq!(key, "billing/2026-12-04/by-environment-2026-12.json");
        assert!(
            crate::ports::ObjectStore::get(&*h.store, &key)
                .await
                .is_ok()
        );
        // The next day reads the bill again.
        h.clock.set(at("2026-12-05T06:00:00Z"));
        let third = month_to_date(&platform, day("2026-12-04"), &envs)
            .await
            .unwrap();
        assert_eq!(h.billing.requests(), 2);
        assert_eq!(third[&EnvName::parse("preview-a").unwrap()].billed_usd, 6.0);
    }

    #[tokio::test]
    async fn without_a_bill_the_month_so_far_is_estimated_and_says_so() {
        let (backend, _) = Backend::memory_at(at("2026-12-04T06:00:00Z"));
        let platform = Platform::new(backend.with_billing(None));
        let a = meta("preview-a", "2026-12-03T00:00:00Z", "2026-12-20T00:00:00Z");
        let spend = month_to_date(&platform, day("2026-12-01"), std::slice::from_ref(&a))
            .await
            .unwrap();
        let s = &spend[&a.name];
        assert_eq!(s.source, SpendSource::EstimateOnly);
        assert_eq!((s.billed_usd, s.billed_through), (0.0, None));
        assert_eq!(s.unbilled_estimate_usd, round_cents(hourly() * 30.0));
        assert_eq!(s.daily_burn_usd(a.created_at), None);
    }

    #[tokio::test]
    async fn a_past_month_is_estimated_only_over_the_life_within_it() {
        let (platform, _) = platform("2026-12-04T06:00:00Z");
        let a = meta("preview-a", "2026-11-29T00:00:00Z", "2026-12-02T00:00:00Z");
        let spend = month_to_date(&platform, day("2026-11-10"), std::slice::from_ref(&a))
            .await
            .unwrap();
        // No billed day in November: Nov 29 and 30 are estimated, December not counted.
        assert_eq!(
            spend[&a.name].unbilled_estimate_usd,
            round_cents(hourly() * 48.0)
        );
    }
}
