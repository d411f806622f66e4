//! The in-memory [`Deployer`]: the ECS service and deployment state machine, driven by tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::lock;
use crate::ports::{
    DeployError, Deployer, DeploymentInfo, RolloutState, ServiceHealth, ServiceStatus,
};

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

fn not_found(cluster: &str, service: &str) -> DeployError {
    DeployError::NotFound {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
    }
}

/// A [`Deployer`] in process memory.
///
/// Services are registered with [`MemoryDeployer::add_service`]. [`Deployer::force_new_deployment`]
/// starts a new `IN_PROGRESS` deployment with a new id, as ECS does; tests then finish it with
/// [`MemoryDeployer::complete_deployment`] or [`MemoryDeployer::fail_deployment`], or set any
/// state with [`MemoryDeployer::set_health`].
#[derive(Debug, Default)]
pub struct MemoryDeployer {
    state: Mutex<DeployerState>,
}

impl MemoryDeployer {
    /// A deployer with no services.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a steady, active service running `desired` tasks.
    pub fn add_service(&self, cluster: &str, service: &str, desired: u32) {
        lock(&self.state).add_service(cluster, service, desired);
    }

    /// Replaces what [`Deployer::describe`] reports for a service (registering it if needed).
    pub fn set_health(&self, cluster: &str, service: &str, health: ServiceHealth) {
        lock(&self.state).set_health(cluster, service, health);
    }

    /// Finishes the newest deployment: `COMPLETED`, all desired tasks running.
    pub fn complete_deployment(&self, cluster: &str, service: &str) -> Result<(), DeployError> {
        lock(&self.state).update(cluster, service, |h| {
            h.running = h.desired;
            h.pending = 0;
            if let Some(d) = &mut h.last_deployment {
                d.rollout_state = RolloutState::Completed;
            }
        })
    }

    /// Fails the newest deployment with `failed_tasks` failed tasks, as the ECS circuit breaker
    /// does; the old tasks keep running.
    pub fn fail_deployment(
        &self,
        cluster: &str,
        service: &str,
        failed_tasks: u32,
    ) -> Result<(), DeployError> {
        lock(&self.state).update(cluster, service, |h| {
            h.pending = 0;
            if let Some(d) = &mut h.last_deployment {
                d.rollout_state = RolloutState::Failed;
                d.failed_tasks = failed_tasks;
            }
        })
    }
}

#[async_trait]
impl Deployer for MemoryDeployer {
    async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<String, DeployError> {
        lock(&self.state).force_new_deployment(cluster, service)
    }

    async fn describe(&self, cluster: &str, service: &str) -> Result<ServiceHealth, DeployError> {
        lock(&self.state).describe(cluster, service)
    }
}
