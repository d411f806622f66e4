//! Validating a job file: every problem at once, each with its order and field and a fix.
//!
//! An unknown dependency name (an order that would wait forever) and a duplicate name are
//! errors, and a dependency cycle is shown as the path that closes it (`a -> b -> a`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::{
    DEFAULT_JOB_TIMEOUT, Job, MAX_JOB_TIMEOUT, Order, Target, format_duration, parse_duration,
};

/// The job file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJob {
    #[serde(default)]
    timeout: Option<RawDuration>,
    orders: Vec<RawOrder>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrder {
    name: String,
    #[serde(default)]
    cmds: Vec<String>,
    #[serde(default)]
    timeout: Option<RawDuration>,
    #[serde(default)]
    env: BTreeMap<String, Scalar>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    ssm_paths: Vec<String>,
    #[serde(default)]
    secret_manager_paths: Vec<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default = "yes")]
    must_succeed: bool,
    #[serde(default)]
    target: Target,
    #[serde(default)]
    working_dir: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDuration {
    Seconds(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s,
        }
    }
}

/// One problem of a job file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// The order it is about (`None`: the job itself or the file).
    pub order: Option<String>,
    /// The field (`timeout`, `depends_on`, ...; empty for a syntax error).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.order, self.field.as_str()) {
            (Some(order), "") => write!(f, "order `{order}`: {}", self.message),
            (Some(order), field) => write!(f, "order `{order}`: `{field}`: {}", self.message),
            (None, "") => f.write_str(&self.message),
            (None, field) => write!(f, "`{field}`: {}", self.message),
        }
    }
}

/// Every problem of a job file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job file `{file}` is invalid: {}", self.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct JobErrors {
    /// The file, as the caller named it.
    pub file: String,
    /// The problems, in file order.
    pub errors: Vec<JobError>,
}

impl JobErrors {
    pub(super) fn syntax(file: &str, message: String) -> Self {
        Self {
            file: file.to_owned(),
            errors: vec![JobError {
                order: None,
                field: String::new(),
                message: format!(
                    "cannot read the job: {}",
                    message.lines().next().unwrap_or_default()
                ),
            }],
        }
    }
}

/// Whether `name` may name an order: 1–64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn valid_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

struct Errors {
    list: Vec<JobError>,
}

impl Errors {
    fn push(&mut self, order: Option<&str>, field: &str, message: String) {
        self.list.push(JobError {
            order: order.map(str::to_owned),
            field: field.to_owned(),
            message,
        });
    }
}

fn duration(raw: Option<RawDuration>) -> Option<Result<Duration, String>> {
    raw.map(|raw| match raw {
        RawDuration::Seconds(s) if s <= 0 => {
            Err(format!("`{s}` is not positive: write e.g. `90s` or `10m`"))
        }
        RawDuration::Seconds(s) => Ok(Duration::from_secs(s.unsigned_abs())),
        RawDuration::Text(t) => parse_duration(&t),
    })
}

