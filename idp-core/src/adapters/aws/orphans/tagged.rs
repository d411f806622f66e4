//! The orphans the Resource Groups Tagging API lists: everything but EC2 networking (found
//! through EC2, see `network.rs`) and IAM (global, not in that API).

use super::{Clients, Orphan, backend, known, sdk_error};
use crate::domain::tags;
use crate::ports::provisioner::ProvisionError;

/// The orphans the tagging API lists (everything but EC2 networking and IAM), still alive.
pub(super) async fn tagged(
    clients: &Clients,
    env: &str,
    state: &str,
) -> Result<Vec<Orphan>, ProvisionError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let mut pages = clients
        .tagging
        .get_resources()
        .tag_filters(
            TagFilter::builder()
                .key(tags::ENVIRONMENT)
                .values(env)
                .build(),
        )
        .tag_filters(
            TagFilter::builder()
                .key(tags::MANAGED)
                .values("true")
                .build(),
        )
        // As few pages as AWS allows (a page is at most 100 resources).
        .resources_per_page(100)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| backend(sdk_error(e)))?;
        // The mapping's tags are checked again here, whatever the server filtered.
        arns.extend(
            page.resource_tag_mapping_list()
                .iter()
                .filter(|m| {
                    let has = |key: &str, value: &str| {
                        m.tags()
                            .iter()
                            .any(|t| t.key() == key && t.value() == value)
                    };
                    has(tags::ENVIRONMENT, env) && has(tags::MANAGED, "true")
                })
                .filter_map(|m| m.resource_arn().map(ToOwned::to_owned)),
        );
    }
    let mut orphans = Vec::new();
    for arn in arns.into_iter().filter(|arn| !known(state, arn)) {
        if let Some(orphan) = from_arn(clients, &arn).await? {
            orphans.push(orphan);
        }
    }
    Ok(orphans)
}

/// The orphan an ARN of the tagging API names, if it is of a kind idp removes and still alive
/// (deleted ECS services and clusters, and deregistered task definitions, stay listed).
async fn from_arn(clients: &Clients, arn: &str) -> Result<Option<Orphan>, ProvisionError> {
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (the resource may hold more `:`).
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2).unwrap_or_default();
    let resource = parts.nth(2).unwrap_or_default();
    let (kind, rest) = resource.split_once(['/', ':']).unwrap_or((resource, ""));
    Ok(match (service, kind) {
        ("elasticloadbalancing", "loadbalancer") => Some(Orphan::LoadBalancer { arn: arn.into() }),
        ("elasticloadbalancing", "targetgroup") => Some(Orphan::TargetGroup { arn: arn.into() }),
        ("ecs", "service") => {
            let cluster = rest.split('/').next().unwrap_or_default().to_owned();
            let out = clients
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services(arn)
                .send()
                .await
                .map_err(|e| backend(sdk_error(e)))?;
            out.services()
                .iter()
                .any(|s| s.status() == Some("ACTIVE"))
                .then(|| Orphan::EcsService {
                    cluster,
                    arn: arn.into(),
                })
        }
        ("ecs", "cluster") => {
            let out = clients
                .ecs
                .describe_clusters()
                .clusters(arn)
                .send()
                .await
                .map_err(|e| backend(sdk_error(e)))?;
            out.clusters()
                .iter()
                .any(|c| c.status() == Some("ACTIVE"))
                .then(|| Orphan::EcsCluster { arn: arn.into() })
        }
        ("ecs", "task-definition") => {
            let out = clients
                .ecs
                .describe_task_definition()
                .task_definition(arn)
                .send()
                .await
                .map_err(|e| backend(sdk_error(e)))?;
            (out.task_definition().and_then(|t| t.status())
                == Some(&aws_sdk_ecs::types::TaskDefinitionStatus::Active))
            .then(|| Orphan::TaskDefinition { arn: arn.into() })
        }
        ("logs", "log-group") => Some(Orphan::LogGroup {
            name: rest.strip_suffix(":*").unwrap_or(rest).to_owned(),
        }),
        ("events", "rule") => Some(Orphan::EventRule {
            // `rule/NAME`, or `rule/BUS/NAME` on a custom bus (idp's templates use the default).
            name: rest.rsplit('/').next().unwrap_or(rest).to_owned(),
        }),
        ("rds", "db") => Some(Orphan::DbInstance { id: rest.into() }),
        ("rds", "subgrp") => Some(Orphan::DbSubnetGroup { name: rest.into() }),
        ("rds", "pg") => Some(Orphan::DbParameterGroup { name: rest.into() }),
        // EC2 is found through its own API; the rest (e.g. secrets RDS manages) goes with its
        // owner.
        _ => None,
    })
}
