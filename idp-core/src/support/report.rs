//! The report every mutating use case returns, and frontends render.

use serde::Serialize;

use crate::domain::lifecycle::Metadata;

/// What a create, preview, extend or destroy did.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    /// What happened.
    pub outcome: Outcome,
    /// The environment (`None` for a trigger that concerns no environment).
    pub name: Option<String>,
    /// Why nothing was done, or what was noteworthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The environment's record after the change (the tombstone after a destroy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Metadata>,
    /// Where the environment answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// What a destroy cleaned up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<Cleanup>,
    /// What went wrong around the change without failing it (e.g. the pull-request comment or
    /// commit status could not be posted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

impl ChangeReport {
    /// A no-op report with its reason.
    pub fn no_op(name: Option<String>, reason: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::NoOp,
            name,
            reason: Some(reason.into()),
            environment: None,
            endpoint: None,
            cleanup: None,
            notices: Vec::new(),
        }
    }

    /// A report of a change to `meta`.
    pub fn changed(outcome: Outcome, meta: Metadata) -> Self {
        Self {
            outcome,
            name: Some(meta.name.to_string()),
            reason: None,
            endpoint: meta.endpoint.clone(),
            environment: Some(meta),
            cleanup: None,
            notices: Vec::new(),
        }
    }
}

/// What a destroy removed besides the infrastructure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleanup {
    /// State objects deleted (state, outputs, tfvars).
    pub state_objects_deleted: usize,
    /// Image tags deleted from the registry.
    pub images_deleted: Vec<String>,
    /// Image tags that could not be deleted, with the reason.
    pub image_failures: Vec<String>,
    /// Whether an OpenTofu lock item was removed.
    pub terraform_lock_removed: bool,
    /// Whether the OpenTofu state digest item was removed.
    pub terraform_digest_removed: bool,
}

/// What a mutating use case did, as frontends report it (`--output json` field `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A new environment was provisioned.
    Created,
    /// An existing environment was redeployed and its TTL extended.
    Redeployed,
    /// The environment's expiry moved.
    Extended,
    /// The environment was destroyed.
    Destroyed,
    /// Nothing was done; the report's `reason` says why.
    NoOp,
}

impl Outcome {
    /// The stable code of the outcome, as in JSON (`created`, `no-op`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Redeployed => "redeployed",
            Self::Extended => "extended",
            Self::Destroyed => "destroyed",
            Self::NoOp => "no-op",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn outcome_codes_are_the_json_values() {
        for o in [
            Outcome::Created,
            Outcome::Redeployed,
            Outcome::Extended,
            Outcome::Destroyed,
            Outcome::NoOp,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.code());
        }
    }
}
