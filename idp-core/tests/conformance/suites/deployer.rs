//! The `Deployer` contract: forced deployments get new ids, health is described, unknown services
//! are `NotFound`, alarms are read by name.

use std::sync::Arc;

use idp_core::ports::{AlarmState, DeployError, Deployer, ServiceStatus};

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

pub(crate) async fn alarms_are_read_by_name_with_their_state_and_reason(
    deployer: Arc<dyn Deployer>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    let firing = "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).";
    seed.alarm("idp-pr-7-unhealthy-targets", "ALARM", firing)
        .await;
    seed.alarm(
        "idp-pr-7-5xx-rate",
        "OK",
        "Threshold Crossed: no datapoints were received.",
    )
    .await;
    // Another environment's alarm, whose name starts like this one's.
    seed.alarm("idp-pr-7-b-5xx-rate", "ALARM", "Threshold Crossed")
        .await;
    let names = [
        "idp-pr-7-5xx-rate".to_owned(),
        "idp-pr-7-missing".to_owned(),
        "idp-pr-7-unhealthy-targets".to_owned(),
    ];
    let alarms = deployer.alarms(&names).await.expect("alarms");
    if !caps.alarms {
        assert!(
            alarms.is_empty(),
            "a backend without alarms has none: {alarms:?}"
        );
        return;
    }
    let seen: Vec<(&str, &AlarmState)> =
        alarms.iter().map(|a| (a.name.as_str(), &a.state)).collect();
    assert_eq!(
        seen,
        [
            ("idp-pr-7-5xx-rate", &AlarmState::Ok),
            ("idp-pr-7-unhealthy-targets", &AlarmState::Alarm),
        ],
        "the named alarms, in the order asked, the unknown name left out"
    );
    assert_eq!(alarms[1].reason, firing);
    assert!(alarms.iter().all(|a| a.since.is_some()), "{alarms:?}");
    assert!(deployer.alarms(&[]).await.expect("no names").is_empty());
}
