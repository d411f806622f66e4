//! The environment index on every store (memory, local directory, S3 on moto): concurrent
//! writers lose no row, `list` costs two requests whatever the number of environments, a writer
//! that dies between its metadata write and its index update leaves a marker that makes the
//! next reader repair the row, and stale, missing, vanished or corrupt rows are repaired from
//! the metadata objects by the full check of a sweep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use idp_core::backend::Backend;
use idp_core::domain::index::{Entry, EnvIndex};
use idp_core::domain::layout::{self, INDEX_KEY};
use idp_core::domain::lifecycle::{Metadata, Status};
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::environments::list::{self, ListRequest};
use idp_core::environments::sweep::{self, SweepOptions, SweepRequest};
use idp_core::platform::Platform;
use idp_core::ports::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};
use idp_core::support::index;
use idp_core::support::state;

#[cfg(feature = "aws")]
use idp_test_support::moto as moto_support;

/// Counts the requests that reach the store; can refuse writes of the index, as a writer that
/// dies between its metadata write and its index update would leave things.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn ObjectStore>,
    gets: AtomicUsize,
    lists: AtomicUsize,
    refuse_index_writes: AtomicBool,
}

impl Counting {
    fn reset(&self) {
        self.gets.store(0, Ordering::SeqCst);
        self.lists.store(0, Ordering::SeqCst);
    }
    fn counts(&self) -> (usize, usize) {
        (
            self.gets.load(Ordering::SeqCst),
            self.lists.load(Ordering::SeqCst),
        )
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn get(&self, key: &str) -> Result<Object, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.head(key).await
    }
    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError> {
        if key == INDEX_KEY && self.refuse_index_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Backend {
                backend: "test",
                source: "the writer died before updating the index".into(),
            });
        }
        self.inner.put(key, bytes, mode).await
    }
    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list(prefix, continuation).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
}

struct Fixture {
    platform: Platform,
    counting: Arc<Counting>,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    fn around(store: Arc<dyn ObjectStore>, dir: Option<tempfile::TempDir>) -> Self {
        let counting = Arc::new(Counting {
            inner: store,
            gets: AtomicUsize::new(0),
            lists: AtomicUsize::new(0),
            refuse_index_writes: AtomicBool::new(false),
        });
        let backend = Backend {
            store: counting.clone(),
            ..Backend::memory()
        };
        Self {
            platform: Platform::new(backend),
            counting,
            _dir: dir,
        }
    }

    fn memory() -> Option<Self> {
        Some(Self::around(Backend::memory().store, None))
    }

    fn local() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let store = Backend::local(dir.path()).store;
        Some(Self::around(store, Some(dir)))
    }

    #[cfg(feature = "aws")]
    async fn moto() -> Option<Self> {
        use idp_core::adapters::aws::S3Store;
        let endpoint = moto_support::endpoint()?;
        let moto = moto_support::Moto::new(&endpoint).await;
        moto.s3()
            .create_bucket()
            .bucket(&moto.cfg.state_bucket)
            .send()
            .await
            .expect("create the state bucket");
        Some(Self::around(
            Arc::new(S3Store::new(moto.s3(), moto.cfg.state_bucket.clone())),
            None,
        ))
    }

    fn store(&self) -> &dyn ObjectStore {
        &*self.platform.backend.store
    }

    async fn markers(&self) -> usize {
        self.store()
            .list_all(layout::PENDING_PREFIX)
            .await
            .unwrap()
            .len()
    }

    async fn raw_index(&self) -> EnvIndex {
        EnvIndex::from_json(&self.store().get(INDEX_KEY).await.unwrap().bytes).unwrap()
    }

    /// Every metadata object, read one by one: what the index must agree with.
    async fn truth(&self) -> Vec<(String, Etag)> {
        let mut all = Vec::new();
        for object in self
            .store()
            .list_all(layout::ENVIRONMENTS_PREFIX)
            .await
            .unwrap()
        {
            if object.key.ends_with("/metadata.json") {
                let name = layout::env_of_key(&object.key).unwrap();
                all.push((name.to_string(), object.etag));
            }
        }
        all
    }
}

