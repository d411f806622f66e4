//! The `ImageRegistry` contract: list tagged images, delete exact tags in any number.

use std::sync::Arc;

use idp_core::ports::{ImageRegistry, RegistryError};

use crate::adapters::{Caps, Seed};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) async fn unknown_repository_is_not_found(
    registry: Arc<dyn ImageRegistry>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.images("previews", &[]).await;
    let listed = registry.list_images("missing").await;
    assert!(
        matches!(&listed, Err(RegistryError::NotFound { repository }) if repository == "missing"),
        "{listed:?}"
    );
    let deleted = registry.delete_images("missing", &tags(&["x"])).await;
    assert!(matches!(deleted, Err(RegistryError::NotFound { .. })));
    assert_eq!(
        registry
            .list_images("previews")
            .await
            .expect("an empty repository lists"),
        []
    );
}

pub(crate) async fn listed_images_are_the_pushed_tags_sorted(
    registry: Arc<dyn ImageRegistry>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    let pushed = tags(&["preview-b-2222222", "preview-a-1111111"]);
    let digests = seed.images("previews", &pushed).await;
    let listed = registry.list_images("previews").await.expect("list");
    let listed: Vec<(&str, &str)> = listed
        .iter()
        .map(|i| (i.tag.as_str(), i.digest.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("preview-a-1111111", digests[1].as_str()),
            ("preview-b-2222222", digests[0].as_str())
        ]
    );
}

pub(crate) async fn delete_removes_exact_tags_only(
    registry: Arc<dyn ImageRegistry>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.images(
        "previews",
        &tags(&[
            "preview-a-1111111",
            "preview-a-2222222",
            "preview-ab-1111111",
        ]),
    )
    .await;
    let report = registry
        .delete_images(
            "previews",
            &tags(&["preview-a-1111111", "preview-a-2222222"]),
        )
        .await
        .expect("delete");
    assert_eq!(
        report.deleted,
        tags(&["preview-a-1111111", "preview-a-2222222"])
    );
    assert!(report.failed.is_empty(), "{report:?}");
    let left: Vec<String> = registry
        .list_images("previews")
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.tag)
        .collect();
    assert_eq!(left, tags(&["preview-ab-1111111"]));
}

pub(crate) async fn deleting_missing_tags_reports_them_as_failed(
    registry: Arc<dyn ImageRegistry>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.images("previews", &tags(&["preview-a-1111111"])).await;
    let report = registry
        .delete_images(
            "previews",
            &tags(&["preview-a-1111111", "preview-a-missing"]),
        )
        .await
        .expect("delete");
    assert_eq!(report.deleted, tags(&["preview-a-1111111"]));
    assert_eq!(
        report
            .failed
            .iter()
            .map(|f| f.tag.as_str())
            .collect::<Vec<_>>(),
        ["preview-a-missing"]
    );
    assert!(report.failed.iter().all(|f| !f.reason.is_empty()));
}

pub(crate) async fn deleting_more_than_one_request_of_tags_deletes_them_all(
    registry: Arc<dyn ImageRegistry>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    let many: Vec<String> = (0..caps.many_images)
        .map(|i| format!("preview-a-{i:07}"))
        .collect();
    seed.images("previews", &many).await;
    let report = registry
        .delete_images("previews", &many)
        .await
        .expect("delete");
    assert_eq!(report.deleted.len(), caps.many_images);
    assert!(report.failed.is_empty(), "{:?}", report.failed.first());
    assert_eq!(registry.list_images("previews").await.expect("list"), []);
}
