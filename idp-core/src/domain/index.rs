//! The environment index: one document with a row per environment, so `list` and `sweep` read
//! one object instead of one per environment.
//!
//! The index lives at [`layout::INDEX_KEY`](crate::domain::layout::INDEX_KEY). Each row holds
//! the environment's record exactly as its `metadata.json` held it, together with the etag of
//! that `metadata.json`. The metadata objects stay the source of truth; two things keep the
//! index honest without reading them all:
//!
//! - **Intents.** Before a metadata write, its writer leaves an [`Intent`] marker under
//!   [`layout::PENDING_PREFIX`](crate::domain::layout::PENDING_PREFIX) naming the environment and
//!   the etag it writes over; it removes the marker once the index row is set. A writer that
//!   dies in between leaves the marker behind, so a reader lists the (normally empty) marker
//!   prefix and reads again only the environments named there. A marker is removed by a reader
//!   only once it is [settled](Intent::settled): the metadata no longer has the etag the write
//!   was made over, so the write has landed (or lost) and the row read after it is current.
//! - **Full checks.** A [`Check`] compares every row with a listing of the metadata objects
//!   (which carries their etags): run by every `sweep` that changes anything and by
//!   `sweep --reindex`, so an index edited by hand or written around idp heals within a sweep.
//!
//! This module is the pure part: the document, its rows, intents and checks; the I/O is in
//! [`support::index`](crate::support::index).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::layout::PENDING_PREFIX;
use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;

/// The version of the index document this build writes and reads.
pub const SCHEMA: u32 = 1;

/// The index document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvIndex {
    /// The document's version ([`SCHEMA`]).
    pub schema: u32,
    /// One row per environment, by name.
    pub rows: BTreeMap<String, IndexRow>,
}

/// One environment's row: what its `metadata.json` held at `etag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRow {
    /// The etag of the `metadata.json` this row was made from.
    pub etag: String,
    /// What that object held.
    pub entry: Entry,
}

/// What a `metadata.json` held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "almost every row is a record; boxing it would add an allocation per row"
)]
pub enum Entry {
    /// A record (name, status, branch, repository, template, endpoint, timestamps, ...).
    Record(Metadata),
    /// An object that does not parse, and why; it is reported, never guessed at.
    Unreadable(String),
}

impl Entry {
    /// The row of a record: all of it but its history, which only an environment's own page
    /// shows and which would make the index grow with every event.
    pub fn record(mut meta: Metadata) -> Entry {
        meta.history = Vec::new();
        Entry::Record(meta)
    }
}

/// An index document that cannot be used; the caller rebuilds it from the metadata objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Not JSON of the expected shape.
    #[error("the environment index does not parse ({0}): run `idp sweep --reindex` to rebuild it")]
    Corrupt(String),
    /// Written by another version of idp.
    #[error(
        "the environment index has schema `{found}`, this idp reads `{SCHEMA}`: run `idp sweep --reindex` to rebuild it"
    )]
    Schema {
        /// The schema found.
        found: u32,
    },
}

/// What a check of the index against a listing found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// Environments whose row matches the listed etag: trusted as they are.
    pub fresh: usize,
    /// Listed environments with no row, or a row of another etag: their metadata is read again.
    pub stale: Vec<EnvName>,
    /// Rows of environments the listing did not show: their metadata is looked up again (it may
    /// have been deleted, or created after the listing started).
    pub vanished: Vec<String>,
}

impl Check {
    /// Whether every row matched and every listed environment had one.
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.vanished.is_empty()
    }
}

