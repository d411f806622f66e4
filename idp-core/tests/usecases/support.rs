//! Fixtures: a platform over a given backend, with the memory provisioner, a memory image
//! registry and a fixed clock swapped in so every scenario can inspect and steer them.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use idp_core::adapters::memory::{MemoryForge, MemoryLocks, MemoryProvisioner, MemoryRegistry};
use idp_core::backend::Backend;
use idp_core::domain::config::Config;
use idp_core::domain::event::{Branch, CommitSha, PrAction, PullRequest, Repository, Trigger};
use idp_core::domain::naming::EnvName;
use idp_core::gitops::preview::PreviewRequest;
use idp_core::platform::{Platform, Settings};
use idp_core::ports::FixedClock;

/// The start of every scenario's clock.
pub(crate) fn t0() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// A platform plus the handles a scenario steers.
pub(crate) struct Fixture {
    pub(crate) platform: Platform,
    pub(crate) provisioner: Arc<MemoryProvisioner>,
    pub(crate) registry: Arc<MemoryRegistry>,
    pub(crate) clock: Arc<FixedClock>,
    /// The forge: pull requests, comments and commit statuses.
    pub(crate) forge: Arc<MemoryForge>,
    /// Set when the lock table is the memory one (it can seed OpenTofu lock items).
    pub(crate) memory_locks: Option<Arc<MemoryLocks>>,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    fn around(
        backend: Backend,
        memory_locks: Option<Arc<MemoryLocks>>,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let provisioner = Arc::new(MemoryProvisioner::new());
        let registry = Arc::new(MemoryRegistry::new());
        registry.create_repository("idp-preview");
        let clock = Arc::new(FixedClock::new(t0()));
        let forge = Arc::new(MemoryForge::with_clock(clock.clone()));
        let backend = Backend {
            forge: forge.clone(),
            provisioner: provisioner.clone(),
            registry: registry.clone(),
            clock: clock.clone(),
            ..backend
        };
        let settings = Settings {
            state_bucket: "state-bucket".into(),
            lease_wait: TimeDelta::seconds(60),
            actor: "tester".into(),
            ..Settings::default()
        };
        Self {
            platform: Platform::new(backend).with_settings(settings),
            provisioner,
            registry,
            clock,
            forge,
            memory_locks,
            _dir: dir,
        }
    }

    pub(crate) fn memory() -> Self {
        let (backend, handles) = Backend::memory_at(t0());
        Self::around(backend, Some(handles.locks), None)
    }

    /// [`Fixture::memory`], with the memory deployer (sites published, services rolled).
    pub(crate) fn memory_with_deployer() -> (Self, Arc<idp_core::adapters::memory::MemoryDeployer>)
    {
        let (backend, handles) = Backend::memory_at(t0());
        let deployer = handles.deployer.clone();
        (Self::around(backend, Some(handles.locks), None), deployer)
    }

    pub(crate) fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend::local(dir.path());
        Self::around(backend, None, Some(dir))
    }

    /// S3 and DynamoDB on moto (a fresh account, bucket and table), or `None` when moto is not
    /// configured outside CI (the caller returns after one loud skip line).
    #[cfg(feature = "aws")]
    pub(crate) async fn moto() -> Option<Self> {
        use idp_core::adapters::aws::{DynamoDbLockTable, S3Store};
        let endpoint = crate::moto_support::endpoint()?;
        let moto = crate::moto_support::Moto::new(&endpoint).await;
        moto.s3()
            .create_bucket()
            .bucket(&moto.cfg.state_bucket)
            .send()
            .await
            .expect("create the state bucket");
        crate::moto_support::create_lock_table(&moto.dynamodb(), &moto.cfg.lock_table).await;
        let (memory, _) = Backend::memory_at(t0());
        let backend = Backend {
            store: Arc::new(S3Store::new(moto.s3(), moto.cfg.state_bucket.clone())),
            locks: Arc::new(DynamoDbLockTable::new(
                moto.dynamodb(),
                moto.cfg.lock_table.clone(),
            )),
            ..memory
        };
        Some(Self::around(backend, None, None))
    }

    pub(crate) fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }
}

pub(crate) fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

pub(crate) fn sha(i: u32) -> String {
    format!("{i:07x}{}", "a".repeat(33))
}

pub(crate) fn push(repo: &str, branch: &str, commit: &str) -> Trigger {
    Trigger::Push {
        repository: Repository::parse(repo).unwrap(),
        branch: Branch::parse(branch).unwrap(),
        commit: CommitSha::parse(commit).unwrap(),
        actor: "octocat".into(),
        default_branch: Some(Branch::parse("main").unwrap()),
    }
}

pub(crate) fn branch_deleted(repo: &str, branch: &str) -> Trigger {
    Trigger::BranchDeleted {
        repository: Repository::parse(repo).unwrap(),
        branch: Branch::parse(branch).unwrap(),
        actor: "octocat".into(),
    }
}

pub(crate) fn pr_closed(repo: &str, branch: &str, number: u64) -> Trigger {
    Trigger::PullRequestClosed {
        merged: true,
        pr: PullRequest {
            number,
            branch: Branch::parse(branch).unwrap(),
            head_sha: CommitSha::parse(&sha(number as u32)).unwrap(),
            repository: Repository::parse(repo).unwrap(),
            head_repository: Repository::parse(repo),
            author: "octocat".into(),
            title: "A change".into(),
            base_branch: Branch::parse("main").unwrap(),
            from_fork: false,
        },
    }
}

pub(crate) fn pr_opened(repo: &str, branch: &str, number: u64) -> Trigger {
    let Trigger::PullRequestClosed { pr, .. } = pr_closed(repo, branch, number) else {
        unreachable!()
    };
    Trigger::PullRequest {
        action: PrAction::Opened,
        pr,
    }
}

pub(crate) fn preview(trigger: Trigger) -> PreviewRequest {
    PreviewRequest {
        trigger,
        config: Config::default(),
        image: None,
        owner: Some("octocat".into()),
    }
}
