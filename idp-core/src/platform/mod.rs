//! The use cases: what `idp create`, `idp destroy`, a push to a branch … actually do.
//!
//! Each use case is one function taking the [`Platform`] (the ports plus settings) and a
//! request, returning a serializable report that every frontend renders as it likes. The
//! rules they follow live in [`crate::domain`]; the use cases add the I/O around them:
//!
//! - every metadata write is a compare-and-swap on the object's etag ([`state`]); a use case
//!   that loses the race re-reads and re-decides, it never writes blindly;
//! - work on one environment is serialised by a lease with expiry that is renewed while the
//!   work runs ([`lease`]); a crashed holder's lease expires and the next caller proceeds.

pub mod cost;
pub mod create;
pub mod dashboard;
mod deploy;
pub mod destroy;
pub mod extend;
pub mod forge;
pub mod index;
pub mod lease;
pub mod list;
pub mod logs;
mod notify;
pub mod open;
pub mod preview;
pub mod report;
pub mod run;
pub mod scaffold;
pub mod state;
pub mod status;
pub mod sweep;
pub mod templates;
pub mod unlock;
pub mod via_github;
pub mod workflow;
pub mod workflows;

use chrono::TimeDelta;
use serde::Serialize;

use crate::backend::Backend;
use crate::domain::tfvars::PlatformVars;
use crate::domain::ttl::TtlPolicy;

/// Settings of a platform installation that no single environment decides.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state bucket's name, used in OpenTofu lock ids (`{bucket}/{state_key}`). The local
    /// backend uses `local`.
    pub state_bucket: String,
    /// The image repository holding every environment's images.
    pub image_repository: String,
    /// The default AWS region of environments.
    pub region: String,
    /// Platform-wide template inputs (certificate, DNS zone, shared state bucket, …).
    pub platform_vars: PlatformVars,
    /// Bounds on TTLs.
    pub ttl_policy: TtlPolicy,
    /// How long a lease lasts before it must be renewed.
    pub lease_ttl: TimeDelta,
    /// How long a redeploy waits for another operation on the same environment to finish.
    pub lease_wait: TimeDelta,
    /// Who is acting (recorded in leases and as the owner of created environments).
    pub actor: String,
    /// How many metadata objects `list` reads at once.
    pub read_concurrency: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            state_bucket: "local".to_owned(),
            image_repository: "idp-preview".to_owned(),
            region: "us-east-1".to_owned(),
            platform_vars: PlatformVars::default(),
            ttl_policy: TtlPolicy::default(),
            lease_ttl: TimeDelta::minutes(15),
            lease_wait: TimeDelta::minutes(30),
            actor: "idp".to_owned(),
            read_concurrency: 16,
        }
    }
}

/// The ports plus the settings: what every use case runs against.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The ports.
    pub backend: Backend,
    /// The settings.
    pub settings: Settings,
}

impl Platform {
    /// A platform over `backend` with default settings.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            settings: Settings::default(),
        }
    }

    /// Replace the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }
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
