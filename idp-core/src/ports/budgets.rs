//! The `Budgets` port: monthly cost budgets with alert notifications, and the topic the alerts
//! go to — shaped like AWS Budgets and SNS.
//!
//! `idp budgets sync` makes the budgets match the platform policy: it lists what exists
//! ([`Budgets::list_budgets`]) and creates, updates or deletes only what differs, so a second
//! sync calls nothing that writes. The port only moves budgets; which budgets there should be
//! (names, owners, thresholds) is the domain's rule ([`crate::domain::policy`]).

use std::fmt::Debug;

use async_trait::async_trait;
use serde::Serialize;

use super::BoxError;

/// The tag every resource of an environment carries with its owner; budgets filter on it.
pub const OWNER_TAG: &str = "idp:owner";

/// A monthly COST budget whose alerts go to the topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetSpec {
    /// Its name, starting with [`crate::domain::policy::BUDGET_PREFIX`].
    pub name: String,
    /// The monthly limit in US dollars.
    pub limit_usd: f64,
    /// The values of the [`OWNER_TAG`] tag whose cost counts (any of them), sorted.
    pub owners: Vec<String>,
    /// The alert thresholds in percent of the limit (actual spend greater than), ascending.
    pub alert_at: Vec<u32>,
}

/// A budget as it exists, with what the backend reports it has spent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetInfo {
    /// Its settings as read back.
    pub spec: BudgetSpec,
    /// The month's actual spend the backend computed, if it reports one.
    pub actual_usd: Option<f64>,
}

/// One subscription of the alerts' topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// The email address.
    pub email: String,
    /// `false` while the address has not confirmed (AWS removes unconfirmed subscriptions after
    /// three days; they cannot be unsubscribed before).
    pub confirmed: bool,
}

/// What went wrong in a budgets call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// No budget of that name.
    #[error("budget `{name}` does not exist")]
    NotFound {
        /// The budget asked for.
        name: String,
    },
    /// A budget of that name exists already.
    #[error("budget `{name}` already exists")]
    AlreadyExists {
        /// The budget.
        name: String,
    },
    /// The backend has no budgets (the local backend): nothing is created, and the guardrail
    /// still applies.
    #[error("the `{backend}` backend has no cost budgets")]
    NotSupported {
        /// The backend.
        backend: &'static str,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`budgets`, `sns`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`budgets`, `sns`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl BudgetError {
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

/// Cost budgets and their alert topic.
#[async_trait]
pub trait Budgets: Debug + Send + Sync + 'static {
    /// Every budget whose name starts with `prefix`, all pages followed, sorted by name.
    async fn list_budgets(&self, prefix: &str) -> Result<Vec<BudgetInfo>, BudgetError>;

    /// Creates the budget with one notification per threshold, each sending to `topic`.
    ///
    /// MUST fail with [`BudgetError::AlreadyExists`] (changing nothing) when one of that name
    /// exists.
    async fn create_budget(&self, spec: &BudgetSpec, topic: &str) -> Result<(), BudgetError>;

    /// Makes the existing budget `spec.name` equal to `spec`: its limit and owners, and its
    /// notifications (thresholds no longer listed are removed, new ones send to `topic`).
    ///
    /// MUST fail with [`BudgetError::NotFound`] when there is no such budget.
    async fn update_budget(
        &self,
        current: &BudgetSpec,
        spec: &BudgetSpec,
        topic: &str,
    ) -> Result<(), BudgetError>;

    /// Deletes the budget and its notifications.
    ///
    /// MUST fail with [`BudgetError::NotFound`] when there is no such budget.
    async fn delete_budget(&self, name: &str) -> Result<(), BudgetError>;

    /// The topic the alerts go to, created the first time (with a policy that lets the budgets
    /// service publish to it); the same topic every later time. Returns its id (an SNS ARN).
    async fn ensure_topic(&self, name: &str) -> Result<String, BudgetError>;

    /// The email subscriptions of `topic`, sorted by address.
    async fn subscriptions(&self, topic: &str) -> Result<Vec<Subscription>, BudgetError>;

    /// Subscribes `email` to `topic` (the address receives a confirmation mail first).
    /// Subscribing an address twice keeps one subscription.
    async fn subscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError>;

    /// Removes the confirmed subscription of `email`; an unknown or unconfirmed address
    /// changes nothing.
    async fn unsubscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError>;
}

/// The budgets of a backend that has none (the local backend): every call is
/// [`BudgetError::NotSupported`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBudgets;

#[async_trait]
impl Budgets for NoBudgets {
    async fn list_budgets(&self, _: &str) -> Result<Vec<BudgetInfo>, BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn create_budget(&self, _: &BudgetSpec, _: &str) -> Result<(), BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn update_budget(
        &self,
        _: &BudgetSpec,
        _: &BudgetSpec,
        _: &str,
    ) -> Result<(), BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn delete_budget(&self, _: &str) -> Result<(), BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn ensure_topic(&self, _: &str) -> Result<String, BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn subscriptions(&self, _: &str) -> Result<Vec<Subscription>, BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn subscribe(&self, _: &str, _: &str) -> Result<(), BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
    async fn unsubscribe(&self, _: &str, _: &str) -> Result<(), BudgetError> {
        Err(BudgetError::NotSupported { backend: "local" })
    }
}
