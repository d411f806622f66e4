//! The EC2 networking of an environment that its state does not name, found through EC2's own
//! tag filters (which cover every kind here, in every region and in moto; the tagging API
//! leaves Elastic IPs out in moto). Each object's tags are checked again here, whatever the
//! server filtered: moto answers `DescribeNatGateways` with every gateway, whatever its tags.

use super::{Clients, Orphan, backend, known, sdk_error};
use crate::domain::tags;
use crate::ports::provisioner::ProvisionError;

fn ec2_filters(env: &str) -> Vec<aws_sdk_ec2::types::Filter> {
    let tag = |key: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build()
    };
    vec![tag(tags::ENVIRONMENT, env), tag(tags::MANAGED, "true")]
}

/// Whether `tags` mark the object as idp's, of environment `env`.
fn ours(tags: &[aws_sdk_ec2::types::Tag], env: &str) -> bool {
    let has = |key: &str, value: &str| {
        tags.iter()
            .any(|t| t.key() == Some(key) && t.value() == Some(value))
    };
    has(tags::ENVIRONMENT, env) && has(tags::MANAGED, "true")
}

/// The EC2 networking tagged with `env` that the state does not name.
pub(super) async fn network(
    clients: &Clients,
    env: &str,
    state: &str,
) -> Result<Vec<Orphan>, ProvisionError> {
    let ec2 = &clients.ec2;
    let filters = ec2_filters(env);
    let err = backend;
    let mut orphans = Vec::new();
    let unknown = |id: Option<&str>, tags: &[aws_sdk_ec2::types::Tag]| {
        id.filter(|id| ours(tags, env) && !known(state, id))
            .map(ToOwned::to_owned)
    };

    let out = ec2
        .describe_flow_logs()
        .set_filter(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for log in out.flow_logs() {
        if let Some(id) = unknown(log.flow_log_id(), log.tags()) {
            orphans.push(Orphan::FlowLog { id });
        }
    }
    let out = ec2
        .describe_nat_gateways()
        .set_filter(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    // The network interfaces of deleted gateways: AWS frees their addresses a minute after
    // the gateway is deleted, moto never does, and a new gateway cannot take an address that is
    // still associated (`Resource.AlreadyAssociated`).
    let mut freed = Vec::new();
    for gateway in out.nat_gateways() {
        use aws_sdk_ec2::types::NatGatewayState;
        let Some(id) = unknown(gateway.nat_gateway_id(), gateway.tags()) else {
            continue;
        };
        match gateway.state() {
            Some(NatGatewayState::Deleted) => freed.extend(
                gateway
                    .nat_gateway_addresses()
                    .iter()
                    .filter_map(|a| a.network_interface_id().map(ToOwned::to_owned)),
            ),
            // Going: wait for it, its addresses and its subnet depend on it.
            Some(NatGatewayState::Deleting) => orphans.push(Orphan::NatGatewayDeleting { id }),
            _ => orphans.push(Orphan::NatGateway { id }),
        }
    }
    let out = ec2
        .describe_addresses()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for address in out.addresses() {
        if let Some(allocation) = unknown(address.allocation_id(), address.tags()) {
            orphans.push(Orphan::Address {
                allocation,
                association: address.association_id().map(ToOwned::to_owned),
            });
        } else if let (true, Some(association)) = (
            ours(address.tags(), env)
                && address
                    .network_interface_id()
                    .is_some_and(|eni| freed.iter().any(|f| f == eni)),
            address.association_id(),
        ) {
            // An address the state keeps, still held by an orphaned gateway that is gone.
            orphans.push(Orphan::StaleAssociation {
                association: association.to_owned(),
            });
        }
    }
    let out = ec2
        .describe_security_groups()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for group in out.security_groups() {
        // A VPC's default group goes with its VPC (and cannot be deleted alone).
        if group.group_name() == Some("default") {
            continue;
        }
        if let Some(id) = unknown(group.group_id(), group.tags()) {
            orphans.push(Orphan::SecurityGroup { id });
        } else if let Some(id) = group.group_id().filter(|_| ours(group.tags(), env)) {
            // A group the state keeps, with rules made after the state's last snapshot.
            orphans.extend(rules(ec2, id, env, state).await?);
        }
    }
    let out = ec2
        .describe_internet_gateways()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for gateway in out.internet_gateways() {
        if let Some(id) = unknown(gateway.internet_gateway_id(), gateway.tags()) {
            let vpcs = gateway
                .attachments()
                .iter()
                .filter_map(|a| a.vpc_id().map(ToOwned::to_owned))
                .collect();
            orphans.push(Orphan::InternetGateway { id, vpcs });
        }
    }
    let out = ec2
        .describe_route_tables()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for table in out.route_tables() {
        let main = table.associations().iter().any(|a| a.main() == Some(true));
        if main {
            continue;
        }
        if let Some(id) = unknown(table.route_table_id(), table.tags()) {
            let associations = table
                .associations()
                .iter()
                .filter_map(|a| a.route_table_association_id().map(ToOwned::to_owned))
                .collect();
            orphans.push(Orphan::RouteTable { id, associations });
        }
    }
    let out = ec2
        .describe_subnets()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for subnet in out.subnets() {
        if let Some(id) = unknown(subnet.subnet_id(), subnet.tags()) {
            orphans.push(Orphan::Subnet { id });
        }
    }
    let out = ec2
        .describe_vpcs()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| err(sdk_error(e)))?;
    for vpc in out.vpcs() {
        if let Some(id) = unknown(vpc.vpc_id(), vpc.tags()) {
            orphans.push(Orphan::Vpc { id });
        }
    }
    Ok(orphans)
}

/// The rules of security group `group` tagged with `env` that the state does not name.
async fn rules(
    ec2: &aws_sdk_ec2::Client,
    group: &str,
    env: &str,
    state: &str,
) -> Result<Vec<Orphan>, ProvisionError> {
    let out = ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .map_err(|e| backend(sdk_error(e)))?;
    Ok(out
        .security_group_rules()
        .iter()
        .filter(|rule| ours(rule.tags(), env))
        .filter_map(|rule| {
            let id = rule.security_group_rule_id()?;
            (!known(state, id)).then(|| Orphan::SecurityGroupRule {
                group: group.to_owned(),
                id: id.to_owned(),
                egress: rule.is_egress() == Some(true),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> aws_sdk_ec2::types::Tag {
        aws_sdk_ec2::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
    }

    #[test]
    fn only_objects_tagged_managed_and_with_the_environment_are_ours() {
        let env = tag(tags::ENVIRONMENT, "preview-a");
        let managed = tag(tags::MANAGED, "true");
        assert!(ours(&[env.clone(), managed.clone()], "preview-a"));
        assert!(!ours(&[env.clone(), managed.clone()], "preview-ab"));
        assert!(!ours(&[env], "preview-a"), "not managed");
        assert!(
            !ours(&[managed], "preview-a"),
            "another environment's, or none"
        );
        assert!(!ours(&[], "preview-a"));
    }
}
