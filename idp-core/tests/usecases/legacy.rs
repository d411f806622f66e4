//! Adopting an installation of the original platform: its records (`metadata.json` with every
//! value a string, beside `outputs.json`, `tfvars.json` and `terraform.tfstate`) seeded the way
//! its `provision.yml` and `ttl-cleanup.yml` write them, then listed, swept, destroyed, migrated
//! (also killed half way, and racing an original workflow's write) and taken over by a push.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use idp_core::backend::Backend;
use idp_core::domain::index::{Entry, EnvIndex};
use idp_core::domain::layout::{self, INDEX_KEY};
use idp_core::domain::lifecycle::Status;
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::environments::list::{self, ListRequest, ListRow};
use idp_core::environments::migrate::{self, MigrateRequest};
use idp_core::environments::status;
use idp_core::environments::sweep::{self, SweepOptions, SweepReason, SweepRequest};
use idp_core::error::ErrorKind;
use idp_core::gitops::preview;
use idp_core::platform::Platform;
use idp_core::ports::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};
use idp_core::support::report::Outcome;
use idp_core::support::state;
use serde_json::{Value, json};

use crate::support::*;

/// A record as the original `provision.yml` writes it (`jq --arg`: every value a string).
pub(crate) fn original_record(name: &str, status: &str, created: DateTime<Utc>) -> Value {
    let expires = created + TimeDelta::days(7);
    json!({
        "name": name,
        "template": "api-service",
        "owner": "octocat@users.noreply.github.com",
        "ttl": "7d",
        "created_at": created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "expires_at": expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "status": status,
        "container_image": format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/mini-idp-preview:{name}-1a2b3c4"),
        "acm_certificate_arn": "",
        "route53_zone_id": "",
        "preview_domain": "",
        "use_shared_networking": "false"
    })
}

/// Write an environment's four objects as the original platform leaves them.
pub(crate) async fn seed_original(store: &dyn ObjectStore, record: &Value) {
    let name = record["name"].as_str().unwrap();
    let put = |key: String, value: Vec<u8>| async move {
        store
            .put(&key, Bytes::from(value), PutMode::Overwrite)
            .await
            .unwrap();
    };
    let prefix = format!("environments/{name}");
    put(
        format!("{prefix}/metadata.json"),
        serde_json::to_vec(record).unwrap(),
    )
    .await;
    put(
        format!("{prefix}/outputs.json"),
        serde_json::to_vec(&json!({
            "endpoint": {"sensitive": false, "type": "string", "value": format!("http://{name}.elb.example")},
            "cluster_name": {"sensitive": false, "type": "string", "value": format!("idp-{name}-cluster")}
        }))
        .unwrap(),
    )
    .await;
    put(
        format!("{prefix}/tfvars.json"),
        serde_json::to_vec(&json!({
            "environment_name": name, "owner": record["owner"], "ttl": "7d",
            "created_at": record["created_at"], "expires_at": record["expires_at"],
            "container_image": record["container_image"], "marker": "from-the-original"
        }))
        .unwrap(),
    )
    .await;
    put(
        format!("{prefix}/terraform.tfstate"),
        br#"{"version":4,"resources":[]}"#.to_vec(),
    )
    .await;
}

