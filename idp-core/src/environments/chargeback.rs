//! `idp cost --by owner|team|template|environment` and `idp cost export`: a month's spend of
//! every environment, grouped for chargeback.
//!
//! The spend is [`crate::support::spend::month_report`]'s (billed through the last day Cost
//! Explorer covers, estimated after it), so a whole listing costs one Cost Explorer request a
//! day. An environment's team is its owner's team in the platform policy that `idp budgets
//! sync` stored (the teams the budgets are kept by), or, when a teams folder is given, the
//! first team (by name) of `teams/<team>/team.yaml` whose `members` list its owner; when no
//! team lists the owner, the team is `(none)`. Billed spend without the tag, and of tag values that are no
//! listed environment, is reported beside the rows, never dropped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::lifecycle::Metadata;
use crate::environments::list::{self, ListRequest};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::PutMode;
use crate::support::spend::{SpendSource, month_report};

/// The team of an owner no team lists (or of every owner without a teams folder).
pub const NO_TEAM: &str = "(none)";

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostGroup {
    Owner,
    Team,
    Template,
    Environment,
}

impl CostGroup {
    /// `owner`, `team`, `template`, `environment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Team => "team",
            Self::Template => "template",
            Self::Environment => "environment",
        }
    }
}

/// Which month, grouped how.
#[derive(Debug, Clone)]
pub struct ChargebackRequest {
    /// Any day of the month.
    pub month: NaiveDate,
    pub by: CostGroup,
    /// The folder of `<team>/team.yaml` files that maps owners to teams.
    pub teams_dir: Option<PathBuf>,
}

/// One group's spend in the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargebackRow {
    /// What the row is grouped by.
    pub dimension: CostGroup,
    /// The owner, team, template or environment.
    pub key: String,
    /// How many environments it has.
    pub environments: usize,
    /// Billed by Cost Explorer.
    pub billed_usd: f64,
    /// Estimated for the hours the bill does not cover yet.
    pub unbilled_estimate_usd: f64,
    /// The two added.
    pub total_usd: f64,
}

/// A month's spend, grouped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargebackReport {
    /// `YYYY-MM`.
    pub month: String,
    pub by: CostGroup,
    pub source: SpendSource,
    /// The last day the bill covers.
    pub billed_through: Option<NaiveDate>,
    /// By key.
    pub rows: Vec<ChargebackRow>,
    /// Billed spend without the `idp:environment` tag.
    pub untagged_usd: f64,
    /// Billed spend of tag values that are no environment idp knows.
    pub unknown_environments_usd: f64,
    /// Where the figures come from, said plainly.
    pub note: String,
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// owner → team: from the team files (first team by name listing the owner as a member) when
/// a folder is given, else from the stored platform policy (none stored: no teams).
async fn teams_of(platform: &Platform, dir: Option<&PathBuf>) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    if let Some(dir) = dir {
        for team in crate::teams::validate(dir)?.teams {
            for member in team.members {
                map.entry(member.to_lowercase())
                    .or_insert_with(|| team.name.clone());
            }
        }
    } else if let Some((stored, _)) = crate::budgets::store::load(&*platform.backend.store).await? {
        for (team, members) in &stored.policy.teams {
            for member in members {
                map.entry(member.to_lowercase())
                    .or_insert_with(|| team.clone());
            }
        }
    }
    Ok(map)
}

fn key_of(by: CostGroup, meta: &Metadata, teams: &BTreeMap<String, String>) -> String {
    match by {
        CostGroup::Owner => meta.owner.clone(),
        CostGroup::Team => teams
            .get(&meta.owner.to_lowercase())
            .cloned()
            .unwrap_or_else(|| NO_TEAM.to_owned()),
        CostGroup::Template => meta.template.to_string(),
        CostGroup::Environment => meta.name.to_string(),
    }
}

