//! The OpenTofu variables (`tfvars.json`) of an environment: the contract between idp and the
//! templates in `infrastructure/templates/`.
//!
//! Every variable of the contract is always written, with its value, even when it equals the
//! template's default: a variable left out silently falls back to whatever default the module
//! declares (a scheduled worker asked for `nginx:alpine` once ran `alpine:latest` that way).
//! [`variable_names`] lists the contract per template, so the templates can be checked against it.
//!
//! Long because the contract is one table: every variable, per template, with the platform's
//! inputs (certificates by region, shared ingress, alarms) that fill it; a third is its tests.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::domain::config::Config;
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;

/// The cost-center tag value when the platform sets none.
pub const DEFAULT_COST_CENTER: &str = "engineering";

/// Variables every template receives.
pub const COMMON_VARIABLES: [&str; 18] = [
    "environment_name",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
    "aws_region",
    "container_image",
    "cpu",
    "memory",
    "log_retention_days",
    "environment_variables",
    "secret_variables",
    "use_shared_networking",
    "state_bucket",
    "nat_gateway_per_az",
    "enable_flow_logs",
    "cost_center",
    "permissions_boundary_arn",
];

/// Variables `api-service` and `api-database` receive in addition to [`COMMON_VARIABLES`].
pub const ENDPOINT_VARIABLES: [&str; 9] = [
    "container_port",
    "health_check_path",
    "acm_certificate_arn",
    "route53_zone_id",
    "preview_domain",
    "alb_access_logs_bucket",
    "use_shared_ingress",
    "listener_rule_priority",
    "alarm_topic_arn",
];

/// Variables `scheduled-worker` receives in addition to [`COMMON_VARIABLES`].
pub const SCHEDULE_VARIABLES: [&str; 2] = ["schedule_expression", "s3_bucket_arn"];

/// Platform-wide settings passed to every environment (each `""` when unused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformVars {
    /// The S3 bucket holding state (used by shared networking to read the shared VPC).
    pub state_bucket: String,
    /// The ACM certificate for HTTPS listeners (`""`: HTTP only).
    pub acm_certificate_arn: String,
    /// The Route 53 hosted zone of the preview domain (`""`: no DNS record).
    pub route53_zone_id: String,
    /// The preview domain; environments get `<name>.<domain>` (`""`: the ALB's own name).
    pub preview_domain: String,
    /// The bucket receiving ALB access logs (`""`: no access logs).
    pub alb_access_logs_bucket: String,
    /// The `idp:cost-center` tag (default `engineering`).
    pub cost_center: String,
    /// An environment's own VPC gets one NAT gateway per availability zone (default: one).
    pub nat_gateway_per_az: bool,
    /// An environment's own VPC sends its flow logs to CloudWatch (default: off).
    pub enable_flow_logs: bool,
    /// The permissions boundary of the environment's IAM roles, `{owner}`/`{repo}` standing for
    /// its repository (`""`: none); see [`permissions_boundary_arn`].
    #[serde(default)]
    pub permissions_boundary: String,
    /// Certificates of the preview domain in other regions, at most one per region; an
    /// environment uses the one in its region ([`certificate_for`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regional_certificates: Vec<String>,
    /// `api-service` and `api-database` environments are served through the shared load
    /// balancer (`shared/preview-ingress`) unless their config says otherwise; see
    /// [`uses_shared_ingress`].
    #[serde(default)]
    pub use_shared_ingress: bool,
    /// The SNS topic the environments' CloudWatch alarms notify (`""`: none), passed to the
    /// templates that serve HTTP as `alarm_topic_arn`.
    #[serde(default)]
    pub alarm_topic_arn: String,
}

impl Default for PlatformVars {
    fn default() -> Self {
        Self {
            state_bucket: String::new(),
            acm_certificate_arn: String::new(),
            route53_zone_id: String::new(),
            preview_domain: String::new(),
            alb_access_logs_bucket: String::new(),
            cost_center: DEFAULT_COST_CENTER.to_owned(),
            nat_gateway_per_az: false,
            enable_flow_logs: false,
            permissions_boundary: String::new(),
            regional_certificates: Vec::new(),
            use_shared_ingress: false,
            alarm_topic_arn: String::new(),
        }
    }
}

