//! Cost estimates: what an environment of a template costs per hour and over its TTL.
//!
//! Long because one dated price table feeds the lines of every kind of template and network,
//! and the tests that pin each figure sit beside them.
//!
//! One table of AWS list prices, dated, feeds one function, so `idp cost`, `idp create` and the
//! PR comment show the same numbers and anyone can verify them against the AWS pricing pages.
//!
//! What is counted, per template:
//!
//! | line | api-service | api-database | scheduled-worker |
//! |---|---|---|---|
//! | Fargate vCPU and memory (one task, running the whole time) | yes | yes | yes (upper bound) |
//! | Application Load Balancer hours, and its 2 public IPv4 addresses | yes | yes | no |
//! | NAT gateway hours and its public IPv4 address (not with shared networking) | yes | yes | yes |
//!
//! On the shared ingress ([`Network::SharedIngress`]) an `api-service` or `api-database` has
//! neither load balancer, public addresses nor NAT gateway of its own: the shared load balancer
//! and its addresses ([`shared_ingress_platform_lines`]) are a platform cost, paid once.
//! | RDS PostgreSQL db.t3.micro, single-AZ | no | yes | no |
//! | CloudWatch Logs ingestion, at [`LOG_GB_PER_HOUR`] | yes | yes | yes |
//!
//! A `k8s-namespace` preview is its share of the shared cluster's node group by requests: one
//! pod of `cpu` / `memory` at [`PriceTable::node_vcpu_hour`] and [`PriceTable::node_gb_hour`]
//! (an m6i.large, $0.096/h, split 65 % to its 2 vCPUs and 35 % to its 8 GiB), plus its logs.
//! The cluster's own costs (control plane $0.10/h, the shared load balancer, idle nodes) are
//! paid once for every preview and are not counted per environment.
//!
//! `static-site` and `lambda-api` are priced by use, not by the hour: idle they cost about
//! nothing, so their estimate is the usage of [`SERVERLESS_REQUESTS_PER_HOUR`] requests an hour
//! at the prices of [`USAGE_US_EAST_1`] (see [`serverless_lines`]), plus their alarms.
//!
//! Custom templates are estimated like `api-service` when they serve HTTP, like
//! `scheduled-worker` otherwise. Not counted: data transfer, NAT data processing ($0.045/GB),
//! ALB LCUs, RDS storage, ECR storage, Secrets Manager, and the shared networking stack itself
//! (one NAT gateway for all environments).

use std::fmt::Write as _;

use serde::Serialize;

use crate::domain::template::TemplateName;
use crate::domain::ttl::Ttl;

/// When the prices in [`US_EAST_1`] were taken from the AWS pricing pages.
pub const PRICES_AS_OF: &str = "2026-03-01";

/// Hours in a month, as AWS's pricing calculator counts them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The log volume assumed for one environment: 10 MB per hour.
pub const LOG_GB_PER_HOUR: f64 = 0.01;

/// On-demand list prices in USD for one region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriceTable {
    /// The region the prices are for.
    pub region: &'static str,
    /// Fargate, Linux/x86, per vCPU-hour.
    pub fargate_vcpu_hour: f64,
    /// Fargate, Linux/x86, per GB of memory per hour.
    pub fargate_gb_hour: f64,
    /// Application Load Balancer, per hour (LCUs not included).
    pub alb_hour: f64,
    /// NAT gateway, per hour (data processing not included).
    pub nat_gateway_hour: f64,
    /// One public IPv4 address, per hour.
    pub public_ipv4_hour: f64,
    /// RDS for PostgreSQL db.t3.micro, single-AZ, per hour.
    pub rds_t3_micro_hour: f64,
    /// CloudWatch Logs ingestion, per GB.
    pub logs_ingest_gb: f64,
    /// A vCPU-hour of the shared cluster's nodes (`k8s-namespace`).
    pub node_vcpu_hour: f64,
    /// A GB-hour of memory of the shared cluster's nodes (`k8s-namespace`).
    pub node_gb_hour: f64,
}

