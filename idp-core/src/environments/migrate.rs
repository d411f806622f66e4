//! `migrate`: write every record still in the original platform's layout in the current one,
//! then build the environment index.
//!
//! Every record is read from a listing of `environments/` (not from the index, which may not
//! exist yet), and each legacy one is written over the etag it was read at
//! ([`state::update`]): if an original workflow writes the same record in between, the write
//! loses, the record is read again and migrated from what that workflow wrote. A record already
//! in the current layout is left alone, so a migration killed half way and run again ends in
//! the same state, and a second run changes nothing. Unreadable records are reported with the
//! reason and left untouched; fields idp has no place for are kept verbatim and reported by
//! field. `--dry-run` reads everything and writes nothing.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::domain::layout;
use crate::domain::legacy::{self, LEGACY_SCHEMA};
use crate::domain::lifecycle::{METADATA_SCHEMA, Metadata};
use crate::domain::naming::EnvName;
use crate::environments::list::Unreadable;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::StoreError;
use crate::support::index::{self, IndexStats};
use crate::support::state;

/// What to migrate.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateRequest {
    /// Only report what would change.
    pub dry_run: bool,
}

/// What a migration did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Metadata objects read.
    pub examined: usize,
    /// Records already in the current layout (left alone).
    pub current: usize,
    /// Each legacy record, with what changes (and, unless a dry run, what happened).
    pub migrations: Vec<Migration>,
    /// Records that cannot be read: left untouched, each with the reason.
    pub unreadable: Vec<Unreadable>,
    /// Fields idp could not map, by field: the environments whose records have it. The values
    /// are kept verbatim in each record's `legacy.unmapped`.
    pub unmapped: BTreeMap<String, Vec<String>>,
    /// Records whose migration failed, with the error.
    pub errors: Vec<MigrateError>,
    /// The index built at the end (absent in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexStats>,
}

/// One legacy record.
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// The environment.
    pub name: String,
    /// The layout it is in now (`0`).
    pub from_schema: u32,
    /// The layout it is written in.
    pub to_schema: u32,
    /// What changes, one line each.
    pub changes: Vec<String>,
    /// Whether it was written (`false` in a dry run, or when someone else migrated it first).
    pub migrated: bool,
}

/// A record whose migration failed.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateError {
    /// The environment.
    pub name: String,
    /// The error's kind code.
    pub kind: &'static str,
    /// The error.
    pub message: String,
}

/// What happened to one metadata object.
enum Found {
    Current,
    Legacy(Migration, Vec<String>),
    Unreadable(Unreadable),
    Failed(MigrateError),
    Gone,
}

/// Migrate every record.
pub async fn migrate(platform: &Platform, req: MigrateRequest) -> Result<MigrateReport> {
    let store = &*platform.backend.store;
    let names: Vec<EnvName> = store
        .list_all(layout::ENVIRONMENTS_PREFIX)
        .await?
        .into_iter()
        .filter_map(|object| {
            let name = layout::env_of_key(&object.key)?;
            (object.key == layout::metadata_key(&name)).then_some(name)
        })
        .collect();
    let mut report = MigrateReport {
        dry_run: req.dry_run,
        examined: names.len(),
        current: 0,
        migrations: Vec::new(),
        unreadable: Vec::new(),
        unmapped: BTreeMap::new(),
        errors: Vec::new(),
        index: None,
    };
    let found: Vec<Found> = stream::iter(names)
        .map(|name| one(platform, name, req.dry_run))
        .buffer_unordered(platform.settings.read_concurrency.max(1))
        .collect()
        .await;
    for f in found {
        match f {
            Found::Current => report.current += 1,
            Found::Legacy(migration, unmapped) => {
                for field in unmapped {
                    report
                        .unmapped
                        .entry(field)
                        .or_default()
                        .push(migration.name.clone());
                }
                report.migrations.push(migration);
            }
            Found::Unreadable(u) => report.unreadable.push(u),
            Found::Failed(e) => report.errors.push(e),
            Found::Gone => report.examined -= 1,
        }
    }
    report.migrations.sort_by(|a, b| a.name.cmp(&b.name));
    report.unreadable.sort_by(|a, b| a.name.cmp(&b.name));
    report.errors.sort_by(|a, b| a.name.cmp(&b.name));
    report.unmapped.values_mut().for_each(|names| names.sort());
    if !req.dry_run {
        report.index = Some(index::rebuild(platform).await?.stats);
    }
    Ok(report)
}

