//! Terraform against moto, for the stack suite (`tests/terraform_stacks.rs`): the environment the
//! harness prepares (`.ci/terraform.sh`, `.ci/moto.sh start` and `start-tls`), a `terraform`
//! wrapper that keeps each stack's progress output, the slow resources read from it, and SDK
//! clients that tell what a stack left in moto.
//!
//! Outside CI a missing piece skips the suite with one loud line; with `CI` set it fails.
//!
//! Long because [`Leftovers`] asks one AWS API per kind of resource a stack may leave behind.
#![allow(
    clippy::disallowed_methods,
    reason = "the stack suite writes a wrapper script and reads what terraform printed"
)]
#![allow(clippy::print_stderr, reason = "a skipped suite says so on stderr")]

use std::path::{Path, PathBuf};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use idp_core::setup::env_vars::{self, EnvVars};

/// What the harness exported: the terraform binary and the two moto servers.
#[derive(Debug, Clone)]
pub struct Harness {
    /// The real `terraform` (or `tofu`).
    pub terraform: PathBuf,
    /// moto over plain HTTP.
    pub endpoint: String,
    /// moto over HTTPS, with a certificate signed by [`Harness::ca_bundle`].
    pub tls_endpoint: String,
    /// The throwaway CA of the TLS endpoint.
    pub ca_bundle: PathBuf,
}

/// The variables the harness sets, with the command that sets each.
const NEEDED: [(&str, &str); 6] = [
    ("IDP_TEST_TERRAFORM", "eval \"$(.ci/terraform.sh env)\""),
    ("TF_CLI_CONFIG_FILE", "eval \"$(.ci/terraform.sh env)\""),
    ("IDP_TEST_CA_BUNDLE", "eval \"$(.ci/terraform.sh env)\""),
    (
        EnvVars::IDP_TEST_AWS_ENDPOINT,
        "eval \"$(.ci/moto.sh start)\"",
    ),
    (
        "IDP_TEST_AWS_TLS_ENDPOINT",
        "eval \"$(.ci/moto.sh start-tls \"$IDP_TEST_TLS_CERT\" \"$IDP_TEST_TLS_KEY\")\"",
    ),
    ("TF_PLUGIN_CACHE_DIR", "eval \"$(.ci/terraform.sh env)\""),
];

impl Harness {
    /// The harness's environment, or `None` (after saying why) outside CI when a part is
    /// missing. Panics in CI, naming each missing variable and the command that sets it.
    pub fn from_env() -> Option<Self> {
        let missing: Vec<String> = NEEDED
            .iter()
            .filter(|(name, _)| env_vars::get(name).is_none())
            .map(|(name, how)| format!("{name} (set by `{how}`)"))
            .collect();
        if missing.is_empty() {
            let get = |name: &str| env_vars::get(name).unwrap_or_default();
            let harness = Self {
                terraform: PathBuf::from(get("IDP_TEST_TERRAFORM")),
                endpoint: get(EnvVars::IDP_TEST_AWS_ENDPOINT),
                tls_endpoint: get("IDP_TEST_AWS_TLS_ENDPOINT"),
                ca_bundle: PathBuf::from(get("IDP_TEST_CA_BUNDLE")),
            };
            for file in [
                &harness.terraform,
                &PathBuf::from(get("TF_CLI_CONFIG_FILE")),
            ] {
                assert!(
                    file.is_file(),
                    "`{}` does not exist: run `eval \"$(.ci/terraform.sh env)\"` again",
                    file.display()
                );
            }
            return Some(harness);
        }
        assert!(
            env_vars::get(EnvVars::CI).is_none(),
            "the Terraform stack suite needs {} but `CI` is set",
            missing.join(", ")
        );
        eprintln!(
            "SKIPPED: the Terraform stack suite needs {}",
            missing.join(", ")
        );
        None
    }

    /// SDK settings for the plain moto in `region`, default account, test credentials.
    pub async fn sdk(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .load()
            .await
    }