/// AWS on-demand list prices for us-east-1 (N. Virginia) as of [`PRICES_AS_OF`]: Fargate
/// Linux/x86 $0.04048 per vCPU-hour and $0.004445 per GB-hour; Application Load Balancer
/// $0.0225 per hour; NAT gateway $0.045 per hour; public IPv4 address $0.005 per hour; RDS for
/// PostgreSQL db.t3.micro single-AZ $0.018 per hour; CloudWatch Logs $0.50 per GB ingested.
/// List prices only: no free tier, savings plans or credits.
pub const US_EAST_1: PriceTable = PriceTable {
    region: "us-east-1",
    fargate_vcpu_hour: 0.04048,
    fargate_gb_hour: 0.004445,
    alb_hour: 0.0225,
    nat_gateway_hour: 0.045,
    public_ipv4_hour: 0.005,
    rds_t3_micro_hour: 0.018,
    logs_ingest_gb: 0.50,
    node_vcpu_hour: 0.0312,
    node_gb_hour: 0.0042,
};

/// The estimated cost of one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    /// The region of the price table.
    pub region: &'static str,
    /// [`PRICES_AS_OF`].
    pub prices_as_of: &'static str,
    /// The TTL the total is for, in hours.
    pub hours: f64,
    /// Cost per hour, the sum of `breakdown` (rounded to 7 decimals).
    pub hourly_usd: f64,
    /// Cost over the TTL (rounded to cents).
    pub total_usd: f64,
    /// Cost of a month ([`HOURS_PER_MONTH`]) of running (rounded to cents).
    pub monthly_usd: f64,
    /// Each line as `(item, USD per hour)`.
    pub breakdown: Vec<(String, f64)>,
}

fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// How an environment is networked, as far as its bill goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Its own VPC with a NAT gateway, and (serving HTTP) its own load balancer.
    Own,
    /// The shared preview VPC (its NAT gateway paid once), its own load balancer.
    SharedVpc,
    /// The shared VPC and the shared load balancer (`shared/preview-ingress`): no load
    /// balancer, public address or NAT gateway of its own.
    SharedIngress,
}

impl Network {
    /// The network of an environment with these two switches; the shared ingress implies the
    /// shared VPC.
    pub fn of(shared_networking: bool, shared_ingress: bool) -> Self {
        match (shared_networking, shared_ingress) {
            (_, true) => Network::SharedIngress,
            (true, false) => Network::SharedVpc,
            (false, false) => Network::Own,
        }
    }

    /// Whether it pays no NAT gateway of its own.
    pub fn shared_vpc(self) -> bool {
        self != Network::Own
    }
}

/// `true`: the shared VPC, `false`: its own (the switch `use_shared_networking`).
impl From<bool> for Network {
    fn from(shared_networking: bool) -> Self {
        Network::of(shared_networking, false)
    }
}

/// The shared load balancer's own lines (per hour): paid once by the platform for every
/// environment on the shared ingress, never per environment.
pub fn shared_ingress_platform_lines(prices: &PriceTable) -> Vec<(String, f64)> {
    vec![
        (
            "Shared Application Load Balancer".to_owned(),
            prices.alb_hour,
        ),
        (
            "Public IPv4 addresses of the shared load balancer (2)".to_owned(),
            2.0 * prices.public_ipv4_hour,
        ),
    ]
}

/// Estimate an environment of `template` with `cpu` Fargate CPU units (1024 = 1 vCPU) and
/// `memory` MiB, living `ttl`, with [`US_EAST_1`] prices. `network` is [`Network`] (or the
/// `use_shared_networking` switch): the shared VPC removes the NAT gateway and its address (the
/// shared VPC's NAT is paid once, not per environment); the shared ingress also removes the
/// load balancer and its addresses.
pub fn estimate(
    template: &TemplateName,
    cpu: u32,
    memory: u32,
    ttl: Ttl,
    network: impl Into<Network>,
) -> CostEstimate {
    estimate_with(&US_EAST_1, template, cpu, memory, ttl, network)
}

