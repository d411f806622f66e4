//! Reading `platform.yml` into a [`Policy`], with every problem at the line and key it concerns.
//!
//! The walk over serde-saphyr's spanned tree is the one of `.idp/config.yml`
//! ([`crate::domain::config::read`]): unknown keys get a did-you-mean, mistyped values say what
//! to write, and reading goes on after a problem so one run shows them all.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::{
    Budget, DEFAULT_ALERT_AT, MAX_ALERT_PERCENT, MAX_FILE_BYTES, MAX_MONTHLY_USD, Policy, Scope,
};
use crate::domain::config::ConfigErrors;
use crate::domain::config::read::{
    Node, Pos, Report, did_you_mean, key_text, scalar_text, shown, tree, unknown_key_fix,
};

/// The keys of the file.
const KEYS: [&str; 3] = ["teams", "admins", "budgets"];
/// The keys of one budget.
const BUDGET_KEYS: [&str; 5] = ["team", "owner", "monthly_usd", "alert_at", "notify"];

pub(super) fn parse(text: &str, file: &str) -> Result<Policy, ConfigErrors> {
    let mut report = Report::new(file);
    if text.len() > MAX_FILE_BYTES {
        report.push(
            Pos::START,
            "",
            None,
            format!(
                "the file is {} bytes; a policy file may have at most {MAX_FILE_BYTES}",
                text.len()
            ),
            "keep teams, admins and budgets only",
        );
        return Err(finish(report));
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let root = tree(text, &mut report);
    if !report.errors.is_empty() {
        return Err(finish(report));
    }
    let mut reader = Reader {
        src: text,
        report: &mut report,
        policy: Policy::default(),
        team_refs: Vec::new(),
        owner_of: BTreeMap::new(),
    };
    if let Some(root) = root {
        reader.root(&root);
    }
    reader.check_team_refs();
    let policy = reader.policy;
    match report.finish() {
        Some(errors) => Err(errors),
        None => Ok(policy),
    }
}

fn finish(report: Report<'_>) -> ConfigErrors {
    report.finish().unwrap_or(ConfigErrors(Vec::new()))
}

struct Reader<'s, 'r, 'f> {
    src: &'s str,
    report: &'r mut Report<'f>,
    policy: Policy,
    /// Every `team:` of a budget: key path, position, team.
    team_refs: Vec<(String, Pos, String)>,
    /// Lowercased member → the team that lists it first.
    owner_of: BTreeMap<String, String>,
}