/// Every key in the store (to prove a dry run writes nothing and a destroy touches no neighbour).
async fn keys(store: &dyn ObjectStore) -> Vec<(String, Etag)> {
    store
        .list_all("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.key, o.etag))
        .collect()
}

/// A bucket the way a team that ran the original platform for a while has it: active,
/// expired, destroying (recent and stuck), one without a status, one idp cannot read.
async fn seed_installation(f: &Fixture) -> Vec<&'static str> {
    let store = &*f.platform.backend.store;
    let now = t0();
    let fresh = now - TimeDelta::days(1);
    let old = now - TimeDelta::days(10);
    seed_original(store, &original_record("app", "active", fresh)).await;
    seed_original(store, &original_record("app-2", "active", fresh)).await;
    seed_original(store, &original_record("expired-one", "active", old)).await;
    let mut recent = original_record("destroying-recent", "destroying", old);
    recent["destroying_since"] = (now - TimeDelta::minutes(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
        .into();
    seed_original(store, &recent).await;
    let mut stuck = original_record("destroying-stuck", "destroying", old);
    stuck["destroying_since"] = (now - TimeDelta::hours(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
        .into();
    seed_original(store, &stuck).await;
    let mut no_status = original_record("no-status", "active", fresh);
    no_status.as_object_mut().unwrap().remove("status");
    seed_original(store, &no_status).await;
    let mut broken = original_record("broken", "exploded", fresh);
    broken["created_at"] = "last tuesday".into();
    seed_original(store, &broken).await;
    vec![
        "app",
        "app-2",
        "broken",
        "destroying-recent",
        "destroying-stuck",
        "expired-one",
        "no-status",
    ]
}

pub(crate) async fn every_original_record_is_listed_and_none_is_hidden(f: &Fixture) {
    let names = seed_installation(f).await;
    let store = &*f.platform.backend.store;
    let before = keys(store).await;
    let report = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    let rows: Vec<String> = report
        .rows()
        .iter()
        .map(|row| match row {
            ListRow::Record(m) => m.name.to_string(),
            ListRow::Unreadable(u) => u.name.to_owned(),
            ListRow::Pending(p) => p.request.name.to_string(),
        })
        .collect();
    assert_eq!(rows, names, "every record is a row, in name order");
    assert_eq!(report.legacy(), 6);
    assert_eq!(report.unreadable.len(), 1);
    let broken = &report.unreadable[0];
    assert_eq!(broken.key, "environments/broken/metadata.json");
    for part in ["`status` `exploded`", "`created_at` is `last tuesday`"] {
        assert!(broken.reason.contains(part), "{part}: {}", broken.reason);
    }
    let json = serde_json::to_value(report.rows()).unwrap();
    let row = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "broken")
        .unwrap();
    assert_eq!(row["status"], "unreadable");
    assert_eq!(row["kind"], "unreadable_record");
    assert!(row["error"].as_str().unwrap().contains("exploded"));
    let app = report
        .environments
        .iter()
        .find(|m| m.name.as_str() == "app")
        .unwrap();
    assert!(app.is_legacy());
    assert_eq!(app.status, Status::Active);
    assert_eq!(
        app.endpoint.as_deref(),
        Some("http://app.elb.example"),
        "the original keeps the endpoint in outputs.json"
    );
    // The one write a list may make is the index; the records themselves are untouched.
    let after = keys(store).await;
    let changed: Vec<&String> = after
        .iter()
        .filter(|kv| !before.contains(kv))
        .map(|(k, _)| k)
        .collect();
    assert!(
        changed.iter().all(|k| k.as_str() == INDEX_KEY),
        "{changed:?}"
    );
}

/// An earlier idp could not read the original's records and wrote an index saying so: the rows
/// are read again, listed as records, and the index healed.
pub(crate) async fn an_index_that_called_them_unreadable_heals(f: &Fixture) {
    seed_installation(f).await;
    let store = &*f.platform.backend.store;
    let mut stale = EnvIndex::new();
    for object in store.list_all("environments/").await.unwrap() {
        if let Some(name) =
            layout::env_of_key(&object.key).filter(|n| object.key == layout::metadata_key(n))
        {
            stale.set(
                &name,
                object.etag.as_str(),
                Entry::Unreadable("missing field `schema` at line 1 column 300".into()),
            );
        }
    }
    store
        .put(INDEX_KEY, Bytes::from(stale.to_json()), PutMode::Overwrite)
        .await
        .unwrap();
    let report = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(report.environments.len(), 6);
    assert_eq!(report.unreadable.len(), 1, "only the one that really is");
    let healed = EnvIndex::from_json(&store.get(INDEX_KEY).await.unwrap().bytes).unwrap();
    let unreadable = healed
        .rows
        .values()
        .filter(|row| matches!(row.entry, Entry::Unreadable(_)))
        .count();
    assert_eq!(unreadable, 1);
}

pub(crate) async fn a_dry_run_sweep_finds_expired_and_stuck_and_writes_nothing(f: &Fixture) {
    seed_installation(f).await;
    let store = &*f.platform.backend.store;
    let before = keys(store).await;
    for reindex in [false, true] {
        let report = sweep::sweep_with(
            &f.platform,
            SweepRequest { dry_run: true },
            SweepOptions { reindex },
        )
        .await
        .unwrap();
        let mut due: Vec<(String, SweepReason)> = report
            .actions
            .iter()
            .map(|a| (a.name.clone(), a.reason))
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            due,
            vec![
                ("destroying-stuck".to_owned(), SweepReason::StuckDestroying),
                ("expired-one".to_owned(), SweepReason::Expired),
            ],
            "reindex={reindex}"
        );
        assert_eq!(report.examined, 6);
        assert_eq!(report.legacy, 6);
        assert_eq!(report.unreadable.len(), 1);
        assert_eq!(report.unreadable[0].name, "broken");
        assert_eq!(
            serde_json::to_value(&report).unwrap()["unreadable"][0]["name"],
            "broken"
        );
    }
    assert_eq!(keys(store).await, before, "a dry run writes nothing at all");
}

pub(crate) async fn destroying_a_legacy_environment_removes_exactly_its_own(f: &Fixture) {
    seed_installation(f).await;
    let p = &f.platform;
    for repo in ["mini-idp-preview", "idp-preview"] {
        for tag in [
            "app-1a2b3c4",
            "app-2-1a2b3c4",
            "app-9f8e7d6",
            "apple-1a2b3c4",
        ] {
            f.registry
                .push_image(repo, tag, &format!("sha256:{repo}{tag}"));
        }
    }
    let store = &*p.backend.store;
    let neighbour_before: Vec<_> = keys(store)
        .await
        .into_iter()
        .filter(|(k, _)| k.starts_with("environments/app-2/"))
        .collect();
    let report = destroy::destroy(p, DestroyRequest::new(name("app")))
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Destroyed);
    let cleanup = report.cleanup.unwrap();
    assert_eq!(
        cleanup.state_objects_deleted, 3,
        "state, outputs and tfvars"
    );
    let mut deleted = cleanup.images_deleted.clone();
    deleted.sort();
    assert_eq!(
        deleted,
        vec!["app-1a2b3c4", "app-1a2b3c4", "app-9f8e7d6", "app-9f8e7d6"],
        "exact tags in the platform's repository and the record's own"
    );
    // The destroy ran the template with the original's tfvars and state key.
    let call = f
        .provisioner
        .calls()
        .into_iter()
        .rfind(|c| c.op == idp_core::adapters::memory::ProvisionOp::Destroy)
        .unwrap();
    assert_eq!(call.request.state_key, "environments/app/terraform.tfstate");
    assert_eq!(call.request.tfvars["marker"], "from-the-original");
    let left: Vec<String> = keys(store)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("environments/app/"))
        .collect();
    assert_eq!(left, vec!["environments/app/metadata.json"]);
    let tombstone = state::load_existing(store, &name("app")).await.unwrap();
    assert_eq!(tombstone.meta.status, Status::Destroyed);
    assert!(!tombstone.meta.is_legacy(), "the first write migrated it");
    let neighbour_after: Vec<_> = keys(store)
        .await
        .into_iter()
        .filter(|(k, _)| k.starts_with("environments/app-2/"))
        .collect();
    assert_eq!(neighbour_after, neighbour_before, "app-2 untouched");
    for repo in ["mini-idp-preview", "idp-preview"] {
        let mut tags: Vec<String> = p
            .backend
            .registry
            .list_images(repo)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.tag)
            .collect();
        tags.sort();
        assert_eq!(tags, vec!["app-2-1a2b3c4", "apple-1a2b3c4"], "{repo}");
    }
}