/// [`estimate`] with another price table.
pub fn estimate_with(
    prices: &PriceTable,
    template: &TemplateName,
    cpu: u32,
    memory: u32,
    ttl: Ttl,
    network: impl Into<Network>,
) -> CostEstimate {
    let network = network.into();
    let shared_networking = network.shared_vpc();
    if let Some(lines) = serverless_lines(&USAGE_US_EAST_1, template, prices.logs_ingest_gb) {
        return summed(prices, lines, ttl);
    }
    let vcpu = f64::from(cpu) / 1024.0;
    let gb = f64::from(memory) / 1024.0;
    if template.is_kubernetes() {
        let lines = vec![
            (
                format!("Node share: {vcpu} vCPU requested"),
                vcpu * prices.node_vcpu_hour,
            ),
            (
                format!("Node share: {gb} GB requested"),
                gb * prices.node_gb_hour,
            ),
            (
                "CloudWatch Logs (10 MB/hour)".to_owned(),
                LOG_GB_PER_HOUR * prices.logs_ingest_gb,
            ),
        ];
        return summed(prices, lines, ttl);
    }
    let mut lines: Vec<(String, f64)> = vec![
        (
            format!("Fargate vCPU ({vcpu} vCPU)"),
            vcpu * prices.fargate_vcpu_hour,
        ),
        (
            format!("Fargate memory ({gb} GB)"),
            gb * prices.fargate_gb_hour,
        ),
    ];
    if template.has_endpoint() && network != Network::SharedIngress {
        lines.push(("Application Load Balancer".to_owned(), prices.alb_hour));
        lines.push((
            "Public IPv4 addresses of the load balancer (2)".to_owned(),
            2.0 * prices.public_ipv4_hour,
        ));
    }
    if !shared_networking {
        lines.push(("NAT gateway".to_owned(), prices.nat_gateway_hour));
        lines.push((
            "Public IPv4 address of the NAT gateway".to_owned(),
            prices.public_ipv4_hour,
        ));
    }
    if template.as_str() == "api-database" {
        lines.push((
            "RDS PostgreSQL db.t3.micro".to_owned(),
            prices.rds_t3_micro_hour,
        ));
    }
    lines.push((
        "CloudWatch Logs (10 MB/hour)".to_owned(),
        LOG_GB_PER_HOUR * prices.logs_ingest_gb,
    ));
    summed(prices, lines, ttl)
}

// === impl usage-priced templates ===

/// The requests an hour a usage-priced preview (`static-site`, `lambda-api`) is assumed to
/// serve: a few reviewers clicking through it. Idle, such a preview costs only its alarms.
pub const SERVERLESS_REQUESTS_PER_HOUR: f64 = 1_000.0;

/// List prices of the usage-priced services, per unit of use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UsagePrices {
    /// CloudFront HTTPS requests (United States, Europe), per request.
    pub cloudfront_https_request: f64,
    /// S3 Standard storage, per GB-month.
    pub s3_gb_month: f64,
    /// API Gateway HTTP API requests (first 300 million), per request.
    pub http_api_request: f64,
    /// Lambda requests, per request.
    pub lambda_request: f64,
    /// Lambda x86 duration, per GB-second.
    pub lambda_gb_second: f64,
    /// One CloudWatch standard-resolution metric alarm, per month.
    pub alarm_month: f64,
}

/// us-east-1 list prices as of [`PRICES_AS_OF`]: CloudFront $0.0100 per 10,000 HTTPS requests,
/// S3 Standard $0.023 per GB-month, HTTP API $1.00 per million requests, Lambda $0.20 per
/// million requests and $0.0000166667 per GB-second, a CloudWatch alarm $0.10 a month. No free
/// tier.
pub const USAGE_US_EAST_1: UsagePrices = UsagePrices {
    cloudfront_https_request: 0.000_001,
    s3_gb_month: 0.023,
    http_api_request: 0.000_001,
    lambda_request: 0.000_000_2,
    lambda_gb_second: 0.000_016_666_7,
    alarm_month: 0.10,
};

