//! `list`: every environment's record, in a stable order, from the environment index.
//!
//! The index ([`crate::support::index`]) is checked against a listing of the metadata objects
//! before it is trusted, so `list` of N healthy environments costs 1 GET and one LIST per 1,000
//! objects, not one GET per environment; rows that do not match are read from their metadata.
//!
//! Nothing is left out: records of the original platform are read as idp's own (marked legacy,
//! see [`crate::domain::legacy`]), and a record idp cannot read at all is a row of its own
//! ([`ListRow::Unreadable`]) with the reason, never dropped.
//!
//! `list` may write one thing: when the index is missing or stale it is written back (see
//! [`index::load`]); `idp migrate` and `idp sweep --reindex` are the explicit ways to build it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::index::{Entry, EnvIndex};
use crate::domain::layout;
use crate::domain::legacy::{UNREADABLE_HINT, UNREADABLE_KIND};
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::index;

/// What to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRequest {
    /// Include destroyed environments (tombstones).
    pub all: bool,
    /// Add each environment's spend this month (billed by Cost Explorer plus the estimate of
    /// the hours not billed yet; estimates only without a bill). One Cost Explorer request a
    /// day for every environment at once (see [`crate::support::spend`]).
    pub spend: bool,
}

/// An environment's spend this month, as `list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthSpend {
    /// `YYYY-MM`.
    pub month: String,
    /// What Cost Explorer billed this month (0 without a bill).
    pub billed_usd: f64,
    /// The last day the bill covers.
    pub billed_through: Option<chrono::NaiveDate>,
    /// The list-price estimate of the hours after that day (the whole month without a bill).
    pub unbilled_estimate_usd: f64,
    /// Billed plus estimated: the month so far.
    pub total_usd: f64,
    /// `billed` or `estimate_only`.
    pub source: crate::support::spend::SpendSource,
}

/// Every environment, sorted by name, plus the records that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub environments: Vec<Metadata>,
    /// Metadata objects that exist but do not parse (key and reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// Environments waiting for an admin's approval (or approved and not created yet): they
    /// have no record and nothing applied (see [`crate::environments::approve`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_approval: Vec<crate::domain::approval::ApprovalRequest>,
    /// Each environment's spend this month, by name, when [`ListRequest::spend`] asked for it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub spend: BTreeMap<String, MonthSpend>,
}

/// A metadata object that could not be parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    /// The environment (the key's folder).
    pub name: String,
    pub key: String,
    /// Why.
    pub reason: String,
}

impl Unreadable {
    /// Its row of a listing.
    pub fn row(&self) -> UnreadableRow<'_> {
        UnreadableRow {
            name: &self.name,
            status: "unreadable",
            kind: UNREADABLE_KIND,
            key: &self.key,
            error: &self.reason,
            fix: UNREADABLE_HINT,
        }
    }
}

/// One row of a listing, as JSON: an environment's record, or
/// `{"name", "status": "unreadable", "kind": "unreadable_record", "key", "error", "fix"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ListRow<'a> {
    /// A record (with `spend_this_month` when the listing asked for spend).
    Record(RecordRow<'a>),
    /// A record that cannot be read.
    Unreadable(UnreadableRow<'a>),
    /// An environment waiting for approval (no record), as
    /// `{"name", "status": "pending_approval" | "approved", "template", "estimate_usd", "why",
    /// "requested_by", "requested_at", "approval"}`.
    Pending(PendingRow<'a>),
}

/// The row of a record: the record's fields, plus its spend this month when asked for.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow<'a> {
    #[serde(flatten)]
    pub meta: &'a Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend_this_month: Option<&'a MonthSpend>,
}

impl std::ops::Deref for RecordRow<'_> {
    type Target = Metadata;

    fn deref(&self) -> &Metadata {
        self.meta
    }
}

/// The row of an environment waiting for approval.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRow<'a> {
    /// `pending_approval`, or `approved` (approved, not created yet).
    pub status: &'static str,
    #[serde(flatten)]
    pub request: &'a crate::domain::approval::ApprovalRequest,
}

