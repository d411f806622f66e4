//! The `Budgets` port on AWS Budgets and SNS.
//! Long because one adapter speaks two services, each call with its own error mapping.
//!
//! A budget is a monthly COST budget in US dollars whose cost filter is the `idp:owner` tag
//! with the owners' logins (`TagKeyValue: user:idp:owner$alice`), with one notification per
//! threshold (ACTUAL spend, GREATER_THAN, PERCENTAGE of the limit) sending to the SNS topic.
//! The topic's policy lets `budgets.amazonaws.com` publish to it (from this account only).
//!
//! AWS Budgets calls name the account: it is the caller's (STS `GetCallerIdentity`, asked
//! once).

#![allow(
    deprecated,
    reason = "`CostFilters` (`TagKeyValue: user:idp:owner$alice`) is the filter this platform documents and moto stores; AWS still honours it beside the newer `FilterExpression`"
)]

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, Notification, NotificationType,
    NotificationWithSubscribers, Spend, Subscriber, SubscriptionType, ThresholdType, TimeUnit,
};
use tokio::sync::OnceCell;

use super::error::Failure;
use crate::ports::budgets::{
    BudgetError, BudgetInfo, BudgetSpec, Budgets, OWNER_TAG, Subscription,
};

const BUDGETS: &str = "budgets";
const SNS: &str = "sns";
/// The cost filter dimension of tags.
const TAG_FILTER: &str = "TagKeyValue";
/// The statement of the topic policy that lets AWS Budgets publish.
const PUBLISH_SID: &str = "idp-budgets-publish";
/// What SNS answers as the subscription ARN of an address that has not confirmed.
const PENDING: &str = "PendingConfirmation";

/// [`Budgets`] on AWS Budgets and SNS, in the caller's account.
#[derive(Debug, Clone)]
pub struct AwsBudgets {
    budgets: aws_sdk_budgets::Client,
    sns: aws_sdk_sns::Client,
    sts: aws_sdk_sts::Client,
    account: std::sync::Arc<OnceCell<String>>,
}

impl AwsBudgets {
    /// Budgets through these clients (AWS Budgets is global: its client's region is
    /// `us-east-1` on the standard endpoints).
    pub fn new(
        budgets: aws_sdk_budgets::Client,
        sns: aws_sdk_sns::Client,
        sts: aws_sdk_sts::Client,
    ) -> Self {
        Self {
            budgets,
            sns,
            sts,
            account: std::sync::Arc::new(OnceCell::new()),
        }
    }

    async fn account(&self) -> Result<&str, BudgetError> {
        self.account
            .get_or_try_init(|| async {
                let out = self.sts.get_caller_identity().send().await.map_err(|e| {
                    Failure::new(e, "GetCallerIdentity", "sts").into_budgets(BUDGETS)
                })?;
                out.account()
                    .map(str::to_owned)
                    .ok_or_else(|| BudgetError::Backend {
                        backend: BUDGETS,
                        source: "STS answered no account id".into(),
                    })
            })
            .await
            .map(String::as_str)
    }
}

/// The `TagKeyValue` values of `owners`.
fn tag_values(owners: &[String]) -> Vec<String> {
    owners
        .iter()
        .map(|o| format!("user:{OWNER_TAG}${o}"))
        .collect()
}

fn budget_of(spec: &BudgetSpec) -> Result<Budget, BudgetError> {
    let limit = Spend::builder()
        .amount(format!("{:.2}", spec.limit_usd))
        .unit("USD")
        .build()
        .map_err(build_error)?;
    Budget::builder()
        .budget_name(&spec.name)
        .budget_limit(limit)
        .time_unit(TimeUnit::Monthly)
        .budget_type(BudgetType::Cost)
        .cost_filters(TAG_FILTER, tag_values(&spec.owners))
        .build()
        .map_err(build_error)
}