/// The hourly lines of a usage-priced template at [`SERVERLESS_REQUESTS_PER_HOUR`]; `None` for
/// the templates priced by the hour. `static-site`: CloudFront requests, 100 MB in S3, its 5xx
/// alarm. `lambda-api`: API requests, Lambda requests and 100 ms at 256 MB each, 1 KB of logs
/// per request, its two alarms. Not counted: data transfer out (CloudFront $0.085/GB), S3 reads
/// on cache misses, Route 53 queries (alias queries are free).
pub fn serverless_lines(
    usage: &UsagePrices,
    template: &TemplateName,
    logs_ingest_gb: f64,
) -> Option<Vec<(String, f64)>> {
    let requests = SERVERLESS_REQUESTS_PER_HOUR;
    let alarms = |n: f64| {
        (
            format!("CloudWatch alarms ({n})"),
            n * usage.alarm_month / HOURS_PER_MONTH,
        )
    };
    match template.as_str() {
        "static-site" => Some(vec![
            (
                format!("CloudFront HTTPS requests ({requests}/hour)"),
                requests * usage.cloudfront_https_request,
            ),
            (
                "S3 storage (100 MB)".to_owned(),
                0.1 * usage.s3_gb_month / HOURS_PER_MONTH,
            ),
            alarms(1.0),
        ]),
        "lambda-api" => Some(vec![
            (
                format!("HTTP API requests ({requests}/hour)"),
                requests * usage.http_api_request,
            ),
            (
                format!("Lambda requests ({requests}/hour)"),
                requests * usage.lambda_request,
            ),
            (
                "Lambda duration (100 ms at 256 MB each)".to_owned(),
                requests * 0.1 * 0.25 * usage.lambda_gb_second,
            ),
            (
                "CloudWatch Logs (1 KB per request)".to_owned(),
                requests * 1e-6 * logs_ingest_gb,
            ),
            alarms(2.0),
        ]),
        _ => None,
    }
}

/// The estimate made of `lines` (USD per hour) over `ttl`.
fn summed(prices: &PriceTable, lines: Vec<(String, f64)>, ttl: Ttl) -> CostEstimate {
    let hourly: f64 = lines.iter().map(|(_, usd)| usd).sum();
    let hours = ttl.duration().num_seconds() as f64 / 3600.0;
    CostEstimate {
        region: prices.region,
        prices_as_of: PRICES_AS_OF,
        hours,
        hourly_usd: round(hourly, 7),
        total_usd: round(hourly * hours, 2),
        monthly_usd: round(hourly * HOURS_PER_MONTH, 2),
        breakdown: lines
            .into_iter()
            .map(|(item, usd)| (item, round(usd, 7)))
            .collect(),
    }
}

/// An existing environment's estimate: over its whole lifetime (`created_at` to `expires_at`)
/// and so far (to `now`, or to its expiry if that came first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifetimeEstimate {
    /// The estimate, with `hours` and `total_usd` over the lifetime.
    pub estimate: CostEstimate,
    /// Hours it has existed so far (not rounded).
    pub elapsed_hours: f64,
    /// The estimated cost so far (rounded to cents).
    pub to_date_usd: f64,
}

