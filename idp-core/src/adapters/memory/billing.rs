//! The in-memory [`Billing`]: daily costs per tag value that tests set, answered as Cost
//! Explorer answers them (the range filtered, one row per day and value, sorted), with a count
//! of the requests that reached it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::NaiveDate;

use super::lock;
use crate::ports::{Billing, BillingError, DailyCost};

/// A [`Billing`] in process memory. Set costs with [`MemoryBilling::add`].
#[derive(Debug, Default)]
pub struct MemoryBilling {
    /// `(tag key, day, tag value)` → USD.
    rows: Mutex<BTreeMap<(String, NaiveDate, String), f64>>,
    requests: AtomicUsize,
}

impl MemoryBilling {
    /// A bill with no costs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `usd` to the cost of `tag_key` = `tag_value` on `day` (an empty value is spend
    /// without the tag). Costs added twice for one day and value add up, as the bill would.
    pub fn add(&self, tag_key: &str, day: NaiveDate, tag_value: &str, usd: f64) {
        *lock(&self.rows)
            .entry((tag_key.to_owned(), day, tag_value.to_owned()))
            .or_insert(0.0) += usd;
    }

    /// How many [`Billing::daily_cost_by_tag`] calls reached the bill (empty ranges do not).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Billing for MemoryBilling {
    async fn daily_cost_by_tag(
        &self,
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
    ) -> Result<Vec<DailyCost>, BillingError> {
        if start >= end_exclusive {
            return Ok(Vec::new());
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        // BTreeMap order is (key, day, value): the port's sort order within one key.
        Ok(lock(&self.rows)
            .iter()
            .filter(|((key, day, _), _)| key == tag_key && *day >= start && *day < end_exclusive)
            .map(|((_, day, value), usd)| DailyCost {
                day: *day,
                tag_value: value.clone(),
                usd: *usd,
            })
            .collect())
    }
}
