//! The environment's record (`metadata.json`) and its status machine.
//!
//! ```text
//! provisioning → active ⇄ updating
//! provisioning | updating → failed
//! active | failed → destroying → destroyed
//! ```
//! Every other transition is a [`TransitionError`], never a silent write.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::Trigger;
use crate::domain::layout::{EnvKeys, LayoutError, Region};
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;

/// The version of the `metadata.json` layout written by this crate.
pub const METADATA_SCHEMA: u32 = 1;

/// How long an environment may sit in `destroying` before a sweep retries its destroy.
pub const STUCK_DESTROYING_AFTER: Duration = Duration::hours(2);

/// The status of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The first apply is running.
    Provisioning,
    /// Running and reachable.
    Active,
    /// A redeploy or re-apply of an active environment is running.
    Updating,
    /// The last provision or update failed; the next push or sweep recovers it.
    Failed,
    /// A destroy is running (or died; see [`STUCK_DESTROYING_AFTER`]).
    Destroying,
    /// Destroyed; kept only as a tombstone.
    Destroyed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Provisioning,
        Status::Active,
        Status::Updating,
        Status::Failed,
        Status::Destroying,
        Status::Destroyed,
    ];

    /// The snake_case name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Provisioning => "provisioning",
            Status::Active => "active",
            Status::Updating => "updating",
            Status::Failed => "failed",
            Status::Destroying => "destroying",
            Status::Destroyed => "destroyed",
        }
    }

    /// Whether the status machine allows `self → to`.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Provisioning, Active)
                | (Provisioning, Failed)
                | (Active, Updating)
                | (Updating, Active)
                | (Updating, Failed)
                | (Active, Destroying)
                | (Failed, Destroying)
                | (Failed, Provisioning)
                | (Failed, Updating)
                | (Destroying, Destroyed)
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An illegal status change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment `{name}` cannot go from `{from}` to `{to}`")]
pub struct TransitionError {
    /// The environment.
    pub name: String,
    /// Its current status.
    pub from: Status,
    /// The status asked for.
    pub to: Status,
}

/// Where a preview's code comes from: repository, branch, pull request and commit (all absent
/// for an environment created by hand).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// `owner/name`.
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub pr_number: Option<u64>,
    pub commit: Option<String>,
}

impl Source {
    /// What `trigger` says about the code: its repository, branch, pull request and commit.
    pub fn of(trigger: &Trigger) -> Self {
        Self {
            repository: trigger.repository().map(|r| r.as_str().to_owned()),
            branch: trigger.branch().map(|b| b.as_str().to_owned()),
            pr_number: trigger.pr_number(),
            commit: trigger.commit().map(|c| c.as_str().to_owned()),
        }
    }
}

/// The record of one environment, stored as `environments/{name}/metadata.json`.
///
/// There is no `ttl` field: the lifetime is `expires_at - created_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The layout version ([`METADATA_SCHEMA`]).
    pub schema: u32,
    /// The environment name.
    pub name: EnvName,
    /// The template it was created from.
    pub template: TemplateName,
    /// The current status.
    pub status: Status,
    /// When the status last changed.
    pub status_changed_at: DateTime<Utc>,
    /// The branch a preview was created for (None for CLI-created environments). Two branches
    /// that map to one name are told apart by this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `owner/repo` of the repository the preview belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Who created it (an email or a GitHub login).
    pub owner: String,
    /// The pull request of a preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_number: Option<u64>,
    /// The commit last deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The image last deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The AWS region (None: the platform default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Set when its state, outputs and tfvars are kept under its region
    /// (`environments/{name}/{region}/…`, see [`crate::domain::layout`]): an environment created
    /// in a region its config or request names. Records without it (all those written before
    /// environments had regional keys) keep `environments/{name}/…`, whatever their region.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub region_scoped: bool,
    /// The URL the environment answers on, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// When it was first created; never changed by an extend.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// When this record last changed.
    pub updated_at: DateTime<Utc>,
    /// The end of the provisioner's output when the last apply or destroy failed (capped, and
    /// with secret values masked by the provisioner); cleared by the next success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The platform inputs the environment was created with, when its record carries them
    /// (records of the original platform do); `None`: the platform's current settings apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<RecordedInputs>,
    /// Set when the record was read from an earlier layout (see [`crate::domain::legacy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<Legacy>,
    /// What happened to the environment, oldest first: every status change and every
    /// extension, at most [`HISTORY_MAX`] (the oldest are dropped first). Records written before
    /// the history existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// Set when an admin created the environment past a budget refusal: who, why, and the
    /// figures it overrode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_override: Option<BudgetOverride>,
    /// Who approved provisioning it, when and how, for a template that needs approval (see
    /// [`crate::domain::approval`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::domain::approval::Approval>,
    /// The priority of its host-header rule on the shared load balancer's listener, claimed in
    /// the state store on its first apply through the shared ingress (see
    /// [`crate::domain::ingress`]), kept by every redeploy, released by its destroy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_rule_priority: Option<u32>,
}