/// [`estimate`] of an environment that exists, from its template, sizes and timestamps: the one
/// rule `idp cost NAME`, the API and the portal's cost column share.
pub fn lifetime_estimate(
    template: &TemplateName,
    cpu: u32,
    memory: u32,
    network: impl Into<Network>,
    created_at: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> LifetimeEstimate {
    let hours = |d: chrono::TimeDelta| (d.num_seconds().max(0) as f64) / 3600.0;
    let lifetime = hours(expires_at - created_at);
    let elapsed = hours(now.min(expires_at) - created_at);
    let mut e = estimate(template, cpu, memory, Ttl::DEFAULT, network);
    e.hours = lifetime;
    e.total_usd = round(e.hourly_usd * lifetime, 2);
    LifetimeEstimate {
        to_date_usd: round(e.hourly_usd * elapsed, 2),
        elapsed_hours: elapsed,
        estimate: e,
    }
}

/// A dollar amount for people: `$1,234.57`, `$0.05`, `<$0.01` for a positive amount below half
/// a cent, `$0.00` for zero (and for negative or non-finite input, which estimates never give).
pub fn format_usd(usd: f64) -> String {
    if !usd.is_finite() || usd <= 0.0 {
        return "$0.00".to_owned();
    }
    if usd < 0.005 {
        return "<$0.01".to_owned();
    }
    let fixed = format!("{usd:.2}");
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut out = String::from("$");
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let _ = write!(out, ".{frac}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_preview_costs_its_share_of_the_nodes_and_far_less_than_a_stack() {
        let k8s = TemplateName::new("k8s-namespace").unwrap();
        let e = estimate(&k8s, 256, 512, Ttl::DEFAULT, false);
        // 0.25 vCPU × 0.0312 + 0.5 GB × 0.0042 + logs 0.005.
        assert!((e.hourly_usd - 0.0149).abs() < 1e-6, "{e:?}");
        assert_eq!(e.breakdown.len(), 3);
        let stack = estimate(
            &TemplateName::default_template(),
            256,
            512,
            Ttl::DEFAULT,
            false,
        );
        assert!(e.hourly_usd * 5.0 < stack.hourly_usd, "{e:?} vs {stack:?}");
    }

    fn template(name: &str) -> TemplateName {
        TemplateName::new(name).unwrap()
    }

    fn ttl(s: &str) -> Ttl {
        Ttl::parse(s).unwrap()
    }

    fn items(e: &CostEstimate) -> Vec<&str> {
        e.breakdown.iter().map(|(i, _)| i.as_str()).collect()
    }

    #[test]
    fn api_service_default_size_for_a_week() {
        let e = estimate(&template("api-service"), 256, 512, ttl("7d"), false);
        // 0.25 × 0.04048 + 0.5 × 0.004445 + 0.0225 + 2 × 0.005 + 0.045 + 0.005 + 0.01 × 0.5
        assert_eq!(e.hourly_usd, 0.0998425);
        assert_eq!(e.hours, 168.0);
        assert_eq!(e.total_usd, 16.77);
        assert_eq!(e.monthly_usd, 72.89);
        let sum: f64 = e.breakdown.iter().map(|(_, usd)| usd).sum();
        assert!((sum - e.hourly_usd).abs() < 1e-9);
    }

    #[test]
    fn shared_networking_removes_the_nat_lines() {
        let own = estimate(&template("api-service"), 256, 512, ttl("7d"), false);
        let shared = estimate(&template("api-service"), 256, 512, ttl("7d"), true);
        assert!(items(&own).contains(&"NAT gateway"));
        assert!(!items(&shared).iter().any(|i| i.contains("NAT")));
        assert!((own.hourly_usd - shared.hourly_usd - 0.05).abs() < 1e-9);
    }

    #[test]
    fn the_shared_ingress_leaves_an_idle_day_at_the_task_and_its_logs() {
        let day = ttl("1d");
        let own = estimate(&template("api-service"), 256, 512, day, Network::Own);
        let shared = estimate(
            &template("api-service"),
            256,
            512,
            day,
            Network::SharedIngress,
        );
        // Today's stack with its own load balancer, public addresses and NAT gateway: $2.40.
        assert_eq!(own.total_usd, 2.4);
        // 0.25 × 0.04048 + 0.5 × 0.004445 + 0.01 × 0.5 = $0.0173425/h, $0.42 a day.
        assert_eq!(shared.hourly_usd, 0.0173425);
        assert_eq!(shared.total_usd, 0.42);
        assert!(shared.total_usd <= 0.45);
        for gone in ["Load Balancer", "IPv4", "NAT"] {
            assert!(
                !items(&shared).iter().any(|i| i.contains(gone)),
                "{gone} in {shared:?}"
            );
        }
        // Paid once by the platform: the shared load balancer and its two addresses.
        let platform: f64 = shared_ingress_platform_lines(&US_EAST_1)
            .iter()
            .map(|(_, usd)| usd)
            .sum();
        assert!((platform - 0.0325).abs() < 1e-9);
        assert_eq!(Network::from(true), Network::SharedVpc);
        assert_eq!(Network::of(false, true), Network::SharedIngress);
        // A worker has no load balancer to share: only its NAT gateway goes.
        let worker = estimate(
            &template("scheduled-worker"),
            256,
            512,
            day,
            Network::SharedIngress,
        );
        let worker_vpc = estimate(&template("scheduled-worker"), 256, 512, day, true);
        assert_eq!(worker, worker_vpc);
    }

    #[test]
    fn usage_priced_templates_cost_their_assumed_requests_and_alarms_not_fargate() {
        let site = estimate(&template("static-site"), 256, 512, ttl("1d"), false);
        assert_eq!(
            items(&site),
            [
                "CloudFront HTTPS requests (1000/hour)",
                "S3 storage (100 MB)",
                "CloudWatch alarms (1)"
            ]
        );
        assert!((site.hourly_usd - 0.00114).abs() < 1e-5, "{site:?}");
        let api = estimate(&template("lambda-api"), 4096, 8192, ttl("1d"), false);
        assert!(
            !items(&api)
                .iter()
                .any(|i| i.contains("Fargate") || i.contains("NAT"))
        );
        assert!((api.hourly_usd - 0.00239).abs() < 1e-5, "{api:?}");
        assert_eq!(api.monthly_usd, 1.75);
    }

    #[test]
    fn api_database_adds_rds_and_scheduled_worker_has_no_load_balancer() {
        let db = estimate(&template("api-database"), 256, 512, ttl("1d"), true);
        assert!(items(&db).contains(&"RDS PostgreSQL db.t3.micro"));
        let worker = estimate(&template("scheduled-worker"), 256, 512, ttl("1d"), true);
        assert!(!items(&worker).iter().any(|i| i.contains("Load Balancer")));
        assert!(!items(&worker).iter().any(|i| i.contains("RDS")));
    }

    #[test]
    fn fargate_lines_scale_with_cpu_and_memory() {
        let e = estimate(&template("api-service"), 1024, 2048, ttl("1h"), true);
        assert_eq!(
            e.breakdown[0],
            ("Fargate vCPU (1 vCPU)".to_owned(), 0.04048)
        );
        assert_eq!(
            e.breakdown[1],
            ("Fargate memory (2 GB)".to_owned(), 0.00889)
        );
    }

    #[test]
    fn estimates_serialize_with_their_price_date() {
        let e = estimate(&template("scheduled-worker"), 256, 512, ttl("12h"), true);
        insta::assert_json_snapshot!(e, @r#"
        {
          "region": "us-east-1",
          "prices_as_of": "2026-03-01",
          "hours": 12.0,
          "hourly_usd": 0.0173425,
          "total_usd": 0.21,
          "monthly_usd": 12.66,
          "breakdown": [
            [
              "Fargate vCPU (0.25 vCPU)",
              0.01012
            ],
            [
              "Fargate memory (0.5 GB)",
              0.0022225
            ],
            [
              "CloudWatch Logs (10 MB/hour)",
              0.005
            ]
          ]
        }
        "#);
    }

    #[test]
    fn usd_amounts_are_formatted_for_people() {
        let cases = [
            (0.0, "$0.00"),
            (-1.0, "$0.00"),
            (f64::NAN, "$0.00"),
            (0.004, "<$0.01"),
            (0.005, "$0.01"),
            (0.1, "$0.10"),
            (16.7735, "$16.77"),
            (999.999, "$1,000.00"),
            (1234567.891, "$1,234,567.89"),
        ];
        for (usd, text) in cases {
            assert_eq!(format_usd(usd), text, "{usd}");
        }
    }
}
