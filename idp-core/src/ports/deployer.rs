//! The `Deployer` port: redeploy a running environment and read its health.
//!
//! A push to a branch whose environment is up rolls the service even when the image tag did not
//! change; a static site's build output is uploaded again and the CDN's cache invalidated
//! ([`Deployer::publish_site`]). The environment's alarms are read with [`Deployer::alarms`].
//! ECS (and S3 with CloudFront, CloudWatch for alarms) is the production backend; the memory and
//! local adapters keep the same state machine.

use std::collections::BTreeMap;
use std::fmt::{self, Debug};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::BoxError;

/// The rollout state of a deployment (ECS `rolloutState`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RolloutState {
    /// Tasks are being replaced.
    InProgress,
    /// The deployment reached its desired count and is steady.
    Completed,
    /// The deployment failed (e.g. the circuit breaker tripped).
    Failed,
    /// A state this version does not know, as the backend spelled it.
    Other(String),
}

impl fmt::Display for RolloutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InProgress => f.write_str("in_progress"),
            Self::Completed => f.write_str("completed"),
            Self::Failed => f.write_str("failed"),
            Self::Other(other) => f.write_str(other),
        }
    }
}

/// The status of a service (ECS service `status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServiceStatus {
    /// The service exists and runs tasks.
    Active,
    /// The service is being deleted.
    Draining,
    /// The service was deleted.
    Inactive,
    /// A status this version does not know, as the backend spelled it.
    Other(String),
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Active => f.write_str("active"),
            Self::Draining => f.write_str("draining"),
            Self::Inactive => f.write_str("inactive"),
            Self::Other(other) => f.write_str(other),
        }
    }
}

/// The newest deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentInfo {
    /// The deployment id (ECS `ecs-svc/...`).
    pub id: String,
    /// How far the rollout got.
    pub rollout_state: RolloutState,
    /// How many tasks of this deployment failed to start.
    pub failed_tasks: u32,
}

/// What a load balancer's target group says of the service's tasks (ELB `DescribeTargetHealth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupHealth {
    /// The target group's ARN.
    pub target_group: String,
    /// How many targets are in each state (`healthy`, `unhealthy`, `initial`, `draining`,
    /// `unused`, `unavailable`); no entry: no target in that state.
    pub targets: BTreeMap<String, u32>,
    /// Why targets are not healthy, each reason once (`Target.FailedHealthChecks: Health
    /// checks failed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The target group could not be asked; the service's own counts are still shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TargetGroupHealth {
    /// The target group's name: the ARN's `targetgroup/NAME/…` part, else the whole ARN.
    pub fn name(&self) -> &str {
        self.target_group
            .split_once(":targetgroup/")
            .and_then(|(_, rest)| rest.split('/').next())
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.target_group)
    }

    /// One line: `2 healthy, 1 unhealthy`, or why there is nothing to count.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("unknown ({e})");
        }
        if self.targets.is_empty() {
            return "no targets registered".to_owned();
        }
        let counts: Vec<String> = self
            .targets
            .iter()
            .map(|(state, n)| format!("{n} {state}"))
            .collect();
        let mut line = counts.join(", ");
        if !self.reasons.is_empty() {
            line.push_str(&format!(" ({})", self.reasons.join("; ")));
        }
        line
    }

    /// How many targets are in `state`.
    pub fn count(&self, state: &str) -> u32 {
        self.targets.get(state).copied().unwrap_or(0)
    }
}

/// The health of a service at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHealth {
    /// The service status.
    pub status: ServiceStatus,
    /// Tasks wanted.
    pub desired: u32,
    /// Tasks running.
    pub running: u32,
    /// Tasks starting.
    pub pending: u32,
    /// The newest deployment (ECS `PRIMARY`), if any.
    pub last_deployment: Option<DeploymentInfo>,
    /// The target groups the service registers its tasks in (none without a load balancer,
    /// or on a backend that has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_groups: Vec<TargetGroupHealth>,
}

impl ServiceHealth {
    /// Whether the service is active, its newest deployment completed, all wanted tasks run
    /// and no load balancer reports a target unhealthy.
    pub fn is_healthy(&self) -> bool {
        self.status == ServiceStatus::Active
            && self.running >= self.desired
            && self.target_groups.iter().all(|t| t.count("unhealthy") == 0)
            && self
                .last_deployment
                .as_ref()
                .is_none_or(|d| d.rollout_state == RolloutState::Completed)
    }
}

/// The state of an alarm (CloudWatch `StateValue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum AlarmState {
    /// The metric is within its threshold.
    Ok,
    /// The metric crossed its threshold: the alarm fires.
    Alarm,
    /// Not enough data to tell (a new alarm, or a metric that stopped).
    InsufficientData,
    /// A state this version does not know, as the backend spelled it.
    Other(String),
}

impl AlarmState {
    /// The state CloudWatch spells `value` (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
    pub fn parse(value: &str) -> Self {
        match value {
            "OK" => Self::Ok,
            "ALARM" => Self::Alarm,
            "INSUFFICIENT_DATA" => Self::InsufficientData,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("OK"),
            Self::Alarm => f.write_str("ALARM"),
            Self::InsufficientData => f.write_str("INSUFFICIENT_DATA"),
            Self::Other(other) => f.write_str(other),
        }
    }
}

