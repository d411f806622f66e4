//! The `Backend`: one value holding an implementation of every port.
//!
//! Use cases take `&Backend` and never know which backend they run on; the frontends choose it at
//! run time: [`Backend::memory`] in tests, [`Backend::local`] by default, `Backend::aws` with the
//! `aws` feature.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::adapters::local::{
    LocalDeployer, LocalLocks, LocalLogs, LocalRegistry, LocalRuntime, LocalRuntimeConfig,
    LocalStore,
};
use crate::adapters::memory::{
    MemoryBilling, MemoryBudgets, MemoryDeployer, MemoryForge, MemoryLocks, MemoryLogs,
    MemoryProvisioner, MemoryRegistry, MemorySecrets, MemoryStore,
};
use crate::ports::Billing;
use crate::ports::budgets::{Budgets, NoBudgets};
use crate::ports::provisioner::Provisioner;
use crate::ports::secret_source::{NoSecretSource, SecretSource};
use crate::ports::{
    Clock, Deployer, FixedClock, Forge, ImageRegistry, LockTable, LogSource, NoForge, ObjectStore,
    SystemClock,
};

/// An implementation of every port, chosen at run time.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The state bucket.
    pub store: Arc<dyn ObjectStore>,
    /// The leases and OpenTofu lock items.
    pub locks: Arc<dyn LockTable>,
    /// Service redeploys and health.
    pub deployer: Arc<dyn Deployer>,
    /// Environment logs.
    pub logs: Arc<dyn LogSource>,
    /// Container images.
    pub registry: Arc<dyn ImageRegistry>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Applies and destroys environments (OpenTofu, the local process runtime, or memory).
    pub provisioner: Arc<dyn Provisioner>,
    /// The code host: pull-request comments, commit statuses, workflow runs.
    pub forge: Arc<dyn Forge>,
    /// Monthly cost budgets and their alert topic (AWS Budgets + SNS; none on the local
    /// backend).
    pub budgets: Arc<dyn Budgets>,
    /// Billed spend (Cost Explorer on AWS); `None` where there is no bill (the local backend
    /// reports list-price estimates only, and says so).
    pub billing: Option<Arc<dyn Billing>>,
    /// The SSM parameters and Secrets Manager secrets orders name (none on the local backend).
    pub secrets: Arc<dyn SecretSource>,
}

/// The concrete adapters behind [`Backend::memory_at`], for tests that seed or inspect them
/// (register a service, push log events, move the clock).
#[derive(Debug, Clone)]
pub struct MemoryHandles {
    pub store: Arc<MemoryStore>,
    /// The lock table.
    pub locks: Arc<MemoryLocks>,
    pub deployer: Arc<MemoryDeployer>,
    /// The log source.
    pub logs: Arc<MemoryLogs>,
    /// The image registry.
    pub registry: Arc<MemoryRegistry>,
    pub clock: Arc<FixedClock>,
    pub provisioner: Arc<MemoryProvisioner>,
    pub forge: Arc<MemoryForge>,
    pub budgets: Arc<MemoryBudgets>,
    /// The bill: set daily costs per environment tag, count the requests.
    pub billing: Arc<MemoryBilling>,
    /// Parameters and secrets for orders' `ssm_paths` and `secret_manager_paths`.
    pub secrets: Arc<MemorySecrets>,
}

impl Backend {
    /// Every port in process memory, with the system clock.
    pub fn memory() -> Self {
        let (backend, _) = Self::memory_at(DateTime::<Utc>::UNIX_EPOCH);
        backend.with_clock(Arc::new(SystemClock))
    }

    /// Every port in process memory, with a [`FixedClock`] showing `now`; also returns the
    /// concrete adapters so tests can seed and inspect them.
    pub fn memory_at(now: DateTime<Utc>) -> (Self, MemoryHandles) {
        let clock = Arc::new(FixedClock::new(now));
        let handles = MemoryHandles {
            store: Arc::new(MemoryStore::new()),
            locks: Arc::new(MemoryLocks::new()),
            deployer: Arc::new(MemoryDeployer::new()),
            logs: Arc::new(MemoryLogs::new()),
            registry: Arc::new(MemoryRegistry::new()),
            forge: Arc::new(MemoryForge::with_clock(clock.clone())),
            clock,
            provisioner: Arc::new(MemoryProvisioner::new()),
            budgets: Arc::new(MemoryBudgets::new()),
            billing: Arc::new(MemoryBilling::new()),
            secrets: Arc::new(MemorySecrets::new()),
        };
        let backend = Self {
            store: handles.store.clone(),
            locks: handles.locks.clone(),
            deployer: handles.deployer.clone(),
            logs: handles.logs.clone(),
            registry: handles.registry.clone(),
            clock: handles.clock.clone(),
            provisioner: handles.provisioner.clone(),
            forge: handles.forge.clone(),
            budgets: handles.budgets.clone(),
            billing: Some(handles.billing.clone()),
            secrets: handles.secrets.clone(),
        };
        (backend, handles)
    }