pub(crate) async fn extend_and_status_work_on_a_legacy_record(f: &Fixture) {
    seed_installation(f).await;
    let p = &f.platform;
    let s = status::status(p, &name("app")).await.unwrap();
    assert!(s.environment.is_legacy());
    assert_eq!(s.outputs["endpoint"]["value"], "http://app.elb.example");
    let err = status::status(p, &name("broken")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnreadableRecord);
    assert_eq!(err.kind().as_str(), "unreadable_record");
    assert!(err.hints().iter().any(|h| h.contains("idp migrate")));
    let before = s.environment.expires_at;
    let r = extend::extend(
        p,
        ExtendRequest {
            name: name("app"),
            ttl: idp_core::domain::ttl::Ttl::parse("2d").unwrap(),
        },
    )
    .await
    .unwrap();
    assert!(r.environment.unwrap().expires_at > before);
    let saved = state::load_existing(&*p.backend.store, &name("app"))
        .await
        .unwrap();
    assert!(!saved.meta.is_legacy());
    assert_eq!(
        saved.meta.legacy.as_ref().unwrap().ttl.as_deref(),
        Some("7d"),
        "the original ttl stays as history"
    );
    assert_eq!(
        saved
            .meta
            .image
            .as_deref()
            .map(|i| i.ends_with(":app-1a2b3c4")),
        Some(true)
    );
}

