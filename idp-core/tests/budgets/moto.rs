//! `budgets sync` against AWS Budgets and SNS on moto, read back with plain SDK calls.
//!
//! moto 5.2 has no `UpdateBudget`: the limit change of a sync is therefore not exercised here
//! (the memory suite and `sync.rs` cover it); threshold changes go through
//! `CreateNotification` / `DeleteNotification`, which moto has.

use std::sync::Arc;

use idp_core::budgets::sync::{Change, SyncRequest, sync};
use idp_core::domain::policy::Policy;
use idp_test_support::moto::{Moto, endpoint};

use crate::platform;

const POLICY: &str = "\
teams:
  payments: [alice, bob-smith]
budgets:
  - team: payments
    monthly_usd: 200
    alert_at: [50, 80, 100]
    notify: [finops@example.com]
  - owner: carol
    monthly_usd: 50
    alert_at: [100]
";

fn req(text: &str) -> SyncRequest {
    SyncRequest {
        policy: Policy::from_yaml(text, "platform.yml").unwrap(),
        source: "platform.yml".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_creates_budgets_with_notifications_the_topic_and_its_subscription_then_changes_nothing()
 {
    let Some(endpoint) = endpoint() else { return };
    let moto = Moto::new(&endpoint).await;
    let (p, _) = platform("platform-lead");
    let p = idp_core::platform::Platform {
        backend: p
            .backend
            .clone()
            .with_budgets(Arc::new(moto.budgets_adapter())),
        ..p
    };

    let first = sync(&p, req(POLICY)).await.unwrap();
    assert!(
        first.budgets.iter().all(|b| b.change == Change::Created),
        "{first:?}"
    );
    let topic = first.topic.clone().expect("a topic");

    let account = moto
        .sts()
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account()
        .unwrap()
        .to_owned();
    let budgets = moto.budgets();
    let listed = budgets
        .describe_budgets()
        .account_id(&account)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = listed.budgets().iter().map(|b| b.budget_name()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["idp-owner-carol", "idp-team-payments"]);
    let payments = listed
        .budgets()
        .iter()
        .find(|b| b.budget_name() == "idp-team-payments")
        .unwrap();
    assert_eq!(payments.budget_type().as_str(), "COST");
    assert_eq!(payments.time_unit().as_str(), "MONTHLY");
    assert_eq!(payments.budget_limit().unwrap().amount(), "200.00");
    #[allow(deprecated, reason = "the filter idp writes")]
    let filters = payments.cost_filters().unwrap()["TagKeyValue"].clone();
    assert_eq!(
        filters,
        vec!["user:idp:owner$alice", "user:idp:owner$bob-smith"]
    );
    let notes = budgets
        .describe_notifications_for_budget()
        .account_id(&account)
        .budget_name("idp-team-payments")
        .send()
        .await
        .unwrap();
    let mut thresholds: Vec<f64> = notes
        .notifications()
        .iter()
        .map(|n| n.threshold())
        .collect();
    thresholds.sort_by(f64::total_cmp);
    assert_eq!(thresholds, vec![50.0, 80.0, 100.0]);
    for n in notes.notifications() {
        assert_eq!(n.notification_type().as_str(), "ACTUAL");
        assert_eq!(n.comparison_operator().as_str(), "GREATER_THAN");
        assert_eq!(n.threshold_type().map(|t| t.as_str()), Some("PERCENTAGE"));
    }

    let sns = moto.sns();
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let policy = &attributes.attributes().unwrap()["Policy"];
    assert!(policy.contains("budgets.amazonaws.com"), "{policy}");
    assert!(policy.contains("SNS:Publish"), "{policy}");
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let emails: Vec<(&str, &str)> = subs
        .subscriptions()
        .iter()
        .map(|s| (s.protocol().unwrap(), s.endpoint().unwrap()))
        .collect();
    assert_eq!(emails, vec![("email", "finops@example.com")]);

    // The same policy again: nothing written.
    let second = sync(&p, req(POLICY)).await.unwrap();
    assert!(!second.changed(), "{second:?}");
    assert_eq!(
        second.topic.as_deref(),
        Some(topic.as_str()),
        "the same topic"
    );

    // New thresholds and a budget removed.
    let next = POLICY
        .replace("alert_at: [50, 80, 100]", "alert_at: [90, 100]")
        .replace(
            "  - owner: carol\n    monthly_usd: 50\n    alert_at: [100]\n",
            "",
        );
    let third = sync(&p, req(&next)).await.unwrap();
    let changes: Vec<(&str, Change)> = third
        .budgets
        .iter()
        .map(|b| (b.name.as_str(), b.change))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("idp-owner-carol", Change::Deleted),
            ("idp-team-payments", Change::Updated)
        ]
    );
    let listed = budgets
        .describe_budgets()
        .account_id(&account)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed.budgets().iter().map(|b| b.budget_name()).collect();
    assert_eq!(names, vec!["idp-team-payments"]);
    let notes = budgets
        .describe_notifications_for_budget()
        .account_id(&account)
        .budget_name("idp-team-payments")
        .send()
        .await
        .unwrap();
    let mut thresholds: Vec<f64> = notes
        .notifications()
        .iter()
        .map(|n| n.threshold())
        .collect();
    thresholds.sort_by(f64::total_cmp);
    assert_eq!(thresholds, vec![90.0, 100.0]);
}
