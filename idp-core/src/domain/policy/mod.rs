//! The platform policy: who is on which team, who may override a budget refusal, and the
//! monthly budgets of teams and owners (`platform.yml` in the platform repository).
//!
//! Budgets are platform settings, not a branch's: `idp budgets sync --policy platform.yml`
//! checks the file ([`Policy::from_yaml`], every problem at its line and key, like
//! `.idp/config.yml`) and stores it in the state store, where every frontend reads it. The
//! rules the guardrail applies are here and pure: which budgets cover an owner
//! ([`Policy::budgets_for`]), whose environments count against a budget ([`Policy::members`]),
//! and whether a new environment fits ([`check`]).
//!
//! ```yaml
//! teams:                       # who is on which team (GitHub logins or emails)
//!   payments: [alice, bob-smith]
//! admins: [platform-lead]      # may override a budget refusal
//! budgets:
//!   - team: payments           # or: owner: carol
//!     monthly_usd: 200
//!     alert_at: [50, 80, 100]  # percent of the limit
//!     notify: [finops@example.com]   # optional SNS email subscriptions
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::config::ConfigErrors;

pub mod comment;
mod read;
#[cfg(test)]
mod tests;

/// Where the platform repository usually keeps its policy.
pub const DEFAULT_PATH: &str = "platform.yml";
/// The prefix of every AWS budget idp manages; budgets without it are never touched.
pub const BUDGET_PREFIX: &str = "idp-";
/// The longest policy file read; a longer one is refused before parsing.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The highest alert threshold, in percent of the limit (AWS Budgets accepts up to 1,000 %).
pub const MAX_ALERT_PERCENT: u32 = 1000;
/// The highest monthly limit accepted, in US dollars.
pub const MAX_MONTHLY_USD: f64 = 1_000_000_000.0;
/// The thresholds of a budget that sets no `alert_at`.
pub const DEFAULT_ALERT_AT: [u32; 3] = [50, 80, 100];

/// The validated platform policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Team name → its members (logins or emails, as written), in file order.
    #[serde(default)]
    pub teams: BTreeMap<String, Vec<String>>,
    /// Who may override a budget refusal.
    #[serde(default)]
    pub admins: Vec<String>,
    /// The budgets, in file order.
    #[serde(default)]
    pub budgets: Vec<Budget>,
}

/// Whose spending a budget limits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every member of a team.
    Team(String),
    /// One owner.
    Owner(String),
}

impl Scope {
    /// The name of its AWS budget: `idp-team-payments`, `idp-owner-carol`.
    pub fn budget_name(&self) -> String {
        match self {
            Self::Team(team) => format!("{BUDGET_PREFIX}team-{team}"),
            Self::Owner(owner) => format!("{BUDGET_PREFIX}owner-{}", owner.to_ascii_lowercase()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Team(team) => write!(f, "team `{team}`"),
            Self::Owner(owner) => write!(f, "owner `{owner}`"),
        }
    }
}

/// One monthly budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Whose spending it limits.
    pub scope: Scope,
    /// The monthly limit in US dollars (positive, at most two decimals).
    pub monthly_usd: f64,
    /// Alert thresholds in percent of the limit, ascending, each once.
    pub alert_at: Vec<u32>,
    /// Email addresses subscribed to the alerts' SNS topic.
    #[serde(default)]
    pub notify: Vec<String>,
}

impl Policy {
    /// Parse and validate the text of the policy file; `file` is the name errors use. Every
    /// problem is reported, sorted by position.
    ///
    /// ```
    /// use idp_core::domain::policy::Policy;
    ///
    /// let text = "teams:\n  payments: [alice]\nbudgets:\n  - team: payments\n    monthly_usd: 200\n";
    /// let policy = Policy::from_yaml(text, "platform.yml")?;
    /// assert_eq!(policy.budgets_for("alice").len(), 1);
    ///
    /// let errors = Policy::from_yaml("budgets:\n  - team: payments\n    monthly_usd: 200\n    alert: [50]\n", "platform.yml").unwrap_err();
    /// assert!(errors.to_string().contains("platform.yml:4:5: key `budgets[0].alert`: unknown key `alert`"));
    /// # Ok::<(), idp_core::domain::config::ConfigErrors>(())
    /// ```
    pub fn from_yaml(text: &str, file: &str) -> Result<Self, ConfigErrors> {
        read::parse(text, file)
    }

