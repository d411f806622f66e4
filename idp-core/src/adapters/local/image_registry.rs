//! The local [`ImageRegistry`]: tags and digests kept in `<dir>/.local/images.json`.

use std::io;
use std::path::PathBuf;

use async_trait::async_trait;

use super::fs::{self, BACKEND};
use crate::adapters::model::registry::RegistryState;
use crate::ports::{DeleteReport, ImageRef, ImageRegistry, RegistryError};

const STATE_FILE: &str = "images.json";

/// An [`ImageRegistry`] whose repositories live in a local file.
///
/// It is a record of the images built for local environments (tag → digest per repository), not
/// an image store: [`LocalRegistry::push_image`] records a built image, and deleting a tag removes
/// the record. Removing the image from a container engine is the local runtime's job.
#[derive(Debug, Clone)]
pub struct LocalRegistry {
    root: PathBuf,
}

fn io(e: io::Error) -> RegistryError {
    RegistryError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

fn joined(e: tokio::task::JoinError) -> RegistryError {
    RegistryError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

impl LocalRegistry {
    /// A registry keeping its state under `root` (the local backend's directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates an empty repository (nothing happens if it exists).
    pub fn create_repository(&self, repository: &str) -> Result<(), RegistryError> {
        fs::update_json(&self.root, STATE_FILE, |s: &mut RegistryState| {
            s.create_repository(repository);
            Ok(())
        })
        .map_err(io)?
    }

    /// Records `digest` tagged `tag` in `repository`, creating the repository if needed.
    pub fn push_image(
        &self,
        repository: &str,
        tag: &str,
        digest: &str,
    ) -> Result<(), RegistryError> {
        fs::update_json(&self.root, STATE_FILE, |s: &mut RegistryState| {
            s.push_image(repository, tag, digest);
            Ok(())
        })
        .map_err(io)?
    }
}

#[async_trait]
impl ImageRegistry for LocalRegistry {
    async fn list_images(&self, repository: &str) -> Result<Vec<ImageRef>, RegistryError> {
        let (root, repository) = (self.root.clone(), repository.to_owned());
        fs::blocking(move || {
            fs::read_json_state::<RegistryState>(&root, STATE_FILE)
                .map_err(io)?
                .list_images(&repository)
        })
        .await
        .unwrap_or_else(|e| Err(joined(e)))
    }

    async fn delete_images(
        &self,
        repository: &str,
        tags: &[String],
    ) -> Result<DeleteReport, RegistryError> {
        let (root, repository, tags) = (self.root.clone(), repository.to_owned(), tags.to_vec());
        fs::blocking(move || {
            fs::update_json(&root, STATE_FILE, |s: &mut RegistryState| {
                s.delete_images(&repository, &tags)
            })
            .map_err(io)?
        })
        .await
        .unwrap_or_else(|e| Err(joined(e)))
    }
}
