//! `idp cost`: the estimated cost of an environment, before it exists (from a config and TTL)
//! or while it lives (from its record: template and lifetime so far). The numbers come from
//! [`crate::domain::cost`], the same ones `idp create` and the PR comment show.
//!
//! Actual spend comes from the backend's billing source (AWS Cost Explorer by the
//! `idp:environment` tag, see [`crate::support::spend`]): an environment's report adds what is
//! billed this month, through which day, the estimate of the hours not billed yet, the daily burn
//! and projections. Without a billing source (the local backend) `actuals_note` says that the
//! numbers are list-price estimates, never passing one off as a bill. [`chargeback`] groups the
//! month's spend by owner, team, template or environment, and [`export`] writes it as CSV and
//! JSON for finance.

use serde::Serialize;

pub use crate::support::spend::{
    BURN_DAYS, BilledDay, EnvSpend, MonthSpend, SpendSource, month_report, month_start,
    month_to_date, next_month_start,
};

use crate::domain::config::Config;
use crate::domain::cost::{self, CostEstimate};
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::tfvars;
use crate::domain::ttl::Ttl;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::state;

/// What is said about actual spend where the backend has no billing source (or before creating).
pub const NO_ACTUALS: &str = "actual spend is not available: this backend has no billing source (Cost Explorer is read on the aws backend), so these are list-price estimates";

/// What to estimate.
#[derive(Debug, Clone)]
pub enum CostRequest {
    /// An environment that does not exist yet, from a config (and a TTL overriding its own).
    Config {
        /// The configuration (template, sizes, networking, TTL).
        config: Config,
        /// A TTL overriding the config's.
        ttl: Option<Ttl>,
    },
    /// An existing environment: its template and lifetime from its record; sizes and
    /// networking from `config` (the record does not keep them).
    Environment {
        /// The environment.
        name: EnvName,
        /// Where the sizes come from.
        config: Config,
    },
}

/// What the estimate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSubject {
    /// A config, before creating.
    Config,
    /// An existing environment.
    Environment,
}

/// The estimate, as every frontend shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// What it is for.
    pub subject: CostSubject,
    /// The environment, for [`CostSubject::Environment`].
    pub name: Option<String>,
    pub template: TemplateName,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// Whether the shared VPC is used (no NAT gateway of its own).
    pub shared_networking: bool,
    /// The region it runs (or would run) in.
    pub region: String,
    /// Whether it is served through the shared load balancer (no load balancer, public
    /// address or NAT gateway of its own).
    pub shared_ingress: bool,
    /// The estimate over the whole lifetime (`estimate.hours`: the TTL, or created → expires).
    pub estimate: CostEstimate,
    /// Hours it has existed so far (environments only).
    pub elapsed_hours: Option<f64>,
    /// The estimated cost so far (environments only).
    pub to_date_usd: Option<f64>,
    /// What the bill (Cost Explorer) reports this month so far, when the backend has a bill.
    pub actuals_usd: Option<f64>,
    /// Where the spend figures come from, said plainly: billed through which day, or estimated.
    pub actuals_note: String,
    /// This month's spend (environments only).
    pub spend: Option<SpendSummary>,
    /// What the estimate assumes.
    pub assumptions: Vec<String>,
}

/// An environment's spend this month and where it is heading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendSummary {
    /// `YYYY-MM`.
    pub month: String,
    pub source: SpendSource,
    /// Billed by Cost Explorer this month (0 without a bill).
    pub billed_usd: f64,
    /// The last day the bill covers.
    pub billed_through: Option<chrono::NaiveDate>,
    /// The estimate of this month's hours after `billed_through` (all of them without a bill).
    pub unbilled_estimate_usd: f64,
    /// Average billed cost a day over the last billed days ([`BURN_DAYS`]).
    pub daily_burn_usd: Option<f64>,
    /// Spend so far this month plus the burn (the estimate without one) until the expiry; an
    /// earlier month's part of the life is added at list price.
    pub projected_to_expiry_usd: f64,
    /// Spend so far this month plus the burn until the month ends (or the expiry, if sooner).
    pub projected_month_end_usd: f64,
}

/// The spend part of an environment's report.
async fn spend_summary(
    platform: &Platform,
    meta: &crate::domain::lifecycle::Metadata,
    estimate: &CostEstimate,
) -> Result<(SpendSummary, Option<f64>, String)> {
    let now = platform.backend.clock.now();
    let month = now.date_naive();
    let spend = month_to_date(platform, month, std::slice::from_ref(meta)).await?;
    let s = spend.get(&meta.name).cloned().unwrap_or(EnvSpend {
        billed_usd: 0.0,
        billed_through: None,
        unbilled_estimate_usd: 0.0,
        source: SpendSource::EstimateOnly,
        days: Vec::new(),
    });
    let burn = s.daily_burn_usd(meta.created_at);
    let hourly = burn.map_or(estimate.hourly_usd, |d| d / 24.0);
    let hours = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        ((to - from).num_seconds().max(0) as f64) / 3600.0
    };
    let month_start_at = month_start(month)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let month_end_at = next_month_start(month)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let so_far = s.billed_usd + s.unbilled_estimate_usd;
    let before_month =
        estimate.hourly_usd * hours(meta.created_at, month_start_at.min(meta.expires_at));
    let cents = |x: f64| (x * 100.0).round() / 100.0;
    let note = match (s.source, s.billed_through) {
        (SpendSource::EstimateOnly, _) => NO_ACTUALS.to_owned(),
        (SpendSource::Billed, Some(day)) => format!(
            "billed (Cost Explorer, through {day}); the hours after that are estimated at list price"
        ),
        (SpendSource::Billed, None) => "billed (Cost Explorer): no day of this month is billed yet (Cost Explorer lags about a day), so this month is estimated at list price".to_owned(),
    };
    let actuals = (s.source == SpendSource::Billed).then_some(s.billed_usd);
    Ok((
        SpendSummary {
            month: month.format("%Y-%m").to_string(),
            source: s.source,
            billed_usd: s.billed_usd,
            billed_through: s.billed_through,
            unbilled_estimate_usd: s.unbilled_estimate_usd,
            daily_burn_usd: burn,
            projected_to_expiry_usd: cents(
                before_month + so_far + hourly * hours(now, meta.expires_at),
            ),
            projected_month_end_usd: cents(
                so_far + hourly * hours(now, month_end_at.min(meta.expires_at)),
            ),
        },
        actuals,
        note,
    ))
}