    /// SDK settings for the TLS moto, trusting only the harness's CA.
    pub async fn tls_sdk(&self, region: &str) -> SdkConfig {
        use aws_smithy_http_client::tls;
        let pem = fs_err::read(&self.ca_bundle).expect("read the CA bundle");
        let context = tls::TlsContext::builder()
            .with_trust_store(tls::TrustStore::empty().with_pem_certificate(pem))
            .build()
            .expect("a TLS context with the harness's CA");
        let client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https();
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.tls_endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .http_client(client)
            .load()
            .await
    }
}

/// Writes `dir/terraform`, a wrapper running `real` with moto's test credentials that appends
/// its standard output to `log` (standard error and the exit status pass through), so a run
/// driven by idp's provisioner still leaves its progress lines for timing. The credentials are
/// the wrapper's, not the test process's: the provisioner's child inherits the environment,
/// where a user's own credentials would come from.
pub fn wrapper(dir: &Path, real: &Path, log: &Path) -> PathBuf {
    fs_err::create_dir_all(dir).expect("wrapper directory");
    let path = dir.join("terraform");
    let script = format!(
        "#!/usr/bin/env bash\nset -o pipefail\nexport AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true\n'{}' \"$@\" | tee -a '{}'\n",
        real.display(),
        log.display()
    );
    fs_err::write(&path, script).expect("write the wrapper");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make the wrapper executable");
    path
}

/// The resources that took at least `min_seconds` to create, change or destroy, as
/// `(address, seconds)`, from Terraform's `…: Creation complete after 1m1s [id=…]` lines: the
/// time the provider spent, most of it waiting for the resource to become ready.
pub fn slow_resources(log: &str, min_seconds: u64) -> Vec<(String, u64)> {
    let mut slow = Vec::new();
    for line in log.lines() {
        for marker in [
            ": Creation complete after ",
            ": Destruction complete after ",
            ": Modifications complete after ",
        ] {
            if let Some((address, rest)) = line.split_once(marker) {
                let took = rest.split_whitespace().next().unwrap_or_default();
                let seconds = duration_seconds(took);
                if seconds >= min_seconds {
                    slow.push((address.trim().to_owned(), seconds));
                }
            }
        }
    }
    slow
}

/// `1h2m3s`, `1m1s` or `55s` in seconds.
fn duration_seconds(text: &str) -> u64 {
    let mut total = 0;
    let mut number = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => number = number * 10 + u64::from(c as u8 - b'0'),
            'h' => (total, number) = (total + number * 3600, 0),
            'm' => (total, number) = (total + number * 60, 0),
            's' => (total, number) = (total + number, 0),
            _ => break,
        }
    }
    total
}

/// What a stack left in moto, through the AWS APIs.
#[derive(Debug, Clone)]
pub struct Leftovers {
    sdk: SdkConfig,
}

impl Leftovers {
    pub fn new(sdk: SdkConfig) -> Self {
        Self { sdk }
    }

