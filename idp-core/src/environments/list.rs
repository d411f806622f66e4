//! `list`: every environment's record, in a stable order, from the environment index.
//!
//! The index ([`crate::support::index`]) is checked against a listing of the metadata objects
//! before it is trusted, so `list` of N healthy environments costs 1 GET and one LIST per 1,000
//! objects, not one GET per environment; rows that do not match are read from their metadata.

use serde::Serialize;

use crate::domain::index::{Entry, EnvIndex};
use crate::domain::layout;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::naming::EnvName;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::index;

/// What to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRequest {
    /// Include destroyed environments (tombstones).
    pub all: bool,
}

/// Every environment, sorted by name, plus the records that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub environments: Vec<Metadata>,
    /// Metadata objects that exist but do not parse (key and reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// A metadata object that could not be parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    pub key: String,
    /// Why.
    pub reason: String,
}

/// List environments.
pub async fn list(platform: &Platform, req: ListRequest) -> Result<ListReport> {
    let verified = index::load(platform).await?;
    Ok(report(&verified.index, req))
}

/// The report of a verified index.
pub fn report(index: &EnvIndex, req: ListRequest) -> ListReport {
    let mut environments = Vec::new();
    let mut unreadable = Vec::new();
    for (name, row) in &index.rows {
        match &row.entry {
            Entry::Record(meta) if req.all || meta.status != Status::Destroyed => {
                environments.push(meta.clone());
            }
            Entry::Record(_) => {}
            Entry::Unreadable(reason) => unreadable.push(Unreadable {
                key: EnvName::parse(name)
                    .map(|n| layout::metadata_key(&n, None))
                    .unwrap_or_else(|_| name.clone()),
                reason: reason.clone(),
            }),
        }
    }
    environments.sort_by(|a, b| a.name.cmp(&b.name));
    unreadable.sort_by(|a, b| a.key.cmp(&b.key));
    ListReport {
        environments,
        unreadable,
    }
}
