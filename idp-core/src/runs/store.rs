//! Reading and writing one run's records in the state store, under `runs/{run_id}/` (keys from
//! `domain::layout`).
//!
//! The write rules that make a run safe to resume and to race:
//!
//! - `job.json`, every `events/{seq}.json` and `done` are written create-only: a second run with
//!   the same id is refused, an event never overwrites another (the writer takes the next
//!   number), and the first `done` stays.
//! - `orders/{n}/result.json` is written create-only and an existing result wins: whoever
//!   writes second gets the first writer's result back, so an order has exactly one terminal
//!   result.
//! - `orders/{n}/state.json` and `orders/{n}/log` are overwritten (a new attempt replaces them),
//!   and so are `orders/{n}/bundle.age` and `bundle.json` (a resumed run seals new bundles).

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::records::{CancelRecord, DoneRecord, JobRecord, OrderResult, RunEvent, StateRecord};
use crate::domain::layout::{self, LayoutError};
use crate::domain::orders::{Job, RunId};
use crate::error::{Error, Result};
use crate::ports::{ObjectStore, PutMode, StoreError};
use crate::support::bundle::{Bundle, Manifest};

/// One run's records in a state store.
#[derive(Debug, Clone)]
pub(super) struct RunStore {
    store: Arc<dyn ObjectStore>,
    run_id: RunId,
}

/// Which orders have a state record (started) and which a result (ended), from one listing.
pub(super) struct Present {
    keys: HashSet<String>,
    run_id: RunId,
}

impl Present {
    /// Whether order `n` has a state record.
    pub(super) fn started(&self, n: usize) -> bool {
        layout::order_state_key(self.run_id.as_str(), n).is_ok_and(|k| self.keys.contains(&k))
    }

    /// Whether order `n` has a result.
    pub(super) fn ended(&self, n: usize) -> bool {
        layout::order_result_key(self.run_id.as_str(), n).is_ok_and(|k| self.keys.contains(&k))
    }
}

fn key(built: std::result::Result<String, LayoutError>) -> Result<String> {
    built.map_err(|e| Error::Refused {
        reason: "invalid_run_id".into(),
        message: e.to_string(),
    })
}

