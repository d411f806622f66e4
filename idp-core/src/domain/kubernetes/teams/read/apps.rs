//! The parts of a team file read after its simple keys: the `apps` list, and the checks that
//! need the whole file (the name against the folder, someone on the team, limits within the
//! quota, app names within Application names).

use std::collections::BTreeSet;

use serde_saphyr::Spanned;

use super::super::check::{self, Problem};
use super::super::{
    App, DEFAULT_APP_PATH, DEFAULT_APP_REVISION, RESERVED_APP_NAMES, Team, TeamPositions,
};
use super::{APP_KEYS, Reader, example_of};
use crate::domain::config::read::{Node, Pos, shown};

impl Reader<'_, '_, '_> {
    pub(super) fn apps(&mut self, pos: Pos, value: &Spanned<Node>) {
        let Node::Seq(items) = &value.value else {
            self.report.push(
                pos,
                "apps",
                None,
                format!("expected a list of apps, found {}", value.value.kind()),
                "write one `- name: <app>` with `repoURL:` below it per app",
            );
            return;
        };
        let mut names = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("apps[{i}]");
            let ipos = Pos::of(&item.referenced);
            let mut app = App {
                name: String::new(),
                repo_url: String::new(),
                path: DEFAULT_APP_PATH.to_owned(),
                target_revision: DEFAULT_APP_REVISION.to_owned(),
            };
            let mut name_pos = ipos;
            let (mut has_name, mut has_url, mut ok) = (false, false, true);
            for (key, kpos, v) in self.entries(&path, ipos, item, &APP_KEYS, "name: api") {
                let full = format!("{path}.{key}");
                let Some(text) = self.text(&full, kpos, v, example_of(&key)) else {
                    ok = false;
                    has_name |= key == "name";
                    has_url |= key == "repoURL";
                    continue;
                };
                let result = match key.as_str() {
                    "name" => {
                        has_name = true;
                        name_pos = kpos;
                        check::dns_label(&text, 63, "api").and_then(|()| {
                            if RESERVED_APP_NAMES.contains(&text.as_str()) {
                                Err(Problem {
                                    message: format!("`{text}` is reserved: the team's own Application is `<team>-{text}`"),
                                    fix: "choose another name, e.g. `api` or `web`".to_owned(),
                                })
                            } else if !names.insert(text.clone()) {
                                Err(Problem {
                                    message: format!("the team has two apps named `{text}`"),
                                    fix: "give each app its own name".to_owned(),
                                })
                            } else {
                                Ok(())
                            }
                        })
                    }
                    "repoURL" => {
                        has_url = true;
                        check::https_url(&text)
                    }
                    "path" => check::repo_path(&text, "deploy"),
                    _ => check::revision(&text),
                };
                match result {
                    Ok(()) => match key.as_str() {
                        "name" => app.name = text,
                        "repoURL" => app.repo_url = text,
                        "path" => app.path = text,
                        _ => app.target_revision = text,
                    },
                    Err(p) => {
                        ok = false;
                        self.problem(kpos, &full, &text, p);
                    }
                }
            }
            if matches!(item.value, Node::Map(_)) {
                for (present, key, example) in [
                    (has_name, "name", "api"),
                    (has_url, "repoURL", "https://github.com/acme/api"),
                ] {
                    if !present {
                        ok = false;
                        if self.suggested.contains(&format!("{path}.{key}")) {
                            continue;
                        }
                        self.report.push(
                            ipos,
                            &format!("{path}.{key}"),
                            None,
                            format!("the app has no `{key}`"),
                            format!("add `{key}: {example}`"),
                        );
                    }
                }
            } else {
                ok = false;
            }
            if ok {
                self.team.apps.push(app);
                self.app_positions.push(name_pos);
            }
        }
    }

    /// The checks that need the whole file: the name is there and is the folder's, someone is
    /// on the team, the default limits fit in the quota, app names fit in Application names.
    pub(super) fn finish(self, folder: &str) -> (Team, TeamPositions) {
        let name_pos = self.positions.get("name").copied().unwrap_or(Pos::START);
        if !self.mapping {
            return (self.team, TeamPositions::default());
        }
        if !self.positions.contains_key("name") {
            self.report.push(
                Pos::START,
                "name",
                None,
                "the team has no `name`",
                format!("add `name: {}` (the folder's name)", shown(folder)),
            );
        }
        if !self.team.name.is_empty() && self.team.name != folder {
            self.report.push(
                name_pos,
                "name",
                Some(&self.team.name.clone()),
                format!(
                    "the team is `{}` but its folder is `{}`",
                    self.team.name,
                    shown(folder)
                ),
                format!(
                    "make them the same: rename the folder to `{}` or write `name: {}`",
                    self.team.name,
                    shown(folder)
                ),
            );
        }
        if self.people == 0 {
            let pos = ["groups", "members", "name"]
                .iter()
                .find_map(|k| self.positions.get(*k).copied())
                .unwrap_or(Pos::START);
            self.report.push(
                pos,
                "groups",
                None,
                "the team has no members and no groups: nobody could deploy its apps",
                "add `groups: [acme/payments]` (IdP or GitHub teams) or `members: [alice]` (GitHub logins)",
            );
        }
        for (resource, unit) in [("cpu", "cores"), ("memory", "bytes")] {
            let limit = self
                .amounts
                .get(format!("limits.{resource}").as_str())
                .copied();
            let quota = self
                .amounts
                .get(format!("quota.{resource}").as_str())
                .copied();
            if let (Some(limit), Some(quota)) = (limit, quota)
                && limit > quota
            {
                let key = format!("limits.{resource}");
                let pos = self
                    .positions
                    .get(&key)
                    .or_else(|| self.positions.get(&format!("quota.{resource}")))
                    .copied()
                    .unwrap_or(name_pos);
                let (l, q) = match resource {
                    "cpu" => (&self.team.limits.cpu, &self.team.quota.cpu),
                    _ => (&self.team.limits.memory, &self.team.quota.memory),
                };
                let message = format!(
                    "the default {resource} limit `{l}` is more than the team's quota `{q}` ({limit} > {quota} {unit}): no pod could start"
                );
                self.report.push(
                    pos,
                    &key,
                    Some(&l.clone()),
                    message,
                    format!("lower `limits.{resource}` or raise `quota.{resource}`"),
                );
            }
        }
        if !self.team.name.is_empty() {
            let max = check::max_app_name_len(&self.team.name);
            for (i, app) in self.team.apps.iter().enumerate() {
                if app.name.chars().count() > max {
                    let pos = self.app_positions.get(i).copied().unwrap_or(name_pos);
                    self.report.push(
                        pos,
                        &format!("apps[{i}].name"),
                        Some(&app.name),
                        format!(
                            "the Application `{}-{}` would be longer than 63 characters",
                            self.team.name, app.name
                        ),
                        format!(
                            "use at most {max} characters for apps of team `{}`",
                            self.team.name
                        ),
                    );
                }
            }
        }
        let positions = TeamPositions {
            name: (name_pos.line, name_pos.column),
            apps: self
                .app_positions
                .iter()
                .map(|p| (p.line, p.column))
                .collect(),
        };
        (self.team, positions)
    }
}