    /// The policy from the bytes of the file: bytes that are not UTF-8 text are one error at
    /// the first offending byte.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Self, ConfigErrors> {
        match crate::domain::text::utf8(bytes) {
            Ok(text) => Self::from_yaml(text, file),
            Err(e) => Err(ConfigErrors(vec![crate::domain::config::ConfigError {
                file: file.to_owned(),
                line: e.line,
                column: e.column,
                key: String::new(),
                value: None,
                message: format!("`{file}` {}", e.what),
                fix: crate::domain::text::NotText::FIX.to_owned(),
            }])),
        }
    }

    /// The team `who` is on (logins compared without case), if any.
    pub fn team_of(&self, who: &str) -> Option<&str> {
        self.teams
            .iter()
            .find(|(_, members)| members.iter().any(|m| m.eq_ignore_ascii_case(who)))
            .map(|(team, _)| team.as_str())
    }

    /// Whether `who` may override a budget refusal.
    pub fn is_admin(&self, who: &str) -> bool {
        self.admins.iter().any(|a| a.eq_ignore_ascii_case(who))
    }

    /// The budgets that cover environments owned by `owner`: its team's and its own.
    pub fn budgets_for(&self, owner: &str) -> Vec<&Budget> {
        let team = self.team_of(owner);
        self.budgets
            .iter()
            .filter(|b| match &b.scope {
                Scope::Team(t) => Some(t.as_str()) == team,
                Scope::Owner(o) => o.eq_ignore_ascii_case(owner),
            })
            .collect()
    }

    /// The owners whose environments count against `budget`, lowercased (the values of the
    /// `idp:owner` tag its AWS budget filters on).
    pub fn members(&self, budget: &Budget) -> Vec<String> {
        let mut out: Vec<String> = match &budget.scope {
            Scope::Team(team) => self
                .teams
                .get(team)
                .map(|m| m.iter().map(|s| s.to_ascii_lowercase()).collect())
                .unwrap_or_default(),
            Scope::Owner(owner) => vec![owner.to_ascii_lowercase()],
        };
        out.sort();
        out.dedup();
        out
    }

    /// Every email address some budget notifies, sorted, each once.
    pub fn notify_emails(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .budgets
            .iter()
            .flat_map(|b| b.notify.iter().map(|e| e.to_ascii_lowercase()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A budget the new environment would overrun, with the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overrun {
    /// Whose budget.
    pub scope: Scope,
    /// Spent this month so far, in US dollars.
    pub spent_usd: f64,
    /// The new environment's estimate over its lifetime.
    pub estimate_usd: f64,
    /// The monthly limit.
    pub limit_usd: f64,
}

/// The first budget covering `owner` that `spent(budget)` (month to date) plus `estimate_usd`
/// passes, or `None` when every budget has room (or none covers the owner).
pub fn check(
    policy: &Policy,
    owner: &str,
    estimate_usd: f64,
    mut spent: impl FnMut(&Budget) -> f64,
) -> Option<Overrun> {
    policy.budgets_for(owner).into_iter().find_map(|budget| {
        let spent_usd = round_cents(spent(budget));
        (spent_usd + estimate_usd > budget.monthly_usd + 1e-9).then(|| Overrun {
            scope: budget.scope.clone(),
            spent_usd,
            estimate_usd: round_cents(estimate_usd),
            limit_usd: budget.monthly_usd,
        })
    })
}

/// `usd` rounded to cents.
pub fn round_cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}