fn t0() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn meta(i: usize) -> Metadata {
    let mut meta = Metadata::new(
        EnvName::parse(&format!("preview-env-{i:03}")).unwrap(),
        TemplateName::default(),
        "octocat".into(),
        t0(),
        t0() + TimeDelta::days(3),
    );
    meta.branch = Some(format!("feature/env-{i}"));
    meta.repository = Some("acme/shop".into());
    meta
}

async fn seed(f: &Fixture, n: usize) {
    for i in 0..n {
        state::save(f.store(), &meta(i), None).await.unwrap();
    }
}

/// Write metadata behind the index's back, as a crash between the two writes would leave it.
async fn write_behind(f: &Fixture, meta: &Metadata) {
    let key = layout::metadata_key(&meta.name);
    f.store()
        .put(&key, Bytes::from(meta.to_json()), PutMode::Overwrite)
        .await
        .unwrap();
}

async fn sixteen_concurrent_writers_lose_no_row(f: &Fixture) {
    index::rebuild(&f.platform).await.unwrap();
    let writers: Vec<_> = (0..16)
        .map(|i| {
            let store = f.platform.backend.store.clone();
            tokio::spawn(async move {
                let saved = state::save(&*store, &meta(i), None).await.unwrap();
                state::update(&*store, &saved.meta.name.clone(), |m| {
                    m.transition(Status::Active, t0()).unwrap();
                    Ok(true)
                })
                .await
                .unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let index = f.raw_index().await;
    let truth = f.truth().await;
    assert_eq!(truth.len(), 16);
    for (name, etag) in &truth {
        let row = index
            .rows
            .get(name)
            .unwrap_or_else(|| panic!("row `{name}` was lost"));
        assert_eq!(row.etag, etag.as_str(), "row `{name}` is stale");
        assert!(matches!(&row.entry, Entry::Record(m) if m.status == Status::Active));
    }
}

async fn a_healthy_list_costs_two_requests(f: &Fixture) {
    seed(f, 30).await;
    assert_eq!(
        f.markers().await,
        30,
        "with no index yet, every write keeps its marker"
    );
    // No index yet: the first list builds it from every metadata object and settles them.
    let first = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(first.environments.len(), 30);
    assert_eq!(f.markers().await, 0, "the build settled every marker");
    f.counting.reset();
    let second = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(
        f.counting.counts(),
        (1, 2),
        "(GETs, LISTs) of a healthy list: the index, and the (empty) approval requests"
    );
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        serde_json::to_value(&second).unwrap()
    );
    assert_eq!(f.markers().await, 0);
    f.counting.reset();
    let dry = sweep::sweep(&f.platform, SweepRequest { dry_run: true })
        .await
        .unwrap();
    assert_eq!(dry.examined, 30);
    assert_eq!(
        f.counting.counts(),
        (1, 1),
        "(GETs, LISTs) of a dry-run sweep"
    );
}

async fn a_writer_that_dies_before_the_index_update_is_repaired_by_the_next_list(f: &Fixture) {
    seed(f, 3).await;
    index::rebuild(&f.platform).await.unwrap();
    f.counting.refuse_index_writes.store(true, Ordering::SeqCst);
    let mut changed = meta(1);
    changed.transition(Status::Active, t0()).unwrap();
    let current = state::load_existing(f.store(), &changed.name)
        .await
        .unwrap();
    state::save(f.store(), &changed, Some(&current.etag))
        .await
        .unwrap();
    state::save(f.store(), &meta(5), None).await.unwrap();
    f.counting
        .refuse_index_writes
        .store(false, Ordering::SeqCst);
    assert_eq!(f.markers().await, 2, "both writes left their marker");
    assert_eq!(
        f.raw_index().await.rows.len(),
        3,
        "the index missed both writes"
    );

    f.counting.reset();
    let verified = index::load(&f.platform).await.unwrap();
    assert_eq!(verified.stats.pending, 2);
    assert_eq!(
        verified.stats.reread, 2,
        "only the two marked environments are read"
    );
    assert!(verified.stats.written);
    assert_eq!(verified.stats.settled, 2);
    let report = list::report(&verified.index, ListRequest::default());
    let names: Vec<String> = report
        .environments
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "preview-env-000",
            "preview-env-001",
            "preview-env-002",
            "preview-env-005"
        ]
    );
    assert_eq!(report.environments[1].status, Status::Active);
    assert_eq!(f.markers().await, 0, "settled markers are removed");

    f.counting.reset();
    let again = index::load(&f.platform).await.unwrap();
    assert_eq!((again.stats.pending, again.stats.reread), (0, 0));
    assert_eq!(f.counting.counts(), (1, 1));
    let truth = f.truth().await;
    for (name, etag) in truth {
        assert_eq!(f.raw_index().await.rows[&name].etag, etag.as_str());
    }
}

async fn a_marker_of_a_write_that_never_landed_stays_until_the_environment_is_written(f: &Fixture) {
    seed(f, 2).await;
    index::rebuild(&f.platform).await.unwrap();
    // A writer left its marker and died before writing the metadata.
    let current = state::load_existing(f.store(), &meta(0).name)
        .await
        .unwrap();
    index::intend(f.store(), &meta(0).name, Some(&current.etag))
        .await
        .unwrap();
    for _ in 0..2 {
        let verified = index::load(&f.platform).await.unwrap();
        assert_eq!((verified.stats.pending, verified.stats.reread), (1, 1));
        assert_eq!(
            verified.stats.settled, 0,
            "the write may still land: the marker stays"
        );
        assert!(
            !verified.stats.written,
            "the row was right: nothing to write"
        );
        assert_eq!(f.markers().await, 1);
    }
    // The next write of the environment moves its etag: the old marker is settled.
    state::update(f.store(), &meta(0).name, |m| {
        m.transition(Status::Active, t0()).unwrap();
        Ok(true)
    })
    .await
    .unwrap();
    let verified = index::load(&f.platform).await.unwrap();
    assert_eq!(verified.stats.settled, 1);
    assert_eq!(f.markers().await, 0);
}

async fn a_full_check_repairs_rows_written_around_idp(f: &Fixture) {
    seed(f, 5).await;
    index::rebuild(&f.platform).await.unwrap();
    // Stale: metadata changed without the index.
    let mut changed = meta(1);
    changed.transition(Status::Active, t0()).unwrap();
    write_behind(f, &changed).await;
    // Missing: metadata created without the index.
    write_behind(f, &meta(7)).await;
    // Vanished: metadata deleted without the index.
    f.store()
        .delete(&layout::metadata_key(&meta(2).name))
        .await
        .unwrap();
    // Unreadable: metadata that does not parse.
    let bad = layout::metadata_key(&meta(3).name);
    f.store()
        .put(&bad, Bytes::from_static(b"{oops"), PutMode::Overwrite)
        .await
        .unwrap();

    // A list trusts the index: nothing marks these writes.
    let listed = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.environments.len(), 5);

    f.counting.reset();
    let verified = index::load_checked(&f.platform).await.unwrap();
    assert_eq!(
        verified.stats.reread, 4,
        "only the four changed objects are read"
    );
    assert!(verified.stats.written);
    let report = list::report(&verified.index, ListRequest::default());
    let names: Vec<String> = report
        .environments
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "preview-env-000",
            "preview-env-001",
            "preview-env-004",
            "preview-env-007"
        ]
    );
    assert_eq!(report.environments[1].status, Status::Active);
    assert_eq!(report.unreadable.len(), 1);
    assert_eq!(report.unreadable[0].key, bad);

    // The repaired index is clean: the next check reads only the record that cannot be read
    // (every read retries it, so a fixed record shows at once), and a list sees it.
    f.counting.reset();
    let again = index::load_checked(&f.platform).await.unwrap();
    assert_eq!(again.stats.reread, 1);
    assert_eq!(
        f.counting.counts(),
        (2, 2),
        "the index, the unreadable record, the markers and one page of metadata"
    );
    let listed = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.environments.len(), 4);
}