/// Whether an environment of `config` is served through the shared load balancer: its
/// template is `api-service` or `api-database` and its repository's config
/// (`use_shared_ingress: true`) or the platform (`aws.useSharedIngress`) asks for it. Such an
/// environment needs a listener rule priority ([`crate::domain::ingress`]) and runs in the
/// shared VPC.
pub fn uses_shared_ingress(config: &Config, platform: &PlatformVars) -> bool {
    matches!(config.template.as_str(), "api-service" | "api-database")
        && (config.use_shared_ingress || platform.use_shared_ingress)
}

/// The network an environment of `config` is billed for on a platform with `platform`'s
/// settings: the estimate's [`crate::domain::cost::Network`].
pub fn network(config: &Config, platform: &PlatformVars) -> crate::domain::cost::Network {
    crate::domain::cost::Network::of(
        config.use_shared_networking,
        uses_shared_ingress(config, platform),
    )
}

/// What the tfvars need besides the config: who, when, which image, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfvarsInputs {
    /// The owner of the environment (tag `idp:owner`).
    pub owner: String,
    /// When the environment was created.
    pub created_at: DateTime<Utc>,
    /// When the environment expires.
    pub expires_at: DateTime<Utc>,
    /// The image built for this push; overrides `config.image` when set.
    pub image: Option<String>,
    /// The platform's default region; `config.region` overrides it when set.
    pub aws_region: String,
    /// Platform-wide settings.
    pub platform: PlatformVars,
    /// The environment's repository (`owner/name` on GitHub), when it has one.
    pub repository: Option<String>,
    /// The environment's branch, when it has one.
    pub branch: Option<String>,
    /// The priority of its rule on the shared load balancer's listener, when it is served
    /// through it ([`uses_shared_ingress`]); `None` writes `0`, no rule.
    pub listener_rule_priority: Option<u32>,
}

/// Variables `k8s-namespace` receives: these standard ones and
/// [`crate::domain::kubernetes::namespace::VARIABLES`].
pub const KUBERNETES_STANDARD_VARIABLES: [&str; 7] = [
    "environment_name",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
    "aws_region",
    "cost_center",
];

/// Variables `static-site` receives: no container, no VPC; its host name and alarm target. It
/// creates no IAM role, so it takes no `permissions_boundary_arn`.
pub const STATIC_SITE_VARIABLES: [&str; 11] = [
    "environment_name",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
    "aws_region",
    "cost_center",
    "acm_certificate_arn",
    "route53_zone_id",
    "preview_domain",
    "alarm_topic_arn",
];

/// Variables `lambda-api` receives: no VPC; the function's package, logs, host name and the
/// permissions boundary of its execution role.
pub const LAMBDA_API_VARIABLES: [&str; 16] = [
    "environment_name",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
    "aws_region",
    "log_retention_days",
    "environment_variables",
    "cost_center",
    "image_uri",
    "lambda_zip",
    "permissions_boundary_arn",
    "acm_certificate_arn",
    "route53_zone_id",
    "preview_domain",
    "alarm_topic_arn",
];