pub(super) fn validate(raw: RawJob, file: &str) -> Result<Job, JobErrors> {
    let mut errors = Errors { list: Vec::new() };
    let timeout = match duration(raw.timeout) {
        None => DEFAULT_JOB_TIMEOUT,
        Some(Ok(t)) if t.is_zero() => {
            errors.push(
                None,
                "timeout",
                "must be more than 0: write e.g. `30m`".into(),
            );
            DEFAULT_JOB_TIMEOUT
        }
        Some(Ok(t)) if t > MAX_JOB_TIMEOUT => {
            errors.push(
                None,
                "timeout",
                format!(
                    "`{}` is above the limit of 7d: split the job",
                    format_duration(t)
                ),
            );
            DEFAULT_JOB_TIMEOUT
        }
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            errors.push(None, "timeout", e);
            DEFAULT_JOB_TIMEOUT
        }
    };
    if raw.orders.is_empty() {
        errors.push(
            None,
            "orders",
            "the job has no orders: add at least one".into(),
        );
    }
    let names: Vec<String> = raw.orders.iter().map(|o| o.name.clone()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for order in &raw.orders {
        if !valid_name(&order.name) {
            errors.push(
                Some(&order.name),
                "name",
                "use 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`".into(),
            );
        }
        if !seen.insert(order.name.as_str()) {
            errors.push(
                Some(&order.name),
                "name",
                "is used by another order: give each order its own name".into(),
            );
        }
    }
    let mut orders = Vec::with_capacity(raw.orders.len());
    for order in raw.orders {
        let name = order.name.clone();
        let at = Some(name.as_str());
        if order.cmds.is_empty() {
            errors.push(
                at,
                "cmds",
                "is empty: list at least one shell command".into(),
            );
        }
        for (i, cmd) in order.cmds.iter().enumerate() {
            if cmd.trim().is_empty() {
                errors.push(
                    at,
                    "cmds",
                    format!("command {} is blank: remove it or write a command", i + 1),
                );
            }
        }
        let cap = order.target.max_timeout();
        let order_timeout = match duration(order.timeout) {
            None => {
                errors.push(
                    at,
                    "timeout",
                    "is missing: set one, e.g. `timeout: 10m`".into(),
                );
                Duration::ZERO
            }
            Some(Ok(t)) if t.is_zero() => {
                errors.push(
                    at,
                    "timeout",
                    "must be more than 0: write e.g. `90s`".into(),
                );
                t
            }
            Some(Ok(t)) if t > cap => {
                errors.push(
                    at,
                    "timeout",
                    format!(
                        "`{}` is above the `{}` limit of {}: lower it or use another target",
                        format_duration(t),
                        order.target,
                        format_duration(cap)
                    ),
                );
                t
            }
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                errors.push(at, "timeout", e);
                Duration::ZERO
            }
        };
        let mut env = BTreeMap::new();
        for (key, value) in order.env {
            if !valid_env_name(&key) {
                errors.push(
                    at,
                    "env",
                    format!("`{key}` is not a variable name: use `[A-Za-z_][A-Za-z0-9_]*`"),
                );
            }
            env.insert(key, value.into_string());
        }
        for secret in &order.secrets {
            if !valid_env_name(secret) {
                errors.push(
                    at,
                    "secrets",
                    format!("`{secret}` is not a variable name: use `[A-Za-z_][A-Za-z0-9_]*`"),
                );
            } else if env.contains_key(secret) {
                errors.push(at, "secrets", format!("`{secret}` is also set in `env`: a secret's value comes from the runner only"));
            }
        }
        check_sources(
            &order.ssm_paths,
            &order.secret_manager_paths,
            &order.secrets,
            &env,
            at,
            &mut errors,
        );
        let mut deps_seen = HashSet::new();
        for dep in &order.depends_on {
            if !deps_seen.insert(dep.as_str()) {
                errors.push(
                    at,
                    "depends_on",
                    format!("`{dep}` is listed twice: list it once"),
                );
            } else if !names.contains(dep) {
                let hint = names
                    .iter()
                    .filter(|n| strsim::levenshtein(n, dep) <= 2)
                    .min_by_key(|n| strsim::levenshtein(n, dep))
                    .map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"));
                errors.push(
                    at,
                    "depends_on",
                    format!("unknown order `{dep}`{hint}: name an order of this job"),
                );
            }
        }
        if let Some(dir) = &order.working_dir
            && dir.trim().is_empty()
        {
            errors.push(
                at,
                "working_dir",
                "is blank: remove it or name a directory".into(),
            );
        }
        orders.push(Order {
            name,
            cmds: order.cmds,
            timeout: order_timeout,
            env,
            secrets: order.secrets,
            ssm_paths: order.ssm_paths,
            secret_manager_paths: order.secret_manager_paths,
            depends_on: order.depends_on,
            must_succeed: order.must_succeed,
            target: order.target,
            working_dir: order.working_dir,
        });
    }
    for cycle in cycles(&orders) {
        let first = cycle.first().cloned().unwrap_or_default();
        errors.push(
            Some(&first),
            "depends_on",
            format!(
                "dependency cycle `{}`: remove one of these dependencies",
                cycle.join(" -> ")
            ),
        );
    }
    if errors.list.is_empty() {
        Ok(Job { timeout, orders })
    } else {
        Err(JobErrors {
            file: file.to_owned(),
            errors: errors.list,
        })
    }
}