async fn a_sweep_that_acts_checks_every_row_first(f: &Fixture) {
    seed(f, 2).await;
    index::rebuild(&f.platform).await.unwrap();
    // Written around idp: the index still says provisioning, the metadata says active and expired.
    let mut expired = meta(1);
    expired.transition(Status::Active, t0()).unwrap();
    expired.expires_at = t0() - TimeDelta::hours(1);
    write_behind(f, &expired).await;
    let dry = sweep::sweep(&f.platform, SweepRequest { dry_run: true })
        .await
        .unwrap();
    assert!(dry.actions.is_empty(), "a dry run trusts the index");
    let swept = sweep::sweep(&f.platform, SweepRequest { dry_run: false })
        .await
        .unwrap();
    assert_eq!(swept.actions.len() + swept.errors.len(), 1, "{swept:?}");
    let name = swept
        .actions
        .first()
        .map_or_else(|| swept.errors[0].name.clone(), |a| a.name.clone());
    assert_eq!(name, "preview-env-001");
}

async fn a_missing_or_corrupt_index_is_rebuilt(f: &Fixture) {
    seed(f, 3).await;
    f.store()
        .put(
            INDEX_KEY,
            Bytes::from_static(b"not json"),
            PutMode::Overwrite,
        )
        .await
        .unwrap();
    let verified = index::load(&f.platform).await.unwrap();
    assert!(verified.stats.rebuilt && verified.stats.written);
    assert_eq!(f.raw_index().await.rows.len(), 3);
    f.store().delete(INDEX_KEY).await.unwrap();
    let report = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(report.environments.len(), 3);
    assert_eq!(f.raw_index().await.rows.len(), 3);
}

