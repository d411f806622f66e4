//! In-memory adapters: real implementations of every port, kept in process memory.
//!
//! They are not mocks: etags change on every write, create-only and If-Match puts are atomic,
//! listings paginate, leases expire, deployments move through states. They behave like the AWS
//! services they stand for (comments say where they mirror AWS), and they pass the same
//! conformance suite as the local and AWS adapters, so code tested against them behaves the same
//! in production. Use them in your own tests:
//!
//! ```
//! # tokio_test_block_on(async {
//! use bytes::Bytes;
//! use idp_core::adapters::memory::MemoryStore;
//! use idp_core::ports::{ObjectStore, PutMode, StoreError};
//!
//! let store = MemoryStore::new();
//! let etag = store.put("environments/x/metadata.json", Bytes::from_static(b"{}"), PutMode::CreateOnly).await?;
//! let again = store.put("environments/x/metadata.json", Bytes::from_static(b"{}"), PutMode::CreateOnly).await;
//! assert!(matches!(again, Err(StoreError::AlreadyExists { .. })));
//! store.put("environments/x/metadata.json", Bytes::from_static(b"{\"a\":1}"), PutMode::IfMatch(etag)).await?;
//! # Ok::<(), StoreError>(())
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().map(|rt| rt.block_on(f)).unwrap()
//! # }
//! ```

mod billing;
mod budgets;
mod deployer;
mod executor;
mod forge;
mod image_registry;
mod lock_table;
mod log_source;
mod object_store;
mod provisioner;
mod secret_source;

pub use billing::MemoryBilling;
pub use budgets::MemoryBudgets;
pub use deployer::MemoryDeployer;
pub use executor::{MemoryExecutor, Script};
pub use forge::{MemoryComment, MemoryForge, MemoryRun, RecordedStatus};
pub use image_registry::MemoryRegistry;
pub use lock_table::MemoryLocks;
pub use log_source::MemoryLogs;
pub use object_store::MemoryStore;
pub use provisioner::{MemoryProvisioner, ProvisionCall, ProvisionOp};
pub use secret_source::MemorySecrets;

/// Locks a std mutex, ignoring poisoning: every critical section in these adapters leaves the
/// state consistent before it can panic, so a poisoned lock still guards valid data.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
