//! The `Billing` port on AWS Cost Explorer (`GetCostAndUsage`).
//!
//! One request asks for daily `UnblendedCost` grouped by one tag; every `NextPageToken` is
//! followed. Cost Explorer names a group `key$value` (`idp:environment$preview-a`) and reports
//! spend without the tag as `idp:environment$`: the prefix is taken off, the empty value kept.
//! Cost Explorer has one endpoint, in `us-east-1`, whatever the region of the resources, so the
//! client is built for that region (see [`super::AwsAdapters::new`]).

use async_trait::async_trait;
use aws_sdk_costexplorer::Client;
use aws_sdk_costexplorer::types::{
    DateInterval, Granularity, GroupDefinition, GroupDefinitionType,
};
use chrono::NaiveDate;

use super::error::Failure;
use crate::ports::{BillingError, BoxError, DailyCost};

const BACKEND: &str = "cost-explorer";
/// The metric asked for: what was charged, before credits and discounts are shared out.
const METRIC: &str = "UnblendedCost";
/// Cost Explorer's only region.
pub const COST_EXPLORER_REGION: &str = "us-east-1";

/// A [`crate::ports::Billing`] on Cost Explorer, for the account (or the organization's
/// management account) of its client.
#[derive(Debug, Clone)]
pub struct CostExplorerBilling {
    client: Client,
}

impl CostExplorerBilling {
    /// Billing read through `client` (whose region should be [`COST_EXPLORER_REGION`]).
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

/// An answer of Cost Explorer that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("`GetCostAndUsage` answered {what}")]
struct Unreadable {
    what: String,
}

fn unreadable(what: String) -> BillingError {
    BillingError::Backend {
        backend: BACKEND,
        source: Box::new(Unreadable { what }) as BoxError,
    }
}

/// The tag value of a group key `tag_key$value` (the whole key if it lacks the prefix).
fn tag_value<'a>(tag_key: &str, group_key: &'a str) -> &'a str {
    group_key
        .strip_prefix(tag_key)
        .and_then(|rest| rest.strip_prefix('$'))
        .unwrap_or(group_key)
}

#[async_trait]
impl crate::ports::Billing for CostExplorerBilling {
    async fn daily_cost_by_tag(
        &self,
        tag_key: &str,
        start: NaiveDate,
        end_exclusive: NaiveDate,
    ) -> Result<Vec<DailyCost>, BillingError> {
        if start >= end_exclusive {
            return Ok(Vec::new());
        }
        let period = DateInterval::builder()
            .start(start.format("%Y-%m-%d").to_string())
            .end(end_exclusive.format("%Y-%m-%d").to_string())
            .build()
            .map_err(|e| BillingError::Backend {
                backend: BACKEND,
                source: Box::new(e),
            })?;
        let group = GroupDefinition::builder()
            .r#type(GroupDefinitionType::Tag)
            .key(tag_key)
            .build();
        let mut rows = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Daily)
                .metrics(METRIC)
                .group_by(group.clone())
                .set_next_page_token(token.take())
                .send()
                .await
                .map_err(|err| {
                    Failure::new(err, "GetCostAndUsage", format!("tag `{tag_key}`"))
                        .into_billing(BACKEND)
                })?;
            for result in output.results_by_time() {
                let day = result
                    .time_period()
                    .map(DateInterval::start)
                    .ok_or_else(|| unreadable("a result without a time period".to_owned()))?;
                let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|e| unreadable(format!("the day `{day}` ({e})")))?;
                for group in result.groups() {
                    let key = group.keys().first().map_or("", String::as_str);
                    let amount = group
                        .metrics()
                        .and_then(|m| m.get(METRIC))
                        .and_then(|m| m.amount())
                        .ok_or_else(|| {
                            unreadable(format!("no `{METRIC}` for group `{key}` on {day}"))
                        })?;
                    let usd: f64 = amount.parse().map_err(|_| {
                        unreadable(format!(
                            "the amount `{amount}` for group `{key}` on {day}, not a number"
                        ))
                    })?;
                    rows.push(DailyCost {
                        day,
                        tag_value: tag_value(tag_key, key).to_owned(),
                        usd,
                    });
                }
            }
            match output.next_page_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        rows.sort_by(|a, b| (a.day, &a.tag_value).cmp(&(b.day, &b.tag_value)));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_keys_lose_the_tag_prefix_and_untagged_spend_keeps_an_empty_value() {
        let key = "idp:environment";
        assert_eq!(tag_value(key, "idp:environment$preview-a"), "preview-a");
        assert_eq!(tag_value(key, "idp:environment$"), "");
        assert_eq!(tag_value(key, "idp:environment$a$b"), "a$b");
        assert_eq!(tag_value(key, "other"), "other");
    }
}
