//! The `Billing` contract: daily costs per tag value come back sorted by day then value, with
//! their amounts exact, zero amounts and untagged spend (an empty value) kept, every page
//! followed, and an empty range answered with nothing.
//!
//! The rules take the port and a [`Bill`] that makes the backend report given rows. moto's Cost
//! Explorer does not compute costs: it answers what was queued for it (grouped as Cost Explorer
//! groups them, paged as the seed pages them), so on moto these rules check the adapter's
//! request, paging and reading of real `GetCostAndUsage` answers, not AWS's aggregation.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use idp_core::ports::{Billing, DailyCost, ENVIRONMENT_TAG};

/// Makes the backend report costs.
#[async_trait]
pub(crate) trait Bill: Send + Sync {
    /// The bill of `tag_key` from `start` to before `end_exclusive` is `rows` (days without a
    /// row have no cost), answered in pages of at most `page_days` days where the backend pages.
    async fn report(
        &self,
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
        rows: &[DailyCost],
        page_days: usize,
    );
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a day")
}

fn row(d: &str, value: &str, usd: f64) -> DailyCost {
    DailyCost {
        day: day(d),
        tag_value: value.to_owned(),
        usd,
    }
}

async fn read(billing: &dyn Billing, start: &str, end: &str) -> Vec<DailyCost> {
    billing
        .daily_cost_by_tag(ENVIRONMENT_TAG, day(start), day(end))
        .await
        .expect("the bill")
}

pub(crate) async fn rows_come_back_sorted_by_day_then_tag_value(
    billing: Arc<dyn Billing>,
    bill: Arc<dyn Bill>,
) {
    let rows = vec![
        row("2026-11-02", "preview-b", 0.5),
        row("2026-11-01", "preview-b", 1.0),
        row("2026-11-01", "preview-a", 2.25),
        row("2026-11-03", "preview-a", 3.0),
    ];
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-04"),
        &rows,
        31,
    )
    .await;
    let got = read(&*billing, "2026-11-01", "2026-11-04").await;
    assert_eq!(
        got,
        vec![
            row("2026-11-01", "preview-a", 2.25),
            row("2026-11-01", "preview-b", 1.0),
            row("2026-11-02", "preview-b", 0.5),
            row("2026-11-03", "preview-a", 3.0),
        ]
    );
}

pub(crate) async fn untagged_spend_is_kept_under_an_empty_value(
    billing: Arc<dyn Billing>,
    bill: Arc<dyn Bill>,
) {
    let rows = vec![
        row("2026-11-01", "", 12.5),
        row("2026-11-01", "preview-a", 1.0),
    ];
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-02"),
        &rows,
        31,
    )
    .await;
    let got = read(&*billing, "2026-11-01", "2026-11-02").await;
    assert_eq!(got, rows);
}

pub(crate) async fn amounts_are_exact_and_zero_amounts_are_kept(
    billing: Arc<dyn Billing>,
    bill: Arc<dyn Bill>,
) {
    let rows = vec![
        row("2026-11-01", "preview-a", 0.010_151_648_3),
        row("2026-11-01", "preview-b", 0.0),
        row("2026-11-01", "preview-c", 1234.56),
    ];
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-02"),
        &rows,
        31,
    )
    .await;
    assert_eq!(read(&*billing, "2026-11-01", "2026-11-02").await, rows);
}

pub(crate) async fn every_page_is_followed(billing: Arc<dyn Billing>, bill: Arc<dyn Bill>) {
    let rows: Vec<DailyCost> = (1..=10)
        .flat_map(|d| {
            let d = format!("2026-11-{d:02}");
            [row(&d, "preview-a", 1.0), row(&d, "preview-b", 2.0)]
        })
        .collect();
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-11"),
        &rows,
        3,
    )
    .await;
    let got = read(&*billing, "2026-11-01", "2026-11-11").await;
    assert_eq!(got.len(), 20, "{got:?}");
    assert_eq!(got, rows);
}

pub(crate) async fn days_without_cost_have_no_rows(billing: Arc<dyn Billing>, bill: Arc<dyn Bill>) {
    let rows = vec![
        row("2026-11-01", "preview-a", 1.0),
        row("2026-11-05", "preview-a", 1.0),
    ];
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-06"),
        &rows,
        31,
    )
    .await;
    assert_eq!(read(&*billing, "2026-11-01", "2026-11-06").await, rows);
}

pub(crate) async fn an_empty_range_returns_nothing(billing: Arc<dyn Billing>, bill: Arc<dyn Bill>) {
    let rows = vec![row("2026-11-01", "preview-a", 1.0)];
    bill.report(
        ENVIRONMENT_TAG,
        day("2026-11-01"),
        day("2026-11-02"),
        &rows,
        31,
    )
    .await;
    assert!(read(&*billing, "2026-11-01", "2026-11-01").await.is_empty());
    assert!(read(&*billing, "2026-11-02", "2026-11-01").await.is_empty());
}