impl Reader<'_, '_, '_> {
    /// The entries of a mapping with each key's text and position; unknown keys are reported.
    fn entries<'n>(
        &mut self,
        path: &str,
        pos: Pos,
        node: &'n Spanned<Node>,
        known: Option<&[&str]>,
        example: &str,
    ) -> Vec<(String, Pos, &'n Spanned<Node>)> {
        let Node::Map(entries) = &node.value else {
            let what = if path.is_empty() {
                "the file"
            } else {
                "the value"
            };
            self.report.push(
                pos,
                path,
                None,
                format!(
                    "{what} must be a mapping of keys to values, not {}",
                    node.value.kind()
                ),
                format!("write one `key: value` per line, e.g. `{example}`"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let kpos = Pos::of(&k.referenced);
            let name = key_text(self.src, k).unwrap_or_default();
            let full = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if let Some(known) = known
                && !known.contains(&name.as_str())
            {
                self.report.push(
                    kpos,
                    &full,
                    None,
                    format!("unknown key `{}`", shown(&name)),
                    unknown_key_fix(&name, known),
                );
                continue;
            }
            out.push((name, kpos, v));
        }
        out
    }

    fn root(&mut self, root: &Spanned<Node>) {
        let pos = Pos::of(&root.referenced);
        for (name, kpos, value) in self.entries("", pos, root, Some(&KEYS[..]), "budgets: []") {
            if matches!(value.value, Node::Null) {
                continue;
            }
            match name.as_str() {
                "teams" => self.teams(kpos, value),
                "admins" => {
                    let items = self.list("admins", kpos, value, "platform-lead");
                    self.policy.admins = self.people(items);
                }
                "budgets" => self.budgets(kpos, value),
                _ => {}
            }
        }
    }

    fn teams(&mut self, pos: Pos, value: &Spanned<Node>) {
        for (team, tpos, members) in self.entries("teams", pos, value, None, "payments: [alice]") {
            let path = format!("teams.{team}");
            if let Err((message, fix)) = team_name(&team) {
                self.report
                    .push(tpos, &path, Some(&shown(&team)), message, fix);
                continue;
            }
            let items = self.list(&path, tpos, members, "alice");
            let people = self.people(items.clone());
            for (ipath, ipos, who) in items {
                let key = who.to_ascii_lowercase();
                match self.owner_of.get(&key) {
                    Some(other) if other != &team => self.report.push(
                        ipos,
                        &ipath,
                        Some(&shown(&who)),
                        format!("`{}` is already on team `{other}`", shown(&who)),
                        "keep each person on one team: spending is counted against one team's budget",
                    ),
                    _ => {
                        self.owner_of.insert(key, team.clone());
                    }
                }
            }
            self.policy.teams.insert(team, people);
        }
    }

    fn budgets(&mut self, pos: Pos, value: &Spanned<Node>) {
        let Node::Seq(items) = &value.value else {
            self.report.push(
                pos,
                "budgets",
                None,
                format!("expected a list, found {}", value.value.kind()),
                "write one `- team: <name>` (or `- owner: <login>`) entry per budget below `budgets:`",
            );
            return;
        };
        let mut seen: BTreeMap<Scope, String> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("budgets[{i}]");
            let ipos = Pos::of(&item.referenced);
            if let Some(budget) = self.budget(&path, ipos, item) {
                if let Some(first) = seen.get(&budget.scope) {
                    self.report.push(
                        ipos,
                        &path,
                        None,
                        format!("{} already has a budget at `{first}`", budget.scope),
                        "keep one budget per team or owner: merge the two entries",
                    );
                    continue;
                }
                seen.insert(budget.scope.clone(), path);
                self.policy.budgets.push(budget);
            }
        }
    }

    fn budget(&mut self, path: &str, pos: Pos, node: &Spanned<Node>) -> Option<Budget> {
        let mut team = None;
        let mut owner = None;
        let mut limit = None;
        let mut alert_at = None;
        let mut notify = Vec::new();
        let mut ok = true;
        let example = "team: payments";
        for (name, kpos, value) in self.entries(path, pos, node, Some(&BUDGET_KEYS[..]), example) {
            let key = format!("{path}.{name}");
            match name.as_str() {
                "team" => match self.text(&key, kpos, value, "payments") {
                    Some(t) => team = Some((t, kpos, key)),
                    None => ok = false,
                },
                "owner" => match self.text(&key, kpos, value, "carol") {
                    Some(o) => match person(&o) {
                        Ok(()) => owner = Some(o),
                        Err((message, fix)) => {
                            self.report.push(kpos, &key, Some(&shown(&o)), message, fix);
                            ok = false;
                        }
                    },
                    None => ok = false,
                },
                "monthly_usd" => match self.amount(&key, kpos, value) {
                    Some(usd) => limit = Some(usd),
                    None => ok = false,
                },
                "alert_at" => match self.thresholds(&key, kpos, value) {
                    Some(t) => alert_at = Some(t),
                    None => ok = false,
                },
                "notify" => {
                    let items = self.list(&key, kpos, value, "finops@example.com");
                    for (ipath, ipos, text) in items {
                        match email(&text) {
                            Ok(()) if !notify.contains(&text) => notify.push(text),
                            Ok(()) => {}
                            Err((message, fix)) => {
                                self.report
                                    .push(ipos, &ipath, Some(&shown(&text)), message, fix);
                                ok = false;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let scope = match (team, owner) {
            (Some(_), Some(_)) => {
                self.report.push(
                    pos,
                    path,
                    None,
                    "sets both `team` and `owner`",
                    "a budget limits one team or one owner: keep one of the two keys",
                );
                return None;
            }
            (Some((team, tpos, key)), None) => {
                self.team_refs.push((key, tpos, team.clone()));
                Scope::Team(team)
            }
            (None, Some(owner)) => Scope::Owner(owner),
            (None, None) => {
                if matches!(node.value, Node::Map(_)) {
                    self.report.push(
                        pos,
                        path,
                        None,
                        "names no `team` or `owner`",
                        "add `team: <a team under teams:>` or `owner: <GitHub login>`",
                    );
                }
                return None;
            }
        };
        let Some(monthly_usd) = limit else {
            if ok && matches!(node.value, Node::Map(_)) {
                self.report.push(
                    pos,
                    path,
                    None,
                    "has no `monthly_usd`",
                    "add the monthly limit in US dollars, e.g. `monthly_usd: 200`",
                );
            }
            return None;
        };
        ok.then(|| Budget {
            scope,
            monthly_usd,
            alert_at: alert_at.unwrap_or_else(|| DEFAULT_ALERT_AT.to_vec()),
            notify,
        })
    }

    /// Every budget's team must be under `teams:`.
    fn check_team_refs(&mut self) {
        let known: Vec<String> = self.policy.teams.keys().cloned().collect();
        let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
        for (key, pos, team) in std::mem::take(&mut self.team_refs) {
            if self.policy.teams.contains_key(&team) {
                continue;
            }
            let fix = match did_you_mean(&team, &candidates) {
                Some(best) => format!("did you mean `{best}`?"),
                None if candidates.is_empty() => {
                    format!("list its members under `teams:`, e.g. `teams: {{{team}: [alice]}}`")
                }
                None => format!(
                    "use a team listed under `teams:` ({}), or add it there",
                    candidates.join(", ")
                ),
            };
            self.report.push(
                pos,
                &key,
                Some(&shown(&team)),
                format!("team `{}` is not listed under `teams:`", shown(&team)),
                fix,
            );
            self.policy
                .budgets
                .retain(|b| b.scope != Scope::Team(team.clone()));
        }
    }

    fn text(
        &mut self,
        key: &str,
        pos: Pos,
        value: &Spanned<Node>,
        example: &str,
    ) -> Option<String> {
        match &value.value {
            Node::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            other => {
                self.report.push(
                    pos,
                    key,
                    scalar_text(self.src, value).as_deref(),
                    format!("expected a name, found {}", other.kind()),
                    format!("write a single value, e.g. `{example}`"),
                );
                None
            }
        }
    }

    fn list(
        &mut self,
        key: &str,
        pos: Pos,
        value: &Spanned<Node>,
        example: &str,
    ) -> Vec<(String, Pos, String)> {
        let Node::Seq(items) = &value.value else {
            self.report.push(
                pos,
                key,
                None,
                format!("expected a list, found {}", value.value.kind()),
                format!("write `[{example}]`, or one `- {example}` per line below the key"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let ipos = Pos::of(&item.referenced);
            if let Some(text) = self.text(&path, ipos, item, example) {
                out.push((path, ipos, text));
            }
        }
        out
    }

    /// The valid people of a list, each once (compared without case).
    fn people(&mut self, items: Vec<(String, Pos, String)>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (path, pos, text) in items {
            match person(&text) {
                Ok(()) if !out.iter().any(|o| o.eq_ignore_ascii_case(&text)) => out.push(text),
                Ok(()) => {}
                Err((message, fix)) => {
                    self.report
                        .push(pos, &path, Some(&shown(&text)), message, fix);
                }
            }
        }
        out
    }

    fn amount(&mut self, key: &str, pos: Pos, value: &Spanned<Node>) -> Option<f64> {
        let text = scalar_text(self.src, value);
        let fix = "write the monthly limit in US dollars as a number, e.g. `monthly_usd: 200`";
        let usd = match &value.value {
            Node::Int(i) => *i as f64,
            Node::Float(f) => *f,
            Node::Str(s) if s.trim().trim_start_matches('$').parse::<f64>().is_ok() => {
                self.report.push(
                    pos,
                    key,
                    text.as_deref(),
                    format!("`\"{}\"` is a string, not a number", shown(s)),
                    format!(
                        "write the number without quotes or `$`: `monthly_usd: {}`",
                        s.trim().trim_start_matches('$')
                    ),
                );
                return None;
            }
            other => {
                self.report.push(
                    pos,
                    key,
                    text.as_deref(),
                    format!("expected a number, found {}", other.kind()),
                    fix,
                );
                return None;
            }
        };
        let cents = (usd * 100.0).round();
        if !usd.is_finite()
            || usd <= 0.0
            || usd > MAX_MONTHLY_USD
            || (usd * 100.0 - cents).abs() > 1e-6
        {
            self.report.push(
                pos,
                key,
                text.as_deref(),
                format!(
                    "`{}` is not a positive amount in dollars and cents (at most {MAX_MONTHLY_USD})",
                    text.as_deref().map(shown).unwrap_or_default()
                ),
                fix,
            );
            return None;
        }
        Some(cents / 100.0)
    }

    fn thresholds(&mut self, key: &str, pos: Pos, value: &Spanned<Node>) -> Option<Vec<u32>> {
        let Node::Seq(items) = &value.value else {
            self.report.push(
                pos,
                key,
                None,
                format!(
                    "expected a list of percentages, found {}",
                    value.value.kind()
                ),
                "write `alert_at: [50, 80, 100]` (percent of the monthly limit)",
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let ipos = Pos::of(&item.referenced);
            let text = scalar_text(self.src, item);
            match &item.value {
                Node::Int(p) if (1..=i128::from(MAX_ALERT_PERCENT)).contains(p) => {
                    let p = u32::try_from(*p).unwrap_or(MAX_ALERT_PERCENT);
                    if out.contains(&p) {
                        self.report.push(
                            ipos,
                            &path,
                            text.as_deref(),
                            format!("`{p}` is listed twice"),
                            "list each threshold once",
                        );
                        ok = false;
                    } else {
                        out.push(p);
                    }
                }
                other => {
                    let found = match other {
                        Node::Int(_) | Node::Float(_) => format!(
                            "`{}` is not a whole percentage from 1 to {MAX_ALERT_PERCENT}",
                            text.as_deref().map(shown).unwrap_or_default()
                        ),
                        _ => format!("expected a percentage, found {}", other.kind()),
                    };
                    self.report.push(
                        ipos,
                        &path,
                        text.as_deref(),
                        found,
                        "write whole percentages of the limit, e.g. `alert_at: [50, 80, 100]`",
                    );
                    ok = false;
                }
            }
        }
        if ok && out.is_empty() {
            self.report.push(
                pos,
                key,
                None,
                "lists no threshold",
                "write at least one, e.g. `alert_at: [100]`, or remove the key for 50, 80 and 100",
            );
            return None;
        }
        out.sort_unstable();
        ok.then_some(out)
    }
}

type Problem = (String, String);

/// A team name: a DNS label (it becomes part of an AWS budget name).
fn team_name(name: &str) -> Result<(), Problem> {
    let valid = !name.is_empty()
        && name.len() <= 50
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err((
            format!("`{}` is not a valid team name", shown(name)),
            "use at most 50 lowercase letters, digits and `-`, e.g. `payments`".to_owned(),
        ))
    }
}

/// A person: a GitHub login or an email, as the `idp:owner` tag carries it.
fn person(who: &str) -> Result<(), Problem> {
    let valid = !who.is_empty()
        && who.len() <= 254
        && who
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'));
    if valid {
        Ok(())
    } else {
        Err((
            format!("`{}` is not a GitHub login or an email", shown(who)),
            "write the login as in the profile URL, e.g. `octocat` (the owner idp records)"
                .to_owned(),
        ))
    }
}

fn email(address: &str) -> Result<(), Problem> {
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.chars().any(|c| c.is_whitespace() || c.is_control())
                && address.len() <= 254
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err((
            format!("`{}` is not an email address", shown(address)),
            "write an address SNS can send to, e.g. `finops@example.com`".to_owned(),
        ))
    }
}
