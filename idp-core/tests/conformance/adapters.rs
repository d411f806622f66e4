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
use idp_core::ports::{
    AlarmState, AlarmStatus, Deployer, ImageRegistry, LockTable, LogEvent, LogSource, ObjectStore,
};

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
    /// Whether the backend has alarms (CloudWatch, memory); without (local), seeding one does
    /// nothing and [`Deployer::alarms`] answers none.
    pub(crate) alarms: bool,
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
    /// Creates a metric alarm `name` and sets its state (`OK`, `ALARM`, `INSUFFICIENT_DATA`)
    /// with `reason`, as CloudWatch `PutMetricAlarm` and `SetAlarmState` do.
    async fn alarm(&self, name: &str, state: &str, reason: &str);
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
    async fn alarm(&self, name: &str, state: &str, reason: &str) {
        self.deployer.put_alarm(AlarmStatus {
            name: name.to_owned(),
            state: AlarmState::parse(state),
            reason: reason.to_owned(),
            since: Some(fixed_now()),
        });
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
            alarms: true,
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
    /// The local backend has no monitoring service, so there is nothing to make.
    async fn alarm(&self, _: &str, _: &str, _: &str) {}
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
            alarms: false,
        },
        _guard: Some(dir),
    }
}

conformance!(memory, crate::adapters::memory);
conformance!(local, crate::adapters::local);
#[cfg(feature = "aws")]
conformance!(moto, crate::moto::fixture);

// === executors and provisioners ===

mod ports {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use idp_core::adapters::local::{LocalExecutor, LocalRuntime, LocalRuntimeConfig};
    use idp_core::adapters::memory::{MemoryExecutor, MemoryProvisioner, Script};
    use idp_core::domain::naming::EnvName;
    use idp_core::domain::template::TemplateName;
    use idp_core::ports::executor::{ExecHandle, Executor};
    use idp_core::ports::{ProvisionRequest, Provisioner};

    use crate::suites::executor::Commands;
    use crate::suites::provisioner::{ProvisionerCaps, Setup};

    /// Keeps what a test's adapter needs alive (temporary directories).
    pub(crate) type Guard = Option<Box<dyn std::any::Any + Send>>;

    /// `text` as one single-quoted shell word.
    fn quoted(text: &str) -> String {
        format!("'{}'", text.replace('\'', r"'\''"))
    }

    struct MemoryCommands {
        executor: Arc<MemoryExecutor>,
        next: AtomicUsize,
    }

    impl MemoryCommands {
        fn scripted(&self, what: &str, script: Script) -> String {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let cmd = format!("step-{n} {what}");
            self.executor.script(&cmd, script);
            cmd
        }
    }

    impl Commands for MemoryCommands {
        fn prints(&self, text: &str) -> String {
            self.scripted("prints", Script::succeeds().printing(text))
        }
        fn fails(&self, code: i32, text: &str) -> String {
            self.scripted("fails", Script::exits(code).printing(text))
        }
        fn prints_var(&self, name: &str) -> String {
            self.scripted(
                "prints a variable",
                Script::succeeds().printing(&format!("${{{name}}}")),
            )
        }
        fn hangs(&self) -> String {
            self.scripted("hangs", Script::succeeds().taking(Duration::from_secs(60)))
        }
        fn is_running(&self, handle: &ExecHandle) -> bool {
            self.executor.is_running(handle)
        }
    }

    pub(crate) async fn memory_executor() -> (Arc<dyn Executor>, Arc<dyn Commands>, Guard) {
        let executor = Arc::new(MemoryExecutor::new());
        let commands = MemoryCommands {
            executor: executor.clone(),
            next: AtomicUsize::new(0),
        };
        (executor, Arc::new(commands), None)
    }

    struct ShellCommands;

