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
