//! Fixtures: a platform whose state store and lease table are memory, a local directory or
//! moto, with the system clock (runs measure real time) and a short lease so a killed
//! orchestrator's lease expires quickly.

use std::sync::Arc;

use chrono::TimeDelta;
use idp_core::backend::Backend;
use idp_core::domain::orders::Job;
use idp_core::platform::{Platform, Settings};
use idp_core::ports::SystemClock;
use idp_core::runs::RunOptions;

/// A platform plus the directory orders run in.
pub(crate) struct Fixture {
    pub(crate) platform: Platform,
    pub(crate) workdir: tempfile::TempDir,
    _state: Option<tempfile::TempDir>,
}

impl Fixture {
    fn around(backend: Backend, state: Option<tempfile::TempDir>) -> Self {
        let settings = Settings {
            lease_ttl: TimeDelta::seconds(2),
            actor: "tester".into(),
            ..Settings::default()
        };
        Self {
            platform: Platform::new(backend.with_clock(Arc::new(SystemClock)))
                .with_settings(settings),
            workdir: tempfile::tempdir().unwrap(),
            _state: state,
        }
    }

    pub(crate) fn memory() -> Self {
        Self::around(Backend::memory(), None)
    }

    pub(crate) fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::around(Backend::local(dir.path()), Some(dir))
    }

    #[cfg(feature = "aws")]
    pub(crate) async fn moto() -> Option<Self> {
        use idp_core::adapters::aws::{DynamoDbLockTable, S3Store};
        let endpoint = crate::moto_support::endpoint()?;
        let moto = crate::moto_support::Moto::new(&endpoint).await;
        moto.create_bucket_and_table().await;
        let backend = Backend {
            store: Arc::new(S3Store::new(moto.s3(), moto.cfg.state_bucket.clone())),
            locks: Arc::new(DynamoDbLockTable::new(
                moto.dynamodb(),
                moto.cfg.lock_table.clone(),
            )),
            ..Backend::memory()
        };
        Some(Self::around(backend, None))
    }

    /// The local backend's directory (state objects and lease files), if this is that backend.
    pub(crate) fn state_dir(&self) -> Option<&std::path::Path> {
        self._state.as_ref().map(tempfile::TempDir::path)
    }

    /// Options running in this fixture's work directory, polling often.
    pub(crate) fn options(&self) -> RunOptions {
        RunOptions {
            working_dir: self.workdir.path().to_path_buf(),
            poll: std::time::Duration::from_millis(200),
            lease_wait: std::time::Duration::from_secs(10),
            ..RunOptions::default()
        }
    }
}

pub(crate) fn job(yaml: &str) -> Job {
    Job::from_yaml(yaml, "job.yml").unwrap()
}
