//! The environment index: one document with a row per environment, so `list` and `sweep` read
//! one object instead of one per environment.
//!
//! The index lives at [`layout::INDEX_KEY`](crate::domain::layout::INDEX_KEY). Each row holds
//! the environment's record exactly as its `metadata.json` held it, together with the etag of
//! that `metadata.json`. The metadata objects stay the source of truth: the index is a cache that
//! a reader checks against a listing of the metadata objects (which carries their etags) before
//! trusting a row. This module is the pure part: the document, its rows and the check ("which
//! rows still hold, which metadata must be read again"); the I/O is in
//! [`platform::index`](crate::platform::index).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// An index document that cannot be used; the caller rebuilds it from the metadata objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Not JSON of the expected shape.
    #[error("the environment index does not parse ({0}): run `idp sweep --reindex` to rebuild it")]
    Corrupt(String),
    /// Written by another version of idp.
    #[error("the environment index has schema `{found}`, this idp reads `{SCHEMA}`: run `idp sweep --reindex` to rebuild it")]
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
        self.set(&meta.name, etag, Entry::Record(meta.clone()))
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
        index.set(&name("preview-b"), "\"e2\"", Entry::Unreadable("bad".into()));
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

    proptest! {
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
