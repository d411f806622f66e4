//! The rules a team file's values follow: Kubernetes names and quantities, GitHub logins,
//! group names, repository URLs and paths; and the rules across teams and for the platform.
//! The names, quantities, groups and paths of `.idp/config.yml`'s `kubernetes:` section follow
//! the same rules.

use std::collections::BTreeMap;

use super::{Platform, Team, TeamPositions};
use crate::domain::config::ConfigError;
use crate::domain::config::read::shown;

/// What is wrong with a value, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::domain) struct Problem {
    pub(in crate::domain) message: String,
    pub(in crate::domain) fix: String,
}

fn problem(message: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        message: message.into(),
        fix: fix.into(),
    }
}

/// A DNS-1123 label (what Kubernetes names namespaces and most objects by) of at most `max`
/// characters: lowercase letters, digits and `-`, starting and ending with a letter or digit.
pub(in crate::domain) fn dns_label(value: &str, max: usize, example: &str) -> Result<(), Problem> {
    let fix = format!(
        "use at most {max} lowercase letters, digits and `-`, starting and ending with a letter or digit, e.g. `{example}`"
    );
    if value.is_empty() {
        return Err(problem("is empty", fix));
    }
    let len = value.chars().count();
    if len > max {
        return Err(problem(
            format!("`{}` is {len} characters, more than {max}", shown(value)),
            fix,
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if let Some(bad) = value.chars().find(|c| !ok_char(*c)) {
        let hint = if bad.is_ascii_uppercase() {
            format!(
                "write it in lowercase: `{}`",
                shown(&value.to_ascii_lowercase())
            )
        } else {
            fix
        };
        return Err(problem(
            format!(
                "`{}` has `{}`, which a Kubernetes name cannot have",
                shown(value),
                shown(&bad.to_string())
            ),
            hint,
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(problem(
            format!("`{}` starts or ends with `-`", shown(value)),
            fix,
        ));
    }
    Ok(())
}

/// A GitHub login: 1–39 letters, digits or single hyphens, not at either end.
pub(super) fn github_login(value: &str) -> Result<(), Problem> {
    let fix = "write the GitHub login as it appears in the profile URL, e.g. `octocat` (groups go under `groups`)";
    let valid = !value.is_empty()
        && value.len() <= 39
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if valid {
        Ok(())
    } else if value.contains('/') {
        Err(problem(
            format!("`{}` is a group, not a GitHub login", shown(value)),
            "move it to `groups`",
        ))
    } else {
        Err(problem(
            format!("`{}` is not a GitHub login", shown(value)),
            fix,
        ))
    }
}

/// A group as the identity provider names it: `org/team` (GitHub through Dex) or an IdP group,
/// one line of at most 256 characters without `,` (Argo CD's RBAC policies are CSV).
pub(in crate::domain) fn group(value: &str) -> Result<(), Problem> {
    let fix = "write the group as your identity provider sends it, e.g. `acme/payments`";
    if value.trim().is_empty() {
        return Err(problem("is empty", fix));
    }
    if value.chars().count() > 256 {
        return Err(problem("is longer than 256 characters", fix));
    }
    if value.trim() != value || value.chars().any(|c| c.is_control() || c == ',') {
        return Err(problem(
            format!(
                "`{}` has a control character, a `,` or surrounding spaces",
                shown(value)
            ),
            fix,
        ));
    }
    Ok(())
}

/// Which resource a quantity measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::domain) enum Resource {
    Cpu,
    Memory,
}

/// A Kubernetes quantity (`500m`, `2`, `0.5`, `512Mi`, `1G`, `1e3`), as the API server reads
/// it, and its value in cores or bytes. Negative, zero and (for memory) sub-mebibyte values are
/// refused: they are always mistakes in a quota or a default limit.
pub(in crate::domain) fn quantity(value: &str, resource: Resource) -> Result<f64, Problem> {
    let example = match resource {
        Resource::Cpu => "`500m` (half a core) or `2`",
        Resource::Memory => "`512Mi` or `4Gi`",
    };
    let fix = format!("write a Kubernetes quantity, e.g. {example}");
    let bad = || {
        Err(problem(
            format!("`{}` is not a Kubernetes quantity", shown(value)),
            fix.clone(),
        ))
    };
    if value.is_empty() || value.len() > 64 {
        return bad();
    }
    if value.starts_with(['-', '+']) {
        return Err(problem(
            format!("`{}` is not a positive quantity", shown(value)),
            fix,
        ));
    }
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(split);
    let digits_ok = number.chars().filter(|c| *c == '.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    let Ok(mantissa) = number.parse::<f64>() else {
        return bad();
    };
    if !digits_ok {
        return bad();
    }
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let digits = exp[1..].strip_prefix(['+', '-']).unwrap_or(&exp[1..]);
            match exp[1..].parse::<i32>() {
                Ok(e) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
                    10f64.powi(e.clamp(-30, 30))
                }
                _ => return bad(),
            }
        }
        other => {
            // `40gb`, `512MB`, `1gi`: the unit Kubernetes spells differently.
            let unit = match other.to_ascii_lowercase().trim_end_matches('b') {
                "k" | "ki" => Some("Ki"),
                "m" | "mi" => Some("Mi"),
                "g" | "gi" => Some("Gi"),
                "t" | "ti" => Some("Ti"),
                _ => None,
            };
            return match unit {
                Some(unit) if resource == Resource::Memory => Err(problem(
                    format!("`{}` is not a Kubernetes quantity", shown(value)),
                    format!(
                        "write `{number}{unit}`: Kubernetes spells units `Ki`, `Mi`, `Gi`, `Ti` (or `k`, `M`, `G`, `T`)"
                    ),
                )),
                _ => bad(),
            };
        }
    };
    let amount = mantissa * multiplier;
    if amount <= 0.0 {
        return Err(problem(format!("`{}` is zero", shown(value)), fix));
    }
    if resource == Resource::Memory && suffix == "m" {
        return Err(problem(
            format!(
                "`{}` is {} bytes: `m` means thousandths",
                shown(value),
                mantissa / 1000.0
            ),
            format!("write `{number}Mi` for mebibytes"),
        ));
    }
    if resource == Resource::Memory && amount < 1024.0 * 1024.0 {
        return Err(problem(
            format!("`{}` is less than one mebibyte", shown(value)),
            format!("add a unit: `{number}Mi` or `{number}Gi`"),
        ));
    }
    if resource == Resource::Cpu && amount < 0.001 {
        return Err(problem(
            format!("`{}` is less than a millicore", shown(value)),
            fix,
        ));
    }
    Ok(amount)
}

/// An `https://host/path` URL with no credentials in it, as Argo CD reads repositories.
pub(super) fn https_url(value: &str) -> Result<(), Problem> {
    let fix = "write the repository's https URL, e.g. `https://github.com/acme/payments-api`";
    let Some(rest) = value.strip_prefix("https://") else {
        let hint = if value.starts_with("http://") {
            "use `https://`: Argo CD should not fetch manifests over plain HTTP"
        } else if value.starts_with("git@") || value.starts_with("ssh://") {
            "use the repository's https URL; Argo CD's repository credentials supply access"
        } else {
            fix
        };
        return Err(problem(
            format!("`{}` is not an https URL", shown(value)),
            hint,
        ));
    };
    if value.len() > 2048 {
        return Err(problem("is longer than 2048 characters", fix));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(problem(
            "has credentials in it",
            "remove `user:password@`: put credentials in an Argo CD repository secret",
        ));
    }
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    let host_ok = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    let port_ok = port.is_empty() || port.parse::<u16>().is_ok_and(|p| p > 0);
    let path_ok = rest[authority.len()..]
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '{' | '}' | '"' | '\'' | '\\' | '`'));
    if host_ok && port_ok && path_ok {
        Ok(())
    } else {
        Err(problem(
            format!("`{}` is not a valid https URL", shown(value)),
            fix,
        ))
    }
}

