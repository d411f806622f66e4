//! The in-memory [`ImageRegistry`]: repositories of tagged image digests, with ECR's batch
//! delete semantics.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::adapters::model::registry::RegistryState;
use crate::ports::{DeleteReport, ImageRef, ImageRegistry, RegistryError};

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