pub(super) fn corrupt(key: &str, e: impl std::fmt::Display) -> Error {
    Error::CorruptState {
        key: key.to_owned(),
        message: e.to_string(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Bytes {
    Bytes::from(serde_json::to_vec_pretty(value).unwrap_or_default())
}

impl RunStore {
    /// The records of run `run_id` in `store`.
    pub(super) fn new(store: Arc<dyn ObjectStore>, run_id: RunId) -> Self {
        Self { store, run_id }
    }

    /// The run.
    pub(super) fn run_id(&self) -> &RunId {
        &self.run_id
    }

    fn id(&self) -> &str {
        self.run_id.as_str()
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        match self.store.get(key).await {
            Ok(object) => serde_json::from_slice(&object.bytes)
                .map(Some)
                .map_err(|e| corrupt(key, e)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes create-only; `false` when the key exists.
    async fn create<T: Serialize + Sync>(&self, key: &str, value: &T) -> Result<bool> {
        match self
            .store
            .put(key, to_json(value), PutMode::CreateOnly)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the job; `false` (and nothing written) when the run already exists.
    pub(super) async fn create_job(&self, record: &JobRecord) -> Result<bool> {
        self.create(&key(layout::run_job_key(self.id()))?, record)
            .await
    }

    /// The job record and the job it holds, validated again.
    pub(super) async fn job(&self) -> Result<(JobRecord, Job)> {
        let job_key = key(layout::run_job_key(self.id()))?;
        let record: JobRecord =
            self.get_json(&job_key)
                .await?
                .ok_or_else(|| Error::RunNotFound {
                    run_id: self.run_id.to_string(),
                })?;
        let job =
            Job::from_json(&record.job.to_string(), &job_key).map_err(|e| corrupt(&job_key, e))?;
        Ok((record, job))
    }

    /// The done marker, when the run has ended.
    pub(super) async fn done(&self) -> Result<Option<DoneRecord>> {
        self.get_json(&key(layout::run_done_key(self.id()))?).await
    }

    /// Whether the run has ended (one `HEAD`).
    pub(super) async fn is_done(&self) -> Result<bool> {
        match self
            .store
            .head(&key(layout::run_done_key(self.id()))?)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks the run as ended; a marker already there stays.
    pub(super) async fn put_done(&self, done: &DoneRecord) -> Result<()> {
        self.create(&key(layout::run_done_key(self.id()))?, done)
            .await
            .map(|_| ())
    }

    /// The cancel request, when someone asked the run to stop.
    pub(super) async fn cancel_request(&self) -> Result<Option<CancelRecord>> {
        self.get_json(&key(layout::run_cancel_key(self.id()))?)
            .await
    }

    /// Records a cancel request; a request already there stays (`false`).
    pub(super) async fn put_cancel(&self, record: &CancelRecord) -> Result<bool> {
        self.create(&key(layout::run_cancel_key(self.id()))?, record)
            .await
    }

    /// The number the next event takes: one past the last one recorded.
    pub(super) async fn next_event_seq(&self) -> Result<u64> {
        let listed = self
            .store
            .list_all(&key(layout::run_events_prefix(self.id()))?)
            .await?;
        Ok(listed
            .last()
            .and_then(|last| last.key.rsplit('/').next())
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(0, |n| n + 1))
    }

    /// Appends `event` at its `seq`; `false` when that number is taken.
    pub(super) async fn append_event(&self, event: &RunEvent) -> Result<bool> {
        self.create(&key(layout::run_event_key(self.id(), event.seq))?, event)
            .await
    }

    /// Every event, in order.
    pub(super) async fn events(&self) -> Result<Vec<RunEvent>> {
        let mut events = Vec::new();
        for object in self
            .store
            .list_all(&key(layout::run_events_prefix(self.id()))?)
            .await?
        {
            if let Some(event) = self.get_json::<RunEvent>(&object.key).await? {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// Which orders started and which ended.
    pub(super) async fn present(&self) -> Result<Present> {
        let keys = self
            .store
            .list_all(&key(layout::run_orders_prefix(self.id()))?)
            .await?
            .into_iter()
            .map(|o| o.key)
            .collect();
        Ok(Present {
            keys,
            run_id: self.run_id.clone(),
        })
    }

    /// Records that order `n` started (or its new handle).
    pub(super) async fn put_state(&self, n: usize, state: &StateRecord) -> Result<()> {
        self.store
            .put(
                &key(layout::order_state_key(self.id(), n))?,
                to_json(state),
                PutMode::Overwrite,
            )
            .await?;
        Ok(())
    }

    /// The state record of order `n`.
    pub(super) async fn state(&self, n: usize) -> Result<Option<StateRecord>> {
        self.get_json(&key(layout::order_state_key(self.id(), n))?)
            .await
    }

    /// The result of order `n`.
    pub(super) async fn result(&self, n: usize) -> Result<Option<OrderResult>> {
        self.get_json(&key(layout::order_result_key(self.id(), n))?)
            .await
    }

    /// Writes the result of order `n` create-only; an existing result wins and is returned
    /// instead.
    pub(super) async fn put_result(&self, n: usize, result: &OrderResult) -> Result<OrderResult> {
        let result_key = key(layout::order_result_key(self.id(), n))?;
        if self.create(&result_key, result).await? {
            return Ok(result.clone());
        }
        Ok(self
            .get_json(&result_key)
            .await?
            .unwrap_or_else(|| result.clone()))
    }

    /// Stores the (masked) output of order `n`.
    pub(super) async fn put_log(&self, n: usize, log: String) -> Result<()> {
        self.store
            .put(
                &key(layout::order_log_key(self.id(), n))?,
                Bytes::from(log),
                PutMode::Overwrite,
            )
            .await?;
        Ok(())
    }

    /// Stores the bundle of order `n` (ciphertext, then manifest), replacing an older one.
    pub(super) async fn put_bundle(&self, n: usize, bundle: &Bundle) -> Result<()> {
        self.store
            .put(
                &key(layout::order_bundle_key(self.id(), n))?,
                Bytes::from(bundle.ciphertext.clone()),
                PutMode::Overwrite,
            )
            .await?;
        self.store
            .put(
                &key(layout::order_bundle_manifest_key(self.id(), n))?,
                to_json(&bundle.manifest),
                PutMode::Overwrite,
            )
            .await?;
        Ok(())
    }

    /// The bundle of order `n`, if it has one.
    pub(super) async fn bundle(&self, n: usize) -> Result<Option<Bundle>> {
        let manifest_key = key(layout::order_bundle_manifest_key(self.id(), n))?;
        let Some(manifest) = self.get_json::<Manifest>(&manifest_key).await? else {
            return Ok(None);
        };
        let ciphertext = self
            .store
            .get(&key(layout::order_bundle_key(self.id(), n))?)
            .await?
            .bytes
            .to_vec();
        Ok(Some(Bundle {
            manifest,
            ciphertext,
        }))
    }

    /// The stored output of order `n`; empty when there is none.
    pub(super) async fn log(&self, n: usize) -> Result<String> {
        match self
            .store
            .get(&key(layout::order_log_key(self.id(), n))?)
            .await
        {
            Ok(object) => Ok(String::from_utf8_lossy(&object.bytes).into_owned()),
            Err(e) if e.is_not_found() => Ok(String::new()),
            Err(e) => Err(e.into()),
        }
    }
}
