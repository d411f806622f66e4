//! Who may sign in to the portal with GitHub, and with which role: rules such as
//! `admin=alice` (a user), `developer=acme/platform` (a team, `ORG/TEAM-SLUG`) and
//! `viewer=acme/*` (every member of an organization), matched against the identity GitHub
//! reports for the user ([`GithubIdentity`]).
//!
//! GitHub logins, organization logins and team slugs are case-insensitive, so every comparison
//! is made in lowercase. A user matched by several rules gets the highest of their roles; a user
//! matched by none may not sign in.

use std::fmt;

use super::Role;

/// Who a GitHub user is, as GitHub's API reports it for their OAuth token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubIdentity {
    /// The user's login (`octocat`).
    pub login: String,
    /// The user's numeric id, which stays the same when the login is renamed.
    pub id: u64,
    /// The display name, if the user set one.
    pub name: Option<String>,
    /// The teams the user is a member of, as `org/team-slug`, lowercase.
    pub teams: Vec<String>,
    /// The organizations the user is a member of, by login, lowercase.
    pub orgs: Vec<String>,
}

/// Whom a [`RoleRule`] grants its role to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One user, by login (lowercase).
    User(String),
    /// The members of one team: organization login and team slug (lowercase).
    Team {
        /// The organization's login.
        org: String,
        /// The team's slug.
        team: String,
    },
    /// Every member of an organization, by login (lowercase).
    Org(String),
}

/// One rule: `role` for everyone `subject` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    /// The role granted.
    pub role: Role,
    /// Whom it is granted to.
    pub subject: Subject,
}

impl RoleRule {
    /// Whether the rule names `identity` (by login, by one of its teams, or by one of its
    /// organizations; a team's organization counts as one of them).
    pub fn matches(&self, identity: &GithubIdentity) -> bool {
        match &self.subject {
            Subject::User(login) => identity.login.eq_ignore_ascii_case(login),
            Subject::Team { org, team } => identity.teams.iter().any(|t| {
                t.split_once('/').is_some_and(|(o, s)| {
                    o.eq_ignore_ascii_case(org) && s.eq_ignore_ascii_case(team)
                })
            }),
            Subject::Org(org) => {
                identity.orgs.iter().any(|o| o.eq_ignore_ascii_case(org))
                    || identity.teams.iter().any(|t| {
                        t.split_once('/')
                            .is_some_and(|(o, _)| o.eq_ignore_ascii_case(org))
                    })
            }
        }
    }
}

impl fmt::Display for RoleRule {
    /// The rule as it is written: `admin=alice`, `developer=acme/platform`, `viewer=acme/*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Subject::User(login) => write!(f, "{}={login}", self.role),
            Subject::Team { org, team } => write!(f, "{}={org}/{team}", self.role),
            Subject::Org(org) => write!(f, "{}={org}/*", self.role),
        }
    }
}

/// The longest login, organization login or team slug accepted (GitHub's logins have at most
/// 39 characters; team slugs and enterprise-managed logins may be longer).
pub const NAME_MAX: usize = 100;

/// The forms a rule may take, for error messages.
const FORMS: &str = "use `ROLE=LOGIN`, `ROLE=ORG/TEAM` or `ROLE=ORG/*`, where ROLE is `viewer`, \
                     `developer` or `admin`";

