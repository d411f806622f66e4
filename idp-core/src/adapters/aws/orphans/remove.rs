//! Deleting one orphan, with what only it holds: a rule's targets, a role's policies, a
//! security group's rules.

use super::{Clients, Orphan, text};

/// Deletes one orphan (and what only it holds: a rule's targets, a role's policies, a group's
/// rules). An error is a reason to try again in the next round.
pub(super) async fn remove(clients: &Clients, orphan: &Orphan) -> Result<(), String> {
    match orphan {
        Orphan::EcsService { cluster, arn } => {
            clients
                .ecs
                .delete_service()
                .cluster(cluster)
                .service(arn)
                .force(true)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::EventRule { name } => {
            let targets = clients
                .events
                .list_targets_by_rule()
                .rule(name)
                .send()
                .await
                .map_err(|e| text(&e))?;
            let ids: Vec<String> = targets
                .targets()
                .iter()
                .map(|t| t.id().to_owned())
                .collect();
            if !ids.is_empty() {
                clients
                    .events
                    .remove_targets()
                    .rule(name)
                    .set_ids(Some(ids))
                    .force(true)
                    .send()
                    .await
                    .map_err(|e| text(&e))?;
            }
            clients
                .events
                .delete_rule()
                .name(name)
                .force(true)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::DbInstance { id } => {
            clients
                .rds
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(true)
                .delete_automated_backups(true)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::LoadBalancer { arn } => {
            clients
                .elb
                .delete_load_balancer()
                .load_balancer_arn(arn)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::TargetGroup { arn } => {
            clients
                .elb
                .delete_target_group()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::TaskDefinition { arn } => {
            clients
                .ecs
                .deregister_task_definition()
                .task_definition(arn)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::EcsCluster { arn } => {
            clients
                .ecs
                .delete_cluster()
                .cluster(arn)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::LogGroup { name } => {
            clients
                .logs
                .delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::Role { name } => remove_role(&clients.iam, name).await?,
        Orphan::DbSubnetGroup { name } => {
            clients
                .rds
                .delete_db_subnet_group()
                .db_subnet_group_name(name)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::DbParameterGroup { name } => {
            clients
                .rds
                .delete_db_parameter_group()
                .db_parameter_group_name(name)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::FlowLog { id } => {
            clients
                .ec2
                .delete_flow_logs()
                .flow_log_ids(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::NatGateway { id } => {
            clients
                .ec2
                .delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::NatGatewayDeleting { .. } => {
            return Err("still being deleted; waiting for it".to_owned());
        }
        Orphan::StaleAssociation { association } => {
            clients
                .ec2
                .disassociate_address()
                .association_id(association)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::Address {
            allocation,
            association,
        } => {
            if let Some(association) = association {
                // Gone with its NAT gateway, usually; a failure here is retried.
                let _ = clients
                    .ec2
                    .disassociate_address()
                    .association_id(association)
                    .send()
                    .await;
            }
            clients
                .ec2
                .release_address()
                .allocation_id(allocation)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::SecurityGroupRule { group, id, egress } => {
            let ids = Some(vec![id.clone()]);
            if *egress {
                clients
                    .ec2
                    .revoke_security_group_egress()
                    .group_id(group)
                    .set_security_group_rule_ids(ids)
                    .send()
                    .await
                    .map_err(|e| text(&e))?;
            } else {
                clients
                    .ec2
                    .revoke_security_group_ingress()
                    .group_id(group)
                    .set_security_group_rule_ids(ids)
                    .send()
                    .await
                    .map_err(|e| text(&e))?;
            }
        }
        Orphan::SecurityGroup { id } => remove_security_group(&clients.ec2, id).await?,
        Orphan::InternetGateway { id, vpcs } => {
            for vpc in vpcs {
                clients
                    .ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send()
                    .await
                    .map_err(|e| text(&e))?;
            }
            clients
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::RouteTable { id, associations } => {
            for association in associations {
                clients
                    .ec2
                    .disassociate_route_table()
                    .association_id(association)
                    .send()
                    .await
                    .map_err(|e| text(&e))?;
            }
            clients
                .ec2
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::Subnet { id } => {
            clients
                .ec2
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
        Orphan::Vpc { id } => {
            clients
                .ec2
                .delete_vpc()
                .vpc_id(id)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
    }
    Ok(())
}

/// Deletes a role after its inline and attached policies (IAM refuses a role that has any).
async fn remove_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), String> {
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| text(&e))?;
    for policy in inline.policy_names() {
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| text(&e))?;
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| text(&e))?;
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| text(&e))?;
        }
    }
    iam.delete_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| text(&e))?;
    Ok(())
}

/// Deletes a security group after revoking its rules: the templates' load balancer and task
/// groups name each other in their rules, and a group that another group's rule names cannot
/// be deleted.
async fn remove_security_group(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<(), String> {
    let rules = ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| text(&e))?;
    let (egress, ingress): (Vec<_>, Vec<_>) = rules
        .security_group_rules()
        .iter()
        .partition(|r| r.is_egress() == Some(true));
    let ids = |rules: Vec<&aws_sdk_ec2::types::SecurityGroupRule>| -> Vec<String> {
        rules
            .iter()
            .filter_map(|r| r.security_group_rule_id().map(ToOwned::to_owned))
            .collect()
    };
    let (egress, ingress) = (ids(egress), ids(ingress));
    if !ingress.is_empty() {
        ec2.revoke_security_group_ingress()
            .group_id(id)
            .set_security_group_rule_ids(Some(ingress))
            .send()
            .await
            .map_err(|e| text(&e))?;
    }
    if !egress.is_empty() {
        ec2.revoke_security_group_egress()
            .group_id(id)
            .set_security_group_rule_ids(Some(egress))
            .send()
            .await
            .map_err(|e| text(&e))?;
    }
    ec2.delete_security_group()
        .group_id(id)
        .send()
        .await
        .map_err(|e| text(&e))?;
    Ok(())
}