/// Checks an order's `ssm_paths` and `secret_manager_paths`: each entry well formed, listed
/// once, and each SSM parameter named exactly mapping to a variable no other entry, `env` or
/// `secrets` gives (paths and secrets are checked again once their contents are known).
fn check_sources(
    ssm_paths: &[String],
    secret_manager_paths: &[String],
    secrets: &[String],
    env: &BTreeMap<String, String>,
    at: Option<&str>,
    errors: &mut Errors,
) {
    use super::sources::{Origin, SsmRef, check_name, collision, var_name};
    let mut taken: BTreeMap<String, Origin> =
        env.keys().map(|k| (k.clone(), Origin::Env)).collect();
    for secret in secrets {
        taken.entry(secret.clone()).or_insert(Origin::Runner);
    }
    let mut seen = HashSet::new();
    for entry in ssm_paths {
        if !seen.insert(entry.as_str()) {
            errors.push(
                at,
                "ssm_paths",
                format!("`{entry}` is listed twice: list it once"),
            );
            continue;
        }
        match SsmRef::parse(entry) {
            Err(e) => errors.push(at, "ssm_paths", e),
            Ok(SsmRef::Path(_)) => {}
            Ok(SsmRef::Name(name)) => match var_name(&name) {
                Err(e) => errors.push(at, "ssm_paths", e),
                Ok(var) => {
                    let origin = Origin::Parameter(name);
                    if let Some(first) = taken.get(&var) {
                        errors.push(at, "ssm_paths", collision(&var, first, &origin));
                    } else {
                        taken.insert(var, origin);
                    }
                }
            },
        }
    }
    let mut seen = HashSet::new();
    for entry in secret_manager_paths {
        if !seen.insert(entry.as_str()) {
            errors.push(
                at,
                "secret_manager_paths",
                format!("`{entry}` is listed twice: list it once"),
            );
        } else if let Err(e) = check_name(entry, "a secret name or ARN") {
            errors.push(at, "secret_manager_paths", e);
        }
    }
}