fn notification(percent: u32) -> Result<Notification, BudgetError> {
    Notification::builder()
        .notification_type(NotificationType::Actual)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(f64::from(percent))
        .threshold_type(ThresholdType::Percentage)
        .build()
        .map_err(build_error)
}

fn subscriber(topic: &str) -> Result<Subscriber, BudgetError> {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Sns)
        .address(topic)
        .build()
        .map_err(build_error)
}

fn build_error(e: aws_sdk_budgets::error::BuildError) -> BudgetError {
    BudgetError::Backend {
        backend: BUDGETS,
        source: Box::new(e),
    }
}

fn spec_of(budget: &Budget, alert_at: Vec<u32>) -> BudgetSpec {
    let prefix = format!("user:{OWNER_TAG}$");
    let mut owners: Vec<String> = budget
        .cost_filters()
        .and_then(|f| f.get(TAG_FILTER))
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.strip_prefix(&prefix).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    owners.sort();
    BudgetSpec {
        name: budget.budget_name().to_owned(),
        limit_usd: budget
            .budget_limit()
            .and_then(|l| l.amount().parse::<f64>().ok())
            .unwrap_or(0.0),
        owners,
        alert_at,
    }
}

/// The percent thresholds of idp's notifications (ACTUAL, GREATER_THAN, PERCENTAGE).
fn thresholds(notifications: &[Notification]) -> Vec<u32> {
    let mut out: Vec<u32> = notifications
        .iter()
        .filter(|n| {
            n.notification_type() == &NotificationType::Actual
                && n.comparison_operator() == &ComparisonOperator::GreaterThan
                && n.threshold_type() == Some(&ThresholdType::Percentage)
        })
        .filter_map(|n| {
            let t = n.threshold();
            (t.fract() == 0.0 && t >= 0.0 && t <= f64::from(u32::MAX)).then_some(t as u32)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl AwsBudgets {
    async fn notifications(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<Notification>, BudgetError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .budgets
                .describe_notifications_for_budget()
                .account_id(account)
                .budget_name(name)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|s| s.is_not_found_exception())
                    {
                        return BudgetError::NotFound {
                            name: name.to_owned(),
                        };
                    }
                    Failure::new(e, "DescribeNotificationsForBudget", name).into_budgets(BUDGETS)
                })?;
            out.extend(page.notifications().iter().cloned());
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn add_notification(
        &self,
        account: &str,
        name: &str,
        percent: u32,
        topic: &str,
    ) -> Result<(), BudgetError> {
        match self
            .budgets
            .create_notification()
            .account_id(account)
            .budget_name(name)
            .notification(notification(percent)?)
            .subscribers(subscriber(topic)?)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_duplicate_record_exception()) =>
            {
                Ok(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                Err(BudgetError::NotFound {
                    name: name.to_owned(),
                })
            }
            Err(e) => Err(Failure::new(e, "CreateNotification", name).into_budgets(BUDGETS)),
        }
    }

    async fn remove_notification(
        &self,
        account: &str,
        name: &str,
        percent: u32,
    ) -> Result<(), BudgetError> {
        match self
            .budgets
            .delete_notification()
            .account_id(account)
            .budget_name(name)
            .notification(notification(percent)?)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(Failure::new(e, "DeleteNotification", name).into_budgets(BUDGETS)),
        }
    }

    /// The topic policy: the account may manage the topic, AWS Budgets may publish to it.
    fn topic_policy(account: &str, topic: &str) -> String {
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": "idp-budgets",
            "Statement": [
                {
                    "Sid": "idp-account",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                    "Action": "SNS:*",
                    "Resource": topic,
                },
                {
                    "Sid": PUBLISH_SID,
                    "Effect": "Allow",
                    "Principal": {"Service": "budgets.amazonaws.com"},
                    "Action": "SNS:Publish",
                    "Resource": topic,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ],
        })
        .to_string()
    }
}

