//! `budgets sync` on the memory adapter: what it creates, that a second sync changes nothing,
//! and that the local backend stores the policy and says it has no AWS budgets.

use idp_core::backend::Backend;
use idp_core::budgets::store;
use idp_core::budgets::sync::{Change, SyncRequest, sync};
use idp_core::platform::Platform;

use crate::{platform, policy};

fn req(limit: f64) -> SyncRequest {
    SyncRequest {
        policy: policy(limit),
        source: "platform.yml".into(),
    }
}

#[tokio::test]
async fn sync_stores_the_policy_and_creates_one_budget_per_entry_then_changes_nothing() {
    let (p, h) = platform("platform-lead");
    let first = sync(&p, req(200.0)).await.unwrap();
    assert_eq!(first.policy, Change::Created);
    let names: Vec<(&str, Change)> = first
        .budgets
        .iter()
        .map(|b| (b.name.as_str(), b.change))
        .collect();
    assert_eq!(
        names,
        vec![
            ("idp-owner-carol", Change::Created),
            ("idp-team-payments", Change::Created)
        ]
    );
    let payments = first.budgets[1].spec.as_ref().unwrap();
    assert_eq!(payments.owners, vec!["alice", "bob-smith"]);
    assert_eq!(payments.alert_at, vec![50, 80, 100]);
    let topic = first.topic.clone().unwrap();
    assert!(topic.ends_with(":idp-budgets"));
    assert_eq!(
        h.budgets.topic_of("idp-team-payments").as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(first.subscriptions[0].email, "finops@example.com");
    assert_eq!(first.subscriptions[0].change, Change::Created);
    let stored = store::policy(&*p.backend.store).await.unwrap();
    assert_eq!(stored, policy(200.0));

    let writes = h.budgets.writes();
    let second = sync(&p, req(200.0)).await.unwrap();
    assert!(!second.changed(), "{second:?}");
    assert_eq!(h.budgets.writes(), writes, "a second sync writes nothing");
}

#[tokio::test]
async fn a_changed_policy_updates_and_deletes_only_what_differs() {
    let (p, _) = platform("platform-lead");
    sync(&p, req(200.0)).await.unwrap();
    let mut next = policy(300.0);
    next.budgets
        .retain(|b| b.scope.budget_name() != "idp-owner-carol");
    let report = sync(
        &p,
        SyncRequest {
            policy: next,
            source: "platform.yml".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(report.policy, Change::Updated);
    let changes: Vec<(&str, Change)> = report
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
    let listed = p.backend.budgets.list_budgets("idp-").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!((listed[0].spec.limit_usd - 300.0).abs() < 1e-9);
}

#[tokio::test]
async fn on_the_local_backend_the_policy_is_stored_and_the_sync_says_there_are_no_aws_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let p = Platform::new(Backend::local(dir.path()));
    let report = sync(&p, req(200.0)).await.unwrap();
    assert_eq!(report.policy, Change::Created);
    assert!(report.budgets.is_empty());
    assert!(
        report.notices[0].contains("no AWS Budgets") && report.notices[0].contains("guardrail"),
        "{:?}",
        report.notices
    );
    assert_eq!(
        store::policy(&*p.backend.store).await.unwrap(),
        policy(200.0)
    );
}