/// An admin's override of a budget refusal, kept with the environment it let through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetOverride {
    /// The admin who overrode.
    pub by: String,
    /// Why, as they gave it.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The budget it overrode (`team `payments``).
    pub budget: String,
    /// The figures of the refusal: spent this month, the estimate and the limit.
    pub figures: String,
}

/// The most entries [`Metadata::history`] keeps.
pub const HISTORY_MAX: usize = 50;

/// One event of an environment's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened: the status it moved to (`provisioning` on creation, `updating` on a
    /// redeploy, `active`, `failed`, `destroying`, `destroyed`) or `extended`.
    pub event: String,
    /// A detail, such as the new expiry of an extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Platform inputs recorded with one environment (each `None` when unused).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedInputs {
    /// The ACM certificate of its HTTPS listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acm_certificate_arn: Option<String>,
    /// The Route 53 zone of its DNS record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route53_zone_id: Option<String>,
    /// The domain its host name is under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_domain: Option<String>,
    /// Whether it runs in the shared preview VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_shared_networking: Option<bool>,
}

/// What idp knows about a record it read from an earlier layout.
///
/// While [`migrated_at`](Self::migrated_at) is `None` the object in the store is still in that
/// layout ([`Metadata::is_legacy`]); the first write by idp stores the current layout, keeps this
/// as history and sets `migrated_at`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legacy {
    /// The layout it was read from: [`crate::domain::legacy::LEGACY_SCHEMA`] for the original
    /// platform's all-string record.
    pub schema: u32,
    /// The original's `ttl` field, kept as history only: `created_at` and `expires_at` are the
    /// truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// When idp first wrote the record in the current layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_at: Option<DateTime<Utc>>,
    /// Fields idp had to derive because the record lacks them, with how.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub derived: BTreeMap<String, String>,
    /// Fields of the record that idp has no place for, kept verbatim so nothing is lost.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unmapped: BTreeMap<String, serde_json::Value>,
}

impl Metadata {
    /// Record where the code now comes from: every field `source` (or `image`) knows replaces
    /// the recorded one; fields it does not know keep their recorded values.
    pub fn apply_source(&mut self, source: &Source, image: Option<String>) {
        self.repository = source.repository.clone().or(self.repository.take());
        self.branch = source.branch.clone().or(self.branch.take());
        self.pr_number = source.pr_number.or(self.pr_number);
        self.commit = source.commit.clone().or(self.commit.take());
        self.image = image.or(self.image.take());
    }

