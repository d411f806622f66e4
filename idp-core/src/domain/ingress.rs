//! Listener rule priorities on the shared load balancer (`infrastructure/shared/preview-ingress`).
//!
//! Every environment served through the shared load balancer has one host-header rule on its
//! HTTPS listener, and AWS requires each rule's priority (1 to 50000) to be unique on the
//! listener: two environments with one priority make the second apply fail. A priority is
//! claimed in the state store with a create-only write of [`claim_key`] (see
//! `crate::support::ingress`), so of two creates at once exactly one wins each priority; the
//! other moves on to the next [`candidates`]. The search starts at a hash of the environment
//! name, so environments spread over the range and a retried create asks first for the priority
//! it already holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::naming::EnvName;

/// The lowest priority AWS accepts for a listener rule.
pub const MIN_PRIORITY: u32 = 1;

/// The highest priority AWS accepts for a listener rule.
pub const MAX_PRIORITY: u32 = 50_000;

/// How many priorities one claim tries before giving up. A listener holds 100 rules unless the
/// quota is raised, so a platform never has this many shared-ingress environments at once.
pub const MAX_PROBES: usize = 1_000;

/// Where the claims live in the state store.
pub const CLAIMS_PREFIX: &str = "shared/preview-ingress/priorities/";

/// The claim object of `priority`: `shared/preview-ingress/priorities/00042.json`.
pub fn claim_key(priority: u32) -> String {
    format!("{CLAIMS_PREFIX}{priority:05}.json")
}

/// The first priority `env` asks for: FNV-1a of its name, folded onto 1..=50000. Stable
/// across releases and machines (no randomised hasher).
pub fn first_choice(env: &EnvName) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in env.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let span = u64::from(MAX_PRIORITY - MIN_PRIORITY + 1);
    // The remainder is below 50000, so it fits a u32.
    MIN_PRIORITY + u32::try_from(hash % span).unwrap_or(0)
}

/// The priorities `env` tries, in order: [`first_choice`], then upwards, wrapping from
/// [`MAX_PRIORITY`] to [`MIN_PRIORITY`], at most [`MAX_PROBES`] of them, none twice.
pub fn candidates(env: &EnvName) -> impl Iterator<Item = u32> {
    let first = first_choice(env);
    let span = MAX_PRIORITY - MIN_PRIORITY + 1;
    (0..span)
        .map(move |step| MIN_PRIORITY + (first - MIN_PRIORITY + step) % span)
        .take(MAX_PROBES)
}

/// Whether `priority` is one AWS accepts for a listener rule.
pub fn is_valid(priority: u32) -> bool {
    (MIN_PRIORITY..=MAX_PRIORITY).contains(&priority)
}

/// The content of a claim object: who holds the priority, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The environment holding the priority.
    pub environment: String,
    /// The priority (repeated from the key, for a reader of the object alone).
    pub priority: u32,
    /// When it was claimed.
    pub claimed_at: DateTime<Utc>,
}

impl Claim {
    /// The JSON of the claim.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// A claim read back; `None` when the bytes are not one (a claim idp did not write is
    /// never taken for the caller's).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    #[test]
    fn the_first_choice_is_stable_and_in_range() {
        let a = first_choice(&env("preview-payment-api"));
        assert_eq!(a, first_choice(&env("preview-payment-api")));
        assert!(is_valid(a));
        assert_ne!(a, first_choice(&env("preview-payment-apj")));
    }

    #[test]
    fn the_claim_key_sorts_by_priority() {
        assert_eq!(
            claim_key(42),
            "shared/preview-ingress/priorities/00042.json"
        );
        assert_eq!(
            claim_key(MAX_PRIORITY),
            "shared/preview-ingress/priorities/50000.json"
        );
    }

    #[test]
    fn a_claim_round_trips_and_garbage_is_no_claim() {
        let claim = Claim {
            environment: "preview-a".to_owned(),
            priority: 7,
            claimed_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        assert_eq!(Claim::parse(&claim.to_json()), Some(claim));
        assert_eq!(Claim::parse(b"not json"), None);
        assert_eq!(Claim::parse(b"{}"), None);
    }

    proptest! {
        #[test]
        fn candidates_are_valid_distinct_and_start_at_the_first_choice(
            name in "[a-z][a-z0-9]{1,20}(-[a-z0-9]{1,8}){0,2}"
        ) {
            let e = env(&name);
            let all: Vec<u32> = candidates(&e).collect();
            prop_assert_eq!(all.len(), MAX_PROBES);
            prop_assert_eq!(all[0], first_choice(&e));
            prop_assert!(all.iter().all(|p| is_valid(*p)));
            prop_assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len());
        }
    }
}
