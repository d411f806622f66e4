//! Month-to-date spend and the chargeback export on moto: Cost Explorer answers queued through
//! moto's configuration API (moto computes no costs: it answers what it was given, bound to the
//! first request body that asks), read through the Cost Explorer adapter, cached in and exported
//! to an S3 state bucket. Requests that reach Cost Explorer are counted at the port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use idp_core::adapters::aws::{CostExplorerBilling, S3Store};
use idp_core::backend::Backend;
use idp_core::domain::lifecycle::Metadata;
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::environments::cost::{self, SpendSource};
use idp_core::platform::{Platform, Settings};
use idp_core::ports::{Billing, BillingError, DailyCost};
use idp_core::support::state;
use serde_json::json;

use crate::moto_support::{Moto, endpoint};

/// Counts the calls that pass through to the real adapter.
#[derive(Debug)]
struct Counting {
    inner: CostExplorerBilling,
    calls: AtomicUsize,
}

#[async_trait]
impl Billing for Counting {
    async fn daily_cost_by_tag(
        &self,
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
    ) -> Result<Vec<DailyCost>, BillingError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner
            .daily_cost_by_tag(tag_key, start, end_exclusive)
            .await
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn group(value: &str, usd: &str) -> serde_json::Value {
    json!({"Keys": [format!("idp:environment${value}")], "Metrics": {"UnblendedCost": {"Amount": usd, "Unit": "USD"}}})
}

fn day(start: &str, end: &str, groups: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": false})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_to_date_reads_cost_explorer_once_a_day_and_the_export_lands_in_s3() {
    let Some(endpoint) = endpoint() else { return };
    let moto = Moto::new(&endpoint).await;
    let s3 = moto.s3();
    let bucket = moto.cfg.state_bucket.clone();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // Two pages: the adapter must follow the token.
    moto.queue_cost_and_usage(&[
        json!({"ResultsByTime": [
            day("2026-12-01", "2026-12-02", vec![group("preview-a", "1.50"), group("", "9.00")]),
            day("2026-12-02", "2026-12-03", vec![group("preview-a", "2.00"), group("preview-b", "0.25")]),
        ], "DimensionValueAttributes": [], "NextPageToken": "page-2"}),
        json!({"ResultsByTime": [
            day("2026-12-03", "2026-12-04", vec![group("preview-b", "0.75")]),
            day("2026-12-04", "2026-12-05", vec![]),
        ], "DimensionValueAttributes": []}),
    ])
    .await;
    let billing = Arc::new(Counting {
        inner: CostExplorerBilling::new(moto.ce()),
        calls: AtomicUsize::new(0),
    });
    let (memory, _) = Backend::memory_at(at("2026-12-04T06:00:00Z"));
    let backend = Backend {
        store: Arc::new(S3Store::new(s3.clone(), bucket.clone())),
        billing: Some(billing.clone()),
        ..memory
    };
    let platform = Platform::new(backend).with_settings(Settings {
        state_bucket: bucket.clone(),
        ..Settings::default()
    });
    let mut envs = Vec::new();
    for (name, owner) in [("preview-a", "alice"), ("preview-b", "bob")] {
        let meta = Metadata::new(
            EnvName::parse(name).unwrap(),
            TemplateName::default(),
            owner.into(),
            at("2026-11-30T00:00:00Z"),
            at("2026-12-20T00:00:00Z"),
        );
        state::save(&*platform.backend.store, &meta, None)
            .await
            .unwrap();
        envs.push(meta);
    }

    let spend = cost::month_to_date(&platform, "2026-12-10".parse().unwrap(), &envs)
        .await
        .unwrap();
    let a = &spend[&EnvName::parse("preview-a").unwrap()];
    assert_eq!((a.source, a.billed_usd), (SpendSource::Billed, 3.5));
    assert_eq!(a.billed_through, Some("2026-12-03".parse().unwrap()));
    assert!(a.unbilled_estimate_usd > 0.0);
    assert_eq!(spend[&EnvName::parse("preview-b").unwrap()].billed_usd, 1.0);
    assert_eq!(billing.calls.load(Ordering::SeqCst), 1);
    let cached = s3
        .head_object()
        .bucket(&bucket)
        .key("billing/2026-12-04/by-environment-2026-12.json")
        .send()
        .await;
    assert!(cached.is_ok(), "{cached:?}");

    // The same day again, and the export (three groupings): all from the cache.
    let again = cost::month_to_date(&platform, "2026-12-01".parse().unwrap(), &envs)
        .await
        .unwrap();
    assert_eq!(again, spend);
    let report = cost::export(
        &platform,
        "2026-12-01".parse().unwrap(),
        &format!("s3://{bucket}/finance/"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(billing.calls.load(Ordering::SeqCst), 1);
    assert_eq!(report.rows.len(), 2 + 1 + 2);
    let csv = s3
        .get_object()
        .bucket(&bucket)
        .key("finance/chargeback-2026-12.csv")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert!(csv.contains("2026-12,owner,alice,1,3.50,"), "{csv}");
    assert!(csv.contains("2026-12,team,(none),2,4.50,"), "{csv}");
    assert!(
        csv.contains("2026-12,environment,preview-b,1,1.00,"),
        "{csv}"
    );
    let json = s3
        .get_object()
        .bucket(&bucket)
        .key("finance/chargeback-2026-12.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["untagged_usd"], 9.0);
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(5));
}
