//! The local backend: the state bucket as a directory, leases as lock files.
//!
//! With no AWS configured, idp keeps everything under one directory (`IDP_STATE_DIR`):
//!
//! ```text
//! <dir>/environments/<name>/metadata.json   objects, one file per key, exactly as in the S3 bucket
//! <dir>/logs/<group>/<stream>.log            log lines `<RFC 3339 timestamp> <message>`
//! <dir>/.locks/leases/<key>.json             leases: key, owner, expires_at, token
//! <dir>/.locks/terraform/<lock id>.json      OpenTofu lock and digest items
//! <dir>/.locks/*.lock                        advisory file locks serialising writers
//! <dir>/.local/deployer.json                 services and deployments of the local deployer
//! <dir>/.local/images.json                   tags and digests of the local image registry
//! ```
//!
//! Every write goes to a temporary file in the target's directory and is renamed over it, so a
//! reader never sees half a file. Every check-then-write (create-only and If-Match puts, lease
//! acquisition) runs under an exclusive advisory lock on a file in `.locks/`, so the guarantees
//! of the ports hold between processes on one machine, not only between tasks of one process.
//! Blocking file I/O runs on tokio's blocking pool.
#![allow(
    clippy::disallowed_methods,
    reason = "the local backend is the adapter that reads and writes the disk"
)]

mod deployer;
mod executor;
mod fs;
mod image_registry;
mod lock_table;
mod log_source;
mod object_store;
mod runtime;

pub use deployer::LocalDeployer;
pub use executor::LocalExecutor;
pub use image_registry::LocalRegistry;
pub use lock_table::LocalLocks;
pub use log_source::LocalLogs;
pub use object_store::LocalStore;
pub use runtime::{LocalRuntime, LocalRuntimeConfig};
