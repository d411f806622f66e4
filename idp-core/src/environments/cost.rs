//! `idp cost`: the estimated cost of an environment, before it exists (from a config and TTL)
//! or while it lives (from its record: template and lifetime so far). The numbers come from
//! [`crate::domain::cost`], the same ones `idp create` and the PR comment show.
//!
//! Actual spend needs a billing source (AWS Cost Explorer by the environment's tags); no backend
//! provides one yet, so every report says so in `actuals_note` rather than passing an estimate
//! off as a bill.

use serde::Serialize;

pub use crate::support::spend::{
    BURN_DAYS, BilledDay, EnvSpend, MonthSpend, SpendSource, month_report, month_start,
    month_to_date, next_month_start,
};

use crate::domain::config::Config;
use crate::domain::cost::{self, CostEstimate};
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::ttl::Ttl;
use crate::error::Result;
use crate::platform::Platform;
use crate::support::state;

/// What is said about actual spend while no backend can report it.
pub const NO_ACTUALS: &str = "actual spend is not available: no backend reports billing data yet, so these are list-price estimates";

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
    /// The estimate over the whole lifetime (`estimate.hours`: the TTL, or created → expires).
    pub estimate: CostEstimate,
    /// Hours it has existed so far (environments only).
    pub elapsed_hours: Option<f64>,
    /// The estimated cost so far (environments only).
    pub to_date_usd: Option<f64>,
    /// Actual spend, when a backend can report it (none can yet).
    pub actuals_usd: Option<f64>,
    /// Why there are no actuals.
    pub actuals_note: String,
    /// What the estimate assumes.
    pub assumptions: Vec<String>,
}

/// Estimate the cost `req` asks about.
pub async fn cost(platform: &Platform, req: CostRequest) -> Result<CostReport> {
    let mut assumptions = vec![format!(
        "{} list prices as of {}; data transfer, LCUs and storage are not counted",
        cost::US_EAST_1.region,
        cost::PRICES_AS_OF
    )];
    let (subject, name, config, estimate, elapsed) = match req {
        CostRequest::Config { config, ttl } => {
            let ttl = ttl.unwrap_or(config.ttl);
            let e = cost::estimate(
                &config.template,
                config.cpu,
                config.memory,
                ttl,
                config.use_shared_networking,
            );
            (CostSubject::Config, None, config, e, None)
        }
        CostRequest::Environment { name, mut config } => {
            let meta = state::load_existing(&*platform.backend.store, &name)
                .await?
                .meta;
            config.template = meta.template.clone();
            assumptions.push(format!(
                "sizes are not recorded with the environment: estimated at {} CPU / {} MiB from the config",
                config.cpu, config.memory
            ));
            let lifetime = cost::lifetime_estimate(
                &config.template,
                config.cpu,
                config.memory,
                config.use_shared_networking,
                meta.created_at,
                meta.expires_at,
                platform.backend.clock.now(),
            );
            (
                CostSubject::Environment,
                Some(name.to_string()),
                config,
                lifetime.estimate,
                Some((lifetime.elapsed_hours, lifetime.to_date_usd)),
            )
        }
    };
    Ok(CostReport {
        subject,
        name,
        template: config.template,
        cpu: config.cpu,
        memory: config.memory,
        shared_networking: config.use_shared_networking,
        to_date_usd: elapsed.map(|(_, usd)| usd),
        elapsed_hours: elapsed.map(|(h, _)| (h * 100.0).round() / 100.0),
        estimate,
        actuals_usd: None,
        actuals_note: NO_ACTUALS.to_owned(),
        assumptions,
    })
}

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