/// Estimate the cost `req` asks about.
pub async fn cost(platform: &Platform, req: CostRequest) -> Result<CostReport> {
    let mut assumptions = vec![format!(
        "{} list prices as of {}; data transfer, LCUs and storage are not counted",
        cost::US_EAST_1.region,
        cost::PRICES_AS_OF
    )];
    let mut spend = None;
    let mut region = None;
    let platform_vars = &platform.settings.platform_vars;
    let network_of = |config: &Config, recorded_priority: bool| {
        let ingress = recorded_priority || tfvars::uses_shared_ingress(config, platform_vars);
        cost::Network::of(config.use_shared_networking, ingress)
    };
    let network: cost::Network;
    let (subject, name, config, estimate, elapsed) = match req {
        CostRequest::Config { config, ttl } => {
            let ttl = ttl.unwrap_or(config.ttl);
            network = network_of(&config, false);
            let e = cost::estimate(&config.template, config.cpu, config.memory, ttl, network);
            (CostSubject::Config, None, config, e, None)
        }
        CostRequest::Environment { name, mut config } => {
            let meta = state::load_existing(&*platform.backend.store, &name)
                .await?
                .meta;
            config.template = meta.template.clone();
            region.clone_from(&meta.region);
            assumptions.push(format!(
                "sizes are not recorded with the environment: estimated at {} CPU / {} MiB from the config",
                config.cpu, config.memory
            ));
            // An environment holding a listener priority is on the shared ingress, whatever
            // today's config says.
            network = network_of(&config, meta.listener_rule_priority.is_some());
            let lifetime = cost::lifetime_estimate(
                &config.template,
                config.cpu,
                config.memory,
                network,
                meta.created_at,
                meta.expires_at,
                platform.backend.clock.now(),
            );
            spend = Some(spend_summary(platform, &meta, &lifetime.estimate).await?);
            (
                CostSubject::Environment,
                Some(name.to_string()),
                config,
                lifetime.estimate,
                Some((lifetime.elapsed_hours, lifetime.to_date_usd)),
            )
        }
    };
    let region = region
        .or_else(|| config.region.clone())
        .unwrap_or_else(|| platform.settings.region.clone());
    if region != cost::US_EAST_1.region {
        assumptions.push(format!(
            "it runs in `{region}`, estimated at {} prices (list prices differ by region, most by under a fifth)",
            cost::US_EAST_1.region
        ));
    }
    let shared_ingress = network == cost::Network::SharedIngress && config.template.has_endpoint();
    if shared_ingress {
        let lines = cost::shared_ingress_platform_lines(&cost::US_EAST_1);
        let hourly: f64 = lines.iter().map(|(_, usd)| usd).sum();
        assumptions.push(format!(
            "served through the shared load balancer: it and its 2 public IPv4 addresses ({}/hour, {}/month) are a platform cost paid once for every shared-ingress environment, not counted here; so is the shared VPC's NAT gateway",
            cost::format_usd(hourly),
            cost::format_usd(hourly * cost::HOURS_PER_MONTH)
        ));
    }
    Ok(CostReport {
        subject,
        name,
        region,
        template: config.template,
        cpu: config.cpu,
        memory: config.memory,
        shared_networking: network.shared_vpc(),
        shared_ingress,
        to_date_usd: elapsed.map(|(_, usd)| usd),
        elapsed_hours: elapsed.map(|(h, _)| (h * 100.0).round() / 100.0),
        estimate,
        actuals_usd: spend.as_ref().and_then(|(_, a, _)| *a),
        actuals_note: spend
            .as_ref()
            .map_or_else(|| NO_ACTUALS.to_owned(), |(_, _, n)| n.clone()),
        spend: spend.map(|(s, _, _)| s),
        assumptions,
    })
}

pub use super::chargeback::{
    ChargebackReport, ChargebackRequest, ChargebackRow, CostGroup, ExportReport, NO_TEAM,
    chargeback, export, to_csv as chargeback_csv,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_config_is_estimated_over_its_ttl_and_says_there_are_no_actuals() {
        let platform = Platform::new(crate::backend::Backend::memory());
        let report = cost(
            &platform,
            CostRequest::Config {
                config: Config::default(),
                ttl: Some(Ttl::parse("10h").unwrap()),
            },
        )
        .await
        .unwrap();
        assert_eq!(report.estimate.hours, 10.0);
        assert_eq!(report.to_date_usd, None);
        assert_eq!(
            (report.actuals_usd, report.actuals_note.as_str()),
            (None, NO_ACTUALS)
        );
    }

    #[tokio::test]
    async fn a_missing_environment_is_not_found() {
        let platform = Platform::new(crate::backend::Backend::memory());
        let name = EnvName::parse("nope").unwrap();
        let err = cost(
            &platform,
            CostRequest::Environment {
                name,
                config: Config::default(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::NotFound);
    }
}
