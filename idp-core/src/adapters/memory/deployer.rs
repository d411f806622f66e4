//! The in-memory [`Deployer`]: the ECS service and deployment state machine, driven by tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::adapters::model::deployer::DeployerState;
use crate::adapters::model::site::{self, SiteState};
use crate::ports::{
    AlarmStatus, DeployError, Deployer, ExecOutcome, ExecTarget, RolloutState, ServiceHealth,
    SitePublish, SitePublished,
};

/// The bytes of each published object, by bucket and key.
type SiteBytes = BTreeMap<(String, String), Vec<u8>>;

/// A [`Deployer`] in process memory.
///
/// Services are registered with [`MemoryDeployer::add_service`]. [`Deployer::force_new_deployment`]
/// starts a new `IN_PROGRESS` deployment with a new id, as ECS does; tests then finish it with
/// [`MemoryDeployer::complete_deployment`] or [`MemoryDeployer::fail_deployment`], or set any
/// state with [`MemoryDeployer::set_health`]. Alarms are kept by name: made or changed with
/// [`MemoryDeployer::put_alarm`], removed with [`MemoryDeployer::delete_alarm`].
#[derive(Debug, Default)]
pub struct MemoryDeployer {
    state: Mutex<DeployerState>,
    alarms: Mutex<BTreeMap<String, AlarmStatus>>,
    execs: Mutex<Vec<(ExecTarget, Vec<String>)>>,
    sites: Mutex<(SiteState, SiteBytes)>,
}

impl MemoryDeployer {
    /// A deployer with no services.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every [`Deployer::exec`] call, in order.
    pub fn execs(&self) -> Vec<(ExecTarget, Vec<String>)> {
        lock(&self.execs).clone()
    }

    /// The objects of `bucket` a [`Deployer::publish_site`] left: key → (content type, bytes).
    pub fn site_objects(&self, bucket: &str) -> BTreeMap<String, (String, Vec<u8>)> {
        let sites = lock(&self.sites);
        let (state, bytes) = &*sites;
        state
            .buckets
            .get(bucket)
            .into_iter()
            .flatten()
            .map(|(key, content_type)| {
                let body = bytes
                    .get(&(bucket.to_owned(), key.clone()))
                    .cloned()
                    .unwrap_or_default();
                (key.clone(), (content_type.clone(), body))
            })
            .collect()
    }

    /// The ids of the cache invalidations of `distribution_id`, oldest first.
    pub fn invalidations(&self, distribution_id: &str) -> Vec<String> {
        lock(&self.sites)
            .0
            .invalidations
            .get(distribution_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Makes the alarm `alarm.name`, or replaces its state, reason and time (CloudWatch
    /// `PutMetricAlarm`, then `SetAlarmState`).
    pub fn put_alarm(&self, alarm: AlarmStatus) {
        lock(&self.alarms).insert(alarm.name.clone(), alarm);
    }

    /// Deletes the alarm `name`; whether there was one.
    pub fn delete_alarm(&self, name: &str) -> bool {
        lock(&self.alarms).remove(name).is_some()
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

    /// Records the call and answers exit code 0 when the target's service exists (or the target
    /// names none).
    async fn exec(
        &self,
        target: &ExecTarget,
        command: &[String],
    ) -> Result<ExecOutcome, DeployError> {
        if let (Some(cluster), Some(service)) = (&target.cluster, &target.service) {
            lock(&self.state).describe(cluster, service)?;
        }
        lock(&self.execs).push((target.clone(), command.to_vec()));
        Ok(ExecOutcome {
            exit_code: Some(0),
            ran_in: format!("memory:{}", target.env),
        })
    }

    /// Reads every file of the folder and keeps its bytes and content type in memory.
    async fn publish_site(&self, site: &SitePublish) -> Result<SitePublished, DeployError> {
        let files = site::files(&site.dir)?;
        let mut bodies = Vec::with_capacity(files.len());
        for file in &files {
            bodies.push(file.read()?);
        }
        let mut sites = lock(&self.sites);
        let (state, bytes) = &mut *sites;
        let (published, removed) = state.publish(site, &files);
        for key in removed {
            bytes.remove(&(site.bucket.clone(), key));
        }
        for (file, body) in files.iter().zip(bodies) {
            bytes.insert((site.bucket.clone(), file.key.clone()), body);
        }
        Ok(published)
    }

    async fn alarms(&self, names: &[String]) -> Result<Vec<AlarmStatus>, DeployError> {
        let alarms = lock(&self.alarms);
        Ok(names
            .iter()
            .filter_map(|name| alarms.get(name).cloned())
            .collect())
    }
}
