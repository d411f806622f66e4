//! The adapters under test: a factory per adapter returning a fresh [`Fixture`], and one
//! `conformance!` line each.
//!
//! To add an adapter (e.g. AWS on moto):
//!
//! 1. Write `async fn moto() -> Fixture` that creates fresh resources (a unique bucket and table
//!    name per call), the ports on them, handle factories that open new clients on the same
//!    resources, a [`Seed`] implementation, and its [`Caps`].
//! 2. Add `#[cfg(feature = "aws")] conformance!(moto, moto);` below.
//!
//! A suite never skips a rule silently: what an adapter cannot do is a field of [`Caps`], and the
//! suite asserts the documented alternative behaviour instead.

#![allow(
    clippy::disallowed_methods,
    reason = "the local fixtures write seed data to disk"
)]

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use idp_core::adapters::local::{LocalDeployer, LocalLocks, LocalLogs, LocalRegistry, LocalStore};
use idp_core::adapters::memory::{
    MemoryDeployer, MemoryLocks, MemoryLogs, MemoryRegistry, MemoryStore,
};
use idp_core::ports::{Deployer, ImageRegistry, LockTable, LogEvent, LogSource, ObjectStore};

/// What an adapter can do, where adapters legitimately differ.
#[derive(Debug, Clone)]
pub(crate) struct Caps {
    /// How many keys the pagination test writes (2,500 where writes are cheap).
    pub(crate) list_keys: usize,
    /// Whether keys like `../x` are rejected with `InvalidKey` (local) rather than stored as
    /// literal keys (S3, memory).
    pub(crate) rejects_hostile_keys: bool,
    /// How many tags the batch-delete test deletes (over 100, ECR's per-request limit).
    pub(crate) many_images: usize,
    /// A recent, fixed instant the lock and log tests measure from (CloudWatch refuses events
    /// older than 14 days, so the moto fixture uses the current time).
    pub(crate) now: DateTime<Utc>,
}

/// Writes test data the ports themselves do not write.
#[async_trait]
pub(crate) trait Seed: Send + Sync {
    /// Writes an OpenTofu lock item with this raw `Info`.
    async fn terraform_lock(&self, lock_id: &str, info_json: &str);
    /// Writes an OpenTofu digest item.
    async fn terraform_digest(&self, digest_id: &str, digest: &str);
    /// Creates an active, steady service running `desired` tasks.
    async fn service(&self, cluster: &str, service: &str, desired: u32);
    /// Appends events (time, message) to one stream of a log group, creating both.
    async fn log_events(&self, group: &str, stream: &str, events: &[(DateTime<Utc>, String)]);
    /// Creates a repository (empty if `tags` is empty) and pushes one image per tag; returns the
    /// digests in the order of `tags`.
    async fn images(&self, repository: &str, tags: &[String]) -> Vec<String>;
}

/// Opens another handle (client, instance) on the same underlying store or table.
pub(crate) type Handle<T> = Arc<dyn Fn() -> Arc<T> + Send + Sync>;

/// A fresh, empty backend for one test.
pub(crate) struct Fixture {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) store_handle: Handle<dyn ObjectStore>,
    pub(crate) locks: Arc<dyn LockTable>,
    pub(crate) locks_handle: Handle<dyn LockTable>,
    pub(crate) deployer: Arc<dyn Deployer>,
    pub(crate) logs: Arc<dyn LogSource>,
    pub(crate) registry: Arc<dyn ImageRegistry>,
    pub(crate) seed: Arc<dyn Seed>,
    pub(crate) caps: Caps,
    /// Keeps temporary resources alive for the test.
    pub(crate) _guard: Option<tempfile::TempDir>,
}

fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A made-up digest for a pushed tag.
fn digest_for(repository: &str, tag: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(format!("{repository}:{tag}"));
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

// === memory ===

struct MemorySeed {
    locks: Arc<MemoryLocks>,
    deployer: Arc<MemoryDeployer>,
    logs: Arc<MemoryLogs>,
    registry: Arc<MemoryRegistry>,
}

#[async_trait]
impl Seed for MemorySeed {
    async fn terraform_lock(&self, lock_id: &str, info_json: &str) {
        self.locks.put_terraform_lock(lock_id, info_json);
    }
    async fn terraform_digest(&self, digest_id: &str, digest: &str) {
        self.locks.put_terraform_digest(digest_id, digest);
    }
    async fn service(&self, cluster: &str, service: &str, desired: u32) {
        self.deployer.add_service(cluster, service, desired);
    }
    async fn log_events(&self, group: &str, stream: &str, events: &[(DateTime<Utc>, String)]) {
        self.logs.create_group(group);
        for (timestamp, message) in events {
            self.logs.push(
                group,
                LogEvent {
                    timestamp: *timestamp,
                    stream: stream.to_owned(),
                    message: message.clone(),
                },
            );
        }
    }
    async fn images(&self, repository: &str, tags: &[String]) -> Vec<String> {
        self.registry.create_repository(repository);
        tags.iter()
            .map(|tag| {
                let digest = digest_for(repository, tag);
                self.registry.push_image(repository, tag, &digest);
                digest
            })
            .collect()
    }
}

pub(crate) async fn memory() -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let locks = Arc::new(MemoryLocks::new());
    let deployer = Arc::new(MemoryDeployer::new());
    let logs = Arc::new(MemoryLogs::new());
    let registry = Arc::new(MemoryRegistry::new());
    // One process, one instance: another "handle" is the same instance.
    let (s, l) = (store.clone(), locks.clone());
    Fixture {
        store: store.clone(),
        store_handle: Arc::new(move || s.clone() as Arc<dyn ObjectStore>),
        locks: locks.clone(),
        locks_handle: Arc::new(move || l.clone() as Arc<dyn LockTable>),
        deployer: deployer.clone(),
        logs: logs.clone(),
        registry: registry.clone(),
        seed: Arc::new(MemorySeed {
            locks,
            deployer,
            logs,
            registry,
        }),
        caps: Caps {
            list_keys: 2500,
            rejects_hostile_keys: false,
            many_images: 250,
            now: fixed_now(),
        },
        _guard: None,
    }
}

// === local ===

struct LocalSeed {
    locks: LocalLocks,
    deployer: LocalDeployer,
    logs: LocalLogs,
    registry: LocalRegistry,
}

#[async_trait]
impl Seed for LocalSeed {
    async fn terraform_lock(&self, lock_id: &str, info_json: &str) {
        let written = self.locks.put_terraform_lock(lock_id, info_json);
        assert!(written.is_ok(), "seeding a lock item failed: {written:?}");
    }
    async fn terraform_digest(&self, digest_id: &str, digest: &str) {
        let written = self.locks.put_terraform_digest(digest_id, digest);
        assert!(written.is_ok(), "seeding a digest item failed: {written:?}");
    }
    async fn service(&self, cluster: &str, service: &str, desired: u32) {
        let written = self.deployer.add_service(cluster, service, desired);
        assert!(written.is_ok(), "seeding a service failed: {written:?}");
    }
    async fn log_events(&self, group: &str, stream: &str, events: &[(DateTime<Utc>, String)]) {
        for (timestamp, message) in events {
            let written = self.logs.append(group, stream, *timestamp, message);
            assert!(written.is_ok(), "seeding a log event failed: {written:?}");
        }
    }
    async fn images(&self, repository: &str, tags: &[String]) -> Vec<String> {
        let created = self.registry.create_repository(repository);
        assert!(created.is_ok(), "seeding a repository failed: {created:?}");
        tags.iter()
            .map(|tag| {
                let digest = digest_for(repository, tag);
                let pushed = self.registry.push_image(repository, tag, &digest);
                assert!(pushed.is_ok(), "seeding an image failed: {pushed:?}");
                digest
            })
            .collect()
    }
}

/// A fresh temporary directory, RAM-backed where there is one: the contract (atomic rename,
/// advisory locks) is the same as on disk, and thousands of small files do not wait on a slow
/// disk's fsync.
pub(crate) fn temp_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("idp-conformance-")
            .tempdir_in(shm)
    } else {
        tempfile::tempdir()
    };
    dir.expect("a temporary directory")
}

pub(crate) async fn local() -> Fixture {
    let dir = temp_dir();
    let root = dir.path().to_path_buf();
    let (r1, r2) = (root.clone(), root.clone());
    Fixture {
        store: Arc::new(LocalStore::new(&root)),
        // Every handle is its own instance, as another process would open it.
        store_handle: Arc::new(move || Arc::new(LocalStore::new(&r1)) as Arc<dyn ObjectStore>),
        locks: Arc::new(LocalLocks::new(&root)),
        locks_handle: Arc::new(move || Arc::new(LocalLocks::new(&r2)) as Arc<dyn LockTable>),
        deployer: Arc::new(LocalDeployer::new(&root)),
        logs: Arc::new(LocalLogs::new(&root)),
        registry: Arc::new(LocalRegistry::new(&root)),
        seed: Arc::new(LocalSeed {
            locks: LocalLocks::new(&root),
            deployer: LocalDeployer::new(&root),
            logs: LocalLogs::new(&root),
            registry: LocalRegistry::new(&root),
        }),
        caps: Caps {
            list_keys: 2500,
            rejects_hostile_keys: true,
            many_images: 250,
            now: fixed_now(),
        },
        _guard: Some(dir),
    }
}

conformance!(memory, crate::adapters::memory);
conformance!(local, crate::adapters::local);
#[cfg(feature = "aws")]
conformance!(moto, crate::moto::fixture);
