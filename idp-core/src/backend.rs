//! The `Backend`: one value holding an implementation of every port.
//!
//! Use cases take `&Backend` and never know which backend they run on; the frontends choose it
//! at run time (memory for tests, a local directory by default, AWS with the `aws` feature).

use std::sync::Arc;

use crate::ports::{Clock, Deployer, ImageRegistry, LockTable, LogSource, ObjectStore};

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
}

// === AWS ===

#[cfg(feature = "aws")]
impl Backend {
    /// The AWS backend: S3, DynamoDB, ECS, CloudWatch Logs and ECR as `cfg` names them, with
    /// credentials from the standard chain (environment, profile, SSO, web identity, instance
    /// role) and the system clock.
    ///
    /// Nothing is called yet: a wrong bucket or missing credentials show on the first use.
    pub async fn aws(cfg: crate::adapters::aws::AwsConfig) -> Self {
        Self::from_aws(crate::adapters::aws::AwsAdapters::load(&cfg).await)
    }

    /// A backend of already built AWS adapters (e.g. from an SDK configuration with other
    /// credentials), with the system clock.
    pub fn from_aws(adapters: crate::adapters::aws::AwsAdapters) -> Self {
        Self {
            store: Arc::new(adapters.store),
            locks: Arc::new(adapters.locks),
            deployer: Arc::new(adapters.deployer),
            logs: Arc::new(adapters.logs),
            registry: Arc::new(adapters.registry),
            clock: Arc::new(crate::ports::SystemClock),
        }
    }
}
