//! Resources an OpenTofu run made but never recorded in its state: *orphans*.
//!
//! OpenTofu writes its state to the S3 backend at the end of a run, and during an apply only
//! every 20 s or so. A run killed without warning (SIGKILL, a lost runner, an out-of-memory kill)
//! leaves everything it made since its last snapshot outside the state — on moto, often the whole
//! stack, since it is made in a few seconds. The next apply would then make a second copy (a
//! second VPC and NAT gateway, paid for by the hour) or fail on the names the first copy holds,
//! and a destroy would leave them behind.
//!
//! Every template tags every resource with `idp:managed = true` and `idp:environment = NAME`
//! (its provider's `default_tags`). So before each apply and after each destroy, [`Reaping`]
//! lists what carries the environment's tags, keeps what the environment's state file names (by
//! ARN or id), and deletes the rest in dependency order, in rounds until nothing is left or a
//! deadline passes. Nothing is deleted while an OpenTofu state lock is held on the environment
//! (a run may still be going), or when the state cannot be read.
//!
//! Found through the Resource Groups Tagging API: load balancers and target groups, ECS services,
//! clusters and task definitions, log groups, EventBridge rules, RDS instances, subnet groups and
//! parameter groups. Through EC2's own tag filters (complete in every region, and in moto):
//! VPCs, subnets, security groups (and, in the groups the state keeps, the tagged rules it does
//! not: a retried apply would fail on them with `InvalidPermission.Duplicate`), internet gateways, route tables, NAT gateways, Elastic IPs and
//! flow logs. Through IAM (which is global and not in the tagging API): roles named
//! `idp-NAME-…` tagged with the environment.
#![allow(
    clippy::disallowed_methods,
    reason = "the deadline of the clean-up rounds is measured in real time"
)]

use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_config::{Region, SdkConfig};

use crate::domain::tags;
use crate::ports::TfLockInfo;
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

mod network;
mod remove;
mod tagged;

use self::network::network;
use self::remove::remove;
use self::tagged::tagged;

const BACKEND: &str = "aws";

/// How long the clean-up may keep trying (a NAT gateway takes a minute or two to go, and the
/// subnets and addresses it holds wait for it).
const DEADLINE: Duration = Duration::from_secs(15 * 60);
/// The pause between two rounds.
const ROUND_PAUSE: Duration = Duration::from_secs(3);

/// A provisioner whose applies start, and whose destroys end, by removing the environment's
/// orphans (see the module documentation).
#[derive(Debug)]
pub struct Reaping<P> {
    inner: P,
    reaper: OrphanReaper,
}

impl<P: Provisioner> Reaping<P> {
    /// `inner` (the OpenTofu provisioner) with the orphans of each environment removed.
    pub fn new(inner: P, reaper: OrphanReaper) -> Self {
        Self { inner, reaper }
    }
}

#[async_trait]
impl<P: Provisioner> Provisioner for Reaping<P> {
    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.reaper.reap(request).await?;
        self.inner.apply(request).await
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        self.inner.destroy(request).await?;
        self.reaper.reap(request).await
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.inner.outputs(request).await
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        self.inner.health(request).await
    }

    fn tags_follow_expiry(&self, template: &crate::domain::template::TemplateName) -> bool {
        self.inner.tags_follow_expiry(template)
    }

    async fn remove_orphans(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        self.inner.remove_orphans(request).await?;
        self.reaper.reap(request).await
    }
}

/// Finds and removes the orphans of an environment.
#[derive(Debug, Clone)]
pub struct OrphanReaper {
    sdk: SdkConfig,
    s3: aws_sdk_s3::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    state_bucket: String,
    lock_table: String,
    region: String,
}

