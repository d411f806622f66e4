//! Approvals before provisioning a costly template: does an environment need one, and does
//! Long because the rule, the evidence it judges, the waiting comment and their property tests belong together.
//! the evidence a pull request carries give it?
//!
//! The rule lives in the template's `template.json` in the platform repository (an `approval`
//! object, [`ApprovalRule`]), never in a branch's `.idp/config.yml`: whoever pushes a branch
//! cannot switch it off. An environment needs approval when the rule says `required`, or when
//! its lifetime estimate ([`crate::domain::cost`], the one `idp create` shows) passes
//! `over_usd` ([`requirement`]).
//!
//! On a pull request the evidence is its reviews and the history of its labels
//! ([`evaluate`]): an approving review by an allowed user or team member (the latest review of
//! each reviewer that approves, requests changes or is dismissed decides, as on GitHub), or the
//! rule's label when the **last** `labeled` event of that label was made by an allowed user
//! and no `unlabeled` came after it. A label added by anyone else is ignored, whoever added it
//! before. Nobody approves their own pull request, by review (GitHub forbids it) or by label.
//! Team membership is looked up by the caller (the forge) for the logins [`candidates`] names
//! and handed in as data, so this module stays pure.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::cost;
use crate::domain::naming::EnvName;
use crate::domain::render::{code_span, comment_marker};
use crate::domain::template::TemplateName;

/// Who may approve: GitHub logins and teams (`org/team-slug`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvers {
    /// GitHub logins (compared case-insensitively, as GitHub does).
    #[serde(default)]
    pub users: Vec<String>,
    /// Teams as `org/team-slug`; their members may approve.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// The `approval` object of a `template.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// Every environment of the template needs approval.
    #[serde(default)]
    pub required: bool,
    /// Environments whose lifetime estimate passes this many USD need approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_usd: Option<f64>,
    /// Who may approve on a pull request (admins approve on the CLI and API).
    #[serde(default)]
    pub approvers: Approvers,
    /// The label that approves a pull request when an approver adds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl ApprovalRule {
    /// Why the rule cannot be used, as the fix to make; `Ok` when it can.
    pub fn check(&self) -> Result<(), String> {
        if let Some(over) = self.over_usd
            && !(over.is_finite() && over >= 0.0)
        {
            return Err(format!(
                "`approval.over_usd` is `{over}`: use a number of USD of at least 0"
            ));
        }
        if !self.required && self.over_usd.is_none() {
            return Err(
                "`approval` needs `required: true` or `over_usd`: say when approval is needed"
                    .to_owned(),
            );
        }
        if self.approvers.users.is_empty() && self.approvers.teams.is_empty() {
            return Err(
                "`approval.approvers` names nobody: add `users` (GitHub logins) or `teams` (`org/team-slug`)"
                    .to_owned(),
            );
        }
        for team in &self.approvers.teams {
            if team_parts(team).is_none() {
                return Err(format!(
                    "`approval.approvers.teams`: `{}` is not `org/team-slug`",
                    team.escape_debug()
                ));
            }
        }
        if let Some(label) = &self.label
            && (label.trim().is_empty() || label.chars().count() > 50)
        {
            return Err(
                "`approval.label` must be 1 to 50 characters (GitHub's limit on label names)"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// `org/team-slug` split in two, if it has that shape.
pub fn team_parts(team: &str) -> Option<(&str, &str)> {
    let (org, slug) = team.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    (ok(org) && ok(slug)).then_some((org, slug))
}

/// Why an environment needs approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// The template always needs it.
    Required,
    /// The estimate passes the template's threshold.
    OverThreshold {
        /// The threshold, in USD.
        over_usd: f64,
    },
}

/// What an environment needs before it is provisioned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// The template that asks for it.
    pub template: TemplateName,
    /// The environment's lifetime estimate, in USD.
    pub estimate_usd: f64,
    /// Why.
    pub why: Why,
    /// Who may approve on a pull request.
    pub approvers: Approvers,
    /// The label that approves, when the rule has one.
    pub label: Option<String>,
}

impl Requirement {
    /// One line: why approval is needed.
    pub fn reason(&self) -> String {
        match &self.why {
            Why::Required => format!("template `{}` requires approval", self.template),
            Why::OverThreshold { over_usd } => format!(
                "the estimate of {} passes the {} approval threshold of template `{}`",
                cost::format_usd(self.estimate_usd),
                cost::format_usd(*over_usd),
                self.template
            ),
        }
    }

    /// One line: who may approve, and how.
    pub fn who(&self) -> String {
        let mut names: Vec<String> = self
            .approvers
            .users
            .iter()
            .chain(&self.approvers.teams)
            .map(|n| format!("@{n}"))
            .collect();
        if names.is_empty() {
            names.push("an admin".to_owned());
        }
        let mut line = format!("an approving review by {}", names.join(", "));
        if let Some(label) = &self.label {
            let _ = write!(line, ", or the label `{label}` added by one of them");
        }
        line
    }
}

/// Whether `template` with lifetime estimate `estimate_usd` needs approval under `rule`:
/// `required`, or the estimate strictly above `over_usd`.
pub fn requirement(
    template: &TemplateName,
    rule: Option<&ApprovalRule>,
    estimate_usd: f64,
) -> Option<Requirement> {
    let rule = rule?;
    let why = if rule.required {
        Why::Required
    } else {
        match rule.over_usd {
            Some(over_usd) if estimate_usd > over_usd => Why::OverThreshold { over_usd },
            _ => return None,
        }
    };
    Some(Requirement {
        template: template.clone(),
        estimate_usd,
        why,
        approvers: rule.approvers.clone(),
        label: rule.label.clone(),
    })
}

/// How an approval was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMethod {
    /// An approving pull-request review.
    Review,
    /// The approval label, added by an approver.
    Label,
    /// An admin's `idp approve` (or the API).
    Admin,
}