/// A directory inside a repository: relative, without `..`, printable.
pub(in crate::domain) fn repo_path(value: &str, example: &str) -> Result<(), Problem> {
    let fix = format!("write a path relative to the repository's root, e.g. `{example}`");
    if value.is_empty() {
        return Err(problem("is empty", format!("{fix}, or `.` for the root")));
    }
    if value.len() > 1024 {
        return Err(problem("is longer than 1024 characters", fix));
    }
    if value.starts_with('/') {
        return Err(problem(format!("`{}` is absolute", shown(value)), fix));
    }
    if value.split('/').any(|segment| segment == "..") {
        return Err(problem(
            format!("`{}` leaves the repository with `..`", shown(value)),
            fix,
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\\' | '{' | '}' | '"' | '`'))
    {
        return Err(problem(
            format!("`{}` has characters a path should not have", shown(value)),
            fix,
        ));
    }
    Ok(())
}

/// A git revision: a branch, a tag, a commit or `HEAD`.
pub(super) fn revision(value: &str) -> Result<(), Problem> {
    let fix = "write a branch, tag or commit, e.g. `main`, `v1.2.0` or `HEAD`";
    let valid = !value.is_empty()
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | '+'))
        && !value.starts_with(['-', '/', '.'])
        && !value.contains("..");
    if valid {
        Ok(())
    } else {
        Err(problem(
            format!("`{}` is not a git revision", shown(value)),
            fix,
        ))
    }
}

/// Every problem of `platform`, each a sentence with its fix; `what` names a setting.
pub(super) fn platform(platform: &Platform, what: impl Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |setting: &str, value: &str, result: Result<(), Problem>| {
        if let Err(p) = result {
            let value = if value.is_empty() {
                String::new()
            } else {
                format!(" `{}`", shown(value))
            };
            out.push(format!(
                "{}{value}: {}; {}",
                what(setting),
                p.message,
                p.fix
            ));
        }
    };
    let p = platform;
    push("repo_url", &p.repo_url, https_url(&p.repo_url));
    push("revision", &p.revision, revision(&p.revision));
    push(
        "teams_path",
        &p.teams_path,
        repo_path(&p.teams_path, "teams"),
    );
    push(
        "argocd_namespace",
        &p.argocd_namespace,
        dns_label(&p.argocd_namespace, 63, "argocd"),
    );
    push("project", &p.project, dns_label(&p.project, 63, "platform"));
    push(
        "project_chart",
        &p.project_chart,
        repo_path(&p.project_chart, "platform/team-project"),
    );
    push(
        "resources_chart",
        &p.resources_chart,
        repo_path(&p.resources_chart, "platform/team-resources"),
    );
    push(
        "destination_server",
        &p.destination_server,
        https_url(&p.destination_server).or_else(|e| {
            // The in-cluster API server has no dot in its name.
            if p.destination_server
                .starts_with("https://kubernetes.default.svc")
            {
                Ok(())
            } else {
                Err(e)
            }
        }),
    );
    if let Some(ns) = &p.ingress_namespace {
        push("ingress_namespace", ns, dns_label(ns, 63, "ingress-nginx"));
    }
    out
}

/// Two teams generating one Application name: reported in the later team's file.
pub(super) fn across(teams: &[(Team, TeamPositions)]) -> Vec<ConfigError> {
    let mut sorted: Vec<&(Team, TeamPositions)> = teams.iter().collect();
    sorted.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    let mut errors = Vec::new();
    for (team, positions) in sorted {
        for (i, app_name) in team.application_names().into_iter().enumerate() {
            if let Some(first) = owner.get(&app_name) {
                // The first two names are the team's own (`-project`, `-namespace`).
                let (key, (line, column)) = match i.checked_sub(2) {
                    Some(app) => (
                        format!("apps[{app}].name"),
                        positions.apps.get(app).copied().unwrap_or(positions.name),
                    ),
                    None => ("name".to_owned(), positions.name),
                };
                errors.push(ConfigError {
                    file: team.file.clone(),
                    line,
                    column,
                    key,
                    value: None,
                    message: format!(
                        "the Argo CD Application `{app_name}` is also generated for team `{first}`"
                    ),
                    fix: "rename this app or the team: Application names are `<team>-<app>` and must be unique".to_owned(),
                });
            } else {
                owner.insert(app_name, &team.name);
            }
        }
    }
    errors
}

/// The most characters an app name of team `team` may have: `<team>-<app>` is at most 63.
pub(super) fn max_app_name_len(team: &str) -> usize {
    63usize.saturating_sub(team.chars().count() + 1).max(1)
}
