//! `idp create --backend aws` hands the provisioner the tfvars of the contract in
//! `tests/fixtures/platform-tfvars` (the Action's and Python's tests check the same file): the
//! template inputs given as flags reach the tfvars. Runs against moto, with a `tofu` that records
//! the `-var-file` it is given.

use crate::aws::{aws, moto};
use crate::run;

use idp_test_support::tfvars_contract as contract;

#[tokio::test]
async fn create_on_aws_hands_the_provisioner_the_contract_tfvars() {
    let Some(m) = moto().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("tfvars.json");
    let input = contract::input;
    let r = run(aws(dir.path(), &m)
        .env("IDP_TEST_TFVARS_OUT", &recorded)
        .arg("--tofu")
        .arg(contract::dir().join("record-tofu"))
        .args(["--templates-dir", "infrastructure/templates"])
        .args(["--acm-certificate-arn", &input("acm_certificate_arn")])
        .args(["--route53-zone-id", &input("route53_zone_id")])
        .args(["--preview-domain", &input("preview_domain")])
        .args(["--alb-access-logs-bucket", &input("alb_access_logs_bucket")])
        .args(["--cost-center", &input("cost_center")])
        .arg(format!(
            "--nat-gateway-per-az={}",
            input("nat_gateway_per_az")
        ))
        .args(["--vpc-flow-logs", &input("vpc_flow_logs")])
        .args(["--alarm-topic-arn", &input("alarm_topic_arn")])
        .args(["create", "--name", &input("environment_name"), "--yes"])
        .args(["--owner", &input("owner")])
        .arg("--config")
        .arg(contract::dir().join("config.yml")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    contract::assert_matches(&recorded, &m.bucket, "idp create");
}
