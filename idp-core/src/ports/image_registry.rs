//! The `ImageRegistry` port: list and delete an environment's container images.
//!
//! Destroy removes the images built for an environment. The port lists and deletes by exact tag
//! only, so destroying `preview-a` never touches the images of `preview-ab`; which tags belong to
//! an environment is the domain's rule, applied by the use case.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::Serialize;

use super::BoxError;

/// One tag of an image in a repository. An image with two tags is listed twice; untagged images
/// are not listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ImageRef {
    /// The tag, e.g. `preview-x-1a2b3c4`.
    pub tag: String,
    /// The image digest, e.g. `sha256:...`.
    pub digest: String,
}

/// A tag that could not be deleted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteFailure {
    pub tag: String,
    /// The backend's reason (ECR `failureCode: failureReason`).
    pub reason: String,
}

/// What a batch delete did, tag by tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeleteReport {
    /// The tags deleted.
    pub deleted: Vec<String>,
    /// The tags not deleted (a tag that did not exist is a failure with reason `not found`).
    pub failed: Vec<DeleteFailure>,
}

/// What went wrong in a registry call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No such repository.
    #[error("image repository `{repository}` does not exist; check the repository name and region")]
    NotFound {
        /// The repository asked for.
        repository: String,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`ecr`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`ecr`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl RegistryError {
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
}

/// A container image registry, shaped like ECR.
#[async_trait]
pub trait ImageRegistry: Debug + Send + Sync + 'static {
    /// Every tagged image of `repository`, all pages followed, sorted by tag.
    ///
    /// MUST fail with [`RegistryError::NotFound`] for an unknown repository.
    async fn list_images(&self, repository: &str) -> Result<Vec<ImageRef>, RegistryError>;

    /// Deletes the given tags from `repository`; an image left without tags is deleted.
    ///
    /// Deletes nothing but the exact tags given. Per-tag failures (including tags that do not
    /// exist) go to [`DeleteReport::failed`]; the call itself fails only if the repository is
    /// unknown ([`RegistryError::NotFound`]) or the backend fails. ECR's `BatchDeleteImage` takes
    /// at most 100 image ids a request, so the AWS adapter sends the tags in chunks of 100; any
    /// number of tags may be passed.
    async fn delete_images(
        &self,
        repository: &str,
        tags: &[String],
    ) -> Result<DeleteReport, RegistryError>;

    /// The registry of `region`, for a registry that is regional (ECR: a repository of one name
    /// exists once per region, and an environment's images are in its region's). `None`: this
    /// registry serves every region (the memory and local ones).
    fn in_region(&self, region: &str) -> Option<Box<dyn ImageRegistry>> {
        let _ = region;
        None
    }
}