/// The row of a record that cannot be read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableRow<'a> {
    pub name: &'a str,
    /// Always `unreadable`.
    pub status: &'static str,
    /// Always `unreadable_record`.
    pub kind: &'static str,
    pub key: &'a str,
    /// Why it cannot be read.
    pub error: &'a str,
    /// How to find out more.
    pub fix: &'static str,
}

impl ListReport {
    /// Every row, records and unreadable ones together, sorted by name.
    pub fn rows(&self) -> Vec<ListRow<'_>> {
        let mut rows: Vec<(&str, ListRow<'_>)> = self
            .environments
            .iter()
            .map(|m| {
                let row = RecordRow {
                    meta: m,
                    spend_this_month: self.spend.get(m.name.as_str()),
                };
                (m.name.as_str(), ListRow::Record(row))
            })
            .chain(
                self.unreadable
                    .iter()
                    .map(|u| (u.name.as_str(), ListRow::Unreadable(u.row()))),
            )
            .chain(self.pending_approval.iter().map(|r| {
                let row = PendingRow {
                    status: if r.approval.is_some() {
                        "approved"
                    } else {
                        "pending_approval"
                    },
                    request: r,
                };
                (r.name.as_str(), ListRow::Pending(row))
            }))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows.into_iter().map(|(_, row)| row).collect()
    }

    /// How many records are still in the original platform's layout.
    pub fn legacy(&self) -> usize {
        self.environments.iter().filter(|m| m.is_legacy()).count()
    }
}

/// List environments.
pub async fn list(platform: &Platform, req: ListRequest) -> Result<ListReport> {
    let verified = index::load(platform).await?;
    let mut report = report(&verified.index, req);
    // Every row names its region: a record without one is in the platform's default.
    for meta in &mut report.environments {
        meta.region
            .get_or_insert_with(|| platform.settings.region.clone());
    }
    report.pending_approval = crate::environments::approve::pending(platform).await?;
    if req.spend {
        let today = platform.backend.clock.now().date_naive();
        let month = today.format("%Y-%m").to_string();
        let spent =
            crate::support::spend::month_to_date(platform, today, &report.environments).await?;
        report.spend = spent
            .into_iter()
            .map(|(name, s)| {
                let row = MonthSpend {
                    month: month.clone(),
                    billed_usd: s.billed_usd,
                    billed_through: s.billed_through,
                    unbilled_estimate_usd: s.unbilled_estimate_usd,
                    total_usd: s.total_usd(),
                    source: s.source,
                };
                (name.to_string(), row)
            })
            .collect();
    }
    Ok(report)
}

/// The report of a verified index.
pub fn report(index: &EnvIndex, req: ListRequest) -> ListReport {
    let mut environments = Vec::new();
    let mut unreadable = Vec::new();
    for (name, row) in &index.rows {
        match &row.entry {
            Entry::Record(meta) if req.all || meta.status != Status::Destroyed => {
                environments.push(meta.clone());
            }
            Entry::Record(_) => {}
            Entry::Unreadable(reason) => unreadable.push(Unreadable {
                name: name.clone(),
                key: EnvName::parse(name)
                    .map(|n| layout::metadata_key(&n))
                    .unwrap_or_else(|_| name.clone()),
                reason: reason.clone(),
            }),
        }
    }
    environments.sort_by(|a, b| a.name.cmp(&b.name));
    unreadable.sort_by(|a, b| a.key.cmp(&b.key));
    ListReport {
        environments,
        unreadable,
        pending_approval: Vec::new(),
        spend: BTreeMap::new(),
    }
}

/// A filtered page of environments: what the REST API and the portal list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Include destroyed environments (tombstones) when no `status` is given.
    pub all: bool,
    /// Only environments in one of these statuses (empty: every status but `destroyed`, or
    /// every status with `all`).
    pub status: Vec<Status>,
    /// Only environments of this owner.
    pub owner: Option<String>,
    /// Only environments of this template.
    pub template: Option<String>,
    /// Only environments expiring before this time.
    pub expiring_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Only environments whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// Start after this name (the previous page's `next_cursor`).
    pub after: Option<String>,
    /// At most this many environments (at least 1).
    pub limit: usize,
}

