//! The orphan reaper on moto: what an interrupted OpenTofu run made but never recorded in its
//! state is removed before the next apply, and what the state names is kept.

use crate::moto::{Moto, create_lock_table, require_moto};

/// A run killed after the state's last snapshot named a security group but before it named the
/// group's new rules: the next apply would fail on them (`InvalidPermission.Duplicate`). The
/// reaper revokes the tagged rules the state does not name and keeps the group, the VPC and the
/// rule the state does name.
#[tokio::test]
async fn the_reaper_revokes_a_kept_groups_rules_that_the_state_does_not_name() {
    use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, Tag, TagSpecification};
    use idp_core::adapters::aws::OrphanReaper;
    use idp_core::domain::naming::EnvName;
    use idp_core::domain::template::TemplateName;
    use idp_core::ports::provisioner::ProvisionRequest;

    let endpoint = require_moto!();
    let moto = Moto::new(&endpoint).await;
    // The reaper's EC2 and DynamoDB clients come from the plain SDK configuration: moto's
    // default account. The state bucket is read through the client it is given.
    moto.s3()
        .create_bucket()
        .bucket(&moto.cfg.state_bucket)
        .send()
        .await
        .expect("create the state bucket");
    create_lock_table(
        &aws_sdk_dynamodb::Client::new(&moto.sdk),
        &moto.cfg.lock_table,
    )
    .await;
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk);
    let env = format!("reap-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let tagged = |kind: ResourceType| {
        TagSpecification::builder()
            .resource_type(kind)
            .tags(Tag::builder().key("idp:environment").value(&env).build())
            .tags(Tag::builder().key("idp:managed").value("true").build())
            .build()
    };
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .tag_specifications(tagged(ResourceType::Vpc))
        .send()
        .await
        .expect("create a VPC");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("a VPC id");
    let group = ec2
        .create_security_group()
        .group_name(format!("idp-{env}-alb"))
        .description("load balancer")
        .vpc_id(vpc)
        .tag_specifications(tagged(ResourceType::SecurityGroup))
        .send()
        .await
        .expect("create a security group");
    let group = group.group_id().expect("a group id").to_owned();
    let mut rules = Vec::new();
    for port in [80, 443] {
        let made = ec2
            .authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(port)
                    .to_port(port)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .tag_specifications(tagged(ResourceType::SecurityGroupRule))
            .send()
            .await
            .expect("authorize a rule");
        let id = made.security_group_rules()[0]
            .security_group_rule_id()
            .expect("a rule id");
        rules.push(id.to_owned());
    }
    // The snapshot: the VPC, the group and the first rule, not the second.
    let key = format!("environments/{env}/terraform.tfstate");
    let state = serde_json::json!({"resources": [
        {"type": "aws_vpc", "instances": [{"attributes": {"id": vpc}}]},
        {"type": "aws_security_group", "instances": [{"attributes": {"id": group}}]},
        {"type": "aws_vpc_security_group_ingress_rule",
         "instances": [{"attributes": {"id": rules[0], "security_group_rule_id": rules[0]}}]},
    ]});
    moto.s3()
        .put_object()
        .bucket(&moto.cfg.state_bucket)
        .key(&key)
        .body(state.to_string().into_bytes().into())
        .send()
        .await
        .expect("write the state");

    let reaper = OrphanReaper::new(
        &moto.sdk,
        moto.s3(),
        moto.cfg.state_bucket.clone(),
        moto.cfg.lock_table.clone(),
        "us-east-1",
    );
    let request = ProvisionRequest::new(
        EnvName::parse(&env).expect("a name"),
        TemplateName::default_template(),
        key,
    );
    reaper.reap(&request).await.expect("the reaper finishes");

    let left = ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&group)
                .build(),
        )
        .send()
        .await
        .expect("describe the rules");
    let left: Vec<&str> = left
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .filter_map(|r| r.security_group_rule_id())
        .collect();
    assert_eq!(
        left,
        vec![rules[0].as_str()],
        "only the rule the state names"
    );
    let groups = ec2
        .describe_security_groups()
        .group_ids(&group)
        .send()
        .await
        .expect("the group is kept");
    assert_eq!(groups.security_groups().len(), 1);
    // Nothing else is an orphan now: a second pass is quiet and leaves the same.
    reaper.reap(&request).await.expect("a second pass");
}
