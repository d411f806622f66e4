//! The image registry behind the memory and local registries: repositories of tags pointing at
//! digests, deleted by exact tag with ECR's report of what was missing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ports::{DeleteFailure, DeleteReport, ImageRef, RegistryError};

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