/// The variables of the serverless templates (`static-site`, `lambda-api`): every one of
/// [`STATIC_SITE_VARIABLES`] or [`LAMBDA_API_VARIABLES`]. `alarm_topic_arn` is the platform's
/// (`aws.alarmTopicArn`, `""` when unset); `image_uri` is the image of the environment when it is
/// in ECR (the only registry Lambda runs images from; any other, such as the config's default
/// `nginx:alpine`, is not a Lambda image), else `""`; `lambda_zip` is `""`, the template's own
/// handler.
fn serverless_vars(config: &Config, env: &EnvName, inputs: &TfvarsInputs) -> Map<String, Value> {
    let platform = &inputs.platform;
    let region = config.region.as_ref().unwrap_or(&inputs.aws_region);
    let mut vars = Map::new();
    let mut put = |k: &str, v: Value| {
        vars.insert(k.to_owned(), v);
    };
    put("environment_name", json!(env.as_str()));
    put("owner", json!(inputs.owner));
    put("ttl", json!(config.ttl.to_string()));
    put("created_at", json!(timestamp(inputs.created_at)));
    put("expires_at", json!(timestamp(inputs.expires_at)));
    put("aws_region", json!(region));
    put("cost_center", json!(platform.cost_center));
    // CloudFront takes certificates from us-east-1 only: a static site elsewhere keeps the
    // distribution's own name rather than fail on the platform's regional certificate.
    let certificate = &platform.acm_certificate_arn;
    let usable = !config.template.is_static_site() || certificate.contains(":acm:us-east-1:");
    put(
        "acm_certificate_arn",
        json!(if usable { certificate.as_str() } else { "" }),
    );
    put("route53_zone_id", json!(platform.route53_zone_id));
    put("preview_domain", json!(platform.preview_domain));
    put("alarm_topic_arn", json!(platform.alarm_topic_arn));
    if config.template.as_str() == "lambda-api" {
        put("log_retention_days", json!(config.log_retention_days));
        put("environment_variables", json!(config.environment));
        let image = inputs
            .image
            .as_deref()
            .filter(|image| image.contains(".dkr.ecr."))
            .unwrap_or_default();
        put("image_uri", json!(image));
        put("lambda_zip", json!(""));
        put(
            "permissions_boundary_arn",
            json!(permissions_boundary_arn(
                &platform.permissions_boundary,
                inputs.repository.as_deref()
            )),
        );
    }
    vars
}

/// The variable names `template` receives, in contract order.
pub fn variable_names(template: &TemplateName) -> Vec<&'static str> {
    match template.as_str() {
        "static-site" => return STATIC_SITE_VARIABLES.to_vec(),
        "lambda-api" => return LAMBDA_API_VARIABLES.to_vec(),
        _ => {}
    }
    if template.is_kubernetes() {
        let mut names = KUBERNETES_STANDARD_VARIABLES.to_vec();
        names.extend(crate::domain::kubernetes::namespace::VARIABLES);
        return names;
    }
    let mut names = COMMON_VARIABLES.to_vec();
    match template.as_str() {
        "api-service" | "api-database" => names.extend(ENDPOINT_VARIABLES),
        "scheduled-worker" => names.extend(SCHEDULE_VARIABLES),
        _ => {}
    }
    names
}

/// The boundary ARN of an environment of `repository` (`owner/name`): `pattern` with `{owner}`
/// and `{repo}` filled in. A pattern with a placeholder gives `""` (no boundary) to an
/// environment without a repository; the deploy role of `shared/github-oidc` then cannot create
/// its roles, so such environments are created with an operator's own credentials.
pub fn permissions_boundary_arn(pattern: &str, repository: Option<&str>) -> String {
    let placeholders = pattern.contains("{owner}") || pattern.contains("{repo}");
    match (placeholders, repository.and_then(|r| r.split_once('/'))) {
        (false, _) => pattern.to_owned(),
        (true, Some((owner, repo))) => pattern.replace("{owner}", owner).replace("{repo}", repo),
        (true, None) => String::new(),
    }
}

/// The region of an ACM certificate ARN (`arn:aws:acm:{region}:{account}:certificate/{id}`).
pub fn certificate_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some_and(|p| p.starts_with("aws"))
        && parts.next() == Some("acm");
    let region = parts.next().filter(|r| ok && !r.is_empty())?;
    let account = parts.next()?;
    let resource = parts.next()?;
    (account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("certificate/").is_some_and(|id| {
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && parts.next().is_none())
    .then_some(region)
}

/// The setting `aws.regionalCertificates`: ACM certificate ARNs separated by commas, at most
/// one per region. The error names the entry at fault.
pub fn parse_certificates(value: &str) -> Result<Vec<String>, String> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for arn in value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let Some(region) = certificate_region(arn) else {
            return Err(format!(
                "`{}` is not an ACM certificate ARN",
                arn.escape_debug()
            ));
        };
        if let Some((_, other)) = seen.iter().find(|(r, _)| *r == region) {
            return Err(format!(
                "two certificates for `{region}`: `{other}` and `{arn}`"
            ));
        }
        seen.push((region, arn));
    }
    Ok(seen.into_iter().map(|(_, arn)| arn.to_owned()).collect())
}