async fn one(platform: &Platform, name: EnvName, dry_run: bool) -> Found {
    let store = &*platform.backend.store;
    let key = layout::metadata_key(&name);
    let object = match store.get(&key).await {
        Ok(object) => object,
        Err(StoreError::NotFound { .. }) => return Found::Gone,
        Err(e) => return failed(&name, e.into()),
    };
    let meta = match legacy::read_record(&object.bytes, &name, object.last_modified) {
        Ok(meta) => meta,
        Err(e) => {
            return Found::Unreadable(Unreadable {
                name: name.to_string(),
                key,
                reason: e.reason,
            });
        }
    };
    if !meta.is_legacy() {
        return Found::Current;
    }
    let mut migration = plan(&meta);
    let unmapped = unmapped_fields(&meta);
    if dry_run {
        return Found::Legacy(migration, unmapped);
    }
    // Compare-and-swap with re-reads: a record rewritten in between by an original workflow is
    // migrated from what it wrote; one migrated by someone else is left as it is.
    let mut wrote = false;
    let mut latest = None;
    let result = state::update(store, &name, |current| {
        wrote = current.is_legacy();
        latest = Some(current.clone());
        Ok(wrote)
    })
    .await;
    match result {
        Ok(_) => {
            if let Some(latest) = latest.filter(|_| wrote) {
                migration = plan(&latest);
                migration.migrated = true;
                return Found::Legacy(migration, unmapped_fields(&latest));
            }
            Found::Current
        }
        Err(Error::NotFound { .. }) => Found::Gone,
        Err(Error::UnreadableRecord { reason, .. }) => Found::Unreadable(Unreadable {
            name: name.to_string(),
            key,
            reason,
        }),
        Err(e) => failed(&name, e),
    }
}

fn failed(name: &EnvName, e: Error) -> Found {
    Found::Failed(MigrateError {
        name: name.to_string(),
        kind: e.kind().as_str(),
        message: e.to_string(),
    })
}

fn unmapped_fields(meta: &Metadata) -> Vec<String> {
    meta.legacy
        .as_ref()
        .map(|l| l.unmapped.keys().cloned().collect())
        .unwrap_or_default()
}

/// What writing `meta` in the current layout changes, one line each.
fn plan(meta: &Metadata) -> Migration {
    let mut changes = vec![format!(
        "`status` `{}`, `created_at`, `expires_at` and `owner` as typed values",
        meta.status
    )];
    if let Some(image) = &meta.image {
        changes.push(format!("`container_image` → `image` `{image}`"));
    }
    if let Some(inputs) = &meta.inputs {
        let mut kept = Vec::new();
        if inputs.acm_certificate_arn.is_some() {
            kept.push("acm_certificate_arn");
        }
        if inputs.route53_zone_id.is_some() {
            kept.push("route53_zone_id");
        }
        if inputs.preview_domain.is_some() {
            kept.push("preview_domain");
        }
        if inputs.use_shared_networking.is_some() {
            kept.push("use_shared_networking");
        }
        changes.push(format!("`{}` → `inputs`", kept.join("`, `")));
    }
    if let Some(legacy) = &meta.legacy {
        if let Some(ttl) = &legacy.ttl {
            changes.push(format!(
                "`ttl` `{ttl}` kept as history (`legacy.ttl`); the expiry is `expires_at`"
            ));
        }
        for (field, how) in &legacy.derived {
            changes.push(format!("`{field}` derived: {how}"));
        }
        for field in legacy.unmapped.keys() {
            changes.push(format!("`{field}` kept verbatim in `legacy.unmapped`"));
        }
    }
    Migration {
        name: meta.name.to_string(),
        from_schema: LEGACY_SCHEMA,
        to_schema: METADATA_SCHEMA,
        changes,
        migrated: false,
    }
}