/// One page of [`query`].
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    /// The environments of the page, sorted by name.
    pub environments: Vec<Metadata>,
    /// The name to pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Records that exist but cannot be read (always all of them, on every page: they are
    /// never silently left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// The environments of a listing that match a query, one page of them.
pub fn select(report: ListReport, q: &ListQuery) -> ListPage {
    let limit = q.limit.max(1);
    let mut matching = report.environments.into_iter().filter(|m| {
        let status_ok = if q.status.is_empty() {
            q.all || m.status != Status::Destroyed
        } else {
            q.status.contains(&m.status)
        };
        status_ok
            && q.owner.as_deref().is_none_or(|o| m.owner == o)
            && q.template
                .as_deref()
                .is_none_or(|t| m.template.as_str() == t)
            && q.expiring_before.is_none_or(|t| m.expires_at < t)
            && q.name_contains
                .as_deref()
                .is_none_or(|text| m.name.as_str().contains(&text.to_ascii_lowercase()))
            && q.after.as_deref().is_none_or(|a| m.name.as_str() > a)
    });
    let environments: Vec<Metadata> = matching.by_ref().take(limit).collect();
    let next_cursor = match matching.next() {
        Some(_) => environments.last().map(|m| m.name.to_string()),
        None => None,
    };
    ListPage {
        environments,
        next_cursor,
        unreadable: report.unreadable,
    }
}

/// List the environments matching `q`, one page.
pub async fn query(platform: &Platform, q: &ListQuery) -> Result<ListPage> {
    let report = list(
        platform,
        ListRequest {
            all: q.all || !q.status.is_empty(),
            spend: false,
        },
    )
    .await?;
    Ok(select(report, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use crate::domain::template::TemplateName;
    use crate::ports::ENVIRONMENT_TAG;
    use crate::support::state;

    #[tokio::test]
    async fn spend_is_added_to_each_row_only_when_asked_for() {
        let now = "2026-12-04T06:00:00Z".parse().unwrap();
        let (backend, h) = Backend::memory_at(now);
        let platform = Platform::new(backend);
        for name in ["preview-a", "preview-b"] {
            let meta = Metadata::new(
                EnvName::parse(name).unwrap(),
                TemplateName::default(),
                "octocat".into(),
                "2026-12-01T00:00:00Z".parse().unwrap(),
                "2026-12-20T00:00:00Z".parse().unwrap(),
            );
            state::save(&*platform.backend.store, &meta, None)
                .await
                .unwrap();
        }
        let day = "2026-12-02".parse().unwrap();
        h.billing.add(ENVIRONMENT_TAG, day, "preview-a", 2.5);

        let plain = list(&platform, ListRequest::default()).await.unwrap();
        assert!(plain.spend.is_empty());
        assert_eq!(h.billing.requests(), 0, "no bill is read unless asked for");

        let report = list(
            &platform,
            ListRequest {
                all: false,
                spend: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(h.billing.requests(), 1, "one request for every environment");
        let rows = serde_json::to_value(report.rows()).unwrap();
        let a = &rows[0]["spend_this_month"];
        assert_eq!(rows[0]["name"], "preview-a");
        assert_eq!(
            (
                a["month"].as_str(),
                a["billed_usd"].as_f64(),
                a["source"].as_str()
            ),
            (Some("2026-12"), Some(2.5), Some("billed"))
        );
        assert_eq!(a["billed_through"], "2026-12-02");
        assert!(a["unbilled_estimate_usd"].as_f64().unwrap() > 0.0);
        let b = &rows[1]["spend_this_month"];
        assert_eq!(
            (rows[1]["name"].as_str(), b["billed_usd"].as_f64()),
            (Some("preview-b"), Some(0.0))
        );
        assert!(
            rows[0].get("status").is_some(),
            "the record's own fields stay flat"
        );
    }
}