impl ApprovalMethod {
    /// `review`, `label` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Label => "label",
            Self::Admin => "admin",
        }
    }
}

/// An approval, as the environment's record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved (a GitHub login, or the admin's identity).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// How.
    pub how: ApprovalMethod,
    /// The template approved; an approval is for this template only.
    pub template: TemplateName,
    /// Why the admin approved (`idp approve --reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An environment that waits for an admin's approval (`idp create` or the API was refused),
/// or was approved and not created yet. Kept at [`crate::domain::layout::approval_key`];
/// removed once the environment is created (its record then keeps the [`Approval`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// The environment.
    pub name: EnvName,
    /// The template asked for.
    pub template: TemplateName,
    /// Its lifetime estimate when asked, in USD.
    pub estimate_usd: f64,
    /// Why approval is needed ([`Requirement::reason`]).
    pub why: String,
    /// Who asked.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The approval, once given; `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

impl ApprovalRequest {
    /// `pending` or `approved`.
    pub fn state(&self) -> &'static str {
        if self.approval.is_some() {
            "approved"
        } else {
            "pending"
        }
    }
}

/// The state of a pull-request review, as GitHub spells it (`APPROVED`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
    /// A state this version does not know.
    Other,
}

impl ReviewState {
    /// From GitHub's spelling (either case).
    pub fn from_github(state: &str) -> Self {
        match state.to_ascii_uppercase().as_str() {
            "APPROVED" => Self::Approved,
            "CHANGES_REQUESTED" => Self::ChangesRequested,
            "COMMENTED" => Self::Commented,
            "DISMISSED" => Self::Dismissed,
            "PENDING" => Self::Pending,
            _ => Self::Other,
        }
    }

    /// Whether a review in this state replaces the reviewer's earlier verdict.
    fn decides(self) -> bool {
        matches!(
            self,
            Self::Approved | Self::ChangesRequested | Self::Dismissed
        )
    }
}

/// One review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewer (`None`: a deleted account).
    pub login: Option<String>,
    pub state: ReviewState,
    /// When it was submitted (`None` while pending).
    pub submitted_at: Option<DateTime<Utc>>,
}

/// One `labeled` or `unlabeled` event of a pull request (its issue's timeline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelEvent {
    /// Who added or removed the label (`None`: a deleted account).
    pub actor: Option<String>,
    /// The label's name.
    pub label: String,
    /// `true` for `labeled`, `false` for `unlabeled`.
    pub added: bool,
    pub at: DateTime<Utc>,
}

/// What a pull request says about approval.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Its author, who cannot approve it.
    pub author: Option<&'a str>,
    /// Its reviews, in any order.
    pub reviews: &'a [Review],
    /// Its label events, in any order.
    pub label_events: &'a [LabelEvent],
    /// `(org/team-slug, login)` pairs known to be memberships (both lowercase), for the
    /// logins of [`candidates`].
    pub memberships: &'a BTreeSet<(String, String)>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The reviewers whose latest deciding review approves, oldest approval first.