/// The certificate an environment in `region` is served with: the first of the platform's
/// certificate and its regional ones that is in `region` (CloudFront's `us-east-1` for a static
/// site, whatever its region). `Ok("")` when the platform has no certificate at all (plain
/// HTTP) and for a static site without a `us-east-1` one (CloudFront's own name);
/// `Err(regions)` — the regions it has certificates in — when it has some, but none in `region`:
/// the environment would not answer on its HTTPS host name.
pub fn certificate_for(
    platform: &PlatformVars,
    region: &str,
    static_site: bool,
) -> Result<String, Vec<String>> {
    let candidates: Vec<&str> = std::iter::once(platform.acm_certificate_arn.as_str())
        .chain(platform.regional_certificates.iter().map(String::as_str))
        .filter(|arn| !arn.is_empty())
        .collect();
    let wanted = if static_site { "us-east-1" } else { region };
    match candidates
        .iter()
        .find(|arn| certificate_region(arn) == Some(wanted))
    {
        Some(arn) => Ok((*arn).to_owned()),
        None if candidates.is_empty() || static_site => Ok(String::new()),
        None => Err(candidates
            .iter()
            .map(|arn| certificate_region(arn).unwrap_or("?").to_owned())
            .collect()),
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `tfvars.json` object for environment `env`: exactly [`variable_names`] of
/// `config.template`, every one of them always present.
pub fn tfvars(config: &Config, env: &EnvName, inputs: &TfvarsInputs) -> Map<String, Value> {
    if config.template.is_kubernetes() {
        return kubernetes_vars(config, env, inputs);
    }
    if config.template.is_serverless() {
        return serverless_vars(config, env, inputs);
    }
    let platform = &inputs.platform;
    let image = inputs.image.as_ref().unwrap_or(&config.image);
    let region = config.region.as_ref().unwrap_or(&inputs.aws_region);
    let mut vars = Map::new();
    let mut put = |k: &str, v: Value| {
        vars.insert(k.to_owned(), v);
    };
    put("environment_name", json!(env.as_str()));
    put("owner", json!(inputs.owner));
    put("ttl", json!(config.ttl.to_string()));
    put("created_at", json!(timestamp(inputs.created_at)));
    put("expires_at", json!(timestamp(inputs.expires_at)));
    put("aws_region", json!(region));
    put("container_image", json!(image));
    put("cpu", json!(config.cpu));
    put("memory", json!(config.memory));
    put("log_retention_days", json!(config.log_retention_days));
    put("environment_variables", json!(config.environment));
    put("secret_variables", json!(config.secrets));
    put("use_shared_networking", json!(config.use_shared_networking));
    put("state_bucket", json!(platform.state_bucket));
    put("nat_gateway_per_az", json!(platform.nat_gateway_per_az));
    put("enable_flow_logs", json!(platform.enable_flow_logs));
    put("cost_center", json!(platform.cost_center));
    put(
        "permissions_boundary_arn",
        json!(permissions_boundary_arn(
            &platform.permissions_boundary,
            inputs.repository.as_deref()
        )),
    );
    match config.template.as_str() {
        "api-service" | "api-database" => {
            put("container_port", json!(config.container_port));
            put("health_check_path", json!(config.health_check_path));
            put("acm_certificate_arn", json!(platform.acm_certificate_arn));
            put("route53_zone_id", json!(platform.route53_zone_id));
            put("preview_domain", json!(platform.preview_domain));
            put(
                "alb_access_logs_bucket",
                json!(platform.alb_access_logs_bucket),
            );
            let shared = uses_shared_ingress(config, platform);
            put("use_shared_ingress", json!(shared));
            put(
                "listener_rule_priority",
                json!(
                    inputs
                        .listener_rule_priority
                        .filter(|_| shared)
                        .unwrap_or_default()
                ),
            );
            put("alarm_topic_arn", json!(platform.alarm_topic_arn));
        }
        "scheduled-worker" => {
            put(
                "schedule_expression",
                json!(config.schedule_expression.as_deref().unwrap_or_default()),
            );
            put(
                "s3_bucket_arn",
                json!(config.s3_bucket_arn.as_deref().unwrap_or_default()),
            );
        }
        _ => {}
    }
    vars
}

/// The variables of a `k8s-namespace` environment: [`variable_names`], every one present.
fn kubernetes_vars(config: &Config, env: &EnvName, inputs: &TfvarsInputs) -> Map<String, Value> {
    let k = &config.kubernetes;
    let platform = &inputs.platform;
    let repo_url = k.repo_url.clone().or_else(|| {
        inputs
            .repository
            .as_ref()
            .map(|r| format!("https://github.com/{r}.git"))
    });
    let values = [
        ("environment_name", json!(env.as_str())),
        ("owner", json!(inputs.owner)),
        ("ttl", json!(config.ttl.to_string())),
        ("created_at", json!(timestamp(inputs.created_at))),
        ("expires_at", json!(timestamp(inputs.expires_at))),
        (
            "aws_region",
            json!(config.region.as_ref().unwrap_or(&inputs.aws_region)),
        ),
        ("cost_center", json!(platform.cost_center)),
        ("repo_url", json!(repo_url.unwrap_or_default())),
        ("branch", json!(inputs.branch.clone().unwrap_or_default())),
        ("manifests_path", json!(k.path)),
        (
            "developer_group",
            json!(k.group.clone().unwrap_or_default()),
        ),
        ("viewer_group", json!(k.viewer_group)),
        ("role_arn", json!(k.role_arn.clone().unwrap_or_default())),
        ("quota_cpu", json!(k.cpu)),
        ("quota_memory", json!(k.memory)),
        ("quota_pods", json!(k.pods)),
        ("default_cpu", json!(k.default_cpu)),
        ("default_memory", json!(k.default_memory)),
        ("preview_domain", json!(platform.preview_domain)),
        ("ingress_class", json!(k.ingress_class)),
        ("ingress_namespace", json!(k.ingress_namespace)),
        ("acm_certificate_arn", json!(platform.acm_certificate_arn)),
        (
            "tls_secret",
            json!(k.tls_secret.clone().unwrap_or_default()),
        ),
        ("container_port", json!(config.container_port)),
    ];
    values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod certificate_tests {
    use super::*;

    const US: &str = "arn:aws:acm:us-east-1:123456789012:certificate/aaaa-1";
    const EU: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/bbbb-2";

    fn platform(main: &str, regional: &[&str]) -> PlatformVars {
        PlatformVars {
            acm_certificate_arn: main.to_owned(),
            regional_certificates: regional.iter().map(|s| (*s).to_owned()).collect(),
            ..PlatformVars::default()
        }
    }

    #[test]
    fn an_environment_is_served_with_the_certificate_of_its_region() {
        let p = platform(US, &[EU]);
        assert_eq!(certificate_for(&p, "us-east-1", false).unwrap(), US);
        assert_eq!(certificate_for(&p, "eu-west-1", false).unwrap(), EU);
        // CloudFront takes us-east-1 certificates only, wherever the bucket is.
        assert_eq!(certificate_for(&p, "eu-west-1", true).unwrap(), US);
        assert_eq!(
            certificate_for(&platform(EU, &[]), "eu-west-1", true).unwrap(),
            ""
        );
        // No certificate at all: plain HTTP anywhere.
        assert_eq!(
            certificate_for(&platform("", &[]), "ap-south-1", false).unwrap(),
            ""
        );
        // Certificates, but none there: refused, naming where there are some.
        assert_eq!(
            certificate_for(&p, "ap-south-1", false).unwrap_err(),
            vec!["us-east-1".to_owned(), "eu-west-1".to_owned()]
        );
    }

    #[test]
    fn the_regional_certificates_setting_is_checked() {
        assert_eq!(parse_certificates(&format!(" {EU} ,")).unwrap(), vec![EU]);
        assert_eq!(parse_certificates("").unwrap(), Vec::<String>::new());
        let twice = parse_certificates(&format!("{EU},{}", EU.replace("bbbb", "cccc")));
        assert!(
            twice
                .unwrap_err()
                .contains("two certificates for `eu-west-1`")
        );
        for bad in [
            "arn:aws:iam::123456789012:policy/x",
            "arn:aws:acm:eu-west-1:1234:certificate/x",
            "arn:aws:acm:eu-west-1:123456789012:certificate/",
            "arn:aws:acm:eu-west-1:123456789012:certificate/a;b",
            "arn:aws:acm::123456789012:certificate/x",
            "arn:aws:acm:eu-west-1:123456789012:certificate/x:y",
        ] {
            assert!(parse_certificates(bad).is_err(), "{bad}");
        }
        assert_eq!(certificate_region(US), Some("us-east-1"));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;

    use super::*;

    fn inputs() -> TfvarsInputs {
        TfvarsInputs {
            owner: "dev@example.com".to_owned(),
            created_at: Utc.with_ymd_and_hms(2026, 2, 18, 22, 3, 39).unwrap(),
            expires_at: Utc.with_ymd_and_hms(2026, 2, 25, 22, 3, 39).unwrap(),
            image: None,
            aws_region: "us-east-1".to_owned(),
            platform: PlatformVars {
                state_bucket: "idp-state".to_owned(),
                preview_domain: "preview.example.com".to_owned(),
                ..PlatformVars::default()
            },
            repository: Some("acme/payments".to_owned()),
            branch: Some("feature/login".to_owned()),
            listener_rule_priority: None,
        }
    }

    fn env() -> EnvName {
        EnvName::parse("preview-payment-api").unwrap()
    }

    fn config_for(template: &str) -> Config {
        let mut c = Config {
            template: TemplateName::new(template).unwrap(),
            ..Config::default()
        };
        if c.template.is_scheduled() {
            c.schedule_expression = Some("rate(1 hour)".to_owned());
        }
        c
    }

    fn keys(m: &Map<String, Value>) -> BTreeSet<&str> {
        m.keys().map(String::as_str).collect()
    }

    #[test]
    fn every_template_gets_exactly_its_variable_names() {
        for t in [
            "api-service",
            "api-database",
            "scheduled-worker",
            "k8s-namespace",
            "static-site",
            "lambda-api",
            "my-custom",
        ] {
            let c = config_for(t);
            let vars = tfvars(&c, &env(), &inputs());
            let want: BTreeSet<&str> = variable_names(&c.template).into_iter().collect();
            assert_eq!(keys(&vars), want, "{t}");
        }
    }

    #[test]
    fn a_namespace_preview_is_read_back_from_its_variables_with_the_pull_requests_repository() {
        let c = config_for("k8s-namespace");
        let vars = tfvars(&c, &env(), &inputs());
        let spec =
            crate::domain::kubernetes::namespace::NamespaceSpec::from_vars(&env(), &vars).unwrap();
        assert_eq!(spec.repo_url, "https://github.com/acme/payments.git");
        assert_eq!(spec.revision, "feature/login");
        assert_eq!(
            spec.developer_group, "dev@example.com",
            "the owner by default"
        );
        assert_eq!(
            spec.url(),
            "https://preview-payment-api.preview.example.com"
        );
        assert_eq!(spec.quota.default_cpu, "500m");
    }

    #[test]
    fn variable_names_follow_the_contract_per_template() {
        let n = |t: &str| variable_names(&TemplateName::new(t).unwrap()).len();
        assert_eq!(n("api-service"), 27);
        assert_eq!(n("api-database"), 27);
        assert_eq!(n("my-custom"), 18);
        assert_eq!(n("static-site"), 11);
        assert_eq!(n("lambda-api"), 16);
        let worker = variable_names(&TemplateName::new("scheduled-worker").unwrap());
        assert!(!worker.contains(&"container_port"));
        assert!(worker.contains(&"schedule_expression"));
    }

    #[test]
    fn a_lambda_api_runs_only_an_ecr_image_and_else_its_zip() {
        let c = config_for("lambda-api");
        let mut with = inputs();
        with.image = Some("nginx:alpine".to_owned());
        assert_eq!(tfvars(&c, &env(), &with)["image_uri"], json!(""));
        let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/idp-preview:preview-x-1a2b3c4";
        with.image = Some(ecr.to_owned());
        let vars = tfvars(&c, &env(), &with);
        assert_eq!(vars["image_uri"], json!(ecr));
        assert_eq!(vars["lambda_zip"], json!(""));
        assert!(!vars.contains_key("container_image"));
    }

    #[test]
    fn default_values_are_written_not_omitted() {
        let vars = tfvars(&config_for("scheduled-worker"), &env(), &inputs());
        assert_eq!(vars["container_image"], json!("nginx:alpine"));
        assert_eq!(vars["cpu"], json!(256));
        assert_eq!(vars["memory"], json!(512));
        assert_eq!(vars["log_retention_days"], json!(3));
        assert_eq!(vars["use_shared_networking"], json!(false));
        assert_eq!(vars["environment_variables"], json!({}));
        assert_eq!(vars["secret_variables"], json!({}));
        assert_eq!(vars["s3_bucket_arn"], json!(""));
        assert_eq!(vars["cost_center"], json!("engineering"));
    }

    #[test]
    fn built_image_overrides_the_configured_image() {
        let mut i = inputs();
        i.image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/idp:preview-x-abc".to_owned());
        let vars = tfvars(&config_for("api-service"), &env(), &i);
        assert_eq!(vars["container_image"], json!(i.image.unwrap()));
    }

    #[test]
    fn configured_region_overrides_the_platform_region() {
        let mut c = config_for("api-service");
        assert_eq!(
            tfvars(&c, &env(), &inputs())["aws_region"],
            json!("us-east-1")
        );
        c.region = Some("eu-west-1".to_owned());
        assert_eq!(
            tfvars(&c, &env(), &inputs())["aws_region"],
            json!("eu-west-1")
        );
    }

    #[test]
    fn the_permissions_boundary_is_the_repositorys() {
        let pattern = "arn:aws:iam::123456789012:policy/idp-boundary-{owner}+{repo}";
        assert_eq!(
            permissions_boundary_arn(pattern, Some("acme/shop")),
            "arn:aws:iam::123456789012:policy/idp-boundary-acme+shop"
        );
        assert_eq!(permissions_boundary_arn(pattern, None), "");
        let fixed = "arn:aws:iam::123456789012:policy/idp-boundary";
        assert_eq!(permissions_boundary_arn(fixed, None), fixed);
        assert_eq!(permissions_boundary_arn("", Some("acme/shop")), "");
        let mut i = inputs();
        i.platform.permissions_boundary = pattern.to_owned();
        let vars = tfvars(&config_for("api-service"), &env(), &i);
        let expected = permissions_boundary_arn(pattern, i.repository.as_deref());
        assert_eq!(vars["permissions_boundary_arn"], json!(expected));
    }

    #[test]
    fn the_alarm_topic_goes_to_every_template_that_serves_http_and_no_other() {
        let topic = "arn:aws:sns:us-east-1:123456789012:idp-alarms";
        let mut i = inputs();
        i.platform.alarm_topic_arn = topic.to_owned();
        for template in ["api-service", "api-database", "static-site", "lambda-api"] {
            let vars = tfvars(&config_for(template), &env(), &i);
            assert_eq!(vars["alarm_topic_arn"], json!(topic), "{template}");
            let vars = tfvars(&config_for(template), &env(), &inputs());
            assert_eq!(vars["alarm_topic_arn"], json!(""), "{template}");
        }
        let vars = tfvars(&config_for("scheduled-worker"), &env(), &i);
        assert!(!vars.contains_key("alarm_topic_arn"));
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_seconds() {
        let vars = tfvars(&config_for("api-service"), &env(), &inputs());
        assert_eq!(vars["created_at"], json!("2026-02-18T22:03:39Z"));
        assert_eq!(vars["expires_at"], json!("2026-02-25T22:03:39Z"));
        assert_eq!(vars["ttl"], json!("7d"));
    }

    #[test]
    fn api_service_tfvars_snapshot() {
        let mut c = config_for("api-service");
        c.environment.insert("PORT".to_owned(), "8080".to_owned());
        c.secrets.insert(
            "DB_PASSWORD".to_owned(),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".to_owned(),
        );
        c.container_port = 8080;
        let vars = tfvars(&c, &env(), &inputs());
        insta::assert_json_snapshot!(vars);
    }
}
