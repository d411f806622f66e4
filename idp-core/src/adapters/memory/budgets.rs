//! The in-memory [`Budgets`]: budgets with their notifications and one alert topic per name,
//! with the semantics of AWS Budgets and SNS (create-only budgets, idempotent topic creation,
//! subscriptions that wait for confirmation).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::ports::budgets::{BudgetError, BudgetInfo, BudgetSpec, Budgets, Subscription};

#[derive(Debug, Default)]
struct State {
    /// Budget name → its settings and the topic its notifications send to.
    budgets: BTreeMap<String, (BudgetSpec, String)>,
    /// Topic name → its subscriptions (email → confirmed).
    topics: BTreeMap<String, BTreeMap<String, bool>>,
    /// Actual spend to report, by budget name.
    spend: BTreeMap<String, f64>,
    /// Calls that wrote something, for tests that check a sync is idempotent.
    writes: usize,
}

/// [`Budgets`] in process memory. Subscriptions start unconfirmed, as SNS email subscriptions
/// do; confirm one with [`MemoryBudgets::confirm`].
#[derive(Debug, Default)]
pub struct MemoryBudgets {
    state: Mutex<State>,
}

const ARN_PREFIX: &str = "arn:aws:sns:us-east-1:000000000000:";

impl MemoryBudgets {
    /// No budgets, no topics.
    pub fn new() -> Self {
        Self::default()
    }

    /// The address clicked the confirmation link.
    pub fn confirm(&self, topic: &str, email: &str) {
        let mut state = lock(&self.state);
        let name = topic.strip_prefix(ARN_PREFIX).unwrap_or(topic);
        if let Some(subs) = state.topics.get_mut(name)
            && let Some(confirmed) = subs.get_mut(email)
        {
            *confirmed = true;
        }
    }

    /// Makes the budget report `usd` as its actual spend.
    pub fn set_actual(&self, budget: &str, usd: f64) {
        lock(&self.state).spend.insert(budget.to_owned(), usd);
    }

    /// How many calls changed something so far.
    pub fn writes(&self) -> usize {
        lock(&self.state).writes
    }

    /// The topic the notifications of `budget` send to.
    pub fn topic_of(&self, budget: &str) -> Option<String> {
        lock(&self.state)
            .budgets
            .get(budget)
            .map(|(_, t)| t.clone())
    }
}

fn topic_name(topic: &str) -> Result<&str, BudgetError> {
    topic
        .strip_prefix(ARN_PREFIX)
        .ok_or_else(|| BudgetError::Backend {
            backend: "memory",
            source: format!("`{topic}` is not a topic of this backend").into(),
        })
}

#[async_trait]
impl Budgets for MemoryBudgets {
    async fn list_budgets(&self, prefix: &str) -> Result<Vec<BudgetInfo>, BudgetError> {
        let state = lock(&self.state);
        Ok(state
            .budgets
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, (spec, _))| BudgetInfo {
                spec: spec.clone(),
                // AWS Budgets reports zero until spend is computed.
                actual_usd: Some(state.spend.get(name).copied().unwrap_or(0.0)),
            })
            .collect())
    }

    async fn create_budget(&self, spec: &BudgetSpec, topic: &str) -> Result<(), BudgetError> {
        topic_name(topic)?;
        let mut state = lock(&self.state);
        if state.budgets.contains_key(&spec.name) {
            return Err(BudgetError::AlreadyExists {
                name: spec.name.clone(),
            });
        }
        let mut spec = spec.clone();
        spec.owners.sort();
        spec.alert_at.sort_unstable();
        state
            .budgets
            .insert(spec.name.clone(), (spec, topic.to_owned()));
        state.writes += 1;
        Ok(())
    }

    async fn update_budget(
        &self,
        _current: &BudgetSpec,
        spec: &BudgetSpec,
        topic: &str,
    ) -> Result<(), BudgetError> {
        topic_name(topic)?;
        let mut state = lock(&self.state);
        let Some(entry) = state.budgets.get_mut(&spec.name) else {
            return Err(BudgetError::NotFound {
                name: spec.name.clone(),
            });
        };
        let mut spec = spec.clone();
        spec.owners.sort();
        spec.alert_at.sort_unstable();
        *entry = (spec, topic.to_owned());
        state.writes += 1;
        Ok(())
    }

    async fn delete_budget(&self, name: &str) -> Result<(), BudgetError> {
        let mut state = lock(&self.state);
        if state.budgets.remove(name).is_none() {
            return Err(BudgetError::NotFound {
                name: name.to_owned(),
            });
        }
        state.writes += 1;
        Ok(())
    }

    async fn ensure_topic(&self, name: &str) -> Result<String, BudgetError> {
        let mut state = lock(&self.state);
        if !state.topics.contains_key(name) {
            state.topics.insert(name.to_owned(), BTreeMap::new());
            state.writes += 1;
        }
        Ok(format!("{ARN_PREFIX}{name}"))
    }

    async fn subscriptions(&self, topic: &str) -> Result<Vec<Subscription>, BudgetError> {
        let name = topic_name(topic)?;
        let state = lock(&self.state);
        let subs = state
            .topics
            .get(name)
            .ok_or_else(|| BudgetError::NotFound {
                name: topic.to_owned(),
            })?;
        Ok(subs
            .iter()
            .map(|(email, confirmed)| Subscription {
                email: email.clone(),
                confirmed: *confirmed,
            })
            .collect())
    }

    async fn subscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError> {
        let name = topic_name(topic)?.to_owned();
        let mut state = lock(&self.state);
        let subs = state
            .topics
            .get_mut(&name)
            .ok_or_else(|| BudgetError::NotFound {
                name: topic.to_owned(),
            })?;
        if !subs.contains_key(email) {
            subs.insert(email.to_owned(), false);
            state.writes += 1;
        }
        Ok(())
    }

    async fn unsubscribe(&self, topic: &str, email: &str) -> Result<(), BudgetError> {
        let name = topic_name(topic)?.to_owned();
        let mut state = lock(&self.state);
        if let Some(subs) = state.topics.get_mut(&name)
            && subs.get(email) == Some(&true)
        {
            subs.remove(email);
            state.writes += 1;
        }
        Ok(())
    }
}
