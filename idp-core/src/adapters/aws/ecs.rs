//! The `Deployer` port on ECS services.
//!
//! A redeploy is `UpdateService --force-new-deployment`, which ECS answers with the service and
//! its new `PRIMARY` deployment; health is `DescribeServices`. The adapter reports what ECS says
//! and leaves waiting and judging to the use case.

use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::SdkError;
use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::error::{Failure, UnexpectedAnswer};
use crate::ports::{
    DeployError, Deployer, DeploymentInfo, RolloutState, ServiceHealth, ServiceStatus,
};

const BACKEND: &str = "ecs";

/// A [`Deployer`] on ECS.
#[derive(Debug, Clone)]
pub struct EcsDeployer {
    client: Client,
}

impl EcsDeployer {
    /// A deployer reaching ECS through `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn failure<E>(
    err: SdkError<E, HttpResponse>,
    operation: &'static str,
    cluster: &str,
    service: &str,
) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Failure::new(err, operation, format!("{cluster}/{service}")).into_deploy(BACKEND)
}

fn not_found(cluster: &str, service: &str) -> DeployError {
    DeployError::NotFound {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
    }
}

/// ECS counts are `i32`; a negative one never happens, and reads as 0.
fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// The newest deployment: the `PRIMARY` one, else the most recently created.
fn newest(service: &Service) -> Option<&Deployment> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .or_else(|| {
            service.deployments().iter().max_by(|a, b| {
                let created = |d: &Deployment| d.created_at().map(|t| (t.secs(), t.subsec_nanos()));
                created(a).cmp(&created(b))
            })
        })
}

fn rollout_state(state: Option<&DeploymentRolloutState>) -> RolloutState {
    match state {
        Some(DeploymentRolloutState::InProgress) => RolloutState::InProgress,
        Some(DeploymentRolloutState::Completed) => RolloutState::Completed,
        Some(DeploymentRolloutState::Failed) => RolloutState::Failed,
        Some(other) => RolloutState::Other(other.as_str().to_owned()),
        // Services without the rolling-update controller report no rollout state.
        None => RolloutState::Other("unknown".to_owned()),
    }
}

fn service_status(status: Option<&str>) -> ServiceStatus {
    match status {
        Some("ACTIVE") => ServiceStatus::Active,
        Some("DRAINING") => ServiceStatus::Draining,
        Some("INACTIVE") => ServiceStatus::Inactive,
        Some(other) => ServiceStatus::Other(other.to_owned()),
        None => ServiceStatus::Other("unknown".to_owned()),
    }
}

fn health(service: &Service) -> ServiceHealth {
    ServiceHealth {
        status: service_status(service.status()),
        desired: count(service.desired_count()),
        running: count(service.running_count()),
        pending: count(service.pending_count()),
        last_deployment: newest(service).map(|d| DeploymentInfo {
            id: d.id().unwrap_or_default().to_owned(),
            rollout_state: rollout_state(d.rollout_state()),
            failed_tasks: count(d.failed_tasks()),
        }),
    }
}

#[async_trait]
impl Deployer for EcsDeployer {
    async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<String, DeployError> {
        let output = match self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_cluster_not_found_exception()
                        || e.is_service_not_found_exception()
                        || e.is_service_not_active_exception()
                }) =>
            {
                return Err(not_found(cluster, service));
            }
            Err(err) => return Err(failure(err, "UpdateService", cluster, service)),
        };
        output
            .service()
            .and_then(newest)
            .and_then(Deployment::id)
            .map(str::to_owned)
            .ok_or_else(|| DeployError::Backend {
                backend: BACKEND,
                source: UnexpectedAnswer::boxed(
                    "UpdateService",
                    format!("{cluster}/{service}"),
                    "the answer names no deployment",
                ),
            })
    }

    async fn describe(&self, cluster: &str, service: &str) -> Result<ServiceHealth, DeployError> {
        let output = match self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_cluster_not_found_exception()) =>
            {
                return Err(not_found(cluster, service));
            }
            Err(err) => return Err(failure(err, "DescribeServices", cluster, service)),
        };
        // An unknown service is a `failures` entry with reason `MISSING`, not an error.
        match output.services().first() {
            Some(found) => Ok(health(found)),
            None => Err(not_found(cluster, service)),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::primitives::DateTime;

    use super::*;

    fn deployment(id: &str, status: &str, created: i64) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .created_at(DateTime::from_secs(created))
            .build()
    }

    #[test]
    fn the_primary_deployment_is_the_newest_one() {
        let service = Service::builder()
            .deployments(deployment("old", "ACTIVE", 20))
            .deployments(deployment("new", "PRIMARY", 10))
            .build();
        assert_eq!(newest(&service).and_then(Deployment::id), Some("new"));
    }

    #[test]
    fn without_a_primary_the_latest_created_deployment_is_the_newest() {
        let service = Service::builder()
            .deployments(deployment("a", "ACTIVE", 10))
            .deployments(deployment("b", "ACTIVE", 20))
            .build();
        assert_eq!(newest(&service).and_then(Deployment::id), Some("b"));
    }

    #[test]
    fn health_maps_status_counts_and_rollout_state() {
        let service = Service::builder()
            .status("DRAINING")
            .desired_count(2)
            .running_count(1)
            .pending_count(-1)
            .deployments(
                Deployment::builder()
                    .id("d")
                    .status("PRIMARY")
                    .rollout_state(DeploymentRolloutState::Failed)
                    .failed_tasks(3)
                    .build(),
            )
            .build();
        let expected = ServiceHealth {
            status: ServiceStatus::Draining,
            desired: 2,
            running: 1,
            pending: 0,
            last_deployment: Some(DeploymentInfo {
                id: "d".into(),
                rollout_state: RolloutState::Failed,
                failed_tasks: 3,
            }),
        };
        assert_eq!(health(&service), expected);
    }
}
