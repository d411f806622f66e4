//! The billing adapters under test: memory, and Cost Explorer on moto (the answers queued
//! through moto's configuration API, read back through the adapter's real requests).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use idp_core::adapters::memory::MemoryBilling;
use idp_core::ports::{Billing, DailyCost};

use crate::suites::billing::Bill;

/// Instantiates the billing suite for one adapter whose factory returns
/// `Option<(port, bill)>` (`None`: skipped, after saying why).
macro_rules! billing_conformance {
    ($adapter:ident, $factory:path; $($test:ident),* $(,)?) => {
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((port, bill)) = $factory().await else { return };
                    $crate::suites::billing::$test(port, bill).await;
                }
            )*
        }
    };
}

macro_rules! billing_rules {
    ($adapter:ident, $factory:path) => {
        billing_conformance!($adapter, $factory;
            rows_come_back_sorted_by_day_then_tag_value,
            untagged_spend_is_kept_under_an_empty_value,
            amounts_are_exact_and_zero_amounts_are_kept,
            every_page_is_followed,
            days_without_cost_have_no_rows,
            an_empty_range_returns_nothing,
        );
    };
}

struct MemoryBill(Arc<MemoryBilling>);

#[async_trait]
impl Bill for MemoryBill {
    async fn report(
        &self,
        tag_key: &str,
        _: NaiveDate,
        _: NaiveDate,
        rows: &[DailyCost],
        _: usize,
    ) {
        for row in rows {
            self.0.add(tag_key, row.day, &row.tag_value, row.usd);
        }
    }
}

pub(crate) async fn memory() -> Option<(Arc<dyn Billing>, Arc<dyn Bill>)> {
    let billing = Arc::new(MemoryBilling::new());
    Some((billing.clone(), Arc::new(MemoryBill(billing))))
}

#[cfg(feature = "aws")]
mod on_moto {
    use idp_core::adapters::aws::CostExplorerBilling;
    use serde_json::{Value, json};

    use super::*;
    use crate::moto::{Moto, endpoint};

    /// `GetCostAndUsage` answers as Cost Explorer gives them: one result per day of the range
    /// (empty `Groups` on a day without cost), groups keyed `tag$value`, amounts as strings,
    /// `page_days` days a page with a `NextPageToken` on every page but the last.
    pub(crate) fn pages(
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
        rows: &[DailyCost],
        page_days: usize,
    ) -> Vec<Value> {
        let mut by_day: BTreeMap<NaiveDate, Vec<&DailyCost>> = BTreeMap::new();
        for row in rows {
            by_day.entry(row.day).or_default().push(row);
        }
        let days: Vec<NaiveDate> = start
            .iter_days()
            .take_while(|d| *d < end_exclusive)
            .collect();
        let chunks: Vec<&[NaiveDate]> = days.chunks(page_days.max(1)).collect();
        let count = chunks.len();
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let results: Vec<Value> = chunk
                    .iter()
                    .map(|d| {
                        let groups: Vec<Value> = by_day
                            .get(d)
                            .into_iter()
                            .flatten()
                            .map(|r| {
                                json!({
                                    "Keys": [format!("{tag_key}${}", r.tag_value)],
                                    "Metrics": {"UnblendedCost": {"Amount": r.usd.to_string(), "Unit": "USD"}},
                                })
                            })
                            .collect();
                        json!({
                            "TimePeriod": {"Start": d.to_string(), "End": (*d + Days::new(1)).to_string()},
                            "Total": {},
                            "Groups": groups,
                            "Estimated": false,
                        })
                    })
                    .collect();
                let mut page = json!({"ResultsByTime": results, "DimensionValueAttributes": []});
                if i + 1 < count {
                    page["NextPageToken"] = json!(format!("page-{}", i + 2));
                }
                page
            })
            .collect()
    }

    struct MotoBill(Moto);

    #[async_trait]
    impl Bill for MotoBill {
        async fn report(
            &self,
            tag_key: &str,
            start: NaiveDate,
            end_exclusive: NaiveDate,
            rows: &[DailyCost],
            page_days: usize,
        ) {
            self.0
                .queue_cost_and_usage(&pages(tag_key, start, end_exclusive, rows, page_days))
                .await;
        }
    }

    pub(crate) async fn factory() -> Option<(Arc<dyn Billing>, Arc<dyn Bill>)> {
        let moto = Moto::new(&endpoint()?).await;
        let billing = Arc::new(CostExplorerBilling::new(moto.ce()));
        Some((billing, Arc::new(MotoBill(moto))))
    }
}

billing_rules!(memory, crate::billing::memory);
#[cfg(feature = "aws")]
billing_rules!(moto, crate::billing::on_moto::factory);