pub(crate) async fn a_push_adopts_a_legacy_preview_and_closing_the_pr_destroys_it(f: &Fixture) {
    let store = &*f.platform.backend.store;
    seed_original(
        store,
        &original_record("preview-x", "active", t0() - TimeDelta::days(1)),
    )
    .await;
    let p = &f.platform;
    let r = preview::preview(p, preview(push("acme/shop", "feature/x", &sha(2))))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Redeployed, "{:?}", r.reason);
    let saved = state::load_existing(store, &name("preview-x"))
        .await
        .unwrap();
    assert_eq!(saved.meta.branch.as_deref(), Some("feature/x"));
    assert_eq!(saved.meta.repository.as_deref(), Some("acme/shop"));
    assert!(!saved.meta.is_legacy());
    // Now owned: the same branch of another repository is refused.
    let other = preview::preview(p, preview(push("acme/other", "feature/x", &sha(3)))).await;
    assert!(
        matches!(other, Err(idp_core::error::Error::BranchCollision { .. })),
        "{other:?}"
    );
    let closed = preview::preview(p, preview(pr_closed("acme/shop", "feature/x", 7)))
        .await
        .unwrap();
    assert_eq!(closed.outcome, Outcome::Destroyed);
    let gone = state::load_existing(store, &name("preview-x"))
        .await
        .unwrap();
    assert_eq!(gone.meta.status, Status::Destroyed);
}

/// A store that fails every metadata write after the first `allow` (a migration killed half
/// way), or that, on the first compare-and-swap write of `race_key`, first lets "an original
/// workflow" overwrite that object (a racing `ttl-cleanup.yml`).
#[derive(Debug)]
struct Faulty {
    inner: Arc<dyn ObjectStore>,
    allow: AtomicUsize,
    race_key: Option<(String, Vec<u8>)>,
    raced: AtomicBool,
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn get(&self, key: &str) -> Result<Object, StoreError> {
        self.inner.get(key).await
    }
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        self.inner.head(key).await
    }
    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError> {
        if let Some((race, theirs)) = &self.race_key
            && key == race
            && matches!(mode, PutMode::IfMatch(_))
            && !self.raced.swap(true, Ordering::SeqCst)
        {
            self.inner
                .put(key, Bytes::from(theirs.clone()), PutMode::Overwrite)
                .await?;
        }
        if key.ends_with("/metadata.json")
            && self
                .allow
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err()
        {
            return Err(StoreError::Backend {
                backend: "test",
                source: "killed".into(),
            });
        }
        self.inner.put(key, bytes, mode).await
    }
    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError> {
        self.inner.list(prefix, continuation).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
}

fn over(p: &Platform, store: Faulty) -> Platform {
    Platform::new(Backend {
        store: Arc::new(store),
        ..p.backend.clone()
    })
    .with_settings(p.settings.clone())
}