/// The month's spend of every environment idp knows (destroyed ones included), grouped.
pub async fn chargeback(platform: &Platform, req: ChargebackRequest) -> Result<ChargebackReport> {
    let envs = list::list(
        platform,
        ListRequest {
            all: true,
            spend: false,
        },
    )
    .await?
    .environments;
    let teams = teams_of(platform, req.teams_dir.as_ref()).await?;
    let spend = month_report(platform, req.month, &envs).await?;
    let mut rows: BTreeMap<String, ChargebackRow> = BTreeMap::new();
    for meta in &envs {
        let Some(s) = spend.environments.get(&meta.name) else {
            continue;
        };
        if s.billed_usd == 0.0 && s.unbilled_estimate_usd == 0.0 {
            // Not alive this month and nothing billed: not part of its chargeback.
            continue;
        }
        let key = key_of(req.by, meta, &teams);
        let row = rows.entry(key.clone()).or_insert(ChargebackRow {
            dimension: req.by,
            key,
            environments: 0,
            billed_usd: 0.0,
            unbilled_estimate_usd: 0.0,
            total_usd: 0.0,
        });
        row.environments += 1;
        row.billed_usd = cents(row.billed_usd + s.billed_usd);
        row.unbilled_estimate_usd = cents(row.unbilled_estimate_usd + s.unbilled_estimate_usd);
        row.total_usd = cents(row.billed_usd + row.unbilled_estimate_usd);
    }
    let note = match (spend.source, spend.billed_through) {
        (SpendSource::EstimateOnly, _) => super::cost::NO_ACTUALS.to_owned(),
        (SpendSource::Billed, Some(day)) => format!(
            "billed (Cost Explorer, through {day}); the hours after that are estimated at list price"
        ),
        (SpendSource::Billed, None) => {
            "billed (Cost Explorer): no day of this month is billed yet, so it is estimated at list price"
                .to_owned()
        }
    };
    Ok(ChargebackReport {
        month: spend.month.format("%Y-%m").to_string(),
        by: req.by,
        source: spend.source,
        billed_through: spend.billed_through,
        rows: rows.into_values().collect(),
        untagged_usd: spend.untagged_usd,
        unknown_environments_usd: cents(spend.other_usd.values().sum()),
        note,
    })
}

/// The report as CSV: a header, then one line per row (fields quoted where needed).
pub fn to_csv(month: &str, rows: &[ChargebackRow]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_owned()
        }
    };
    let mut out = String::from(
        "month,dimension,key,environments,billed_usd,unbilled_estimate_usd,total_usd\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{month},{},{},{},{:.2},{:.2},{:.2}\n",
            r.dimension.as_str(),
            quote(&r.key),
            r.environments,
            r.billed_usd,
            r.unbilled_estimate_usd,
            r.total_usd
        ));
    }
    out
}

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportReport {
    /// `YYYY-MM`.
    pub month: String,
    /// The `s3://` URLs of the CSV and the JSON file.
    pub written: Vec<String>,
    /// Rows per owner, team and environment, as written.
    pub rows: Vec<ChargebackRow>,
    pub note: String,
}