/// One orphan: what it is and how to name it to its API.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Orphan {
    EcsService {
        cluster: String,
        arn: String,
    },
    EventRule {
        name: String,
    },
    DbInstance {
        id: String,
    },
    LoadBalancer {
        arn: String,
    },
    TargetGroup {
        arn: String,
    },
    TaskDefinition {
        arn: String,
    },
    EcsCluster {
        arn: String,
    },
    LogGroup {
        name: String,
    },
    Role {
        name: String,
    },
    DbSubnetGroup {
        name: String,
    },
    DbParameterGroup {
        name: String,
    },
    FlowLog {
        id: String,
    },
    NatGateway {
        id: String,
    },
    NatGatewayDeleting {
        id: String,
    },
    StaleAssociation {
        association: String,
    },
    Address {
        allocation: String,
        association: Option<String>,
    },
    SecurityGroupRule {
        group: String,
        id: String,
        egress: bool,
    },
    SecurityGroup {
        id: String,
    },
    InternetGateway {
        id: String,
        vpcs: Vec<String>,
    },
    RouteTable {
        id: String,
        associations: Vec<String>,
    },
    Subnet {
        id: String,
    },
    Vpc {
        id: String,
    },
}

impl Orphan {
    /// What a person reads: `vpc vpc-0abc`, `role idp-x-ecs-task`.
    fn label(&self) -> String {
        match self {
            Orphan::EcsService { arn, .. } => format!("ECS service {arn}"),
            Orphan::EventRule { name } => format!("EventBridge rule {name}"),
            Orphan::DbInstance { id } => format!("RDS instance {id}"),
            Orphan::LoadBalancer { arn } => format!("load balancer {arn}"),
            Orphan::TargetGroup { arn } => format!("target group {arn}"),
            Orphan::TaskDefinition { arn } => format!("task definition {arn}"),
            Orphan::EcsCluster { arn } => format!("ECS cluster {arn}"),
            Orphan::LogGroup { name } => format!("log group {name}"),
            Orphan::Role { name } => format!("IAM role {name}"),
            Orphan::DbSubnetGroup { name } => format!("DB subnet group {name}"),
            Orphan::DbParameterGroup { name } => format!("DB parameter group {name}"),
            Orphan::FlowLog { id } => format!("flow log {id}"),
            Orphan::NatGateway { id } => format!("NAT gateway {id}"),
            Orphan::NatGatewayDeleting { id } => format!("NAT gateway {id} (being deleted)"),
            Orphan::StaleAssociation { association } => {
                format!("address association {association} of a deleted NAT gateway")
            }
            Orphan::Address { allocation, .. } => format!("Elastic IP {allocation}"),
            Orphan::SecurityGroupRule { group, id, .. } => {
                format!("security group rule {id} of {group}")
            }
            Orphan::SecurityGroup { id } => format!("security group {id}"),
            Orphan::InternetGateway { id, .. } => format!("internet gateway {id}"),
            Orphan::RouteTable { id, .. } => format!("route table {id}"),
            Orphan::Subnet { id } => format!("subnet {id}"),
            Orphan::Vpc { id } => format!("VPC {id}"),
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn sdk_error<E>(error: aws_sdk_s3::error::SdkError<E>) -> BoxError
where
    E: std::error::Error + Send + Sync + 'static,
{
    text(&error).into()
}

/// The text of an SDK error, with its code and message.
fn text<E>(error: &aws_sdk_s3::error::SdkError<E>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
{
    aws_sdk_s3::error::DisplayErrorContext(error).to_string()
}

fn backend(source: impl Into<BoxError>) -> ProvisionError {
    ProvisionError::Backend {
        backend: BACKEND,
        source: source.into(),
    }
}

/// The clients of one region.
struct Clients {
    ec2: aws_sdk_ec2::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    ecs: aws_sdk_ecs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    events: aws_sdk_eventbridge::Client,
    rds: aws_sdk_rds::Client,
    iam: aws_sdk_iam::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
}

impl OrphanReaper {
    /// A reaper reading each environment's state from `state_bucket`, checking OpenTofu's lock
    /// in `lock_table`, and working in `region` unless a request names another.
    pub fn new(
        sdk: &SdkConfig,
        s3: aws_sdk_s3::Client,
        state_bucket: impl Into<String>,
        lock_table: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            sdk: sdk.clone(),
            s3,
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            state_bucket: state_bucket.into(),
            lock_table: lock_table.into(),
            region: region.into(),
        }
    }

    fn clients(&self, region: &str) -> Clients {
        let sdk = self
            .sdk
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        Clients {
            ec2: aws_sdk_ec2::Client::new(&sdk),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&sdk),
            ecs: aws_sdk_ecs::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            events: aws_sdk_eventbridge::Client::new(&sdk),
            rds: aws_sdk_rds::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&sdk),
        }
    }

    /// Removes the orphans of `request`'s environment; `Ok` when none is left.
    pub async fn reap(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        let region = request.region.as_deref().unwrap_or(&self.region);
        let clients = self.clients(region);
        let env = request.env.as_str();
        self.refuse_while_locked(request).await?;
        let state = self.state_text(request).await?;
        let started = Instant::now();
        let mut reported = false;
        loop {
            let orphans = find(&clients, env, &state).await?;
            if orphans.is_empty() {
                return Ok(());
            }
            if !reported {
                let labels: Vec<String> = orphans.iter().map(Orphan::label).collect();
                tracing::warn!(
                    env,
                    count = orphans.len(),
                    orphans = %labels.join(", "),
                    "removing resources an interrupted run made but never recorded in its state"
                );
                reported = true;
            }
            let mut refused = Vec::new();
            for orphan in &orphans {
                if let Err(reason) = remove(&clients, orphan).await {
                    refused.push(format!("{}: {reason}", orphan.label()));
                }
            }
            if started.elapsed() > DEADLINE {
                let left: Vec<String> = orphans.iter().map(Orphan::label).collect();
                return Err(ProvisionError::Failed {
                    step: "remove orphaned resources".to_owned(),
                    exit_code: None,
                    stderr_tail: format!(
                        "{} resource(s) tagged idp:environment={env} are not in its state and could not be removed within {} min: {}\n{}\nDelete them by hand, then run the command again.",
                        left.len(),
                        DEADLINE.as_secs() / 60,
                        left.join(", "),
                        refused.join("\n")
                    ),
                });
            }
            if !refused.is_empty() {
                tracing::debug!(env, refused = %refused.join("; "), "retrying after a pause");
            }
            // Some deletions finish later (a load balancer, a NAT gateway): look again after a
            // pause, never in a tight loop.
            tokio::time::sleep(ROUND_PAUSE).await;
        }
    }

    /// Fails (retryably) while OpenTofu holds the environment's state lock: a run may still be
    /// making what looks orphaned.
    async fn refuse_while_locked(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        let lock_id = TfLockInfo::lock_id(&self.state_bucket, &request.state_key);
        let item = self
            .dynamodb
            .get_item()
            .table_name(&self.lock_table)
            .key(
                "LockID",
                aws_sdk_dynamodb::types::AttributeValue::S(lock_id.clone()),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(sdk_error(e)))?;
        if item.item().is_some_and(|i| i.contains_key("Info")) {
            return Err(ProvisionError::Unavailable {
                backend: BACKEND,
                retryable: true,
                source: format!(
                    "the OpenTofu state lock `{lock_id}` is held: a run of environment `{}` may still be going; wait for it, or if it was killed, run `idp unlock {}`",
                    request.env, request.env
                )
                .into(),
            });
        }
        Ok(())
    }

    /// The environment's state file as text; empty when there is none yet.
    async fn state_text(&self, request: &ProvisionRequest) -> Result<String, ProvisionError> {
        match self
            .s3
            .get_object()
            .bucket(&self.state_bucket)
            .key(&request.state_key)
            .send()
            .await
        {
            Ok(object) => {
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| backend(e.to_string()))?
                    .into_bytes();
                String::from_utf8(bytes.to_vec()).map_err(|_| {
                    backend(format!(
                        "the state `{}` is not UTF-8 text; nothing was removed",
                        request.state_key
                    ))
                })
            }
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key,
                ) =>
            {
                Ok(String::new())
            }
            Err(e) => Err(backend(format!(
                "cannot read the state `{}` to tell orphans from managed resources: {}",
                request.state_key,
                text(&e)
            ))),
        }
    }
}