fn approving_reviewers(reviews: &[Review]) -> Vec<(String, DateTime<Utc>)> {
    let mut sorted: Vec<&Review> = reviews
        .iter()
        .filter(|r| r.state.decides() && r.submitted_at.is_some() && r.login.is_some())
        .collect();
    sorted.sort_by_key(|r| r.submitted_at);
    let mut latest: Vec<(String, ReviewState, DateTime<Utc>)> = Vec::new();
    for r in sorted {
        let (Some(login), Some(at)) = (&r.login, r.submitted_at) else {
            continue;
        };
        latest.retain(|(l, _, _)| !same(l, login));
        latest.push((login.clone(), r.state, at));
    }
    let mut approving: Vec<(String, DateTime<Utc>)> = latest
        .into_iter()
        .filter(|(_, s, _)| *s == ReviewState::Approved)
        .map(|(l, _, at)| (l, at))
        .collect();
    approving.sort_by_key(|(_, at)| *at);
    approving
}

/// The label's last `labeled` event, if no `unlabeled` came after it.
fn current_labelling<'a>(label: &str, events: &'a [LabelEvent]) -> Option<&'a LabelEvent> {
    let mut of_label: Vec<&LabelEvent> = events.iter().filter(|e| same(&e.label, label)).collect();
    of_label.sort_by_key(|e| e.at);
    of_label.last().copied().filter(|e| e.added)
}

/// The logins whose team memberships [`evaluate`] needs: approving reviewers and the current
/// labeller, except the author and those already allowed by name. Empty when the rule names no
/// team.
pub fn candidates(req: &Requirement, evidence: &Evidence<'_>) -> BTreeSet<String> {
    if req.approvers.teams.is_empty() {
        return BTreeSet::new();
    }
    let mut logins: Vec<String> = approving_reviewers(evidence.reviews)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    if let Some(label) = &req.label
        && let Some(actor) =
            current_labelling(label, evidence.label_events).and_then(|e| e.actor.clone())
    {
        logins.push(actor);
    }
    logins
        .into_iter()
        .filter(|l| evidence.author.is_none_or(|a| !same(a, l)))
        .filter(|l| !req.approvers.users.iter().any(|u| same(u, l)))
        .map(|l| l.to_ascii_lowercase())
        .collect()
}

/// Whether `login` may approve under `req`: named, or a member of a named team; never the
/// pull request's author.
fn allowed(req: &Requirement, evidence: &Evidence<'_>, login: &str) -> bool {
    if evidence.author.is_some_and(|a| same(a, login)) {
        return false;
    }
    let lower = login.to_ascii_lowercase();
    req.approvers.users.iter().any(|u| same(u, login))
        || req.approvers.teams.iter().any(|t| {
            evidence
                .memberships
                .contains(&(t.to_ascii_lowercase(), lower.clone()))
        })
}

/// The approval the evidence gives, if any: the first approving review by an allowed
/// reviewer, else the label when an allowed user added it last.
pub fn evaluate(req: &Requirement, evidence: &Evidence<'_>) -> Option<Approval> {
    let by_review = approving_reviewers(evidence.reviews)
        .into_iter()
        .find(|(login, _)| allowed(req, evidence, login))
        .map(|(by, at)| Approval {
            by,
            at,
            how: ApprovalMethod::Review,
            template: req.template.clone(),
            reason: None,
        });
    if by_review.is_some() {
        return by_review;
    }
    let label = req.label.as_deref()?;
    let event = current_labelling(label, evidence.label_events)?;
    let actor = event.actor.as_deref()?;
    allowed(req, evidence, actor).then(|| Approval {
        by: actor.to_owned(),
        at: event.at,
        how: ApprovalMethod::Label,
        template: req.template.clone(),
        reason: None,
    })
}

