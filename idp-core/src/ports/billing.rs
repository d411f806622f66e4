//! The `Billing` port: what the cloud bill says an environment cost, day by day.
//!
//! Estimates come from list prices ([`crate::domain::cost`]); this port is the other rung of the
//! ladder: billed spend as the provider reports it (AWS Cost Explorer's `UnblendedCost`, grouped
//! by the `idp:environment` cost-allocation tag). Bills lag: a day usually appears about a day
//! after it ends, so the use cases say through which day the bill is known and estimate the
//! hours after it separately.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::BoxError;

/// The tag every environment's resources carry, and the one spend is grouped by.
pub const ENVIRONMENT_TAG: &str = "idp:environment";

/// The billed cost of one tag value on one day (UTC, as Cost Explorer's days are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyCost {
    /// The day the cost was incurred.
    pub day: NaiveDate,
    /// The tag's value; empty for spend of resources without the tag (AWS reports untagged
    /// spend under an empty value, and so does this port: such rows are never dropped).
    pub tag_value: String,
    /// Unblended cost in US dollars.
    pub usd: f64,
}

/// What went wrong in a billing call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillingError {
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`cost-explorer`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure (denied, an answer that cannot be read).
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`cost-explorer`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl BillingError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }
}

/// A source of billed cost, shaped like Cost Explorer's `GetCostAndUsage`.
#[async_trait]
pub trait Billing: Debug + Send + Sync + 'static {
    /// The billed (unblended) cost of every value of `tag_key` on every day from `start` to the
    /// day before `end_exclusive`, all pages followed, sorted by day then tag value.
    ///
    /// One row per day and value the backend reports, zero amounts included; spend without the
    /// tag comes back with an empty `tag_value`. Days the bill does not cover yet are absent (not
    /// zero). An empty range (`start >= end_exclusive`) returns no rows without asking the
    /// backend. An answer the adapter cannot read (an amount that is not a number) is an error,
    /// never a row silently left out.
    async fn daily_cost_by_tag(
        &self,
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
    ) -> Result<Vec<DailyCost>, BillingError>;
}