    /// A new record in status `provisioning`.
    pub fn new(
        name: EnvName,
        template: TemplateName,
        owner: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            schema: METADATA_SCHEMA,
            name,
            template,
            status: Status::Provisioning,
            status_changed_at: now,
            branch: None,
            repository: None,
            owner,
            pr_number: None,
            commit: None,
            image: None,
            region: None,
            region_scoped: false,
            endpoint: None,
            created_at: now,
            expires_at,
            updated_at: now,
            last_error: None,
            inputs: None,
            legacy: None,
            budget_override: None,
            approval: None,
            listener_rule_priority: None,
            history: vec![HistoryEntry {
                at: now,
                event: Status::Provisioning.as_str().to_owned(),
                detail: None,
            }],
        }
    }

    /// Places the environment in `region` (`None`: the platform's default): a named region
    /// keeps its state objects under it. Only for a new record; an environment does not move.
    pub fn place_in(&mut self, region: Option<&Region>) {
        self.region = region.map(|r| r.as_str().to_owned());
        self.region_scoped = region.is_some();
    }

    /// The region it runs in: its own, else `default` (the platform's).
    pub fn region_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.region.as_deref().unwrap_or(default)
    }

    /// The keys of its state, outputs and tfvars: under its region for a region-scoped record,
    /// else the flat ones. A region-scoped record whose region is not a region code is refused
    /// rather than read from the wrong place.
    pub fn keys(&self) -> Result<EnvKeys, LayoutError> {
        let region = match (&self.region, self.region_scoped) {
            (Some(region), true) => Some(Region::parse(region)?),
            _ => None,
        };
        Ok(EnvKeys::new(&self.name, region.as_ref()))
    }

    /// Adds an event to [`Metadata::history`], dropping the oldest beyond [`HISTORY_MAX`].
    pub fn record_event(&mut self, at: DateTime<Utc>, event: &str, detail: Option<String>) {
        self.history.push(HistoryEntry {
            at,
            event: event.to_owned(),
            detail,
        });
        if self.history.len() > HISTORY_MAX {
            let extra = self.history.len() - HISTORY_MAX;
            self.history.drain(..extra);
        }
    }

    /// Whether the stored object is still in an earlier layout (read, not yet written by idp).
    pub fn is_legacy(&self) -> bool {
        self.legacy
            .as_ref()
            .is_some_and(|l| l.migrated_at.is_none())
    }

    /// Whether a branch preview may take this record over: a legacy record names no branch or
    /// repository (the original platform kept neither), so the first trigger whose branch maps
    /// to its name adopts it, as the original did.
    pub fn adoptable(&self) -> bool {
        self.is_legacy() && self.branch.is_none() && self.repository.is_none()
    }

    /// The record as idp writes it: a legacy record is marked migrated at `updated_at`.
    pub fn for_writing(&self) -> Self {
        let mut next = self.clone();
        if let Some(legacy) = next.legacy.as_mut().filter(|l| l.migrated_at.is_none()) {
            legacy.migrated_at = Some(next.updated_at);
        }
        next
    }

    /// Move to `to`, or refuse with a [`TransitionError`].
    pub fn transition(&mut self, to: Status, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.status.can_become(to) {
            return Err(TransitionError {
                name: self.name.to_string(),
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.status_changed_at = now;
        self.updated_at = now;
        self.record_event(now, to.as_str(), None);
        Ok(())
    }

    /// Whether the environment has outlived its TTL.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// Whether a destroy started more than [`STUCK_DESTROYING_AFTER`] ago and never finished.
    pub fn is_stuck_destroying(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::Destroying && now - self.status_changed_at > STUCK_DESTROYING_AFTER
    }

    /// The lifetime from creation to expiry.
    pub fn lifetime(&self) -> Duration {
        self.expires_at - self.created_at
    }

    /// Parse `metadata.json` bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Serialize to pretty `metadata.json` bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn meta() -> Metadata {
        Metadata::new(
            EnvName::parse("preview-x").unwrap(),
            TemplateName::default_template(),
            "dev@example.com".into(),
            at("2026-01-01T00:00:00Z"),
            at("2026-01-08T00:00:00Z"),
        )
    }

    #[test]
    fn legal_transitions_follow_the_documented_machine() {
        use Status::*;
        let legal: Vec<(Status, Status)> = Status::ALL
            .iter()
            .flat_map(|&a| Status::ALL.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a.can_become(b))
            .collect();
        assert_eq!(
            legal,
            vec![
                (Provisioning, Active),
                (Provisioning, Failed),
                (Active, Updating),
                (Active, Destroying),
                (Updating, Active),
                (Updating, Failed),
                (Failed, Provisioning),
                (Failed, Updating),
                (Failed, Destroying),
                (Destroying, Destroyed),
            ]
        );
    }

    #[test]
    fn illegal_transition_is_an_error_and_changes_nothing() {
        let mut m = meta();
        let before = m.clone();
        let err = m
            .transition(Status::Destroyed, at("2026-01-02T00:00:00Z"))
            .unwrap_err();
        assert_eq!(err.from, Status::Provisioning);
        assert_eq!(
            err.to_string(),
            "environment `preview-x` cannot go from `provisioning` to `destroyed`"
        );
        assert_eq!(m, before);
    }

    #[test]
    fn stuck_destroying_is_detected_after_two_hours_only() {
        let mut m = meta();
        m.transition(Status::Active, at("2026-01-01T00:05:00Z"))
            .unwrap();
        m.transition(Status::Destroying, at("2026-01-02T00:00:00Z"))
            .unwrap();
        assert!(!m.is_stuck_destroying(at("2026-01-02T02:00:00Z")));
        assert!(m.is_stuck_destroying(at("2026-01-02T02:00:01Z")));
    }

    #[test]
    fn metadata_has_no_ttl_field_and_round_trips() {
        let m = meta();
        let json = String::from_utf8(m.to_json()).unwrap();
        assert!(!json.contains("\"ttl\""));
        assert!(json.contains("\"schema\": 1"));
        assert_eq!(Metadata::from_json(json.as_bytes()).unwrap(), m);
        assert_eq!(m.lifetime(), Duration::days(7));
    }
}
