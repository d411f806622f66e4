//! The in-memory [`ImageRegistry`]: repositories of tagged image digests, with ECR's batch
//! delete semantics.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::lock;
use crate::ports::{DeleteFailure, DeleteReport, ImageRef, ImageRegistry, RegistryError};

/// Repositories → tag → digest; shared with the local registry, which keeps it in a file.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct RegistryState {
    repositories: BTreeMap<String, BTreeMap<String, String>>,
}

impl RegistryState {
    pub(crate) fn create_repository(&mut self, repository: &str) {
        self.repositories.entry(repository.to_owned()).or_default();
    }

    /// Tags `digest` with `tag` in `repository` (creating the repository); a tag moves to the new
    /// digest as `docker push` moves it in ECR.
    pub(crate) fn push_image(&mut self, repository: &str, tag: &str, digest: &str) {
        self.repositories
            .entry(repository.to_owned())
            .or_default()
            .insert(tag.to_owned(), digest.to_owned());
    }

    pub(crate) fn list_images(&self, repository: &str) -> Result<Vec<ImageRef>, RegistryError> {
        let tags = self
            .repositories
            .get(repository)
            .ok_or_else(|| not_found(repository))?;
        Ok(tags
            .iter()
            .map(|(tag, digest)| ImageRef {
                tag: tag.clone(),
                digest: digest.clone(),
            })
            .collect())
    }

    pub(crate) fn delete_images(
        &mut self,
        repository: &str,
        tags: &[String],
    ) -> Result<DeleteReport, RegistryError> {
        let images = self
            .repositories
            .get_mut(repository)
            .ok_or_else(|| not_found(repository))?;
        let mut report = DeleteReport::default();
        for tag in tags {
            // ECR reports a missing tag per image id (`ImageNotFound`), not as a failed call.
            if images.remove(tag).is_some() {
                report.deleted.push(tag.clone());
            } else {
                report.failed.push(DeleteFailure {
                    tag: tag.clone(),
                    reason: "ImageNotFound: not found".to_owned(),
                });
            }
        }
        Ok(report)
    }
}

fn not_found(repository: &str) -> RegistryError {
    RegistryError::NotFound {
        repository: repository.to_owned(),
    }
}

/// An [`ImageRegistry`] in process memory. Add images with [`MemoryRegistry::push_image`].
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    state: Mutex<RegistryState>,
}

impl MemoryRegistry {
    /// A registry with no repositories.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty repository (nothing happens if it exists).
    pub fn create_repository(&self, repository: &str) {
        lock(&self.state).create_repository(repository);
    }

    /// Tags `digest` with `tag` in `repository`, creating the repository if needed.
    pub fn push_image(&self, repository: &str, tag: &str, digest: &str) {
        lock(&self.state).push_image(repository, tag, digest);
    }
}

#[async_trait]
impl ImageRegistry for MemoryRegistry {
    async fn list_images(&self, repository: &str) -> Result<Vec<ImageRef>, RegistryError> {
        lock(&self.state).list_images(repository)
    }

    async fn delete_images(
        &self,
        repository: &str,
        tags: &[String],
    ) -> Result<DeleteReport, RegistryError> {
        lock(&self.state).delete_images(repository, tags)
    }
}
