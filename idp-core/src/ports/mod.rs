//! The ports: async traits for everything the use cases need from the world.
//!
//! The use cases in `platform` decide; the ports only move bytes, leases and events. Each port is a
//! dyn-safe `#[async_trait]` trait, `Debug + Send + Sync + 'static`, used as `Arc<dyn Port>`, because
//! the backend (memory, local directory or AWS) is chosen at run time. Every method documents what
//! it guarantees and which error it MUST return on a conflict; `tests/conformance` holds the one
//! suite per port that every adapter passes.
//!
//! Each port has its own error enum of *outcome classes* (`NotFound`, `AlreadyExists`,
//! `PreconditionFailed`, `Held`, `Unavailable`, `Backend`), `#[non_exhaustive]`, with the
//! backend's own error kept whole in `source`. Adapters convert their private errors at the seam.

pub mod clock;
pub mod deployer;
pub mod image_registry;
pub mod lock_table;
pub mod log_source;
pub mod object_store;

pub use clock::{Clock, FixedClock, SystemClock};
pub use deployer::{DeployError, Deployer, DeploymentInfo, RolloutState, ServiceHealth, ServiceStatus};
pub use image_registry::{DeleteFailure, DeleteReport, ImageRef, ImageRegistry, RegistryError};
pub use lock_table::{Lease, LeaseInfo, LeaseRequest, LockError, LockTable, TfLockInfo, TfLockRemoval};
pub use log_source::{FilterPattern, LogError, LogEvent, LogPage, LogQuery, LogSource};
pub use object_store::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};

/// The error of a backend, kept whole (with its own `source` chain) inside a port error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