impl EnvIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self {
            schema: SCHEMA,
            rows: BTreeMap::new(),
        }
    }

    /// Parse an index document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, IndexError> {
        #[derive(Deserialize)]
        struct Head {
            schema: u32,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| IndexError::Corrupt(e.to_string()))?;
        if head.schema != SCHEMA {
            return Err(IndexError::Schema { found: head.schema });
        }
        serde_json::from_slice(bytes).map_err(|e| IndexError::Corrupt(e.to_string()))
    }

    /// The document as compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Set `name`'s row; returns whether anything changed.
    pub fn set(&mut self, name: &EnvName, etag: &str, entry: Entry) -> bool {
        let row = IndexRow {
            etag: etag.to_owned(),
            entry,
        };
        if self.rows.get(name.as_str()) == Some(&row) {
            return false;
        }
        self.rows.insert(name.as_str().to_owned(), row);
        true
    }

    /// Set the row of a record written at `etag`; returns whether anything changed.
    pub fn set_record(&mut self, meta: &Metadata, etag: &str) -> bool {
        self.set(&meta.name, etag, Entry::record(meta.clone()))
    }

    /// Compare the rows with a listing of the metadata objects (`(environment, etag)` pairs).
    pub fn check<'a>(&self, listed: impl IntoIterator<Item = (&'a EnvName, &'a str)>) -> Check {
        let mut check = Check::default();
        let mut seen = std::collections::BTreeSet::new();
        for (name, etag) in listed {
            seen.insert(name.as_str());
            match self.rows.get(name.as_str()) {
                Some(row) if row.etag == etag => check.fresh += 1,
                _ => check.stale.push(name.clone()),
            }
        }
        check.vanished = self
            .rows
            .keys()
            .filter(|name| !seen.contains(name.as_str()))
            .cloned()
            .collect();
        check
    }
}

/// The marker of a metadata write in flight: `environments/_pending/{name}/{over}.{id}`, where
/// `over` is the hex of the etag the write is made over (`new` for a create) and `id` makes each
/// write's marker its own, so one writer never removes another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The environment being written.
    pub name: EnvName,
    /// The etag of the `metadata.json` the write replaces; `None` for a create.
    pub over: Option<String>,
}

impl Intent {
    /// The marker's key for a write of `name` over `over`, with the writer's own `id`
    /// (alphanumeric, e.g. a UUID's simple form).
    pub fn key(name: &EnvName, over: Option<&str>, id: &str) -> String {
        let over = over.map_or_else(|| "new".to_owned(), hex::encode);
        format!("{PENDING_PREFIX}{name}/{over}.{id}")
    }

    /// The intent a listed marker key stands for; `None` for a key that is not one.
    pub fn parse(key: &str) -> Option<Self> {
        let rest = key.strip_prefix(PENDING_PREFIX)?;
        let (name, file) = rest.split_once('/')?;
        let (over, _id) = file.split_once('.')?;
        let over = match over {
            "new" => None,
            hexed => Some(String::from_utf8(hex::decode(hexed).ok()?).ok()?),
        };
        Some(Self {
            name: EnvName::parse(name).ok()?,
            over,
        })
    }

