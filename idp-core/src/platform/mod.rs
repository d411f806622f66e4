//! [`Platform`]: the ports plus the settings of an installation, what every use case runs
//! against.
//!
//! The use cases themselves are grouped by capability: [`crate::environments`] (create, extend,
//! destroy, list, status, logs, unlock, sweep, cost, dashboard), [`crate::gitops`] (the push /
//! pull-request path and the Action's steps), [`crate::github`] (dispatching the platform's
//! workflows), [`crate::runs`] (infrastructure runs) and [`crate::repo`] (scaffolding and the
//! template catalog). They share [`crate::support`]: compare-and-swap state, leases, the index.
//! Every frontend opens a `Platform` through [`crate::setup`].

use std::collections::BTreeMap;

use chrono::TimeDelta;

use crate::backend::Backend;
use crate::domain::approval::ApprovalRule;
use crate::domain::config::ConfigOptions;
use crate::domain::secret_access::SecretAllowList;
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
    /// The approval rules of the platform's templates (their `template.json`), by template
    /// name; a template without one needs no approval.
    pub approval_rules: BTreeMap<String, ApprovalRule>,
    /// The Secrets Manager ARN patterns environments may reference, per repository
    /// (`aws.secretPatterns`).
    pub secret_allow_list: SecretAllowList,
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
            approval_rules: BTreeMap::new(),
            secret_allow_list: SecretAllowList::default(),
        }
    }
}

impl Settings {
    /// What a repository's `.idp/config.yml` is checked against on this platform (its TTL
    /// bounds).
    pub fn config_options(&self) -> ConfigOptions {
        ConfigOptions {
            ttl_policy: self.ttl_policy,
            ..ConfigOptions::default()
        }
    }
}

/// The ports plus the settings: what every use case runs against.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The ports.
    pub backend: Backend,
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
