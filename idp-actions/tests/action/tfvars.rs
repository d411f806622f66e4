//! `idp-action setup` on the AWS backend writes the tfvars of the contract in
//! `tests/fixtures/platform-tfvars` (the CLI's and Python's tests check the same file): the
//! template inputs the workflow sets as `IDP_*` variables reach the tfvars file the workflow's
//! `tofu apply` is given. Runs against moto.

use std::path::Path;

use crate::{moto_env, push_payload, step};

use idp_test_support::tfvars_contract as contract;

#[test]
fn setup_on_aws_writes_the_contract_tfvars() {
    let Some((env, bucket)) = moto_env("idp-tfvars") else {
        return;
    };
    let input = contract::input;
    let root = env.path().join("repo");
    fs_err::create_dir_all(root.join(".idp")).unwrap();
    fs_err::copy(
        contract::dir().join("config.yml"),
        root.join(".idp/config.yml"),
    )
    .unwrap();
    let mut push: serde_json::Value = serde_json::from_slice(&push_payload(
        &input("branch"),
        "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ))
    .unwrap();
    push["sender"]["login"] = input("owner").into();
    let push = serde_json::to_vec(&push).unwrap();
    let recorded = env.path().join("tfvars.json");
    let workflow_inputs = [
        ("IDP_ACM_CERTIFICATE_ARN", input("acm_certificate_arn")),
        ("IDP_ROUTE53_ZONE_ID", input("route53_zone_id")),
        ("IDP_PREVIEW_DOMAIN", input("preview_domain")),
        (
            "IDP_ALB_ACCESS_LOGS_BUCKET",
            input("alb_access_logs_bucket"),
        ),
        ("IDP_COST_CENTER", input("cost_center")),
        ("IDP_NAT_GATEWAY_PER_AZ", input("nat_gateway_per_az")),
        ("IDP_VPC_FLOW_LOGS", input("vpc_flow_logs")),
        ("IDP_ALARM_TOPIC_ARN", input("alarm_topic_arn")),
    ];
    let extra: Vec<(&str, &str)> = workflow_inputs
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let run = step(
        &env,
        &[
            "setup",
            "--root",
            root.to_str().unwrap(),
            "--tfvars-out",
            recorded.to_str().unwrap(),
        ],
        Some(("push", &push)),
        &extra,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.outputs["environment"], input("environment_name"));
    assert_eq!(Path::new(&run.outputs["tfvars_file"]), recorded);
    contract::assert_matches(&recorded, &bucket, "idp-action setup");
}