/// One alarm of an environment as its backend reports it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmStatus {
    /// The alarm's name (`idp-{env}-…`).
    pub name: String,
    /// Its state.
    pub state: AlarmState,
    /// Why it is in that state, as the backend words it (CloudWatch `StateReason`).
    pub reason: String,
    /// When it entered that state, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What went wrong in a deployer call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// No such cluster or service.
    #[error(
        "service `{service}` in cluster `{cluster}` does not exist; check the environment's outputs"
    )]
    NotFound {
        /// The cluster asked for.
        cluster: String,
        /// The service asked for.
        service: String,
    },
    /// The backend could not be reached or refused for now (throttling, timeouts, 5xx).
    #[error("`{backend}` is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`ecs`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// One call of a site upload failed: which call, on which file or object, and why.
    #[error("{call} of `{path}` failed: {source}")]
    Site {
        /// The call (`PutObject`, `DeleteObject`, `ListObjectsV2`, `CreateInvalidation`, `read`).
        call: &'static str,
        /// The local file, object key or distribution the call was about.
        path: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("`{backend}` request failed: {source}")]
    Backend {
        /// The backend (`ecs`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl DeployError {
    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }
}

/// Where `idp exec` runs a command: the environment and, on a backend with services, its
/// service as the template's outputs name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecTarget {
    /// The environment.
    pub env: crate::domain::naming::EnvName,
    /// The ECS cluster (`cluster_name` output), where there is one.
    pub cluster: Option<String>,
    /// The ECS service (`service_name` output), where there is one.
    pub service: Option<String>,
    /// The container to run in (`None`: the task's only or first container).
    pub container: Option<String>,
}

/// How a command run by [`Deployer::exec`] ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecOutcome {
    /// Its exit code, when the backend reports one (the ECS session does not).
    pub exit_code: Option<i32>,
    /// Where it ran: a directory and process, or a task and container.
    pub ran_in: String,
}

/// A built site to publish: every file below `dir` into `bucket`, then the CDN's cache of
/// `distribution_id` invalidated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePublish {
    /// The environment the site belongs to.
    pub env: crate::domain::naming::EnvName,
    /// The folder of the built site (`site_dir`, relative to the directory idp runs in: the
    /// repository root).
    pub dir: std::path::PathBuf,
    /// The bucket the template made for it (`bucket_name` output).
    pub bucket: String,
    /// The CDN distribution in front of the bucket (`distribution_id` output).
    pub distribution_id: String,
}

/// What [`Deployer::publish_site`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitePublished {
    /// Objects written (every file of the folder, each with its content type).
    pub uploaded: u32,
    /// Objects deleted because their file is gone from the folder.
    pub deleted: u32,
    /// The id of the cache invalidation of `/*`.
    pub invalidation_id: String,
}

/// Rolls and inspects the service of an environment.
#[async_trait]
pub trait Deployer: Debug + Send + Sync + 'static {
    /// Starts a new deployment of the service with its current definition (ECS
    /// `UpdateService --force-new-deployment`) and returns the new deployment's id.
    ///
    /// Returns once the deployment is started, not finished; poll [`Deployer::describe`]. Every call
    /// starts a new deployment with a new id. MUST fail with [`DeployError::NotFound`] for an
    /// unknown cluster or service.
    async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<String, DeployError>;

    /// The service's health now.
    ///
    /// MUST fail with [`DeployError::NotFound`] for an unknown cluster or service.
    async fn describe(&self, cluster: &str, service: &str) -> Result<ServiceHealth, DeployError>;

    /// Runs `command` (an argv, never a shell line) beside the environment's running app and
    /// waits for it; its output goes to this process's stdout and stderr (and its input is this
    /// process's stdin). The local runtime runs it in the app's working directory with the app's
    /// `PORT` and `IDP_ENVIRONMENT`; ECS runs it in a running task through ExecuteCommand.
    ///
    /// MUST fail with [`DeployError::NotFound`] when the environment has no running app or task.
    async fn exec(
        &self,
        target: &ExecTarget,
        command: &[String],
    ) -> Result<ExecOutcome, DeployError>;

    /// Publishes a built site: puts every regular file below `site.dir` into `site.bucket`
    /// under its path relative to the folder (`/`-separated), with the content type its
    /// extension gives (`application/octet-stream` when none), deletes the objects of the
    /// bucket no file stands for any more (a sync), then invalidates `/*` in the CDN's cache.
    /// Symbolic links are skipped, so nothing outside the folder is ever published.
    ///
    /// MUST fail with [`DeployError::Site`] naming the call and the file or object when a call
    /// fails, and when `site.dir` is not a folder (call `read`).
    async fn publish_site(&self, site: &SitePublish) -> Result<SitePublished, DeployError>;

    /// The alarms named `names` (the `alarm_names` output of the environment's template), in the
    /// order of `names`. A name with no alarm is left out (an alarm deleted by hand, or one not
    /// made yet); no names, no call and no alarms. A backend without alarms answers none.
    async fn alarms(&self, names: &[String]) -> Result<Vec<AlarmStatus>, DeployError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(targets: &[(&str, u32)], reasons: &[&str]) -> TargetGroupHealth {
        TargetGroupHealth {
            target_group: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/idp-pr-7-tg/0123abcd".into(),
            targets: targets.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            error: None,
        }
    }

    #[test]
    fn a_target_group_is_named_and_summed_up_in_one_line() {
        let g = group(
            &[("healthy", 2), ("unhealthy", 1)],
            &["Target.Timeout: Request timed out"],
        );
        assert_eq!(g.name(), "idp-pr-7-tg");
        assert_eq!(
            g.summary(),
            "2 healthy, 1 unhealthy (Target.Timeout: Request timed out)"
        );
        assert_eq!(group(&[], &[]).summary(), "no targets registered");
        let odd = TargetGroupHealth {
            target_group: "tg".into(),
            error: Some("`elasticloadbalancing` is unavailable".into()),
            ..group(&[], &[])
        };
        assert_eq!(odd.name(), "tg");
        assert_eq!(
            odd.summary(),
            "unknown (`elasticloadbalancing` is unavailable)"
        );
    }
}
