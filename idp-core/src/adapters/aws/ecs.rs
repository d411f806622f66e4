//! The `Deployer` port on ECS services.
//!
//! A redeploy is `UpdateService --force-new-deployment`, which ECS answers with the service and
//! its new `PRIMARY` deployment; health is `DescribeServices`, plus `DescribeTargetHealth` of
//! every target group the service registers its tasks in. The adapter reports what ECS and the
//! load balancer say and leaves waiting and judging to the use case. A static site is published
//! through S3 and CloudFront ([`SitePublisher`]); the environment's alarms are read from
//! CloudWatch ([`CloudWatchAlarms`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::SdkError;
use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::alarms::CloudWatchAlarms;
use super::error::{Failure, UnexpectedAnswer};
use super::site::SitePublisher;
use crate::ports::{
    AlarmStatus, DeployError, Deployer, DeploymentInfo, ExecOutcome, ExecTarget, RolloutState,
    ServiceHealth, ServiceStatus, SitePublish, SitePublished, TargetGroupHealth,
};

/// The client side of an ECS ExecuteCommand session (the AWS CLI uses the same program).
const SESSION_PLUGIN: &str = "session-manager-plugin";

/// Where to get [`SESSION_PLUGIN`] and what the environment's service needs.
const SESSION_HELP: &str = "install the Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html); the service needs `enableExecuteCommand` and its task role `ssmmessages:CreateControlChannel`, `CreateDataChannel`, `OpenControlChannel` and `OpenDataChannel`";

const BACKEND: &str = "ecs";

/// A [`Deployer`] on ECS.
#[derive(Debug, Clone)]
pub struct EcsDeployer {
    client: Client,
    load_balancers: Option<aws_sdk_elasticloadbalancingv2::Client>,
    sites: Option<SitePublisher>,
    alarms: Option<CloudWatchAlarms>,
}

impl EcsDeployer {
    /// A deployer reaching ECS through `client`; it reports no target health.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            load_balancers: None,
            sites: None,
            alarms: None,
        }
    }

    /// The same deployer, asking Elastic Load Balancing through `client` for the health of the
    /// service's targets.
    pub fn with_load_balancers(mut self, client: aws_sdk_elasticloadbalancingv2::Client) -> Self {
        self.load_balancers = Some(client);
        self
    }

    /// The same deployer, publishing static sites through `sites` (S3 and CloudFront).
    pub fn with_sites(mut self, sites: SitePublisher) -> Self {
        self.sites = Some(sites);
        self
    }

    /// The same deployer, reading the environment's alarms through `alarms` (CloudWatch).
    pub fn with_alarms(mut self, alarms: CloudWatchAlarms) -> Self {
        self.alarms = Some(alarms);
        self
    }

    /// The health of each target group of `service`; a group that cannot be asked says why.
    async fn target_groups(&self, service: &Service) -> Vec<TargetGroupHealth> {
        let Some(elb) = &self.load_balancers else {
            return Vec::new();
        };
        let mut groups = Vec::new();
        for arn in service
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn())
        {
            let answer = elb
                .describe_target_health()
                .target_group_arn(arn)
                .send()
                .await;
            groups.push(match answer {
                Ok(out) => target_group_health(arn, out.target_health_descriptions()),
                Err(err) => TargetGroupHealth {
                    target_group: arn.to_owned(),
                    targets: BTreeMap::new(),
                    reasons: Vec::new(),
                    error: Some(
                        Failure::new(err, "DescribeTargetHealth", arn.to_owned())
                            .into_deploy(BACKEND_ELB)
                            .to_string(),
                    ),
                },
            });
        }
        groups
    }
}

const BACKEND_ELB: &str = "elasticloadbalancing";

