//! Reading one `team.yaml` into a [`Team`], with every problem at the line and key it concerns.
//!
//! The walk over serde-saphyr's spanned tree is the one of `.idp/config.yml`
//! ([`crate::domain::config::read`]): unknown keys get a did-you-mean, mistyped values say what
//! to write, and reading goes on after a problem so one run shows them all. Text values must be
//! YAML strings: Argo CD's git generator reads the same file with YAML 1.1, where `1.0` is a
//! number and `yes` a boolean, so such values are refused unless quoted.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

mod apps;

use super::check::{self, Problem, Resource};
use super::{Limits, MAX_FILE_BYTES, MAX_NAME_LEN, Quota, Team, TeamPositions};
use crate::domain::config::ConfigErrors;
use crate::domain::config::read::{
    Node, Pos, Report, did_you_mean, key_text, literal, scalar_text, shown, tree, unknown_key_fix,
};

/// The keys of a team file.
pub(super) const KEYS: [&str; 8] = [
    "name",
    "description",
    "members",
    "groups",
    "viewers",
    "quota",
    "limits",
    "apps",
];
/// The keys of `quota`.
pub(super) const QUOTA_KEYS: [&str; 3] = ["cpu", "memory", "pods"];
/// The keys of `limits`.
pub(super) const LIMIT_KEYS: [&str; 2] = ["cpu", "memory"];
/// The keys of one app.
pub(super) const APP_KEYS: [&str; 4] = ["name", "repoURL", "path", "targetRevision"];
/// The most pods a quota may allow.
const MAX_PODS: i128 = 100_000;
/// Plain words YAML 1.1 (and so Argo CD) reads as booleans.
const YAML11_BOOLEANS: [&str; 8] = ["y", "yes", "n", "no", "on", "off", "true", "false"];

pub(super) fn parse_with_positions(
    text: &str,
    file: &str,
    folder: &str,
) -> Result<(Team, TeamPositions), ConfigErrors> {
    let mut report = Report::new(file);
    if text.len() > MAX_FILE_BYTES {
        report.push(
            Pos::START,
            "",
            None,
            format!(
                "the file is {} bytes; a team file may have at most {MAX_FILE_BYTES}",
                text.len()
            ),
            "keep one team per file, with its people and apps only",
        );
        return Err(finish(report));
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let root = tree(text, &mut report);
    if !report.errors.is_empty() {
        return Err(finish(report));
    }
    let mut reader = Reader::new(text, &mut report, file);
    match root {
        Some(root) => reader.root(&root),
        None => reader.report.push(
            Pos::START,
            "",
            None,
            "the file is empty",
            format!(
                "write at least `name: {}` and `groups:` or `members:`",
                shown(folder)
            ),
        ),
    }
    let (team, positions) = reader.finish(folder);
    match report.finish() {
        Some(errors) => Err(errors),
        None => Ok((team, positions)),
    }
}

fn finish(report: Report<'_>) -> ConfigErrors {
    report.finish().unwrap_or(ConfigErrors(Vec::new()))
}

struct Reader<'s, 'r, 'f> {
    src: &'s str,
    report: &'r mut Report<'f>,
    team: Team,
    /// Key path → position of the key.
    positions: BTreeMap<String, Pos>,
    /// The value in cores or bytes of `quota.cpu`, `quota.memory`, `limits.cpu`,
    /// `limits.memory`, when it is valid.
    amounts: BTreeMap<&'static str, f64>,
    /// Entries seen under `members` and `groups`, valid or not.
    people: usize,
    app_positions: Vec<Pos>,
    /// Whether the file is a mapping (if not, that is its one problem).
    mapping: bool,
    /// Key paths an unknown key was probably meant to be (`apps[0].repoURL` for `repoUrl`):
    /// not reported missing as well.
    suggested: BTreeSet<String>,
}

impl<'s, 'r, 'f> Reader<'s, 'r, 'f> {
    fn new(src: &'s str, report: &'r mut Report<'f>, file: &str) -> Self {
        let team = Team {
            name: String::new(),
            description: None,
            members: Vec::new(),
            groups: Vec::new(),
            viewers: Vec::new(),
            quota: Quota::default(),
            limits: Limits::default(),
            apps: Vec::new(),
            file: file.to_owned(),
        };
        let mut amounts = BTreeMap::new();
        for (key, value, resource) in [
            ("quota.cpu", &team.quota.cpu, Resource::Cpu),
            ("quota.memory", &team.quota.memory, Resource::Memory),
            ("limits.cpu", &team.limits.cpu, Resource::Cpu),
            ("limits.memory", &team.limits.memory, Resource::Memory),
        ] {
            if let Ok(amount) = check::quantity(value, resource) {
                amounts.insert(key, amount);
            }
        }
        Self {
            src,
            report,
            team,
            positions: BTreeMap::new(),
            amounts,
            people: 0,
            app_positions: Vec::new(),
            mapping: false,
            suggested: BTreeSet::new(),
        }
    }

