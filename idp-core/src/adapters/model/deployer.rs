//! The ECS service and deployment state machine behind the memory and local deployers: services
//! keyed by cluster and name, new deployments with fresh ids, rollouts completed or failed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ports::{DeployError, DeploymentInfo, RolloutState, ServiceHealth, ServiceStatus};

/// The services of a deployer and a counter for deployment ids; shared with the local deployer,
/// which keeps it in a file.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct DeployerState {
    /// Keyed by `{cluster}/{service}`.
    services: BTreeMap<String, ServiceHealth>,
    deployments: u64,
}

fn service_key(cluster: &str, service: &str) -> String {
    format!("{cluster}/{service}")
}

impl DeployerState {
    /// Registers a steady, active service running `desired` tasks.
    pub(crate) fn add_service(&mut self, cluster: &str, service: &str, desired: u32) {
        let id = self.next_id();
        let health = ServiceHealth {
            status: ServiceStatus::Active,
            desired,
            running: desired,
            pending: 0,
            last_deployment: Some(DeploymentInfo {
                id,
                rollout_state: RolloutState::Completed,
                failed_tasks: 0,
            }),
            target_groups: Vec::new(),
        };
        self.services.insert(service_key(cluster, service), health);
    }

    /// Replaces what `describe` reports.
    pub(crate) fn set_health(&mut self, cluster: &str, service: &str, health: ServiceHealth) {
        self.services.insert(service_key(cluster, service), health);
    }

    /// Applies `change` to the service's newest deployment and counts.
    pub(crate) fn update(
        &mut self,
        cluster: &str,
        service: &str,
        change: impl FnOnce(&mut ServiceHealth),
    ) -> Result<(), DeployError> {
        let health = self
            .services
            .get_mut(&service_key(cluster, service))
            .ok_or_else(|| not_found(cluster, service))?;
        change(health);
        Ok(())
    }

    fn next_id(&mut self) -> String {
        self.deployments += 1;
        format!("ecs-svc/{:019}", self.deployments)
    }

    pub(crate) fn force_new_deployment(
        &mut self,
        cluster: &str,
        service: &str,
    ) -> Result<String, DeployError> {
        let id = self.next_id();
        let health = self
            .services
            .get_mut(&service_key(cluster, service))
            .ok_or_else(|| not_found(cluster, service))?;
        // ECS refuses UpdateService on a service that is not ACTIVE (ServiceNotActiveException).
        if health.status != ServiceStatus::Active {
            return Err(not_found(cluster, service));
        }
        // ECS starts the new PRIMARY deployment IN_PROGRESS with its tasks pending; the old tasks
        // keep running until the new ones are healthy.
        health.pending = health.desired;
        health.last_deployment = Some(DeploymentInfo {
            id: id.clone(),
            rollout_state: RolloutState::InProgress,
            failed_tasks: 0,
        });
        Ok(id)
    }

    pub(crate) fn describe(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<ServiceHealth, DeployError> {
        self.services
            .get(&service_key(cluster, service))
            .cloned()
            .ok_or_else(|| not_found(cluster, service))
    }
}

pub(crate) fn not_found(cluster: &str, service: &str) -> DeployError {
    DeployError::NotFound {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
    }
}
