//! The `ImageRegistry` port on ECR.
//!
//! Listing follows `ListImages` pages (tagged images only). Deleting sends `BatchDeleteImage`
//! requests of at most 100 tags, ECR's limit, and reports per tag what ECR reported: deleted, or
//! failed with ECR's failure code and reason. Which tags to delete is the caller's decision.

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{
    ImageFailure, ImageFailureCode, ImageIdentifier, ListImagesFilter, TagStatus,
};

use super::error::Failure;
use crate::ports::{DeleteFailure, DeleteReport, ImageRef, ImageRegistry, RegistryError};

const BACKEND: &str = "ecr";
/// ECR's limit of image ids per `BatchDeleteImage` request.
const DELETE_BATCH: usize = 100;
/// ECR's largest `ListImages` page.
const LIST_PAGE: i32 = 1000;

/// An [`ImageRegistry`] on ECR, in the account and region of its client.
#[derive(Debug, Clone)]
pub struct EcrRegistry {
    client: Client,
}

impl EcrRegistry {
    /// A registry reaching ECR through `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn not_found(repository: &str) -> RegistryError {
    RegistryError::NotFound {
        repository: repository.to_owned(),
    }
}

fn failure(failure: &ImageFailure) -> DeleteFailure {
    let tag = failure
        .image_id()
        .and_then(ImageIdentifier::image_tag)
        .unwrap_or_default()
        .to_owned();
    let reason = match failure.failure_code() {
        Some(ImageFailureCode::ImageNotFound) => "not found".to_owned(),
        code => format!(
            "{}: {}",
            code.map_or("unknown", ImageFailureCode::as_str),
            failure.failure_reason().unwrap_or("no reason given")
        ),
    };
    DeleteFailure { tag, reason }
}

#[async_trait]
impl ImageRegistry for EcrRegistry {
    fn in_region(&self, region: &str) -> Option<Box<dyn ImageRegistry>> {
        let config = self
            .client
            .config()
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        Some(Box::new(Self::new(Client::from_conf(config))))
    }

    async fn list_images(&self, repository: &str) -> Result<Vec<ImageRef>, RegistryError> {
        let mut images = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let result = self
                .client
                .list_images()
                .repository_name(repository)
                .filter(
                    ListImagesFilter::builder()
                        .tag_status(TagStatus::Tagged)
                        .build(),
                )
                .max_results(LIST_PAGE)
                .set_next_token(token.take())
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_repository_not_found_exception()) =>
                {
                    return Err(not_found(repository));
                }
                Err(err) => {
                    return Err(Failure::new(err, "ListImages", repository).into_registry(BACKEND));
                }
            };
            images.extend(output.image_ids().iter().filter_map(|id| {
                Some(ImageRef {
                    tag: id.image_tag()?.to_owned(),
                    digest: id.image_digest().unwrap_or_default().to_owned(),
                })
            }));
            match output.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        images.sort();
        Ok(images)
    }

    async fn delete_images(
        &self,
        repository: &str,
        tags: &[String],
    ) -> Result<DeleteReport, RegistryError> {
        let mut seen = HashSet::new();
        let unique: Vec<&String> = tags
            .iter()
            .filter(|tag| seen.insert(tag.as_str()))
            .collect();
        let mut report = DeleteReport::default();
        for batch in unique.chunks(DELETE_BATCH) {
            let ids = batch
                .iter()
                .map(|tag| ImageIdentifier::builder().image_tag(tag.as_str()).build())
                .collect();
            let result = self
                .client
                .batch_delete_image()
                .repository_name(repository)
                .set_image_ids(Some(ids))
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_repository_not_found_exception()) =>
                {
                    return Err(not_found(repository));
                }
                Err(err) => {
                    return Err(
                        Failure::new(err, "BatchDeleteImage", repository).into_registry(BACKEND)
                    );
                }
            };
            report.deleted.extend(
                output
                    .image_ids()
                    .iter()
                    .filter_map(|id| id.image_tag().map(str::to_owned)),
            );
            report.failed.extend(output.failures().iter().map(failure));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tag_fails_as_not_found_and_others_keep_ecr_code_and_reason() {
        let id = ImageIdentifier::builder().image_tag("pr-1").build();
        let missing = ImageFailure::builder()
            .image_id(id.clone())
            .failure_code(ImageFailureCode::ImageNotFound)
            .failure_reason("Requested image not found")
            .build();
        assert_eq!(
            failure(&missing),
            DeleteFailure {
                tag: "pr-1".into(),
                reason: "not found".into()
            }
        );
        let kms = ImageFailure::builder()
            .image_id(id)
            .failure_code(ImageFailureCode::KmsError)
            .failure_reason("key")
            .build();
        assert_eq!(
            failure(&kms),
            DeleteFailure {
                tag: "pr-1".into(),
                reason: "KmsError: key".into()
            }
        );
    }
}