/// Every elementary cycle found by one depth-first search, each as the path of names that closes
/// it (`[a, b, a]`). Unknown dependencies are ignored here (reported separately); with duplicate
/// names the first order of a name is used.
pub(super) fn cycles(orders: &[Order]) -> Vec<Vec<String>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        index.entry(o.name.as_str()).or_insert(i);
    }
    let deps: Vec<Vec<usize>> = orders
        .iter()
        .map(|o| {
            o.depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark = vec![Mark::New; orders.len()];
    let mut found = Vec::new();
    for root in 0..orders.len() {
        if mark.get(root) != Some(&Mark::New) {
            continue;
        }
        // Iterative DFS: (node, next dependency to look at); `path` mirrors the stack.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        let mut path: Vec<usize> = vec![root];
        if let Some(m) = mark.get_mut(root) {
            *m = Mark::OnStack;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edge = deps.get(node).and_then(|d| d.get(*next)).copied();
            *next += 1;
            match edge {
                Some(dep) => match mark.get(dep).copied() {
                    Some(Mark::New) => {
                        if let Some(m) = mark.get_mut(dep) {
                            *m = Mark::OnStack;
                        }
                        stack.push((dep, 0));
                        path.push(dep);
                    }
                    Some(Mark::OnStack) => {
                        if let Some(start) = path.iter().position(|&p| p == dep) {
                            let mut cycle: Vec<String> = path
                                .get(start..)
                                .unwrap_or_default()
                                .iter()
                                .filter_map(|&i| orders.get(i).map(|o| o.name.clone()))
                                .collect();
                            if let Some(o) = orders.get(dep) {
                                cycle.push(o.name.clone());
                            }
                            found.push(cycle);
                        }
                    }
                    _ => {}
                },
                None => {
                    if let Some(m) = mark.get_mut(node) {
                        *m = Mark::Done;
                    }
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::Job;

    fn errors(yaml: &str) -> Vec<String> {
        match Job::from_yaml(yaml, "job.yml") {
            Ok(_) => Vec::new(),
            Err(e) => e.errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_order_and_field() {
        let found = errors(
            "timeout: 0s\norders:\n  - name: a\n    cmds: []\n    timeout: 0s\n  - name: a\n    cmds: [x]\n    timeout: 2h\n    target: lambda\n  - name: c\n    cmds: [x]\n    timeout: 1m\n    depends_on: [aa, nope]\n    env: {\"1X\": y}\n    secrets: [TOKEN]\n",
        );
        insta::assert_snapshot!(found.join("\n"), @r"
        `timeout`: must be more than 0: write e.g. `30m`
        order `a`: `name`: is used by another order: give each order its own name
        order `a`: `cmds`: is empty: list at least one shell command
        order `a`: `timeout`: must be more than 0: write e.g. `90s`
        order `a`: `timeout`: `2h` is above the `lambda` limit of 15m: lower it or use another target
        order `c`: `env`: `1X` is not a variable name: use `[A-Za-z_][A-Za-z0-9_]*`
        order `c`: `depends_on`: unknown order `aa` (did you mean `a`?): name an order of this job
        order `c`: `depends_on`: unknown order `nope`: name an order of this job
        ");
    }

    #[test]
    fn a_cycle_is_shown_as_the_path_that_closes_it() {
        let found = errors(
            "orders:\n  - {name: a, cmds: [x], timeout: 1m, depends_on: [c]}\n  - {name: b, cmds: [x], timeout: 1m, depends_on: [a]}\n  - {name: c, cmds: [x], timeout: 1m, depends_on: [b]}\n  - {name: d, cmds: [x], timeout: 1m, depends_on: [d, ghost]}\n",
        );
        insta::assert_snapshot!(found.join("\n"), @r"
        order `d`: `depends_on`: unknown order `ghost`: name an order of this job
        order `a`: `depends_on`: dependency cycle `a -> c -> b -> a`: remove one of these dependencies
        order `d`: `depends_on`: dependency cycle `d -> d`: remove one of these dependencies
        ");
    }

    #[test]
    fn unknown_fields_and_bad_yaml_are_refused() {
        assert_eq!(errors("orders:\n  - name: a\n    cmd: [x]\n").len(), 1);
        assert_eq!(errors("orders: [").len(), 1);
        assert_eq!(
            errors("orders: []\n"),
            vec!["`orders`: the job has no orders: add at least one"]
        );
    }

    #[test]
    fn sources_are_checked_for_form_duplicates_and_collisions() {
        let found = errors(
            "orders:\n  - name: a\n    cmds: [x]\n    timeout: 1m\n    env: {PORT: 1}\n    secrets: [TOKEN]\n    ssm_paths: [/app/port, /app/token, /app/db-pass, /app/db.pass, app/, /app/9x, /app/db-pass]\n    secret_manager_paths: [prod/db, prod/db, \" \"]\n",
        );
        insta::assert_snapshot!(found.join("\n"), @r"
        order `a`: `ssm_paths`: `PORT` would be set by both `env` and SSM parameter `/app/port`: list only one of them, or rename one
        order `a`: `ssm_paths`: `TOKEN` would be set by both `secrets` and SSM parameter `/app/token`: list only one of them, or rename one
        order `a`: `ssm_paths`: `DB_PASS` would be set by both SSM parameter `/app/db-pass` and SSM parameter `/app/db.pass`: list only one of them, or rename one
        order `a`: `ssm_paths`: `app/` is a path (it ends with `/`) but does not start with `/`: write `/app/`
        order `a`: `ssm_paths`: `/app/9x` cannot become a variable name: `9X` starts with a digit; rename it or read it in a command
        order `a`: `ssm_paths`: `/app/db-pass` is listed twice: list it once
        order `a`: `secret_manager_paths`: `prod/db` is listed twice: list it once
        order `a`: `secret_manager_paths`: is blank: give a secret name or ARN or remove the entry
        ");
    }

    #[test]
    fn bad_names_and_missing_timeouts_are_refused() {
        let found = errors("orders:\n  - {name: \"../x\", cmds: [x]}\n");
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