/// Writes the month's chargeback (one row per owner, per team and per environment) to `to`
/// (`s3://BUCKET/PREFIX/`) as `PREFIX/chargeback-YYYY-MM.csv` and `.json`, through the state
/// store: `BUCKET` must be the state bucket (the only bucket idp writes to).
pub async fn export(
    platform: &Platform,
    month: NaiveDate,
    to: &str,
    teams_dir: Option<PathBuf>,
) -> Result<ExportReport> {
    let refuse = |message: String| Error::Refused {
        reason: "invalid_export_target".into(),
        message,
    };
    let rest = to.strip_prefix("s3://").ok_or_else(|| {
        refuse(format!(
            "`{}` is not an `s3://BUCKET/PREFIX/` URL",
            to.escape_debug()
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket != platform.settings.state_bucket {
        return Err(refuse(format!(
            "the chargeback export is written through the state store, so its bucket must be the state bucket `{}`, not `{}`; copy it elsewhere with `aws s3 cp`",
            platform.settings.state_bucket,
            bucket.escape_debug()
        )));
    }
    let prefix = match prefix.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    };
    let mut rows = Vec::new();
    let mut last = None;
    for by in [CostGroup::Owner, CostGroup::Team, CostGroup::Environment] {
        let report = chargeback(
            platform,
            ChargebackRequest {
                month,
                by,
                teams_dir: teams_dir.clone(),
            },
        )
        .await?;
        rows.extend(report.rows.iter().cloned());
        last = Some(report);
    }
    let Some(last) = last else {
        return Err(refuse("nothing to export".into()));
    };
    let csv_key = format!("{prefix}chargeback-{}.csv", last.month);
    let json_key = format!("{prefix}chargeback-{}.json", last.month);
    let json = serde_json::json!({
        "month": last.month,
        "source": last.source,
        "billed_through": last.billed_through,
        "note": last.note,
        "untagged_usd": last.untagged_usd,
        "unknown_environments_usd": last.unknown_environments_usd,
        "rows": rows,
    });
    let store = &*platform.backend.store;
    store
        .put(
            &csv_key,
            Bytes::from(to_csv(&last.month, &rows)),
            PutMode::Overwrite,
        )
        .await?;
    store
        .put(
            &json_key,
            Bytes::from(serde_json::to_vec_pretty(&json).unwrap_or_default()),
            PutMode::Overwrite,
        )
        .await?;
    Ok(ExportReport {
        month: last.month,
        written: vec![
            format!("s3://{bucket}/{csv_key}"),
            format!("s3://{bucket}/{json_key}"),
        ],
        rows,
        note: last.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use crate::domain::naming::EnvName;
    use crate::domain::template::TemplateName;
    use crate::ports::{ENVIRONMENT_TAG, ObjectStore};
    use crate::support::state;

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap()
    }

    async fn seeded() -> (Platform, crate::backend::MemoryHandles) {
        let (backend, h) = Backend::memory_at(at("2026-12-04T06:00:00Z"));
        let platform = Platform::new(backend);
        for (name, owner) in [
            ("preview-a", "alice"),
            ("preview-b", "alice"),
            ("preview-c", "bob"),
        ] {
            let meta = Metadata::new(
                EnvName::parse(name).unwrap(),
                TemplateName::default(),
                owner.into(),
                at("2026-12-01T00:00:00Z"),
                at("2026-12-10T00:00:00Z"),
            );
            state::save(&*platform.backend.store, &meta, None)
                .await
                .unwrap();
        }
        let day = |s: &str| s.parse().unwrap();
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-01"), "preview-a", 1.0);
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-02"), "preview-b", 2.0);
        h.billing
            .add(ENVIRONMENT_TAG, day("2026-12-03"), "preview-c", 4.0);
        h.billing.add(ENVIRONMENT_TAG, day("2026-12-03"), "", 10.0);
        (platform, h)
    }

    #[tokio::test]
    async fn spend_is_grouped_by_owner_with_untagged_spend_beside_the_rows() {
        let (platform, _) = seeded().await;
        let report = chargeback(
            &platform,
            ChargebackRequest {
                month: "2026-12-01".parse().unwrap(),
                by: CostGroup::Owner,
                teams_dir: None,
            },
        )
        .await
        .unwrap();
        let keys: Vec<(&str, usize, f64)> = report
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.environments, r.billed_usd))
            .collect();
        assert_eq!(keys, vec![("alice", 2, 3.0), ("bob", 1, 4.0)]);
        assert_eq!(report.untagged_usd, 10.0);
        assert!(
            report.note.contains("through 2026-12-03"),
            "{}",
            report.note
        );
    }

    #[tokio::test]
    async fn without_a_teams_folder_every_environment_is_in_no_team() {
        let (platform, _) = seeded().await;
        let report = chargeback(
            &platform,
            ChargebackRequest {
                month: "2026-12-01".parse().unwrap(),
                by: CostGroup::Team,
                teams_dir: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(report.rows.len(), 1);
        assert_eq!(
            (report.rows[0].key.as_str(), report.rows[0].environments),
            (NO_TEAM, 3)
        );
    }

    #[tokio::test]
    async fn the_export_writes_csv_and_json_rows_per_owner_team_and_environment() {
        let (platform, h) = seeded().await;
        let report = export(
            &platform,
            "2026-12-01".parse().unwrap(),
            "s3://local/reports/finance/",
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            report.written,
            vec![
                "s3://local/reports/finance/chargeback-2026-12.csv",
                "s3://local/reports/finance/chargeback-2026-12.json"
            ]
        );
        let csv = h
            .store
            .get("reports/finance/chargeback-2026-12.csv")
            .await
            .unwrap();
        let csv = String::from_utf8(csv.bytes.to_vec()).unwrap();
        assert!(csv.starts_with("month,dimension,key,"), "{csv}");
        assert!(csv.contains("2026-12,owner,alice,2,3.00,"), "{csv}");
        assert!(csv.contains("2026-12,team,(none),3,7.00,"), "{csv}");
        assert!(
            csv.contains("2026-12,environment,preview-c,1,4.00,"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 1 + 2 + 1 + 3);
        let json = h
            .store
            .get("reports/finance/chargeback-2026-12.json")
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
        assert_eq!(json["rows"].as_array().map(Vec::len), Some(6));
        let wrong = export(
            &platform,
            "2026-12-01".parse().unwrap(),
            "s3://other/x/",
            None,
        )
        .await;
        assert!(wrong.is_err());
    }
}