    /// Whether the write is over: the metadata's etag is now `current` (`None`: no object),
    /// which is not the one the write was made over, so the write has landed or lost to another,
    /// and a row read now is at least as new as it. Until then the marker stays: its writer may
    /// still be on its way.
    pub fn settled(&self, current: Option<&str>) -> bool {
        self.over.as_deref() != current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::Status;
    use crate::domain::template::TemplateName;
    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn meta(name: &str) -> Metadata {
        Metadata::new(
            EnvName::parse(name).unwrap(),
            TemplateName::default(),
            "octocat".into(),
            now(),
            now() + TimeDelta::days(7),
        )
    }

    fn name(s: &str) -> EnvName {
        EnvName::parse(s).unwrap()
    }

    #[test]
    fn an_index_round_trips_through_json() {
        let mut index = EnvIndex::new();
        index.set_record(&meta("preview-a"), "\"e1\"");
        index.set(
            &name("preview-b"),
            "\"e2\"",
            Entry::Unreadable("bad".into()),
        );
        assert_eq!(EnvIndex::from_json(&index.to_json()).unwrap(), index);
    }

    #[test]
    fn a_document_of_another_schema_or_shape_is_refused() {
        assert_eq!(
            EnvIndex::from_json(br#"{"schema": 2, "rows": {}}"#),
            Err(IndexError::Schema { found: 2 })
        );
        assert!(matches!(
            EnvIndex::from_json(b"{not json"),
            Err(IndexError::Corrupt(_))
        ));
        assert!(matches!(
            EnvIndex::from_json(br#"{"schema": 1, "rows": {"a": {"etag": 3}}}"#),
            Err(IndexError::Corrupt(_))
        ));
    }

    #[test]
    fn setting_the_same_row_twice_changes_nothing() {
        let mut index = EnvIndex::new();
        assert!(index.set_record(&meta("preview-a"), "e1"));
        assert!(!index.set_record(&meta("preview-a"), "e1"));
        let mut changed = meta("preview-a");
        changed.status = Status::Active;
        assert!(index.set_record(&changed, "e2"));
    }

    #[test]
    fn check_sorts_rows_into_fresh_stale_and_vanished() {
        let mut index = EnvIndex::new();
        index.set_record(&meta("preview-a"), "e1");
        index.set_record(&meta("preview-b"), "e1");
        index.set_record(&meta("preview-gone"), "e1");
        let (a, b, c) = (name("preview-a"), name("preview-b"), name("preview-c"));
        let check = index.check([(&a, "e1"), (&b, "e2"), (&c, "e1")]);
        assert_eq!(check.fresh, 1);
        assert_eq!(check.stale, vec![b, c]);
        assert_eq!(check.vanished, vec!["preview-gone".to_owned()]);
        assert!(!check.is_clean());
    }

    #[test]
    fn an_intent_round_trips_through_its_key_and_settles_when_the_etag_moves() {
        let n = name("preview-a");
        let key = Intent::key(&n, Some("\"9b2cf535f27731c974343645a3985328\""), "0af1");
        assert!(key.starts_with("environments/_pending/preview-a/"), "{key}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b))
        );
        let intent = Intent::parse(&key).unwrap();
        assert_eq!(
            intent.over.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
        assert!(!intent.settled(Some("\"9b2cf535f27731c974343645a3985328\"")));
        assert!(intent.settled(Some("\"other\"")));
        assert!(intent.settled(None));

        let create = Intent::parse(&Intent::key(&n, None, "1")).unwrap();
        assert_eq!(
            create,
            Intent {
                name: n,
                over: None
            }
        );
        assert!(!create.settled(None));
        assert!(create.settled(Some("e1")));
    }

    #[test]
    fn keys_that_are_not_intents_are_ignored() {
        for key in [
            "environments/_pending/preview-a",
            "environments/_pending/preview-a/new",
            "environments/_pending/Not_A_Name/new.1",
            "environments/_pending/preview-a/zz.1",
            "environments/_pending/preview-a/abc.1",
            "environments/preview-a/metadata.json",
        ] {
            assert_eq!(Intent::parse(key), None, "{key}");
        }
    }

    proptest! {
        #[test]
        fn any_etag_survives_the_marker_key(etag in ".{0,80}", id in "[a-z0-9]{1,32}") {
            let key = Intent::key(&name("preview-a"), Some(&etag), &id);
            prop_assert_eq!(Intent::parse(&key).unwrap().over, Some(etag));
        }

        #[test]
        fn an_index_made_from_a_listing_checks_clean_against_it(
            rows in proptest::collection::btree_map("[a-z]{1,12}", "[0-9a-f]{8}", 0..40)
        ) {
            let listed: Vec<(EnvName, String)> = rows
                .iter()
                .map(|(n, e)| (name(&format!("preview-{n}")), e.clone()))
                .collect();
            let mut index = EnvIndex::new();
            for (n, e) in &listed {
                index.set_record(&meta(n.as_str()), e);
            }
            let check = index.check(listed.iter().map(|(n, e)| (n, e.as_str())));
            prop_assert!(check.is_clean());
            prop_assert_eq!(check.fresh, listed.len());
        }
    }
}