    /// The ARNs of the resources tagged `key = value` (EC2, ELB, ECS, RDS, Logs, Secrets
    /// Manager, ACM, … in moto's tagging API).
    pub async fn tagged(&self, key: &str, value: &str) -> Vec<String> {
        let client = aws_sdk_resourcegroupstagging::Client::new(&self.sdk);
        let filter = aws_sdk_resourcegroupstagging::types::TagFilter::builder()
            .key(key)
            .values(value)
            .build();
        let mut arns = Vec::new();
        // As many per page as moto allows (it ends a page at 100 tags unless told otherwise):
        // moto keeps a page's cursor into its live tables, so items made or deleted by another
        // suite between two pages can be skipped.
        let mut pages = client
            .get_resources()
            .tag_filters(filter)
            .resources_per_page(100)
            .tags_per_page(500)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("tagging GetResources");
            arns.extend(
                page.resource_tag_mapping_list()
                    .iter()
                    .filter_map(|m| m.resource_arn().map(ToOwned::to_owned)),
            );
        }
        arns
    }

    /// Of `arns`, those that still exist. AWS (and moto) keep a few things visible after they
    /// are deleted: NAT gateways in state `deleted` (about an hour in AWS), ECS clusters and
    /// services as `INACTIVE`, deregistered task definitions as `INACTIVE` (for good), and KMS
    /// keys `PendingDeletion` (7 to 30 days, the key's deletion window). Those are gone for every
    /// purpose and are not counted; anything else tagged is.
    pub async fn live(&self, arns: Vec<String>) -> Vec<String> {
        let ecs = aws_sdk_ecs::Client::new(&self.sdk);
        let ec2 = aws_sdk_ec2::Client::new(&self.sdk);
        let mut live = Vec::new();
        for arn in arns {
            // `arn:aws:ecs:REGION:ACCOUNT:task-definition/NAME:REVISION`: the resource is all
            // after the fifth `:`.
            let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
            let alive = if let Some(id) = resource.strip_prefix("natgateway/") {
                let out = ec2
                    .describe_nat_gateways()
                    .nat_gateway_ids(id)
                    .send()
                    .await
                    .expect("EC2 DescribeNatGateways");
                out.nat_gateways().iter().any(|g| {
                    !matches!(
                        g.state(),
                        Some(
                            aws_sdk_ec2::types::NatGatewayState::Deleted
                                | aws_sdk_ec2::types::NatGatewayState::Deleting
                        )
                    )
                })
            } else if arn.contains(":ecs:") && resource.starts_with("cluster/") {
                !self.active_clusters(&arn).await.is_empty()
            } else if arn.contains(":ecs:") && resource.starts_with("service/") {
                let cluster = resource.split('/').nth(1).unwrap_or_default();
                let out = ecs
                    .describe_services()
                    .cluster(cluster)
                    .services(&arn)
                    .send()
                    .await
                    .expect("ECS DescribeServices");
                out.services().iter().any(|s| s.status() == Some("ACTIVE"))
            } else if arn.contains(":ecs:") && resource.starts_with("task-definition/") {
                let out = ecs
                    .describe_task_definition()
                    .task_definition(&arn)
                    .send()
                    .await
                    .expect("ECS DescribeTaskDefinition");
                out.task_definition().and_then(|t| t.status())
                    == Some(&aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            } else if arn.contains(":kms:") && resource.starts_with("key/") {
                self.kms_key_live(&arn).await
            } else {
                true
            };
            if alive {
                live.push(arn);
            }
        }
        live
    }

    /// The VPCs tagged `Name = name` that exist.
    pub async fn vpcs_named(&self, name: &str) -> Vec<String> {
        let filter = aws_sdk_ec2::types::Filter::builder()
            .name("tag:Name")
            .values(name)
            .build();
        let out = aws_sdk_ec2::Client::new(&self.sdk)
            .describe_vpcs()
            .filters(filter)
            .send()
            .await
            .expect("EC2 DescribeVpcs");
        out.vpcs()
            .iter()
            .filter_map(|v| v.vpc_id().map(ToOwned::to_owned))
            .collect()
    }

    /// The ARNs of the resources of `types` (`rds:db`, `ec2:vpc`) in this region, any tags.
    pub async fn of_types(&self, types: &[&str]) -> Vec<String> {
        let client = aws_sdk_resourcegroupstagging::Client::new(&self.sdk);
        let mut request = client.get_resources();
        for t in types {
            request = request.resource_type_filters(*t);
        }
        let page = request.send().await.expect("tagging GetResources");
        page.resource_tag_mapping_list()
            .iter()
            .filter_map(|m| m.resource_arn().map(ToOwned::to_owned))
            .collect()
    }

    /// IAM roles whose name starts with `prefix` (IAM is not in moto's tagging API).
    pub async fn roles(&self, prefix: &str) -> Vec<String> {
        let client = aws_sdk_iam::Client::new(&self.sdk);
        let mut names = Vec::new();
        let mut pages = client.list_roles().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.expect("IAM ListRoles");
            names.extend(
                page.roles()
                    .iter()
                    .map(|r| r.role_name().to_owned())
                    .filter(|n| n.starts_with(prefix)),
            );
        }
        names
    }

    /// CloudWatch log groups whose name starts with `prefix`.
    pub async fn log_groups(&self, prefix: &str) -> Vec<String> {
        let client = aws_sdk_cloudwatchlogs::Client::new(&self.sdk);
        let page = client
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .send()
            .await
            .expect("DescribeLogGroups");
        page.log_groups()
            .iter()
            .filter_map(|g| g.log_group_name().map(ToOwned::to_owned))
            .collect()
    }

    /// Those of the CloudWatch metric alarms `names` that exist (`DescribeAlarms` by name).
    pub async fn alarms(&self, names: &[String]) -> Vec<String> {
        if names.is_empty() {
            return Vec::new();
        }
        let client = aws_sdk_cloudwatch::Client::new(&self.sdk);
        let page = client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .expect("DescribeAlarms");
        page.metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name().map(ToOwned::to_owned))
            .collect()
    }

    /// The ECS clusters named `name` that are still `ACTIVE`.
    pub async fn active_clusters(&self, name: &str) -> Vec<String> {
        let client = aws_sdk_ecs::Client::new(&self.sdk);
        let page = client
            .describe_clusters()
            .clusters(name)
            .send()
            .await
            .expect("ECS DescribeClusters");
        page.clusters()
            .iter()
            .filter(|c| c.status() == Some("ACTIVE"))
            .filter_map(|c| c.cluster_arn().map(ToOwned::to_owned))
            .collect()
    }

    /// Whether KMS key `arn` exists and is not scheduled for deletion (the only way a customer
    /// managed key goes: after its deletion window).
    async fn kms_key_live(&self, arn: &str) -> bool {
        let out = aws_sdk_kms::Client::new(&self.sdk)
            .describe_key()
            .key_id(arn)
            .send()
            .await;
        match out {
            Ok(out) => !matches!(
                out.key_metadata().and_then(|m| m.key_state()),
                Some(
                    aws_sdk_kms::types::KeyState::PendingDeletion
                        | aws_sdk_kms::types::KeyState::PendingReplicaDeletion
                )
            ),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                false
            }
            Err(error) => panic!("KMS DescribeKey {arn}: {error:?}"),
        }
    }

    /// KMS aliases whose name starts with `prefix` (`alias/…`).
    pub async fn kms_aliases(&self, prefix: &str) -> Vec<String> {
        let client = aws_sdk_kms::Client::new(&self.sdk);
        let mut names = Vec::new();
        let mut pages = client.list_aliases().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.expect("KMS ListAliases");
            names.extend(
                page.aliases()
                    .iter()
                    .filter_map(|a| a.alias_name())
                    .filter(|n| n.starts_with(prefix))
                    .map(ToOwned::to_owned),
            );
        }
        names
    }

    /// The EKS cluster named `name`, if it exists, with its node groups: `cluster` first, then
    /// `cluster/nodegroup` for each (EKS is not in moto's tagging API). Empty: no such cluster.
    pub async fn eks_cluster(&self, name: &str) -> Vec<String> {
        let client = aws_sdk_eks::Client::new(&self.sdk);
        let clusters = client
            .list_clusters()
            .send()
            .await
            .expect("EKS ListClusters");
        if !clusters.clusters().iter().any(|c| c == name) {
            return Vec::new();
        }
        let groups = client
            .list_nodegroups()
            .cluster_name(name)
            .send()
            .await
            .expect("EKS ListNodegroups");
        std::iter::once(name.to_owned())
            .chain(groups.nodegroups().iter().map(|g| format!("{name}/{g}")))
            .collect()
    }

    /// The ARNs of the IAM OIDC providers tagged `Name = name` (IAM is not in moto's tagging
    /// API).
    pub async fn oidc_providers_named(&self, name: &str) -> Vec<String> {
        let client = aws_sdk_iam::Client::new(&self.sdk);
        let list = client
            .list_open_id_connect_providers()
            .send()
            .await
            .expect("IAM ListOpenIDConnectProviders");
        let mut named = Vec::new();
        for arn in list
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
        {
            let tags = client
                .list_open_id_connect_provider_tags()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
                .expect("IAM ListOpenIDConnectProviderTags");
            if tags
                .tags()
                .iter()
                .any(|t| t.key() == "Name" && t.value() == name)
            {
                named.push(arn.to_owned());
            }
        }
        named
    }

    /// Customer managed IAM policies whose name starts with `prefix`.
    pub async fn policies(&self, prefix: &str) -> Vec<String> {
        let client = aws_sdk_iam::Client::new(&self.sdk);
        let mut names = Vec::new();
        let mut pages = client
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("IAM ListPolicies");
            names.extend(
                page.policies()
                    .iter()
                    .filter_map(|p| p.policy_name())
                    .filter(|n| n.starts_with(prefix))
                    .map(ToOwned::to_owned),
            );
        }
        names
    }

    /// Secrets whose name starts with `prefix`.
    pub async fn secrets(&self, prefix: &str) -> Vec<String> {
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk);
        let page = client
            .list_secrets()
            .send()
            .await
            .expect("Secrets Manager ListSecrets");
        page.secret_list()
            .iter()
            .filter_map(|s| s.name().map(ToOwned::to_owned))
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    /// The ids of the Route 53 hosted zones named `domain` (Route 53 is not in moto's tagging
    /// API).
    pub async fn hosted_zones(&self, domain: &str) -> Vec<String> {
        let wanted = format!("{}.", domain.trim_end_matches('.'));
        let out = aws_sdk_route53::Client::new(&self.sdk)
            .list_hosted_zones_by_name()
            .dns_name(&wanted)
            .send()
            .await
            .expect("Route 53 ListHostedZonesByName");
        out.hosted_zones()
            .iter()
            .filter(|z| z.name() == wanted)
            .map(|z| z.id().to_owned())
            .collect()
    }

    /// Whether bucket `name` exists.
    pub async fn bucket_exists(&self, name: &str) -> bool {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
            .head_bucket()
            .bucket(name)
            .send()
            .await
            .is_ok()
    }

    /// Whether DynamoDB table `name` exists.
    pub async fn table_exists(&self, name: &str) -> bool {
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .describe_table()
            .table_name(name)
            .send()
            .await
            .is_ok()
    }

    /// Whether ECR repository `name` exists.
    pub async fn repository_exists(&self, name: &str) -> bool {
        aws_sdk_ecr::Client::new(&self.sdk)
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .is_ok()
    }

    /// Creates a secret holding `value` and returns its ARN.
    pub async fn create_secret(&self, name: &str, value: &str) -> String {
        let out = aws_sdk_secretsmanager::Client::new(&self.sdk)
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("CreateSecret");
        out.arn().expect("the secret's ARN").to_owned()
    }

    /// Deletes secret `name` at once.
    pub async fn delete_secret(&self, name: &str) {
        aws_sdk_secretsmanager::Client::new(&self.sdk)
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
            .expect("DeleteSecret");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_resources_are_read_from_terraforms_progress_lines() {
        let log = "module.service.aws_lb.this: Creation complete after 1m1s [id=arn:…]\n\
                   aws_s3_bucket.logs: Creation complete after 0s [id=b]\n\
                   module.database.aws_db_instance.this: Destruction complete after 12s\n\
                   aws_s3_bucket_lifecycle_configuration.logs: Creation complete after 55s [id=b]\n";
        assert_eq!(
            slow_resources(log, 5),
            [
                ("module.service.aws_lb.this".to_owned(), 61),
                ("module.database.aws_db_instance.this".to_owned(), 12),
                ("aws_s3_bucket_lifecycle_configuration.logs".to_owned(), 55),
            ]
        );
        assert_eq!(duration_seconds("1h0m2s"), 3602);
    }
}