/// Whether the state names `id` (an ARN, or an EC2 id); log group ARNs may end in `:*`.
fn known(state: &str, id: &str) -> bool {
    let id = id.strip_suffix(":*").unwrap_or(id);
    !id.is_empty() && state.contains(id)
}

/// Every orphan of `env`, in the order they can be deleted.
async fn find(clients: &Clients, env: &str, state: &str) -> Result<Vec<Orphan>, ProvisionError> {
    let mut found = tagged(clients, env, state).await?;
    found.extend(roles(clients, env, state).await?);
    found.extend(network(clients, env, state).await?);
    found.sort_by_key(order);
    Ok(found)
}

/// The position of an orphan's kind in the deletion order: users before what they use.
fn order(orphan: &Orphan) -> u8 {
    match orphan {
        Orphan::EcsService { .. } => 0,
        Orphan::EventRule { .. } => 1,
        Orphan::DbInstance { .. } => 2,
        Orphan::LoadBalancer { .. } => 3,
        Orphan::TargetGroup { .. } => 4,
        Orphan::TaskDefinition { .. } => 5,
        Orphan::EcsCluster { .. } => 6,
        Orphan::LogGroup { .. } => 7,
        Orphan::Role { .. } => 8,
        Orphan::DbSubnetGroup { .. } => 9,
        Orphan::DbParameterGroup { .. } => 10,
        Orphan::FlowLog { .. } => 11,
        Orphan::NatGateway { .. } | Orphan::NatGatewayDeleting { .. } => 12,
        Orphan::StaleAssociation { .. } => 13,
        Orphan::Address { .. } => 14,
        Orphan::SecurityGroupRule { .. } => 15,
        Orphan::SecurityGroup { .. } => 16,
        Orphan::InternetGateway { .. } => 17,
        Orphan::RouteTable { .. } => 18,
        Orphan::Subnet { .. } => 19,
        Orphan::Vpc { .. } => 20,
    }
}