async fn sweep_reindex_rebuilds_the_index_unconditionally(f: &Fixture) {
    seed(f, 2).await;
    index::rebuild(&f.platform).await.unwrap();
    let mut expired = meta(0);
    expired.transition(Status::Active, t0()).unwrap();
    expired.expires_at = t0() - TimeDelta::hours(1);
    write_behind(f, &expired).await;
    let stale = f.raw_index().await;
    f.counting.reset();
    // A dry run reads every metadata object, finds the expiry, and writes nothing.
    let dry = sweep::sweep_with(
        &f.platform,
        SweepRequest { dry_run: true },
        SweepOptions { reindex: true },
    )
    .await
    .unwrap();
    assert_eq!(
        f.counting.counts().0,
        2,
        "every metadata object, nothing else"
    );
    assert_eq!(dry.examined, 2);
    assert_eq!(dry.actions.len(), 1);
    assert_eq!(dry.actions[0].name, "preview-env-000");
    assert_eq!(f.raw_index().await, stale, "a dry run writes no index");
    // The sweep that acts rebuilds it from the metadata objects first.
    sweep::sweep_with(
        &f.platform,
        SweepRequest { dry_run: false },
        SweepOptions { reindex: true },
    )
    .await
    .unwrap();
    let index = f.raw_index().await;
    let truth = f.truth().await;
    assert_eq!(index.rows.len(), truth.len());
    for (name, etag) in truth {
        assert_eq!(index.rows[&name].etag, etag.as_str());
    }
}

async fn an_empty_store_lists_nothing_and_writes_nothing(f: &Fixture) {
    let report = list::list(
        &f.platform,
        ListRequest {
            all: true,
            spend: false,
        },
    )
    .await
    .unwrap();
    assert!(report.environments.is_empty());
    assert!(f.store().get(INDEX_KEY).await.unwrap_err().is_not_found());
}

macro_rules! index_tests {
    ($backend:ident, $fixture:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            async fn fixture() -> Option<Fixture> {
                $fixture
            }

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        let Some(f) = fixture().await else { return };
                        super::$name(&f).await;
                    }
                };
            }

            case!(sixteen_concurrent_writers_lose_no_row);
            case!(a_healthy_list_costs_two_requests);
            case!(a_writer_that_dies_before_the_index_update_is_repaired_by_the_next_list);
            case!(a_marker_of_a_write_that_never_landed_stays_until_the_environment_is_written);
            case!(a_full_check_repairs_rows_written_around_idp);
            case!(a_sweep_that_acts_checks_every_row_first);
            case!(a_missing_or_corrupt_index_is_rebuilt);
            case!(sweep_reindex_rebuilds_the_index_unconditionally);
            case!(an_empty_store_lists_nothing_and_writes_nothing);
        }
    };
}

index_tests!(memory, Fixture::memory());
index_tests!(local, Fixture::local());
#[cfg(feature = "aws")]
index_tests!(moto, Fixture::moto().await);