/// The pull-request comment of environment `env` while it waits: why, who may approve, and
/// what happens next. It carries the environment's comment marker, so the "created" comment
/// replaces it once the environment is provisioned.
pub fn waiting_comment(env: &EnvName, req: &Requirement, ignored: &[String]) -> String {
    let mut body = format!("{}\n", comment_marker(env));
    let _ = writeln!(
        body,
        "### ⏸️ Preview {} is waiting for approval\n",
        code_span(env.as_str())
    );
    let _ = writeln!(
        body,
        "Nothing has been provisioned: {}.\n",
        req.reason().replace('`', "")
    );
    let _ = writeln!(body, "| | |\n|---|---|");
    let _ = writeln!(body, "| Template | {} |", code_span(req.template.as_str()));
    let _ = writeln!(
        body,
        "| Estimate over the TTL | {} |",
        cost::format_usd(req.estimate_usd)
    );
    let users: Vec<String> = req
        .approvers
        .users
        .iter()
        .map(|u| code_span(&format!("@{u}")))
        .collect();
    let teams: Vec<String> = req
        .approvers
        .teams
        .iter()
        .map(|t| code_span(&format!("@{t}")))
        .collect();
    if !users.is_empty() {
        let _ = writeln!(body, "| Approvers | {} |", users.join(", "));
    }
    if !teams.is_empty() {
        let _ = writeln!(body, "| Approving teams | {} |", teams.join(", "));
    }
    if let Some(label) = &req.label {
        let _ = writeln!(body, "| Approval label | {} |", code_span(label));
    }
    body.push_str("\n**To approve**, one of the approvers submits an approving review");
    if let Some(label) = &req.label {
        let _ = write!(body, ", or adds the label {}", code_span(label));
    }
    body.push_str(
        ". The preview is then provisioned on the next event (the review, the label, a push) \
         or when the workflow is re-run. The pull request's author cannot approve it.\n",
    );
    if !ignored.is_empty() {
        body.push_str("\n> [!NOTE]\n");
        for line in ignored {
            let _ = writeln!(body, "> {line}");
        }
    }
    body
}

