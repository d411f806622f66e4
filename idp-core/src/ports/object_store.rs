//! The `ObjectStore` port: the state bucket.
//!
//! Environment metadata, outputs, tfvars and the environment index live in an object store laid out
//! like the S3 bucket (`environments/{name}/metadata.json`, ...). Every metadata write is a
//! compare-and-swap, so the store offers create-only and If-Match puts with the same meaning as S3's
//! `If-None-Match: *` and `If-Match: <etag>`. Keys are plain `&str`; the domain's `layout` module
//! builds them.

use std::fmt::{self, Debug};

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::BoxError;

/// An opaque version tag of an object's content, as S3's `ETag`.
///
/// Two reads return the same etag only if the object was not written in between; every successful
/// put produces a new etag (adapters may reuse an etag only for byte-identical content, as S3 does).
/// Compare etags only with `==`; their format belongs to the adapter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Etag(String);

impl Etag {
    /// Wraps an etag string as the backend returned it.
    pub fn new(etag: impl Into<String>) -> Self {
        Self(etag.into())
    }

    /// The etag as the backend returned it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Etag {
    fn from(etag: String) -> Self {
        Self(etag)
    }
}

/// An object's content and the etag of exactly that content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The content.
    pub bytes: Bytes,
    /// The etag of `bytes`.
    pub etag: Etag,
    /// When the object was last written, when the store says (S3's `Last-Modified`, a file's
    /// modification time). Records written by other tools carry no time of their own but this.
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a listing says about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectMeta {
    /// The full key.
    pub key: String,
    /// The etag of the current content (the same value `get` returns).
    pub etag: Etag,
    /// The size in bytes.
    pub size: u64,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects of this page, sorted by key (byte order, as S3).
    pub objects: Vec<ObjectMeta>,
    /// The continuation token for the next page; `None` on the last page.
    pub next: Option<String>,
}

impl ListPage {
    /// The keys of this page, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.objects.iter().map(|o| o.key.as_str())
    }
}

/// The condition a put is made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// Write whatever is there.
    Overwrite,
    /// Write only if no object has the key (S3 `If-None-Match: *`).
    CreateOnly,
    /// Write only if the current object has this etag (S3 `If-Match`).
    IfMatch(Etag),
}

/// What went wrong in an object store call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No object has the key.
    #[error("object `{key}` does not exist")]
    NotFound {
        /// The key asked for.
        key: String,
    },
    /// A create-only put found an object already there.
    #[error("object `{key}` already exists; read it and update it with its etag instead")]
    AlreadyExists {
        /// The key written.
        key: String,
    },
    /// An If-Match put found a different etag: someone else wrote the object since it was read.
    #[error("object `{key}` changed since it was read; read it again and retry")]
    PreconditionFailed {
        /// The key written.
        key: String,
    },
    /// The key cannot be stored (empty, absolute, `..`, empty segments, ...).
    #[error("invalid object key `{key}`: {reason}")]
    InvalidKey {
        /// The rejected key.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`s3`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure (permissions, a missing bucket, an unreadable file).
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`s3`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }

    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// Whether a conditional put lost against another write (`AlreadyExists` or `PreconditionFailed`).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::AlreadyExists { .. } | Self::PreconditionFailed { .. }
        )
    }
}

/// A key/value object store with conditional writes, shaped like S3.
///
/// All methods are atomic per key: a reader sees either the whole old or the whole new content,
/// never a mix, and the etag returned always belongs to the bytes returned.
#[async_trait]
pub trait ObjectStore: Debug + Send + Sync + 'static {
    /// Reads an object and its etag.
    ///
    /// MUST return [`StoreError::NotFound`] if no object has the key.
    async fn get(&self, key: &str) -> Result<Object, StoreError>;

    /// Reads an object's metadata without its content.
    ///
    /// MUST return [`StoreError::NotFound`] if no object has the key. The default reads the whole
    /// object; adapters override it when the backend has a cheaper call (S3 `HeadObject`).
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let object = self.get(key).await?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            etag: object.etag,
            size: object.bytes.len() as u64,
        })
    }

    /// Writes an object under `mode` and returns the etag of the new content.
    ///
    /// The check and the write are one atomic step, also against other processes and machines:
    /// - [`PutMode::CreateOnly`] on an existing key MUST fail with [`StoreError::AlreadyExists`];
    ///   of N concurrent create-only puts of one key exactly one succeeds.
    /// - [`PutMode::IfMatch`] with a stale etag MUST fail with [`StoreError::PreconditionFailed`]
    ///   and leave the object unchanged; on a missing key it MUST fail with
    ///   [`StoreError::NotFound`].
    /// - [`PutMode::Overwrite`] always writes.
    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError>;

    /// Lists one page of the objects whose key starts with `prefix`, sorted by key.
    ///
    /// Pass `None` for the first page and the previous page's [`ListPage::next`] afterwards. A page
    /// holds at most the adapter's page size (1,000 on S3 and by default elsewhere). Keys written
    /// during a listing may or may not appear; keys present throughout appear exactly once.
    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError>;

    /// Lists every object under `prefix`, following pages; sorted by key.
    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.list(prefix, token.as_deref()).await?;
            all.extend(page.objects);
            match page.next {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(all),
            }
        }
    }

    /// Deletes an object. Deleting a missing key succeeds (as S3 `DeleteObject`).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes every object whose key starts with `prefix` and returns how many were deleted.
    ///
    /// `environments/a/` does not touch `environments/ab/`: the prefix is a plain string prefix, so
    /// callers end directory-like prefixes with `/`. Not atomic: objects written concurrently under
    /// the prefix may survive. The default lists and deletes one by one; adapters with a batch call
    /// (S3 `DeleteObjects`, up to 1,000 keys a request) override it.
    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let objects = self.list_all(prefix).await?;
        for object in &objects {
            self.delete(&object.key).await?;
        }
        Ok(objects.len())
    }
}