/// The IAM roles named `idp-ENV-…` and tagged with `env` that the state does not name.
async fn roles(clients: &Clients, env: &str, state: &str) -> Result<Vec<Orphan>, ProvisionError> {
    let prefix = format!("idp-{env}-");
    let mut names = Vec::new();
    let mut pages = clients.iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| backend(sdk_error(e)))?;
        names.extend(
            page.roles()
                .iter()
                .filter(|r| r.role_name().starts_with(&prefix) && !known(state, r.arn()))
                .map(|r| r.role_name().to_owned()),
        );
    }
    let mut orphans = Vec::new();
    for name in names {
        let role = clients
            .iam
            .get_role()
            .role_name(&name)
            .send()
            .await
            .map_err(|e| backend(sdk_error(e)))?;
        let ours = role.role().is_some_and(|r| {
            r.tags()
                .iter()
                .any(|t| t.key() == tags::ENVIRONMENT && t.value() == env)
                && r.tags()
                    .iter()
                    .any(|t| t.key() == tags::MANAGED && t.value() == "true")
        });
        if ours {
            orphans.push(Orphan::Role { name });
        }
    }
    Ok(orphans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_is_known_by_its_arn_or_id_and_log_groups_without_their_star() {
        let state = r#"{"arn":"arn:aws:logs:us-east-1:1:log-group:/ecs/idp-a","id":"vpc-0abc"}"#;
        assert!(known(
            state,
            "arn:aws:logs:us-east-1:1:log-group:/ecs/idp-a:*"
        ));
        assert!(known(state, "vpc-0abc"));
        assert!(!known(state, "vpc-0abd"));
        assert!(!known(state, ""));
        assert!(!known("", "vpc-0abc"));
    }

    #[test]
    fn users_are_removed_before_what_they_use() {
        let service = Orphan::EcsService {
            cluster: "c".into(),
            arn: "a".into(),
        };
        let vpc = Orphan::Vpc { id: "vpc-1".into() };
        let subnet = Orphan::Subnet { id: "s".into() };
        let nat = Orphan::NatGateway { id: "n".into() };
        let address = Orphan::Address {
            allocation: "e".into(),
            association: None,
        };
        let mut all = vec![
            vpc.clone(),
            address.clone(),
            subnet.clone(),
            service.clone(),
            nat.clone(),
        ];
        all.sort_by_key(order);
        assert_eq!(all, vec![service, nat, address, subnet, vpc]);
    }
}
