//! Budgets: the platform policy in the state store, AWS Budgets kept in step with it, and the
//! guardrail that refuses a new environment its team's budget cannot pay for.
//!
//! - [`store`]: the stored policy (`platform/policy.json`), written with compare-and-swap; every
//!   frontend reads this copy, never a local file, so all enforce the same limits.
//! - [`sync`]: `idp budgets sync`: store the policy, then create, update or delete the AWS
//!   budgets (and the alerts' SNS topic and subscriptions) to match it.
//! - [`show`]: `idp budgets`: each budget's limit, spend this month, percentage and remaining.
//! - [`guard`]: the check every path that provisions a new environment runs first.
//! - [`spend`]: month-to-date spend, behind one function.

pub mod guard;
pub mod show;
pub mod spend;
pub mod store;
pub mod sync;

/// The SNS topic every budget alert goes to.
pub const TOPIC_NAME: &str = "idp-budgets";
