//! The `Deployer` contract: forced deployments get new ids, health is described, unknown services
//! are `NotFound`.

use std::sync::Arc;

use idp_core::ports::{DeployError, Deployer, ServiceStatus};

use crate::adapters::{Caps, Seed};

pub(crate) async fn unknown_service_is_not_found(
    deployer: Arc<dyn Deployer>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.service("previews", "preview-a", 1).await;
    let described = deployer.describe("previews", "preview-ab").await;
    assert!(
        matches!(&described, Err(DeployError::NotFound { service, .. }) if service == "preview-ab"),
        "{described:?}"
    );
    let forced = deployer
        .force_new_deployment("other-cluster", "preview-a")
        .await;
    assert!(
        matches!(&forced, Err(DeployError::NotFound { cluster, .. }) if cluster == "other-cluster"),
        "{forced:?}"
    );
}

pub(crate) async fn seeded_service_is_described_steady(
    deployer: Arc<dyn Deployer>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.service("previews", "preview-a", 2).await;
    let health = deployer
        .describe("previews", "preview-a")
        .await
        .expect("describe");
    assert_eq!((health.status, health.desired), (ServiceStatus::Active, 2));
    assert!(
        health
            .last_deployment
            .is_some_and(|d| !d.id.is_empty() && d.failed_tasks == 0)
    );
}

pub(crate) async fn force_new_deployment_starts_a_new_deployment_each_time(
    deployer: Arc<dyn Deployer>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    seed.service("previews", "preview-a", 1).await;
    let before = deployer
        .describe("previews", "preview-a")
        .await
        .expect("describe")
        .last_deployment
        .map(|d| d.id);
    let first = deployer
        .force_new_deployment("previews", "preview-a")
        .await
        .expect("force");
    let second = deployer
        .force_new_deployment("previews", "preview-a")
        .await
        .expect("force again");
    assert_ne!(Some(&first), before.as_ref());
    assert_ne!(first, second);
    let after = deployer
        .describe("previews", "preview-a")
        .await
        .expect("describe");
    assert_eq!(
        after.last_deployment.map(|d| d.id),
        Some(second),
        "the newest deployment is described"
    );
}