/// Lines saying what evidence was ignored and why (a label added by someone without the
/// right), for the waiting comment.
pub fn ignored_evidence(req: &Requirement, evidence: &Evidence<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(label) = &req.label
        && let Some(event) = current_labelling(label, evidence.label_events)
    {
        let actor = event.actor.as_deref().unwrap_or("a deleted account");
        if !allowed(req, evidence, actor) {
            lines.push(format!(
                "The label {} was added by {}, who may not approve: it is ignored.",
                code_span(label),
                code_span(&format!("@{actor}"))
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        format!("2026-03-01T{s}:00Z").parse().unwrap()
    }

    fn rule() -> ApprovalRule {
        ApprovalRule {
            required: false,
            over_usd: Some(25.0),
            approvers: Approvers {
                users: vec!["platform-lead".into()],
                teams: vec!["acme/platform-leads".into()],
            },
            label: Some("idp-approved".into()),
        }
    }

    fn req() -> Requirement {
        requirement(
            &TemplateName::new("api-database").unwrap(),
            Some(&rule()),
            30.0,
        )
        .unwrap()
    }

    fn review(login: &str, state: &str, at: &str) -> Review {
        Review {
            login: Some(login.into()),
            state: ReviewState::from_github(state),
            submitted_at: Some(t(at)),
        }
    }

    fn label(actor: &str, added: bool, at: &str) -> LabelEvent {
        LabelEvent {
            actor: Some(actor.into()),
            label: "idp-approved".into(),
            added,
            at: t(at),
        }
    }

    fn evidence<'a>(
        reviews: &'a [Review],
        events: &'a [LabelEvent],
        members: &'a BTreeSet<(String, String)>,
    ) -> Evidence<'a> {
        Evidence {
            author: Some("dev"),
            reviews,
            label_events: events,
            memberships: members,
        }
    }

    #[test]
    fn approval_is_needed_when_required_or_strictly_over_the_threshold() {
        let template = TemplateName::new("api-database").unwrap();
        assert!(requirement(&template, None, 1000.0).is_none());
        assert!(requirement(&template, Some(&rule()), 25.0).is_none());
        let over = requirement(&template, Some(&rule()), 25.01).unwrap();
        assert_eq!(over.why, Why::OverThreshold { over_usd: 25.0 });
        assert!(
            over.reason().contains("$25.00 approval threshold"),
            "{}",
            over.reason()
        );
        let always = ApprovalRule {
            required: true,
            ..rule()
        };
        assert_eq!(
            requirement(&template, Some(&always), 0.0).unwrap().why,
            Why::Required
        );
    }

    #[test]
    fn a_rule_must_say_when_and_who() {
        assert!(rule().check().is_ok());
        let nobody = ApprovalRule {
            approvers: Approvers::default(),
            ..rule()
        };
        assert!(nobody.check().unwrap_err().contains("names nobody"));
        let never = ApprovalRule {
            over_usd: None,
            ..rule()
        };
        assert!(
            never
                .check()
                .unwrap_err()
                .contains("`required: true` or `over_usd`")
        );
        let bad_team = ApprovalRule {
            approvers: Approvers {
                users: vec![],
                teams: vec!["platform-leads".into()],
            },
            ..rule()
        };
        assert!(bad_team.check().unwrap_err().contains("org/team-slug"));
        let negative = ApprovalRule {
            over_usd: Some(-1.0),
            ..rule()
        };
        assert!(negative.check().is_err());
        let parsed: ApprovalRule = serde_json::from_str(
            r#"{"over_usd": 25, "approvers": {"users": ["a"]}, "label": "ok"}"#,
        )
        .unwrap();
        assert_eq!(parsed.over_usd, Some(25.0));
        assert!(serde_json::from_str::<ApprovalRule>(r#"{"requird": true}"#).is_err());
    }

    #[test]
    fn an_approving_review_by_a_named_user_approves() {
        let none = BTreeSet::new();
        let reviews = [
            review("someone", "APPROVED", "10:00"),
            review("Platform-Lead", "APPROVED", "11:00"),
        ];
        let approval = evaluate(&req(), &evidence(&reviews, &[], &none)).unwrap();
        assert_eq!(approval.by, "Platform-Lead");
        assert_eq!(approval.how, ApprovalMethod::Review);
        assert_eq!(approval.at, t("11:00"));
    }

    #[test]
    fn a_later_change_request_or_dismissal_withdraws_an_approval_but_a_comment_does_not() {
        let none = BTreeSet::new();
        let withdrawn = [
            review("platform-lead", "APPROVED", "10:00"),
            review("platform-lead", "CHANGES_REQUESTED", "11:00"),
        ];
        assert!(evaluate(&req(), &evidence(&withdrawn, &[], &none)).is_none());
        let dismissed = [
            review("platform-lead", "APPROVED", "10:00"),
            review("platform-lead", "DISMISSED", "11:00"),
        ];
        assert!(evaluate(&req(), &evidence(&dismissed, &[], &none)).is_none());
        let commented = [
            review("platform-lead", "APPROVED", "10:00"),
            review("platform-lead", "COMMENTED", "11:00"),
        ];
        assert!(evaluate(&req(), &evidence(&commented, &[], &none)).is_some());
    }

    #[test]
    fn a_team_members_review_approves_once_the_membership_is_known() {
        let reviews = [review("carol", "APPROVED", "10:00")];
        let none = BTreeSet::new();
        let ev = evidence(&reviews, &[], &none);
        assert_eq!(
            candidates(&req(), &ev),
            BTreeSet::from(["carol".to_owned()])
        );
        assert!(evaluate(&req(), &ev).is_none());
        let members = BTreeSet::from([("acme/platform-leads".to_owned(), "carol".to_owned())]);
        let approval = evaluate(&req(), &evidence(&reviews, &[], &members)).unwrap();
        assert_eq!(approval.by, "carol");
    }

    #[test]
    fn the_label_counts_only_when_an_approver_added_it_last() {
        let none = BTreeSet::new();
        let by_lead = [label("platform-lead", true, "10:00")];
        let approval = evaluate(&req(), &evidence(&[], &by_lead, &none)).unwrap();
        assert_eq!(
            (approval.by.as_str(), approval.how),
            ("platform-lead", ApprovalMethod::Label)
        );

        let by_mallory = [label("mallory", true, "10:00")];
        let ev = evidence(&[], &by_mallory, &none);
        assert!(
            evaluate(&req(), &ev).is_none(),
            "a label by someone without the right is ignored"
        );
        assert_eq!(ignored_evidence(&req(), &ev).len(), 1);

        let readded = [
            label("platform-lead", true, "10:00"),
            label("mallory", false, "10:30"),
            label("mallory", true, "11:00"),
        ];
        assert!(evaluate(&req(), &evidence(&[], &readded, &none)).is_none());

        let removed = [
            label("platform-lead", true, "10:00"),
            label("platform-lead", false, "11:00"),
        ];
        assert!(evaluate(&req(), &evidence(&[], &removed, &none)).is_none());
    }

    #[test]
    fn nobody_approves_their_own_pull_request() {
        let none = BTreeSet::new();
        let events = [label("platform-lead", true, "10:00")];
        let own = Evidence {
            author: Some("platform-lead"),
            ..evidence(&[], &events, &none)
        };
        assert!(evaluate(&req(), &own).is_none());
    }

    #[test]
    fn the_waiting_comment_says_who_and_how_and_carries_the_marker() {
        let env = EnvName::parse("preview-db").unwrap();
        let body = waiting_comment(&env, &req(), &["The label was ignored.".into()]);
        assert!(body.starts_with(&comment_marker(&env)));
        for needle in [
            "waiting for approval",
            "`@platform-lead`",
            "`@acme/platform-leads`",
            "`idp-approved`",
            "$30.00",
            "The label was ignored.",
        ] {
            assert!(body.contains(needle), "{needle} in {body}");
        }
    }

    fn arb_review() -> impl Strategy<Value = Review> {
        (
            prop::sample::select(vec!["platform-lead", "carol", "mallory", "dev"]),
            prop::sample::select(vec![
                "APPROVED",
                "CHANGES_REQUESTED",
                "COMMENTED",
                "DISMISSED",
            ]),
            0u32..1000,
        )
            .prop_map(|(login, state, minute)| Review {
                login: Some(login.into()),
                state: ReviewState::from_github(state),
                submitted_at: Some(t("00:00") + chrono::Duration::minutes(minute.into())),
            })
    }

    fn arb_label() -> impl Strategy<Value = LabelEvent> {
        (
            prop::sample::select(vec!["platform-lead", "mallory", "dev"]),
            any::<bool>(),
            0u32..1000,
        )
            .prop_map(|(actor, added, minute)| LabelEvent {
                actor: Some(actor.into()),
                label: "idp-approved".into(),
                added,
                at: t("00:00") + chrono::Duration::minutes(minute.into()),
            })
    }

    proptest! {
        #[test]
        fn an_approval_always_names_an_allowed_user_who_is_not_the_author(
            reviews in prop::collection::vec(arb_review(), 0..8),
            events in prop::collection::vec(arb_label(), 0..8),
        ) {
            let none = BTreeSet::new();
            let ev = evidence(&reviews, &events, &none);
            if let Some(approval) = evaluate(&req(), &ev) {
                prop_assert!(approval.by == "platform-lead", "{approval:?}");
                prop_assert!(approval.by != "dev");
            }
            // Without any evidence from an approver, nothing approves.
            let foreign: Vec<Review> = reviews.iter().filter(|r| r.login.as_deref() != Some("platform-lead")).cloned().collect();
            let foreign_events: Vec<LabelEvent> = events.iter().filter(|e| e.actor.as_deref() != Some("platform-lead")).cloned().collect();
            prop_assert!(evaluate(&req(), &evidence(&foreign, &foreign_events, &none)).is_none());
        }

        #[test]
        fn the_order_evidence_arrives_in_does_not_matter(
            reviews in prop::collection::vec(arb_review(), 0..8),
            events in prop::collection::vec(arb_label(), 0..8),
        ) {
            let none = BTreeSet::new();
            // Distinct times: the order of the lists is all that differs.
            let reviews: Vec<Review> = reviews.into_iter().enumerate().map(|(i, mut r)| {
                r.submitted_at = Some(t("00:00") + chrono::Duration::minutes(i64::try_from(i).unwrap()));
                r
            }).collect();
            let events: Vec<LabelEvent> = events.into_iter().enumerate().map(|(i, mut e)| {
                e.at = t("00:00") + chrono::Duration::minutes(i64::try_from(i).unwrap());
                e
            }).collect();
            let mut r2 = reviews.clone();
            r2.reverse();
            let mut e2 = events.clone();
            e2.reverse();
            let a = evaluate(&req(), &evidence(&reviews, &events, &none)).map(|a| (a.by, a.how));
            let b = evaluate(&req(), &evidence(&r2, &e2, &none)).map(|a| (a.by, a.how));
            prop_assert_eq!(a, b);
        }

        #[test]
        fn the_threshold_is_monotonic(a in 0.0f64..500.0, b in 0.0f64..500.0) {
            let template = TemplateName::new("api-database").unwrap();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            if requirement(&template, Some(&rule()), lo).is_some() {
                prop_assert!(requirement(&template, Some(&rule()), hi).is_some());
            }
        }
    }
}