/// Targets counted by state, with each distinct reason of the ones not healthy.
fn target_group_health(arn: &str, targets: &[TargetHealthDescription]) -> TargetGroupHealth {
    let mut counts = BTreeMap::new();
    let mut reasons: Vec<String> = Vec::new();
    for t in targets {
        let health = t.target_health();
        let state = health
            .and_then(|h| h.state())
            .map_or("unknown", |s| s.as_str())
            .to_owned();
        if state != "healthy"
            && let Some(h) = health
        {
            let reason = match (h.reason(), h.description()) {
                (Some(r), Some(d)) => format!("{}: {d}", r.as_str()),
                (Some(r), None) => r.as_str().to_owned(),
                (None, Some(d)) => d.to_owned(),
                (None, None) => String::new(),
            };
            if !reason.is_empty() && !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        *counts.entry(state).or_insert(0) += 1;
    }
    TargetGroupHealth {
        target_group: arn.to_owned(),
        targets: counts,
        reasons,
        error: None,
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
        target_groups: Vec::new(),
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
            Some(found) => {
                let mut health = health(found);
                health.target_groups = self.target_groups(found).await;
                Ok(health)
            }
            None => Err(not_found(cluster, service)),
        }
    }

    /// A running task of the service, ExecuteCommand on it (the argv quoted into the one
    /// command line ECS takes), then the Session Manager plugin attached to the session, as
    /// `aws ecs execute-command` does. The session reports no exit code.
    async fn exec(
        &self,
        target: &ExecTarget,
        command: &[String],
    ) -> Result<ExecOutcome, DeployError> {
        let (Some(cluster), Some(service)) = (&target.cluster, &target.service) else {
            return Err(DeployError::NotFound {
                cluster: "-".to_owned(),
                service: format!(
                    "the service of `{}` (its outputs name no `cluster_name` and `service_name`)",
                    target.env
                ),
            });
        };
        let line = command_line(command)?;
        let tasks = self
            .client
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
            .send()
            .await
            .map_err(|e| failure(e, "ListTasks", cluster, service))?;
        let task = tasks
            .task_arns()
            .first()
            .cloned()
            .ok_or_else(|| DeployError::NotFound {
                cluster: cluster.clone(),
                service: format!("{service} (no running task)"),
            })?;
        let described = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .tasks(&task)
            .send()
            .await
            .map_err(|e| failure(e, "DescribeTasks", cluster, service))?;
        let containers = described
            .tasks()
            .first()
            .map(|t| t.containers().to_vec())
            .unwrap_or_default();
        let container = match &target.container {
            Some(name) => containers.iter().find(|c| c.name() == Some(name.as_str())),
            None => containers.first(),
        }
        .ok_or_else(|| DeployError::NotFound {
            cluster: cluster.clone(),
            service: format!(
                "{service}: container `{}` in task `{task}`",
                target.container.as_deref().unwrap_or("(any)")
            ),
        })?;
        let container_name = container.name().unwrap_or_default().to_owned();
        let answer = self
            .client
            .execute_command()
            .cluster(cluster)
            .task(&task)
            .container(&container_name)
            .interactive(true)
            .command(&line)
            .send()
            .await
            .map_err(|e| failure(e, "ExecuteCommand", cluster, service))?;
        let session = answer.session().ok_or_else(|| DeployError::Backend {
            backend: BACKEND,
            source: "ExecuteCommand answered without a session".into(),
        })?;
        let region = self
            .client
            .config()
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let args = plugin_args(
            &serde_json::json!({
                "SessionId": session.session_id(),
                "StreamUrl": session.stream_url(),
                "TokenValue": session.token_value(),
            }),
            &region,
            &session_target(cluster, &task, container.runtime_id().unwrap_or_default()),
        );
        #[allow(
            clippy::disallowed_methods,
            reason = "the session is attached by the Session Manager plugin, as the AWS CLI does"
        )]
        let status = tokio::process::Command::new(SESSION_PLUGIN)
            .args(&args)
            .status()
            .await
            .map_err(|e| DeployError::Unavailable {
                backend: BACKEND,
                retryable: false,
                source: format!("cannot run `{SESSION_PLUGIN}` ({e}): {SESSION_HELP}").into(),
            })?;
        if !status.success() {
            return Err(DeployError::Backend {
                backend: BACKEND,
                source: format!("`{SESSION_PLUGIN}` ended with {status}").into(),
            });
        }
        Ok(ExecOutcome {
            exit_code: None,
            ran_in: format!("task {task}, container {container_name}"),
        })
    }

    async fn publish_site(&self, site: &SitePublish) -> Result<SitePublished, DeployError> {
        match &self.sites {
            Some(sites) => sites.publish(site).await,
            None => Err(DeployError::Site {
                call: "publish",
                path: site.dir.display().to_string(),
                source: "this deployer was built without S3 and CloudFront clients (`EcsDeployer::with_sites`)".into(),
            }),
        }
    }

    /// `DescribeAlarms` by name ([`CloudWatchAlarms`]); without a CloudWatch client, none.
    async fn alarms(&self, names: &[String]) -> Result<Vec<AlarmStatus>, DeployError> {
        match &self.alarms {
            Some(alarms) => alarms.describe(names).await,
            None => Ok(Vec::new()),
        }
    }
}

