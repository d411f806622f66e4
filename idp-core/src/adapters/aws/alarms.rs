//! The alarms of [`crate::ports::Deployer::alarms`] on CloudWatch: `DescribeAlarms` by name.
//!
//! The templates name their alarms `idp-{env}-…` and output the names (`alarm_names`); this
//! reads exactly those, never by name prefix, because `idp-pr-1-` is also the prefix of every
//! alarm of an environment `pr-1-…`. CloudFront publishes its metrics in us-east-1 only, so a
//! static site's alarm lives there whatever the environment's region: a name the regional client
//! does not find is looked for in us-east-1 as well.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{AlarmType, MetricAlarm};
use chrono::{DateTime, Utc};

use super::error::Failure;
use crate::ports::{AlarmState, AlarmStatus, DeployError};

const BACKEND: &str = "cloudwatch";

/// `DescribeAlarms` takes at most 100 names a call.
const NAMES_PER_CALL: usize = 100;

/// CloudWatch metric alarms, read in the environment's region and, for what is not there, in
/// us-east-1 (CloudFront's alarms).
#[derive(Debug, Clone)]
pub struct CloudWatchAlarms {
    regional: Client,
    us_east_1: Option<Client>,
}

impl CloudWatchAlarms {
    /// Alarms read through `client` only.
    pub fn new(client: Client) -> Self {
        Self {
            regional: client,
            us_east_1: None,
        }
    }

    /// The same reader, looking in us-east-1 through `client` for the names its own region
    /// lacks (leave it out when the region is us-east-1).
    #[must_use]
    pub fn with_us_east_1(mut self, client: Client) -> Self {
        self.us_east_1 = Some(client);
        self
    }

    /// The alarms named `names`, in their order; unknown names are left out.
    pub async fn describe(&self, names: &[String]) -> Result<Vec<AlarmStatus>, DeployError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = describe_in(&self.regional, names).await?;
        if let Some(global) = &self.us_east_1 {
            let missing: Vec<String> = names
                .iter()
                .filter(|n| !found.iter().any(|a| &a.name == *n))
                .cloned()
                .collect();
            if !missing.is_empty() {
                found.extend(describe_in(global, &missing).await?);
            }
        }
        Ok(names
            .iter()
            .filter_map(|n| found.iter().find(|a| &a.name == n).cloned())
            .collect())
    }
}

/// Every metric alarm of `names` that `client`'s region has, page by page.
async fn describe_in(client: &Client, names: &[String]) -> Result<Vec<AlarmStatus>, DeployError> {
    let mut alarms = Vec::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let mut token: Option<String> = None;
        loop {
            let answer = client
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .alarm_types(AlarmType::MetricAlarm)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    Failure::new(e, "DescribeAlarms", chunk.join(",")).into_deploy(BACKEND)
                })?;
            alarms.extend(answer.metric_alarms().iter().filter_map(status));
            match answer.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
    }
    Ok(alarms)
}

/// A metric alarm as the port reports it; `None` for one without a name.
fn status(alarm: &MetricAlarm) -> Option<AlarmStatus> {
    Some(AlarmStatus {
        name: alarm.alarm_name()?.to_owned(),
        state: alarm
            .state_value()
            .map_or(AlarmState::InsufficientData, |s| {
                AlarmState::parse(s.as_str())
            }),
        reason: alarm.state_reason().unwrap_or_default().to_owned(),
        since: alarm
            .state_updated_timestamp()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())),
    })
}