    fn problem(&mut self, pos: Pos, key: &str, value: &str, p: Problem) {
        self.report
            .push(pos, key, Some(&shown(value)), p.message, p.fix);
    }

    /// The entries of a mapping, each with its key's text and position; problems with the
    /// mapping itself or with unknown keys are reported. `path` is the mapping's key path
    /// (empty for the root).
    fn entries<'n>(
        &mut self,
        path: &str,
        pos: Pos,
        node: &'n Spanned<Node>,
        known: &[&str],
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
            if !known.contains(&name.as_str()) {
                if let Some(best) = did_you_mean(&name, known) {
                    self.suggested.insert(if path.is_empty() {
                        best.to_owned()
                    } else {
                        format!("{path}.{best}")
                    });
                }
                self.report.push(
                    kpos,
                    &full,
                    None,
                    format!("unknown key `{}`", shown(&name)),
                    unknown_key_fix(&name, known),
                );
                continue;
            }
            self.positions.insert(full, kpos);
            if !matches!(v.value, Node::Null) {
                out.push((name, kpos, v));
            }
        }
        out
    }

    fn root(&mut self, root: &Spanned<Node>) {
        let pos = Pos::of(&root.referenced);
        self.mapping = matches!(root.value, Node::Map(_));
        for (name, kpos, value) in self.entries("", pos, root, &KEYS, "name: payments") {
            match name.as_str() {
                "name" => {
                    if let Some(text) = self.text("name", kpos, value, "payments") {
                        match check::dns_label(&text, MAX_NAME_LEN, "payments") {
                            Ok(()) => self.team.name = text,
                            Err(p) => self.problem(kpos, "name", &text, p),
                        }
                    }
                }
                "description" => {
                    if let Some(text) = self.text("description", kpos, value, "Payments squad") {
                        if text.chars().any(char::is_control) || text.chars().count() > 1000 {
                            self.report.push(
                                kpos,
                                "description",
                                None,
                                "must be one line of at most 1000 characters",
                                "write a short summary of what the team does",
                            );
                        } else {
                            self.team.description = Some(text);
                        }
                    }
                }
                "members" => {
                    let items = self.list("members", kpos, value, "alice");
                    self.people += seq_len(value);
                    self.team.members = self.unique("members", items, check::github_login, true);
                }
                "groups" => {
                    let items = self.list("groups", kpos, value, "acme/payments");
                    self.people += seq_len(value);
                    self.team.groups = self.unique("groups", items, check::group, false);
                }
                "viewers" => {
                    let items = self.list("viewers", kpos, value, "acme/support");
                    self.team.viewers = self.unique("viewers", items, check::group, false);
                }
                "quota" => self.quota(kpos, value),
                "limits" => self.limits(kpos, value),
                "apps" => self.apps(kpos, value),
                _ => {}
            }
        }
    }

    /// A text value that Argo CD reads as the same text.
    fn text(
        &mut self,
        key: &str,
        pos: Pos,
        value: &Spanned<Node>,
        example: &str,
    ) -> Option<String> {
        let written = scalar_text(self.src, value);
        match (&value.value, written) {
            (Node::Str(s), _) => {
                let plain = literal(self.src, value).is_some_and(|l| l == *s);
                if plain && YAML11_BOOLEANS.contains(&s.to_ascii_lowercase().as_str()) {
                    self.report.push(
                        pos,
                        key,
                        Some(&shown(s)),
                        format!(
                            "`{}` is a boolean to Argo CD, which reads YAML 1.1",
                            shown(s)
                        ),
                        format!("quote it: `{}: \"{}\"`", leaf(key), shown(s)),
                    );
                    return None;
                }
                Some(s.clone())
            }
            (Node::Int(_) | Node::Float(_) | Node::Bool(_), Some(text)) => {
                self.report.push(
                    pos,
                    key,
                    Some(&shown(&text)),
                    format!("`{}` is {}, not text", shown(&text), value.value.kind()),
                    format!("quote it: `{}: \"{}\"`", leaf(key), shown(&text)),
                );
                None
            }
            (other, _) => {
                self.report.push(
                    pos,
                    key,
                    None,
                    format!("expected text, found {}", other.kind()),
                    format!("write `{}: {example}`", leaf(key)),
                );
                None
            }
        }
    }

    /// A list of text items with their key paths (`members[0]`) and positions.
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
                format!("write `{key}: [{example}]`, or one `- {example}` per line below `{key}:`"),
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

    /// The valid items of a list, each once (`fold`: compared without case, as GitHub logins).
    fn unique(
        &mut self,
        key: &str,
        items: Vec<(String, Pos, String)>,
        rule: fn(&str) -> Result<(), Problem>,
        fold: bool,
    ) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (path, pos, text) in items {
            if let Err(p) = rule(&text) {
                self.problem(pos, &path, &text, p);
                continue;
            }
            let id = if fold {
                text.to_ascii_lowercase()
            } else {
                text.clone()
            };
            if !seen.insert(id) {
                self.report.push(
                    pos,
                    &path,
                    Some(&shown(&text)),
                    format!("`{}` is listed twice in `{key}`", shown(&text)),
                    "remove the repeated line",
                );
                continue;
            }
            out.push(text);
        }
        out
    }

    /// A quantity, kept as written when valid.
    fn quantity(
        &mut self,
        key: &'static str,
        pos: Pos,
        value: &Spanned<Node>,
        resource: Resource,
    ) -> Option<String> {
        let example = match resource {
            Resource::Cpu => "500m",
            Resource::Memory => "512Mi",
        };
        let text = match &value.value {
            Node::Int(_) | Node::Float(_) => scalar_text(self.src, value),
            _ => self.text(key, pos, value, example),
        }?;
        match check::quantity(&text, resource) {
            Ok(amount) => {
                self.amounts.insert(key, amount);
                Some(text)
            }
            Err(p) => {
                self.amounts.remove(key);
                self.problem(pos, key, &text, p);
                None
            }
        }
    }

    fn quota(&mut self, pos: Pos, value: &Spanned<Node>) {
        for (name, kpos, v) in self.entries("quota", pos, value, &QUOTA_KEYS, "cpu: \"20\"") {
            match name.as_str() {
                "cpu" => {
                    if let Some(q) = self.quantity("quota.cpu", kpos, v, Resource::Cpu) {
                        self.team.quota.cpu = q;
                    }
                }
                "memory" => {
                    if let Some(q) = self.quantity("quota.memory", kpos, v, Resource::Memory) {
                        self.team.quota.memory = q;
                    }
                }
                _ => {
                    match v.value {
                        Node::Int(n) if (1..=MAX_PODS).contains(&n) => {
                            self.team.quota.pods = u32::try_from(n).unwrap_or(u32::MAX);
                        }
                        _ => {
                            let text = scalar_text(self.src, v).unwrap_or_default();
                            self.report.push(
                            kpos,
                            "quota.pods",
                            Some(&shown(&text)),
                            format!("expected a whole number of pods from 1 to {MAX_PODS}, found {}", v.value.kind()),
                            "write e.g. `pods: 50`, without quotes",
                        );
                        }
                    }
                }
            }
        }
    }

    fn limits(&mut self, pos: Pos, value: &Spanned<Node>) {
        for (name, kpos, v) in self.entries("limits", pos, value, &LIMIT_KEYS, "cpu: 500m") {
            if name == "cpu" {
                if let Some(q) = self.quantity("limits.cpu", kpos, v, Resource::Cpu) {
                    self.team.limits.cpu = q;
                }
            } else if let Some(q) = self.quantity("limits.memory", kpos, v, Resource::Memory) {
                self.team.limits.memory = q;
            }
        }
    }
}

/// How many items a list has (0 for anything else).
fn seq_len(node: &Spanned<Node>) -> usize {
    match &node.value {
        Node::Seq(items) => items.len(),
        _ => 0,
    }
}

/// The last segment of a key path, as it is written in the file (`cpu` of `quota.cpu`).
fn leaf(key: &str) -> &str {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.split('[').next().unwrap_or(last)
}

fn example_of(key: &str) -> &'static str {
    match key {
        "name" => "api",
        "repoURL" => "https://github.com/acme/api",
        "path" => "deploy",
        _ => "main",
    }
}