    impl Commands for ShellCommands {
        fn prints(&self, text: &str) -> String {
            format!("printf '%s\\n' {}", quoted(text))
        }
        fn fails(&self, code: i32, text: &str) -> String {
            format!("printf '%s\\n' {}; exit {code}", quoted(text))
        }
        fn prints_var(&self, name: &str) -> String {
            format!("printf '%s\\n' \"${name}\"")
        }
        fn hangs(&self) -> String {
            "sleep 60".to_owned()
        }
        /// The handle is `pid:start_time` of the command's process group leader: it runs while
        /// that process lives, or any live process is left in its group.
        fn is_running(&self, handle: &ExecHandle) -> bool {
            let Some((pid, start)) = handle.id.split_once(':') else {
                return false;
            };
            let stat = |path: std::path::PathBuf| -> Option<(String, String, String)> {
                let text = fs_err::read_to_string(path).ok()?;
                let rest = text.get(text.rfind(')')? + 1..)?.to_owned();
                let fields: Vec<&str> = rest.split_whitespace().collect();
                Some((
                    (*fields.first()?).to_owned(),
                    (*fields.get(2)?).to_owned(),
                    (*fields.get(19)?).to_owned(),
                ))
            };
            let live = |state: &str| !matches!(state, "Z" | "X" | "x");
            if let Some((state, _, started)) = stat(format!("/proc/{pid}/stat").into())
                && started == start
                && live(&state)
            {
                return true;
            }
            fs_err::read_dir("/proc").is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| stat(e.path().join("stat")))
                    .any(|(state, group, _)| group == pid && live(&state))
            })
        }
    }

    pub(crate) async fn local_executor() -> (Arc<dyn Executor>, Arc<dyn Commands>, Guard) {
        (
            Arc::new(LocalExecutor::new()),
            Arc::new(ShellCommands),
            None,
        )
    }

    fn request_for(env: &str) -> ProvisionRequest {
        let env = EnvName::parse(env).expect("an environment name");
        let key = format!("environments/{env}/terraform.tfstate");
        ProvisionRequest::new(env, TemplateName::default_template(), key)
    }

    struct MemorySetup(Arc<MemoryProvisioner>);

    impl Setup for MemorySetup {
        fn request(&self, env: &str) -> ProvisionRequest {
            request_for(env)
        }
        fn fail_next_apply(&self, _: &mut ProvisionRequest, stderr: &str) {
            self.0
                .fail_next_apply(idp_core::ports::ProvisionError::Failed {
                    step: "apply".to_owned(),
                    exit_code: Some(3),
                    stderr_tail: stderr.to_owned(),
                });
        }
        fn caps(&self) -> ProvisionerCaps {
            ProvisionerCaps {
                checks_templates: true,
                knows_health: true,
                exit_codes: true,
            }
        }
    }

    pub(crate) async fn memory_provisioner() -> (Arc<dyn Provisioner>, Arc<dyn Setup>, Guard) {
        let provisioner = Arc::new(MemoryProvisioner::new());
        (
            provisioner.clone(),
            Arc::new(MemorySetup(provisioner)),
            None,
        )
    }

    /// The local runtime runs the repository's example app (`examples/app/server.py`).
    struct LocalSetup;

    impl Setup for LocalSetup {
        fn request(&self, env: &str) -> ProvisionRequest {
            let mut request = request_for(env);
            request.local_command = Some("python3 examples/app/server.py".to_owned());
            request.health_check_path = "/health".to_owned();
            request
        }
        fn fail_next_apply(&self, request: &mut ProvisionRequest, stderr: &str) {
            request.local_command = Some(format!("printf '%s\\n' {} >&2; exit 3", quoted(stderr)));
        }
        fn caps(&self) -> ProvisionerCaps {
            ProvisionerCaps {
                checks_templates: false,
                knows_health: true,
                exit_codes: true,
            }
        }
    }

    pub(crate) async fn local_runtime() -> (Arc<dyn Provisioner>, Arc<dyn Setup>, Guard) {
        let dir = super::temp_dir();
        let mut config = LocalRuntimeConfig::new(dir.path());
        config.working_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the repository root")
            .to_path_buf();
        (
            Arc::new(LocalRuntime::new(config)),
            Arc::new(LocalSetup),
            Some(Box::new(dir)),
        )
    }

    /// The OpenTofu adapter driving the recorded stand-in for `tofu`, keeping a state per key.
    struct TofuSetup(Arc<crate::fake_tofu::Fixture>);

    impl Setup for TofuSetup {
        fn request(&self, env: &str) -> ProvisionRequest {
            request_for(env)
        }
        fn fail_next_apply(&self, _: &mut ProvisionRequest, stderr: &str) {
            self.0.fail_once("apply", 3, stderr);
        }
        fn caps(&self) -> ProvisionerCaps {
            ProvisionerCaps {
                checks_templates: true,
                knows_health: false,
                exit_codes: true,
            }
        }
    }

    pub(crate) async fn tofu() -> (Arc<dyn Provisioner>, Arc<dyn Setup>, Guard) {
        let fixture = Arc::new(crate::fake_tofu::Fixture::new());
        fixture.stateful();
        (
            Arc::new(fixture.provisioner.clone()),
            Arc::new(TofuSetup(fixture.clone())),
            Some(Box::new(fixture)),
        )
    }

    /// The Kubernetes provisioner against the loopback stand-in for the API server (no real
    /// Kubernetes API server runs here), its Argo CD controller syncing in 50 ms.
    #[cfg(feature = "kubernetes")]
    struct KubernetesSetup(Arc<idp_test_support::kube_fake::KubeFake>);

    #[cfg(feature = "kubernetes")]
    impl Setup for KubernetesSetup {
        fn request(&self, env: &str) -> ProvisionRequest {
            let name = EnvName::parse(env).expect("an environment name");
            let key = format!("environments/{env}/terraform.tfstate");
            let template = TemplateName::new(idp_core::domain::kubernetes::namespace::TEMPLATE)
                .expect("a template name");
            let mut request = ProvisionRequest::new(name, template, key);
            request.tfvars = idp_test_support::kube_fake::preview_vars(env, "main");
            request
        }
        fn fail_next_apply(&self, _: &mut ProvisionRequest, stderr: &str) {
            self.0.reject_next_apply(422, "Invalid", stderr);
        }
        fn caps(&self) -> ProvisionerCaps {
            ProvisionerCaps {
                checks_templates: true,
                knows_health: true,
                exit_codes: false,
            }
        }
    }

    #[cfg(feature = "kubernetes")]
    pub(crate) async fn kubernetes() -> (Arc<dyn Provisioner>, Arc<dyn Setup>, Guard) {
        use idp_core::adapters::kubernetes::{KubernetesProvisioner, KubernetesSettings};
        let fake = Arc::new(idp_test_support::kube_fake::KubeFake::start().await);
        let settings = KubernetesSettings {
            sync_timeout: Duration::from_secs(10),
            delete_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(20),
        };
        let provisioner =
            KubernetesProvisioner::for_url(fake.url(), settings).expect("a client for the fake");
        (
            Arc::new(provisioner),
            Arc::new(KubernetesSetup(fake.clone())),
            Some(Box::new(fake)),
        )
    }
}

port_conformance!(executor, [
    commands_run_in_order_and_success_is_exit_zero,
    the_first_failing_command_ends_the_order,
    the_timeout_ends_the_order_as_timed_out,
    dropping_an_execution_stops_it,
    handles_name_the_target_and_differ_per_command,
    secret_values_are_masked_and_variables_reach_the_commands,
    output_is_capped_to_its_end,
    reap_stops_an_execution_left_running,
    reap_of_an_ended_or_unknown_execution_is_harmless,
];
    memory => crate::adapters::ports::memory_executor,
    local => crate::adapters::ports::local_executor,
);

port_conformance!(provisioner, [
    apply_then_outputs_then_destroy,
    destroy_of_a_never_applied_environment_succeeds_and_is_idempotent,
    a_second_apply_updates_the_environment_in_place,
    environments_are_independent,
    apply_of_an_unknown_template_is_a_clear_error,
    secrets_never_appear_in_errors_or_printed_outputs,
];
    memory => crate::adapters::ports::memory_provisioner,
    local => crate::adapters::ports::local_runtime,
    tofu => crate::adapters::ports::tofu,
    #[cfg(feature = "kubernetes")]
    kubernetes => crate::adapters::ports::kubernetes,
);