/// Checks one login, organization login (`team: false`) or team slug (`team: true`): 1 to
/// [`NAME_MAX`] of `A-Z a-z 0-9 -` and `_` (enterprise-managed users' logins), plus `.` in a
/// team slug. Returns it lowercased, or the reason it is refused.
fn name(part: &str, what: &str, team: bool) -> Result<String, String> {
    if part.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if part.len() > NAME_MAX {
        return Err(format!("the {what} is longer than {NAME_MAX} characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || (team && c == '.');
    if let Some(c) = part.chars().find(|c| !allowed(*c)) {
        let allowed = if team {
            "A-Z a-z 0-9 - _ ."
        } else {
            "A-Z a-z 0-9 - _"
        };
        return Err(format!(
            "the {what} `{}` contains `{}`; a {what} has only {allowed}",
            part.escape_debug(),
            c.escape_debug()
        ));
    }
    Ok(part.to_ascii_lowercase())
}

/// Parses one rule (surrounding whitespace ignored); the error says why, without the forms.
fn rule(item: &str) -> Result<RoleRule, String> {
    let Some((role, subject)) = item.split_once('=') else {
        return Err("there is no `=`".to_owned());
    };
    let role = Role::parse(role)
        .map_err(|_| format!("the role `{}` is not known", role.escape_debug()))?;
    let subject = match subject.split_once('/') {
        None => Subject::User(name(subject, "login", false)?),
        Some((org, "*")) => Subject::Org(name(org, "organization", false)?),
        Some((org, team)) => Subject::Team {
            org: name(org, "organization", false)?,
            team: name(team, "team slug", true)?,
        },
    };
    Ok(RoleRule { role, subject })
}

/// The rules that give GitHub users their role, in the order they were written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleRules(Vec<RoleRule>);

impl RoleRules {
    /// Parses rules such as `admin=alice`, `developer=acme/platform` and `viewer=acme/*`, one
    /// per item (whitespace around an item is ignored). The error names the first bad item, says
    /// what is wrong with it and lists the accepted forms.
    pub fn parse(items: &[String]) -> Result<RoleRules, String> {
        items
            .iter()
            .map(|item| {
                rule(item.trim()).map_err(|reason| {
                    format!(
                        "role rule `{}` is not valid: {reason}; {FORMS}",
                        item.escape_debug()
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RoleRules)
    }

    /// The rules.
    pub fn rules(&self) -> &[RoleRule] {
        &self.0
    }

    /// Whether there are no rules (then nobody may sign in with GitHub).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The highest role of every rule that matches `identity`; `None` when none does, and that
    /// user may not sign in.
    pub fn role_for(&self, identity: &GithubIdentity) -> Option<Role> {
        self.0
            .iter()
            .filter(|rule| rule.matches(identity))
            .map(|rule| rule.role)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rules(items: &[&str]) -> RoleRules {
        let items: Vec<String> = items.iter().map(|i| (*i).to_owned()).collect();
        RoleRules::parse(&items).expect("valid rules")
    }

    fn refusal(item: &str) -> String {
        RoleRules::parse(&[item.to_owned()]).expect_err("an invalid rule")
    }

    fn identity(login: &str, teams: &[&str], orgs: &[&str]) -> GithubIdentity {
        GithubIdentity {
            login: login.to_owned(),
            id: 1,
            name: None,
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    // === parse ===

    #[test]
    fn the_three_forms_parse_to_a_user_a_team_and_an_organization() {
        let parsed = rules(&["admin=alice", "developer=acme/platform", " viewer=acme/* "]);
        assert_eq!(
            parsed.rules(),
            [
                RoleRule {
                    role: Role::Admin,
                    subject: Subject::User("alice".into()),
                },
                RoleRule {
                    role: Role::Developer,
                    subject: Subject::Team {
                        org: "acme".into(),
                        team: "platform".into(),
                    },
                },
                RoleRule {
                    role: Role::Viewer,
                    subject: Subject::Org("acme".into()),
                },
            ]
        );
        let shown: Vec<String> = parsed.rules().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["admin=alice", "developer=acme/platform", "viewer=acme/*"]
        );
    }

    #[test]
    fn names_are_kept_lowercase() {
        let parsed = rules(&[
            "admin=Alice",
            "developer=ACME/Platform.Core_2",
            "viewer=Acme/*",
        ]);
        let shown: Vec<String> = parsed.rules().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "admin=alice",
                "developer=acme/platform.core_2",
                "viewer=acme/*"
            ]
        );
    }

    #[test]
    fn no_rules_is_empty_and_lets_nobody_in() {
        let none = RoleRules::parse(&[]).expect("no rules");
        assert!(none.is_empty());
        assert_eq!(none.role_for(&identity("alice", &[], &[])), None);
        assert!(!rules(&["viewer=alice"]).is_empty());
    }

    #[test]
    fn a_bad_item_is_named_with_the_reason_and_the_accepted_forms() {
        let cases = [
            ("alice", "there is no `=`"),
            ("=alice", "the role `` is not known"),
            ("owner=alice", "the role `owner` is not known"),
            ("Admin=alice", "the role `Admin` is not known"),
            ("admin=", "the login is empty"),
            ("admin=/*", "the organization is empty"),
            ("admin=/platform", "the organization is empty"),
            ("admin=acme/", "the team slug is empty"),
            ("admin=al ice", "the login `al ice` contains ` `"),
            ("admin = alice", "the role `admin ` is not known"),
            ("admin=alice=bob", "the login `alice=bob` contains `=`"),
            (
                "admin=acme/plat/form",
                "the team slug `plat/form` contains `/`",
            ),
            ("admin=ac.me/*", "the organization `ac.me` contains `.`"),
            ("admin=acme/*x", "the team slug `*x` contains `*`"),
            ("admin=al\tice", "contains `\\t`"),
        ];
        for (item, reason) in cases {
            let error = refusal(item);
            assert!(
                error.starts_with(&format!(
                    "role rule `{}` is not valid: ",
                    item.escape_debug()
                )),
                "{error}"
            );
            assert!(error.contains(reason), "{item}: {error}");
            assert!(
                error.ends_with(
                    "use `ROLE=LOGIN`, `ROLE=ORG/TEAM` or `ROLE=ORG/*`, where ROLE is `viewer`, `developer` or `admin`"
                ),
                "{error}"
            );
        }
        let long = format!("admin={}", "a".repeat(NAME_MAX + 1));
        assert!(refusal(&long).contains("longer than 100 characters"));
        assert!(RoleRules::parse(&[format!("admin={}", "a".repeat(NAME_MAX))]).is_ok());
    }

    #[test]
    fn the_first_bad_item_is_the_one_named() {
        let items = [
            "admin=alice".to_owned(),
            "nope".to_owned(),
            "x=y".to_owned(),
        ];
        let error = RoleRules::parse(&items).expect_err("invalid");
        assert!(error.starts_with("role rule `nope`"), "{error}");
    }

    // === role_for ===

    #[test]
    fn logins_teams_and_organizations_match_whatever_their_case() {
        let parsed = rules(&["admin=ALICE", "developer=Acme/Platform", "viewer=ACME/*"]);
        assert_eq!(
            parsed.role_for(&identity("Alice", &[], &[])),
            Some(Role::Admin)
        );
        assert_eq!(
            parsed.role_for(&identity("bob", &["acme/PLATFORM"], &[])),
            Some(Role::Developer)
        );
        assert_eq!(
            parsed.role_for(&identity("carol", &[], &["AcMe"])),
            Some(Role::Viewer)
        );
    }

    #[test]
    fn the_highest_role_of_every_matching_rule_wins_whatever_the_order() {
        let identity = identity("alice", &["acme/platform"], &["acme"]);
        for items in [
            ["viewer=acme/*", "developer=acme/platform", "admin=alice"],
            ["admin=alice", "developer=acme/platform", "viewer=acme/*"],
            ["developer=acme/platform", "admin=alice", "viewer=acme/*"],
        ] {
            assert_eq!(rules(&items).role_for(&identity), Some(Role::Admin));
        }
        let no_admin = rules(&["viewer=acme/*", "developer=acme/platform", "viewer=alice"]);
        assert_eq!(no_admin.role_for(&identity), Some(Role::Developer));
    }

    #[test]
    fn an_organization_wildcard_matches_its_members_and_the_members_of_its_teams() {
        let parsed = rules(&["viewer=acme/*"]);
        assert_eq!(
            parsed.role_for(&identity("a", &[], &["acme"])),
            Some(Role::Viewer)
        );
        assert_eq!(
            parsed.role_for(&identity("b", &["acme/platform"], &[])),
            Some(Role::Viewer),
            "a team's organization is one of the user's"
        );
        assert_eq!(
            parsed.role_for(&identity("c", &["acme-labs/platform"], &["acme-labs"])),
            None,
            "an organization matches by its whole login"
        );
    }

    #[test]
    fn nothing_matches_a_stranger() {
        let parsed = rules(&["admin=alice", "developer=acme/platform", "viewer=acme/*"]);
        let cases = [
            identity("mallory", &[], &[]),
            identity("alice2", &["evil/platform"], &["evil"]),
            identity("bob", &["acme-platform/x"], &[]),
            // A team of the same slug in another organization.
            identity("dave", &["other/platform"], &["other"]),
            // A login that only looks like a team.
            identity("acme", &[], &[]),
        ];
        for who in cases {
            assert_eq!(parsed.role_for(&who), None, "{who:?}");
        }
    }

    #[test]
    fn a_team_rule_needs_that_team_not_only_its_organization() {
        let parsed = rules(&["developer=acme/platform"]);
        assert_eq!(
            parsed.role_for(&identity("a", &["acme/design"], &["acme"])),
            None
        );
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_by_name(item in "\\PC{0,40}") {
            match RoleRules::parse(std::slice::from_ref(&item)) {
                Ok(parsed) => {
                    prop_assert_eq!(parsed.rules().len(), 1);
                    // What parsed is written back in a form that parses to the same rule.
                    let again = RoleRules::parse(&[parsed.rules()[0].to_string()]);
                    prop_assert_eq!(again.as_ref(), Ok(&parsed));
                }
                Err(error) => {
                    let named = format!("role rule `{}` is not valid", item.escape_debug());
                    prop_assert!(error.starts_with(&named), "{}", error);
                }
            }
        }
    }
}