pub(crate) async fn migrate_killed_half_way_then_run_again_ends_the_same(f: &Fixture) {
    seed_installation(f).await;
    let p = &f.platform;
    let dry = migrate::migrate(p, MigrateRequest { dry_run: true })
        .await
        .unwrap();
    assert_eq!((dry.examined, dry.current, dry.migrations.len()), (7, 0, 6));
    assert_eq!(dry.unreadable.len(), 1);
    assert!(dry.migrations.iter().all(|m| !m.migrated));
    let killed = over(
        p,
        Faulty {
            inner: p.backend.store.clone(),
            allow: AtomicUsize::new(3),
            race_key: None,
            raced: AtomicBool::new(false),
        },
    );
    let first = migrate::migrate(&killed, MigrateRequest::default()).await;
    let migrated_first = match &first {
        Ok(r) => r.migrations.iter().filter(|m| m.migrated).count(),
        Err(_) => 0,
    };
    assert!(migrated_first <= 3);
    let second = migrate::migrate(p, MigrateRequest::default())
        .await
        .unwrap();
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    let third = migrate::migrate(p, MigrateRequest::default())
        .await
        .unwrap();
    assert_eq!(third.current, 6, "every readable record is current");
    assert!(third.migrations.is_empty(), "a second run changes nothing");
    assert_eq!(
        third.unreadable.len(),
        1,
        "the unreadable one is left as it was"
    );
    let listed = list::list(p, ListRequest::default()).await.unwrap();
    assert_eq!(listed.legacy(), 0);
    assert_eq!(listed.environments.len(), 6);
    for m in &listed.environments {
        let l = m.legacy.as_ref().expect("history kept");
        assert!(l.migrated_at.is_some());
    }
    let index = p.backend.store.get(INDEX_KEY).await.unwrap();
    assert!(!index.bytes.is_empty(), "migrate builds the index");
}

pub(crate) async fn migration_racing_an_original_workflow_rereads_and_never_overwrites(
    f: &Fixture,
) {
    let store = &*f.platform.backend.store;
    let created = t0() - TimeDelta::days(10);
    seed_original(store, &original_record("racy", "active", created)).await;
    // What ttl-cleanup.yml writes at the same moment: destroying, with destroying_since.
    let mut theirs = original_record("racy", "destroying", created);
    theirs["destroying_since"] = "2026-03-01T11:59:00Z".into();
    let p = &f.platform;
    let racing = over(
        p,
        Faulty {
            inner: p.backend.store.clone(),
            allow: AtomicUsize::new(usize::MAX),
            race_key: Some((
                layout::metadata_key(&name("racy")),
                serde_json::to_vec(&theirs).unwrap(),
            )),
            raced: AtomicBool::new(false),
        },
    );
    let report = migrate::migrate(&racing, MigrateRequest::default())
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.migrations.len(), 1);
    assert!(report.migrations[0].migrated);
    let saved = state::load_existing(store, &name("racy")).await.unwrap();
    assert_eq!(
        saved.meta.status,
        Status::Destroying,
        "their write was re-read, not lost"
    );
    assert_eq!(
        saved.meta.status_changed_at,
        "2026-03-01T11:59:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(!saved.meta.is_legacy());
}

pub(crate) async fn a_thousand_original_records_are_all_listed(f: &Fixture) {
    let store = f.platform.backend.store.clone();
    let created = t0() - TimeDelta::days(1);
    futures::stream::iter(0..1000)
        .for_each_concurrent(32, |i| {
            let store = store.clone();
            async move {
                let record = original_record(&format!("env-{i:04}"), "active", created);
                store
                    .put(
                        &format!("environments/env-{i:04}/metadata.json"),
                        Bytes::from(serde_json::to_vec(&record).unwrap()),
                        PutMode::Overwrite,
                    )
                    .await
                    .unwrap();
            }
        })
        .await;
    let report = list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(report.environments.len(), 1000);
    assert_eq!(report.legacy(), 1000);
    assert!(report.unreadable.is_empty());
}

use futures::StreamExt as _;
