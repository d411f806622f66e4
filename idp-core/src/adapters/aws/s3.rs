//! The `ObjectStore` port on an S3 bucket.
//!
//! Conditional puts are S3's own: `If-None-Match: *` for create-only and `If-Match: <etag>` for
//! compare-and-swap, so the check and the write are one atomic step on the server, across
//! machines. S3 answers a failed condition with HTTP 412 `PreconditionFailed`, which the SDK does
//! not model (it arrives as an unhandled error), so this adapter matches on the HTTP status and the
//! error code.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bytes::Bytes;

use super::error::{Failure, UnexpectedAnswer, status};
use crate::ports::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};

const BACKEND: &str = "s3";
/// S3's limit of keys per `DeleteObjects` request (and of objects per `ListObjectsV2` page).
const BATCH: usize = 1000;
/// S3's limit on the length of a key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// An [`ObjectStore`] on one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    /// A store on `bucket`, reached through `client`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The S3 client (path-style when an endpoint override is set).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn resource(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn failure<E>(
        &self,
        err: SdkError<E, HttpResponse>,
        operation: &'static str,
        key: &str,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Failure::new(err, operation, self.resource(key)).into_store(BACKEND)
    }

    fn etag(
        &self,
        etag: Option<&str>,
        operation: &'static str,
        key: &str,
    ) -> Result<Etag, StoreError> {
        etag.map(Etag::new).ok_or_else(|| StoreError::Backend {
            backend: BACKEND,
            source: UnexpectedAnswer::boxed(operation, self.resource(key), "no ETag header"),
        })
    }

    /// Deletes one batch of at most [`BATCH`] keys and returns how many were deleted.
    async fn delete_batch(&self, prefix: &str, keys: Vec<String>) -> Result<usize, StoreError> {
        let count = keys.len();
        let objects = keys
            .into_iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| StoreError::Backend {
                backend: BACKEND,
                source: Box::new(err),
            })?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|err| StoreError::Backend {
                backend: BACKEND,
                source: Box::new(err),
            })?;
        let output = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|err| self.failure(err, "DeleteObjects", prefix))?;
        // With `quiet`, S3 lists only the keys it could not delete.
        if let Some(first) = output.errors().first() {
            let problem = format!(
                "{} of {count} keys not deleted, first `{}`: {}: {}",
                output.errors().len(),
                first.key().unwrap_or_default(),
                first.code().unwrap_or("no code"),
                first.message().unwrap_or("no message"),
            );
            return Err(StoreError::Backend {
                backend: BACKEND,
                source: UnexpectedAnswer::boxed("DeleteObjects", self.resource(prefix), problem),
            });
        }
        Ok(count)
    }
}

/// Rejects keys S3 cannot store.
fn check_key(key: &str) -> Result<(), StoreError> {
    let reason = if key.is_empty() {
        "a key cannot be empty"
    } else if key.len() > MAX_KEY_BYTES {
        "S3 keys are at most 1024 bytes"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidKey {
        key: key.to_owned(),
        reason: reason.to_owned(),
    })
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn get(&self, key: &str) -> Result<Object, StoreError> {
        check_key(key)?;
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Err(StoreError::NotFound {
                    key: key.to_owned(),
                });
            }
            Err(err) => return Err(self.failure(err, "GetObject", key)),
        };
        let etag = self.etag(output.e_tag(), "GetObject", key)?;
        let last_modified = output
            .last_modified()
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::Unavailable {
                backend: BACKEND,
                retryable: true,
                source: Box::new(err),
            })?;
        Ok(Object {
            bytes: bytes.into_bytes(),
            etag,
            last_modified,
        })
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        check_key(key)?;
        let output = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Err(StoreError::NotFound {
                    key: key.to_owned(),
                });
            }
            Err(err) => return Err(self.failure(err, "HeadObject", key)),
        };
        let etag = self.etag(output.e_tag(), "HeadObject", key)?;
        let size = output
            .content_length()
            .and_then(|len| u64::try_from(len).ok())
            .unwrap_or_default();
        Ok(ObjectMeta {
            key: key.to_owned(),
            etag,
            size,
        })
    }

    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Etag, StoreError> {
        check_key(key)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes));
        let request = match &mode {
            PutMode::Overwrite => request,
            PutMode::CreateOnly => request.if_none_match("*"),
            PutMode::IfMatch(etag) => request.if_match(etag.as_str()),
        };
        match request.send().await {
            Ok(output) => self.etag(output.e_tag(), "PutObject", key),
            // 412 is not modelled by the SDK: match on the status (and the code, for
            // S3-compatible stores that send it with another status).
            Err(err) if status(&err) == Some(412) || err.code() == Some("PreconditionFailed") => {
                match mode {
                    PutMode::CreateOnly => Err(StoreError::AlreadyExists {
                        key: key.to_owned(),
                    }),
                    _ => Err(StoreError::PreconditionFailed {
                        key: key.to_owned(),
                    }),
                }
            }
            // If-Match on a missing key (a missing bucket is a 404 too, with its own code).
            Err(err)
                if err.code() == Some("NoSuchKey")
                    || (status(&err) == Some(404) && err.code() != Some("NoSuchBucket")) =>
            {
                Err(StoreError::NotFound {
                    key: key.to_owned(),
                })
            }
            // 409 `ConditionalRequestConflict`: a concurrent write or delete of the key finished
            // while this conditional put was in flight. S3 asks to retry.
            Err(err) if status(&err) == Some(409) => {
                Err(Failure::new(err, "PutObject", self.resource(key))
                    .retryable()
                    .into_store(BACKEND))
            }
            Err(err) => Err(self.failure(err, "PutObject", key)),
        }
    }

    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, StoreError> {
        let output = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_continuation_token(continuation.map(str::to_owned))
            .max_keys(BATCH as i32)
            .send()
            .await
            .map_err(|err| self.failure(err, "ListObjectsV2", prefix))?;
        let mut objects = Vec::with_capacity(output.contents().len());
        for object in output.contents() {
            let key = object.key().unwrap_or_default().to_owned();
            let etag = self.etag(object.e_tag(), "ListObjectsV2", &key)?;
            let size = object
                .size()
                .and_then(|len| u64::try_from(len).ok())
                .unwrap_or_default();
            objects.push(ObjectMeta { key, etag, size });
        }
        let next = if output.is_truncated() == Some(true) {
            output.next_continuation_token().map(str::to_owned)
        } else {
            None
        };
        Ok(ListPage { objects, next })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| self.failure(err, "DeleteObject", key))?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        // One page of at most 1,000 keys is one `DeleteObjects` batch. The continuation token
        // stays valid after its page's keys are deleted (it marks a position in key order).
        let mut deleted = 0;
        let mut token: Option<String> = None;
        loop {
            let page = self.list(prefix, token.as_deref()).await?;
            let keys: Vec<String> = page.objects.into_iter().map(|o| o.key).collect();
            for batch in keys.chunks(BATCH) {
                deleted += self.delete_batch(prefix, batch.to_vec()).await?;
            }
            match page.next {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(deleted),
            }
        }
    }
}
