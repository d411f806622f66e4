//! The GitOps path: a push provisions or redeploys the branch's environment, a closed pull
//! request or deleted branch destroys it ([`preview`]); the same path split into the steps a CI
//! job runs around its own `tofu apply` ([`steps`]); and the record writes both make (`records`).

pub(crate) mod approval;
pub mod intake;
pub mod preview;
pub(crate) mod records;
pub mod steps;
