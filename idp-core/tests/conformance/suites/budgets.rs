//! The `Budgets` contract: budgets are created once, listed as written (limit, owners,
//! thresholds), updated in place and deleted; the alert topic is created once and keeps each
//! address once.

use std::sync::Arc;

use idp_core::ports::budgets::{BudgetError, BudgetSpec, Budgets};

/// Follows the confirmation link sent to an address of a topic.
pub(crate) type Confirm = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// What a budgets adapter can do, where adapters legitimately differ, and a hook for what the
/// port cannot do itself.
#[derive(Clone)]
pub(crate) struct BudgetCaps {
    /// Whether the limit and owners of a budget can be changed (`UpdateBudget`). moto 5.2 has
    /// no `UpdateBudget`: there the suite asserts the call fails instead.
    pub(crate) updates_limits: bool,
    /// Follows the confirmation link sent to an address (memory: marks it confirmed; moto
    /// confirms email subscriptions at once, so nothing to do).
    pub(crate) confirm: Confirm,
}

fn spec(name: &str, limit: f64, owners: &[&str], alert_at: &[u32]) -> BudgetSpec {
    BudgetSpec {
        name: name.to_owned(),
        limit_usd: limit,
        owners: owners.iter().map(|s| (*s).to_owned()).collect(),
        alert_at: alert_at.to_vec(),
    }
}

pub(crate) async fn a_created_budget_is_listed_with_its_limit_owners_and_thresholds(
    b: Arc<dyn Budgets>,
    _: BudgetCaps,
) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    let s = spec(
        "idp-team-payments",
        200.0,
        &["alice", "bob-smith"],
        &[50, 80, 100],
    );
    b.create_budget(&s, &topic).await.unwrap();
    let listed = b.list_budgets("idp-").await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].spec, s);
}

pub(crate) async fn creating_an_existing_budget_is_already_exists_and_changes_nothing(
    b: Arc<dyn Budgets>,
    _: BudgetCaps,
) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    let s = spec("idp-owner-carol", 50.0, &["carol"], &[100]);
    b.create_budget(&s, &topic).await.unwrap();
    let other = spec("idp-owner-carol", 75.0, &["carol"], &[50]);
    let err = b.create_budget(&other, &topic).await.unwrap_err();
    assert!(matches!(err, BudgetError::AlreadyExists { .. }), "{err}");
    assert_eq!(b.list_budgets("idp-").await.unwrap()[0].spec, s);
}

pub(crate) async fn updating_thresholds_replaces_the_notifications(
    b: Arc<dyn Budgets>,
    _: BudgetCaps,
) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    let s = spec("idp-team-search", 100.0, &["dana"], &[50, 80, 100]);
    b.create_budget(&s, &topic).await.unwrap();
    let next = spec("idp-team-search", 100.0, &["dana"], &[75, 100, 120]);
    b.update_budget(&s, &next, &topic).await.unwrap();
    assert_eq!(b.list_budgets("idp-").await.unwrap()[0].spec, next);
}

pub(crate) async fn updating_the_limit_and_owners_changes_them(
    b: Arc<dyn Budgets>,
    caps: BudgetCaps,
) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    let s = spec("idp-team-web", 100.0, &["erin"], &[100]);
    b.create_budget(&s, &topic).await.unwrap();
    let next = spec("idp-team-web", 250.0, &["erin", "frank"], &[100]);
    let result = b.update_budget(&s, &next, &topic).await;
    if caps.updates_limits {
        result.unwrap();
        assert_eq!(b.list_budgets("idp-").await.unwrap()[0].spec, next);
    } else {
        // moto 5.2 does not implement `UpdateBudget`: the call fails and the budget stays.
        assert!(
            result.is_err(),
            "moto answered UpdateBudget: update the capability"
        );
        assert_eq!(b.list_budgets("idp-").await.unwrap()[0].spec, s);
    }
}

pub(crate) async fn updating_or_deleting_a_missing_budget_is_not_found(
    b: Arc<dyn Budgets>,
    _: BudgetCaps,
) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    let s = spec("idp-team-ghost", 10.0, &["x"], &[100]);
    let err = b.update_budget(&s, &s, &topic).await.unwrap_err();
    assert!(matches!(err, BudgetError::NotFound { .. }), "{err}");
    let err = b.delete_budget("idp-team-ghost").await.unwrap_err();
    assert!(matches!(err, BudgetError::NotFound { .. }), "{err}");
}

pub(crate) async fn delete_removes_the_budget(b: Arc<dyn Budgets>, _: BudgetCaps) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    b.create_budget(&spec("idp-team-a", 10.0, &["a"], &[100]), &topic)
        .await
        .unwrap();
    b.create_budget(&spec("idp-team-b", 10.0, &["b"], &[100]), &topic)
        .await
        .unwrap();
    b.delete_budget("idp-team-a").await.unwrap();
    let names: Vec<String> = b
        .list_budgets("idp-")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.spec.name)
        .collect();
    assert_eq!(names, vec!["idp-team-b"]);
}

pub(crate) async fn listing_returns_only_the_prefix_sorted(b: Arc<dyn Budgets>, _: BudgetCaps) {
    let topic = b.ensure_topic("idp-budgets").await.unwrap();
    for name in ["idp-team-z", "finance-total", "idp-owner-a"] {
        b.create_budget(&spec(name, 10.0, &["a"], &[100]), &topic)
            .await
            .unwrap();
    }
    let names: Vec<String> = b
        .list_budgets("idp-")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.spec.name)
        .collect();
    assert_eq!(names, vec!["idp-owner-a", "idp-team-z"]);
}

pub(crate) async fn the_topic_is_created_once_and_keeps_each_address_once(
    b: Arc<dyn Budgets>,
    caps: BudgetCaps,
) {
    let first = b.ensure_topic("idp-budgets").await.unwrap();
    let again = b.ensure_topic("idp-budgets").await.unwrap();
    assert_eq!(first, again);
    assert!(first.ends_with(":idp-budgets"), "{first}");
    b.subscribe(&first, "finops@example.com").await.unwrap();
    b.subscribe(&first, "finops@example.com").await.unwrap();
    b.subscribe(&first, "lead@example.com").await.unwrap();
    let subs = b.subscriptions(&first).await.unwrap();
    let emails: Vec<&str> = subs.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(emails, vec!["finops@example.com", "lead@example.com"]);
    (caps.confirm)(&first, "lead@example.com");
    b.unsubscribe(&first, "lead@example.com").await.unwrap();
    let subs = b.subscriptions(&first).await.unwrap();
    let emails: Vec<&str> = subs.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(emails, vec!["finops@example.com"]);
}