#[async_trait]
impl Budgets for AwsBudgets {
    async fn list_budgets(&self, prefix: &str) -> Result<Vec<BudgetInfo>, BudgetError> {
        let account = self.account().await?.to_owned();
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .budgets
                .describe_budgets()
                .account_id(&account)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await;
            let page = match page {
                Ok(page) => page,
                // AWS answers NotFound for an account without any budget.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_not_found_exception()) =>
                {
                    break;
                }
                Err(e) => {
                    return Err(Failure::new(e, "DescribeBudgets", &account).into_budgets(BUDGETS));
                }
            };
            found.extend(
                page.budgets()
                    .iter()
                    .filter(|b| b.budget_name().starts_with(prefix))
                    .cloned(),
            );
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut out = Vec::with_capacity(found.len());
        for budget in found {
            let notifications = self.notifications(&account, budget.budget_name()).await?;
            let actual_usd = budget
                .calculated_spend()
                .and_then(|c| c.actual_spend())
                .and_then(|s| s.amount().parse::<f64>().ok());
            out.push(BudgetInfo {
                spec: spec_of(&budget, thresholds(&notifications)),
                actual_usd,
            });
        }
        out.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        Ok(out)
    }

    async fn create_budget(&self, spec: &BudgetSpec, topic: &str) -> Result<(), BudgetError> {
        let account = self.account().await?.to_owned();
        let mut request = self
            .budgets
            .create_budget()
            .account_id(&account)
            .budget(budget_of(spec)?);
        for percent in &spec.alert_at {
            request = request.notifications_with_subscribers(
                NotificationWithSubscribers::builder()
                    .notification(notification(*percent)?)
                    .subscribers(subscriber(topic)?)
                    .build()
                    .map_err(build_error)?,
            );
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_duplicate_record_exception()) =>
            {
                Err(BudgetError::AlreadyExists {
                    name: spec.name.clone(),
                })
            }
            Err(e) => Err(Failure::new(e, "CreateBudget", &spec.name).into_budgets(BUDGETS)),
        }
    }

    async fn update_budget(
        &self,
        current: &BudgetSpec,
        spec: &BudgetSpec,
        topic: &str,
    ) -> Result<(), BudgetError> {
        let account = self.account().await?.to_owned();
        // Read first: the budget must exist, and the thresholds to change are the ones it has.
        self.budgets
            .describe_budget()
            .account_id(&account)
            .budget_name(&spec.name)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception())
                {
                    return BudgetError::NotFound {
                        name: spec.name.clone(),
                    };
                }
                Failure::new(e, "DescribeBudget", &spec.name).into_budgets(BUDGETS)
            })?;
        let existing = thresholds(&self.notifications(&account, &spec.name).await?);
        let (mut owners_now, mut owners_then) = (current.owners.clone(), spec.owners.clone());
        owners_now.sort();
        owners_then.sort();
        // `UpdateBudget` only when the limit or the owners change.
        if (current.limit_usd - spec.limit_usd).abs() > 0.001 || owners_now != owners_then {
            self.budgets
                .update_budget()
                .account_id(&account)
                .new_budget(budget_of(spec)?)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|s| s.is_not_found_exception())
                    {
                        return BudgetError::NotFound {
                            name: spec.name.clone(),
                        };
                    }
                    Failure::new(e, "UpdateBudget", &spec.name).into_budgets(BUDGETS)
                })?;
        }
        let wanted: BTreeSet<u32> = spec.alert_at.iter().copied().collect();
        let have: BTreeSet<u32> = existing.into_iter().collect();
        for gone in have.difference(&wanted) {
            self.remove_notification(&account, &spec.name, *gone)
                .await?;
        }
        for new in wanted.difference(&have) {
            self.add_notification(&account, &spec.name, *new, topic)
                .await?;
        }
        Ok(())
    }

    async fn delete_budget(&self, name: &str) -> Result<(), BudgetError> {
        let account = self.account().await?.to_owned();
        match self
            .budgets
            .delete_budget()
            .account_id(&account)
            .budget_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                Err(BudgetError::NotFound {
                    name: name.to_owned(),
                })
            }
            Err(e) => Err(Failure::new(e, "DeleteBudget", name).into_budgets(BUDGETS)),
        }
    }

    async fn ensure_topic(&self, name: &str) -> Result<String, BudgetError> {
        // `CreateTopic` of an existing name returns the existing topic.
        let created = self
            .sns
            .create_topic()
            .name(name)
            .send()
            .await
            .map_err(|e| Failure::new(e, "CreateTopic", name).into_budgets(SNS))?;
        let topic = created
            .topic_arn()
            .map(str::to_owned)
            .ok_or_else(|| BudgetError::Backend {
                backend: SNS,
                source: "CreateTopic answered no topic ARN".into(),
            })?;
        let attributes = self
            .sns
            .get_topic_attributes()
            .topic_arn(&topic)
            .send()
            .await
            .map_err(|e| Failure::new(e, "GetTopicAttributes", &topic).into_budgets(SNS))?;
        let has_statement = attributes
            .attributes()
            .and_then(|a| a.get("Policy"))
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| p.get("Statement").cloned())
            .and_then(|s| s.as_array().cloned())
            .is_some_and(|s| {
                s.iter()
                    .any(|st| st.get("Sid").and_then(|v| v.as_str()) == Some(PUBLISH_SID))
            });
        if !has_statement {
            // The account is the topic ARN's fifth field.
            let account = topic.split(':').nth(4).unwrap_or_default().to_owned();
            self.sns
                .set_topic_attributes()
                .topic_arn(&topic)
                .attribute_name("Policy")
                .attribute_value(Self::topic_policy(&account, &topic))
                .send()
                .await
                .map_err(|e| Failure::new(e, "SetTopicAttributes", &topic).into_budgets(SNS))?;
        }
        Ok(topic)
    }

    async fn subscriptions(&self, topic: &str) -> Result<Vec<Subscription>, BudgetError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(topic)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|s| s.is_not_found_exception())
                    {
                        return BudgetError::NotFound {
                            name: topic.to_owned(),
                        };
                    }
                    Failure::new(e, "ListSubscriptionsByTopic", topic).into_budgets(SNS)
                })?;
            for sub in page.subscriptions() {
                if sub.protocol() != Some("email") {
                    continue;
                }
                if let Some(email) = sub.endpoint() {
                    out.push(Subscription {
                        email: email.to_owned(),
                        confirmed: sub.subscription_arn().is_some_and(|a| a != PENDING),
                    });
                }
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        out.dedup_by(|a, b| a.email == b.email);
        Ok(out)
    }

    async fn subscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError> {
        if self
            .subscriptions(topic)
            .await?
            .iter()
            .any(|s| s.email.eq_ignore_ascii_case(email))
        {
            return Ok(());
        }
        self.sns
            .subscribe()
            .topic_arn(topic)
            .protocol("email")
            .endpoint(email)
            .send()
            .await
            .map_err(|e| Failure::new(e, "Subscribe", topic).into_budgets(SNS))?;
        Ok(())
    }

    async fn unsubscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError> {
        let mut token = None;
        loop {
            let page = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(topic)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    Failure::new(e, "ListSubscriptionsByTopic", topic).into_budgets(SNS)
                })?;
            for sub in page.subscriptions() {
                let matches = sub.protocol() == Some("email")
                    && sub
                        .endpoint()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email));
                if let (true, Some(arn)) = (matches, sub.subscription_arn())
                    && arn != PENDING
                {
                    self.sns
                        .unsubscribe()
                        .subscription_arn(arn)
                        .send()
                        .await
                        .map_err(|e| Failure::new(e, "Unsubscribe", arn).into_budgets(SNS))?;
                }
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(());
            }
        }
    }
}