/// The one command line ECS ExecuteCommand takes, each argument quoted for a POSIX shell.
fn command_line(command: &[String]) -> Result<String, DeployError> {
    if command.is_empty() {
        return Err(DeployError::Backend {
            backend: BACKEND,
            source: "no command to run: pass it after `--`".into(),
        });
    }
    shlex::try_join(command.iter().map(String::as_str)).map_err(|e| DeployError::Backend {
        backend: BACKEND,
        source: format!("the command cannot be quoted ({e})").into(),
    })
}

/// The Session Manager target of a container: `ecs:{cluster}_{task id}_{runtime id}`.
fn session_target(cluster: &str, task: &str, runtime_id: &str) -> String {
    let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
    format!("ecs:{}_{}_{runtime_id}", last(cluster), last(task))
}

/// The plugin's arguments: the session, the region, `StartSession`, no profile, the target and
/// the Systems Manager endpoint.
fn plugin_args(session: &serde_json::Value, region: &str, target: &str) -> Vec<String> {
    vec![
        session.to_string(),
        region.to_owned(),
        "StartSession".to_owned(),
        String::new(),
        serde_json::json!({ "Target": target }).to_string(),
        format!("https://ssm.{region}.amazonaws.com"),
    ]
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::primitives::DateTime;

    use super::*;

    #[test]
    fn the_command_is_quoted_and_the_session_target_named_as_the_aws_cli_does() {
        let argv: Vec<String> = ["sh", "-c", "echo \"$PORT\"; rm -rf '/tmp/x y'"]
            .map(str::to_owned)
            .to_vec();
        let line = command_line(&argv).unwrap();
        assert_eq!(shlex::split(&line).unwrap(), argv, "{line}");
        assert!(command_line(&[]).is_err());
        assert!(command_line(&["a\0b".to_owned()]).is_err());
        let target = session_target(
            "arn:aws:ecs:us-east-1:123456789012:cluster/idp-x-cluster",
            "arn:aws:ecs:us-east-1:123456789012:task/idp-x-cluster/0a1b2c",
            "0a1b2c-123",
        );
        assert_eq!(target, "ecs:idp-x-cluster_0a1b2c_0a1b2c-123");
        let args = plugin_args(&serde_json::json!({"SessionId": "s"}), "eu-west-1", &target);
        assert_eq!(args[1..4], ["eu-west-1", "StartSession", ""]);
        assert_eq!(args[4], format!("{{\"Target\":\"{target}\"}}"));
        assert_eq!(args[5], "https://ssm.eu-west-1.amazonaws.com");
    }

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
            target_groups: Vec::new(),
        };
        assert_eq!(health(&service), expected);
    }

    #[test]
    fn targets_are_counted_by_state_with_each_reason_once() {
        use aws_sdk_elasticloadbalancingv2::types::{
            TargetHealth, TargetHealthReasonEnum, TargetHealthStateEnum,
        };
        let target = |state, reason: Option<TargetHealthReasonEnum>| {
            let mut health = TargetHealth::builder().state(state);
            if let Some(r) = reason {
                health = health.reason(r).description("Health checks failed");
            }
            TargetHealthDescription::builder()
                .target_health(health.build())
                .build()
        };
        let failed = Some(TargetHealthReasonEnum::FailedHealthChecks);
        let group = target_group_health(
            "arn:tg",
            &[
                target(TargetHealthStateEnum::Healthy, None),
                target(TargetHealthStateEnum::Unhealthy, failed.clone()),
                target(TargetHealthStateEnum::Unhealthy, failed),
                target(TargetHealthStateEnum::Initial, None),
            ],
        );
        assert_eq!(
            (
                group.count("healthy"),
                group.count("unhealthy"),
                group.count("initial"),
                group.count("draining")
            ),
            (1, 2, 1, 0)
        );
        assert_eq!(
            group.reasons,
            ["Target.FailedHealthChecks: Health checks failed"]
        );
        let mut service = health(&Service::builder().status("ACTIVE").build());
        assert!(service.is_healthy());
        service.target_groups.push(group);
        assert!(
            !service.is_healthy(),
            "an unhealthy target makes the service unhealthy"
        );
    }
}