    /// The local backend in `dir` (see [`crate::adapters::local`] for the layout), with the system
    /// clock. Nothing is created until the first write.
    ///
    /// Its forge is [`NoForge`]: there is no code host, so no pull-request comment or commit
    /// status is posted (the use cases skip them silently). Set a real one with
    /// [`Backend::with_forge`], e.g. the GitHub forge.
    pub fn local(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            provisioner: Arc::new(LocalRuntime::new(LocalRuntimeConfig::new(dir.clone()))),
            store: Arc::new(LocalStore::new(dir.clone())),
            locks: Arc::new(LocalLocks::new(dir.clone())),
            deployer: Arc::new(LocalDeployer::new(dir.clone())),
            logs: Arc::new(LocalLogs::new(dir.clone())),
            registry: Arc::new(LocalRegistry::new(dir)),
            clock: Arc::new(SystemClock),
            forge: Arc::new(NoForge),
            budgets: Arc::new(NoBudgets),
            billing: None,
            secrets: Arc::new(NoSecretSource),
        }
    }

    /// The same backend with other budgets (e.g. `adapters::aws::AwsBudgets`).
    #[must_use]
    pub fn with_budgets(mut self, budgets: Arc<dyn Budgets>) -> Self {
        self.budgets = budgets;
        self
    }

    /// The same backend with another billing source (`None`: estimates only).
    #[must_use]
    pub fn with_billing(mut self, billing: Option<Arc<dyn Billing>>) -> Self {
        self.billing = billing;
        self
    }

    /// The same backend with another provisioner.
    #[must_use]
    pub fn with_provisioner(mut self, provisioner: Arc<dyn Provisioner>) -> Self {
        self.provisioner = provisioner;
        self
    }

    /// The same backend with another forge (e.g. `adapters::github::GitHubForge`).
    #[must_use]
    pub fn with_forge(mut self, forge: Arc<dyn Forge>) -> Self {
        self.forge = forge;
        self
    }

    /// The same backend with another source of order secrets (e.g. the local backend's state
    /// with `adapters::aws::AwsSecrets`).
    #[must_use]
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretSource>) -> Self {
        self.secrets = secrets;
        self
    }

    /// The same backend with another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

#[cfg(feature = "aws")]
impl Backend {
    /// The AWS backend: S3, DynamoDB, ECS, CloudWatch Logs and ECR as `cfg` names them, with
    /// credentials from the standard chain (environment, profile, SSO, web identity, instance
    /// role), the system clock, and `provisioner` applying the templates (usually a
    /// [`crate::adapters::tofu::TofuProvisioner`] on the same bucket, table and region).
    ///
    /// Nothing is called yet: a wrong bucket or missing credentials show on the first use.
    pub async fn aws(
        cfg: crate::adapters::aws::AwsConfig,
        provisioner: Arc<dyn Provisioner>,
    ) -> Self {
        Self::from_aws(
            crate::adapters::aws::AwsAdapters::load(&cfg).await,
            provisioner,
        )
    }

    /// A backend of already built AWS adapters (e.g. from an SDK configuration with other
    /// credentials), with the system clock and no forge (nothing is posted to a code host;
    /// set one with [`Backend::with_forge`]).
    pub fn from_aws(
        adapters: crate::adapters::aws::AwsAdapters,
        provisioner: Arc<dyn Provisioner>,
    ) -> Self {
        Self {
            provisioner,
            store: Arc::new(adapters.store),
            locks: Arc::new(adapters.locks),
            deployer: Arc::new(adapters.deployer),
            logs: Arc::new(adapters.logs),
            registry: Arc::new(adapters.registry),
            clock: Arc::new(SystemClock),
            forge: Arc::new(NoForge),
            budgets: Arc::new(adapters.budgets),
            billing: Some(Arc::new(adapters.billing)),
            secrets: Arc::new(adapters.secrets),
        }
    }
}
