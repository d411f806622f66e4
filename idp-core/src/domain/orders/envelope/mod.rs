//! The job runner's request envelope, as its existing clients POST it to `/init`, mapped onto a
//! validated idp [`Job`], so those clients keep working unchanged against idp.
//! Long because every field of the envelope, the job and an order is mapped here, once, beside
//! the table below that documents the mapping.
//!
//! [`parse`] takes the request body and reports every problem at once, each as one line that
//! starts with the field's path (`orders[2].timeout: …`; order indexes count from 0, as in the
//! JSON, while default order names count from 1, as the runner numbers orders). The idp job it
//! builds goes through idp's own job validation, so idp's rules (order names, per-target
//! timeouts, variable names, dependency cycles) all apply. A field idp cannot honour is refused
//! with an error that says what idp does instead, never dropped. `null` counts as absent for
//! every optional field, and so does an empty value (`""`, `[]`, `{}`) for the refused ones and
//! for `git_repo` and `git_provider`, so a client that sends its defaults explicitly is accepted.
//!
//! **The envelope** (a JSON object; any other key is an error):
//!
//! | field | type | default | in idp |
//! |---|---|---|---|
//! | `job_parameters_b64` | string, required | | standard base64 (padding optional, ASCII whitespace ignored) of the job's UTF-8 JSON |
//! | `credentials_token` | string | | [`Envelope::credentials_token`]: a JWT the caller verifies; its credential claims become secrets of every order ([`Envelope::add_secrets`]) |
//! | `trace_id` | string | [`Defaults::trace_id`] | 1–64 of `A-Z a-z 0-9 _ -`; part of `flow_id` |
//! | `run_id` | string | [`Defaults::run_id`] | the idp run id, kept as sent when valid (a uuid4 with dashes is); one valid only without its dashes is used without them |
//! | `done_endpt` | string | | [`Envelope::done_endpt`], as sent; the caller chooses a default |
//!
//! **The job** (the decoded JSON object; any other key is an error):
//!
//! | field | type | default | in idp |
//! |---|---|---|---|
//! | `username` | string, required | | [`Envelope::username`]; starts `flow_id` = `<username>:<trace_id>-<flow_label>` |
//! | `orders` | list, required | | [`Job::orders`], in the same order; at least one |
//! | `flow_label` | string | `exec` | [`Envelope::flow_label`], part of `flow_id` |
//! | `job_timeout` | whole seconds > 0 | 3600 | [`Job::timeout`], enforced: the run ends when it passes; at most [`MAX_JOB_TIMEOUT`] |
//! | `presign_expiry` | whole seconds | 7200 | checked as the runner checks it (at least the longest order timeout + 300, the default included), otherwise no effect: idp presigns no callback URL |
//! | `git_repo` | `owner/name` | | with `pr_number`: [`Envelope::pr`], the pull request the run's comment goes to; nothing is cloned |
//! | `pr_number` | integer > 0 | | [`PrRef::number`]; needs `git_repo` |
//! | `git_provider` | string | `github` | only `github` |
//! | `git_token_location`, `git_ssh_key_location`, `commit_hash` | | | refused: idp clones nothing |
//! | `issue_number` | | | refused: idp comments on pull requests only |
//!
//! **An order** (each element of `orders`; any other key is an error):
//!
//! | field | type | default | in idp |
//! |---|---|---|---|
//! | `cmds` | list of strings, required | | [`Order::cmds`](super::Order::cmds); none blank |
//! | `timeout` | whole seconds > 0, required | | [`Order::timeout`](super::Order::timeout), within the target's limit |
//! | `order_name` | string | `order-<n>`, `n` the 1-based position with 4 digits (`order-0001`) | [`Order::name`](super::Order::name): unique, 1–64 of `A-Z a-z 0-9 . _ -` |
//! | `queue_id` | string or integer | `<n>` (`0001`) | unique; another name dependencies may use |
//! | `dependencies` | list of strings or integers | `[]` | [`Order::depends_on`](super::Order::depends_on): each matches exactly one order by `queue_id` or `order_name` and becomes its `order_name`; none missing, no cycle |
//! | `must_succeed` | boolean | `true` | [`Order::must_succeed`](super::Order::must_succeed) |
//! | `env_vars` | object of strings, numbers, booleans | `{}` | [`Order::env`](super::Order::env), values as text (`true`, `8080`) |
//! | `execution_target` | `local`, `codebuild`, `lambda`, `ecs` | [`Defaults::default_target`] | [`Order::target`](super::Order::target); `ssm` and others refused |
//! | `git_folder` | relative path without `..` | | [`Order::working_dir`](super::Order::working_dir) |
//! | `git_repo`, `commit_hash`, `s3_location` | | | refused: the commands run in the server's working directory; nothing is cloned or unpacked |
//! | `ssm_paths` | list of strings | `[]` | [`Order::ssm_paths`](super::Order::ssm_paths): SSM parameter names, or paths ending in `/` (every parameter under them); each becomes a secret variable |
//! | `secret_manager_paths` | list of strings | `[]` | [`Order::secret_manager_paths`](super::Order::secret_manager_paths): Secrets Manager secret names or ARNs; each becomes a secret variable, a JSON object secret one per key |
//! | `sops_key` | | | refused: idp encrypts each run's secrets with its own age key; remove this field |
//!
//! **Secret variables.** Parameters and secrets are read when the run starts (decrypted), sealed
//! into the run's age-encrypted bundles (see `support::bundle`) and given to the order's process
//! only; their values are masked in every log, output and comment. A parameter or secret
//! becomes the variable named by its last `/`-separated segment, upper-cased, with `-` and `.`
//! as `_` (`/app/prod/db-password` → `DB_PASSWORD`); a secret whose value is a JSON object of
//! strings, numbers or booleans gives one variable per key (`{"user": …}` → `USER`). A name
//! that cannot become a variable, and two sources (or a source and `env_vars`) giving the same
//! variable, are errors; a missing parameter or secret fails the run before any order starts.
//! The full rule is in [`sources`](super::sources).
//! | `ssm_targets`, `ssm_document_name` | | | refused: idp runs no SSM Run Command |

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Job, MAX_JOB_TIMEOUT, RunId, Target, validate};
use crate::domain::event::Repository;
use crate::secret::Secret;

#[cfg(test)]
mod tests;

/// What the caller supplies for the ids a client may leave out, and where orders run by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Used when the envelope has no `run_id` (and in a [`Rejected`] whose `run_id` is invalid).
    pub run_id: RunId,
    /// Used when the envelope has no `trace_id` (or an invalid one, in a [`Rejected`]).
    pub trace_id: String,
    /// The target of an order without `execution_target`.
    pub default_target: Target,
}

/// A valid envelope: the idp job and what the caller needs to run it and answer the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The validated idp job.
    pub job: Job,
    /// The job's `username`.
    pub username: String,
    /// The envelope's `run_id`, or [`Defaults::run_id`].
    pub run_id: RunId,
    /// The envelope's `trace_id`, or [`Defaults::trace_id`].
    pub trace_id: String,
    /// The job's `flow_label` (default `exec`).
    pub flow_label: String,
    /// `<username>:<trace_id>-<flow_label>`.
    pub flow_id: String,
    /// The envelope's `done_endpt`, as sent; `None` lets the caller choose.
    pub done_endpt: Option<String>,
    /// The raw `credentials_token` (a JWT), not verified here: the caller verifies it.
    pub credentials_token: Option<Secret<String>>,
    /// The pull request the run's comment goes to: the job's `git_repo` and `pr_number`.
    pub pr: Option<PrRef>,
}

/// A pull request of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrRef {
    /// `owner/name`.
    pub repo: Repository,
    /// The pull request's number.
    pub number: u64,
}

/// An invalid envelope, in the runner's error shape: every problem, one line each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Each problem, starting with its field's path, e.g. `orders[1].timeout: …`.
    pub errors: Vec<String>,
    /// The envelope's `run_id` if it is valid, else [`Defaults::run_id`].
    pub run_id: String,
    /// The envelope's `trace_id` if it is valid, else [`Defaults::trace_id`].
    pub trace_id: String,
}

impl Envelope {
    /// Adds these names to every order's `secrets` (credentials claims injected by the caller
    /// as secret values). A name already in an order's `env_vars` is removed from them, since the
    /// secret wins (as the runner's injected credentials did); a name that is not a variable name
    /// (`[A-Za-z_][A-Za-z0-9_]*`) is skipped, so the job stays valid.
    pub fn add_secrets(&mut self, names: &[String]) {
        for order in &mut self.job.orders {
            for name in names.iter().filter(|n| env_name(n)) {
                order.env.remove(name);
                if !order.secrets.contains(name) {
                    order.secrets.push(name.clone());
                }
            }
        }
    }
}

/// Parses an `/init` request body: the envelope, then its job. Never panics, whatever the bytes.
pub fn parse(body: &[u8], defaults: &Defaults) -> Result<Envelope, Rejected> {
    let mut p = Problems::default();
    let mut envelope = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            p.note(
                "body",
                must_be("a JSON object with `job_parameters_b64`", &other),
            );
            return Err(p.rejected(defaults.run_id.to_string(), defaults.trace_id.clone()));
        }
        Err(e) => {
            p.note("body", format!("is not JSON: {e}"));
            return Err(p.rejected(defaults.run_id.to_string(), defaults.trace_id.clone()));
        }
    };
    let run_id = match take(&mut envelope, "run_id") {
        None => Some(defaults.run_id.clone()),
        Some(Value::String(s)) => match RunId::parse(&s) {
            Ok(id) => Some(id),
            Err(e) => match RunId::parse(&s.replace('-', "")) {
                Ok(id) if s.contains('-') => Some(id),
                _ => p.at("run_id", format!("{e}; or leave it out for a new one")),
            },
        },
        Some(v) => p.at("run_id", must_be("a string", &v)),
    };
    let trace_id = match take(&mut envelope, "trace_id") {
        None => Some(defaults.trace_id.clone()),
        Some(Value::String(s)) if trace_id_ok(&s) => Some(s),
        Some(Value::String(s)) => p.at(
            "trace_id",
            format!(
                "{} is not valid: use 1 to 64 of `A-Z a-z 0-9 _ -`, or leave it out for a new one",
                q(&s)
            ),
        ),
        Some(v) => p.at("trace_id", must_be("a string", &v)),
    };
    let credentials_token = match take(&mut envelope, "credentials_token") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => p.at(
            "credentials_token",
            "is empty: send the JWT or leave it out",
        ),
        Some(Value::String(s)) => Some(Secret::new(s)),
        Some(v) => p.at("credentials_token", must_be("a string (a JWT)", &v)),
    };
    let done_endpt = match take(&mut envelope, "done_endpt") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => {
            p.at("done_endpt", "is empty: leave it out for the default")
        }
        Some(Value::String(s)) => Some(s),
        Some(v) => p.at("done_endpt", must_be("a string", &v)),
    };
    let job = match take(&mut envelope, "job_parameters_b64") {
        None => p.at(
            "job_parameters_b64",
            "is required: the base64 of the job's JSON",
        ),
        Some(Value::String(b64)) => decode_job(&b64, &mut p),
        Some(v) => p.at(
            "job_parameters_b64",
            must_be("a string (the base64 of the job's JSON)", &v),
        ),
    };
    for key in envelope.keys() {
        if JOB_KEYS.contains(&key.as_str()) {
            p.note(
                key,
                "is a field of the job, not of the envelope: put it in the JSON that `job_parameters_b64` encodes",
            );
        } else {
            p.unknown(key, key, "the envelope", ENVELOPE_KEYS, &[]);
        }
    }
    let parts = job.map(|job| parse_job(job, defaults, &mut p));
    if let (Some(run_id), Some(trace_id), Some(parts)) = (&run_id, &trace_id, parts)
        && p.list.is_empty()
        && let (Some(job), Some(username)) = (parts.job, parts.username)
    {
        let flow_id = format!("{username}:{trace_id}-{}", parts.flow_label);
        return Ok(Envelope {
            job,
            username,
            run_id: run_id.clone(),
            trace_id: trace_id.clone(),
            flow_label: parts.flow_label,
            flow_id,
            done_endpt,
            credentials_token,
            pr: parts.pr,
        });
    }
    if p.list.is_empty() {
        p.note(
            "job_parameters_b64",
            "the job could not be mapped onto an idp job",
        );
    }
    let run_id = run_id.unwrap_or_else(|| defaults.run_id.clone());
    let trace_id = trace_id.unwrap_or_else(|| defaults.trace_id.clone());
    Err(p.rejected(run_id.to_string(), trace_id))
}

const ENVELOPE_KEYS: &[&str] = &[
    "job_parameters_b64",
    "credentials_token",
    "trace_id",
    "run_id",
    "done_endpt",
];
const JOB_KEYS: &[&str] = &[
    "username",
    "orders",
    "flow_label",
    "job_timeout",
    "presign_expiry",
    "git_repo",
    "pr_number",
    "git_provider",
    "git_token_location",
    "git_ssh_key_location",
    "commit_hash",
    "issue_number",
];
const ORDER_KEYS: &[&str] = &[
    "cmds",
    "timeout",
    "order_name",
    "queue_id",
    "dependencies",
    "must_succeed",
    "env_vars",
    "execution_target",
    "git_folder",
    "git_repo",
    "commit_hash",
    "s3_location",
    "ssm_paths",
    "secret_manager_paths",
    "sops_key",
    "ssm_targets",
    "ssm_document_name",
];
/// idp job-file names a client may reach for, and the order field that means the same.
const IDP_NAMES: &[(&str, &str)] = &[
    ("name", "order_name"),
    ("depends_on", "dependencies"),
    ("env", "env_vars"),
    ("target", "execution_target"),
    ("working_dir", "git_folder"),
];

const DEFAULT_FLOW_LABEL: &str = "exec";
const DEFAULT_JOB_TIMEOUT_S: u64 = 3600;
const DEFAULT_PRESIGN_EXPIRY_S: u64 = 7200;
const PRESIGN_MARGIN_S: u64 = 300;

const NO_CLONE: &str = "idp clones no repository: it runs the commands in the server's working directory; put the checkout there (`git_folder` picks a directory inside it) and remove this field";
const NO_BUNDLE: &str = "idp unpacks no bundle: it runs the commands in the server's working directory; unpack the code there or fetch it in a command, and remove this field";
const NO_SOPS: &str = "idp does not use SOPS: it encrypts each run's secrets (from `ssm_paths` and `secret_manager_paths`) with an age key of its own, so no key is sent; remove this field";
const NO_SSM: &str =
    "idp runs no SSM Run Command: use `execution_target` `local`, `codebuild`, `lambda` or `ecs`";

/// Standard base64 that accepts input with or without `=` padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode_job(b64: &str, p: &mut Problems) -> Option<Map<String, Value>> {
    let field = "job_parameters_b64";
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = match BASE64.decode(compact.as_bytes()) {
        Ok(bytes) => bytes,
        Err(e) => {
            return p.at(
                field,
                format!("is not base64 (standard alphabet, `=` padding optional): {e}"),
            );
        }
    };
    let text = match crate::domain::text::utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            return p.at(
                field,
                format!("the decoded job {e}: encode the job's JSON as UTF-8, then as base64"),
            );
        }
    };
    match serde_json::from_str::<Value>(text.strip_prefix('\u{FEFF}').unwrap_or(text)) {
        Ok(Value::Object(map)) => Some(map),
        Ok(other) => p.at(
            field,
            format!(
                "the decoded job {}",
                must_be("a JSON object with `username` and `orders`", &other)
            ),
        ),
        Err(e) => p.at(field, format!("the decoded job is not JSON: {e}")),
    }
}

/// What the job contributes to the envelope; `None` where a problem was reported.
struct JobParts {
    job: Option<Job>,
    username: Option<String>,
    flow_label: String,
    pr: Option<PrRef>,
}

fn parse_job(mut job: Map<String, Value>, defaults: &Defaults, p: &mut Problems) -> JobParts {
    let username = match take(&mut job, "username") {
        None => p.at(
            "username",
            "is required: the name of who runs the job (it starts `flow_id`)",
        ),
        Some(Value::String(s)) => label(s, "username", p),
        Some(v) => p.at("username", must_be("a string", &v)),
    };
    let flow_label = match take(&mut job, "flow_label") {
        None => Some(DEFAULT_FLOW_LABEL.to_owned()),
        Some(Value::String(s)) => label(s, "flow_label", p),
        Some(v) => p.at("flow_label", must_be("a string", &v)),
    };
    let max = MAX_JOB_TIMEOUT.as_secs();
    let job_timeout = match take(&mut job, "job_timeout").map(|v| seconds(&v)) {
        None => Some(DEFAULT_JOB_TIMEOUT_S),
        Some(Ok(s)) if s > max => p.at(
            "job_timeout",
            format!("{s} s is above the limit of {max} s (7 days): split the job"),
        ),
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => p.at("job_timeout", e),
    };
    let presign = match take(&mut job, "presign_expiry").map(|v| seconds(&v)) {
        None => Some((DEFAULT_PRESIGN_EXPIRY_S, false)),
        Some(Ok(s)) => Some((s, true)),
        Some(Err(e)) => p.at("presign_expiry", e),
    };
    let repo_value = take(&mut job, "git_repo").filter(|v| !is_empty(v));
    let repo_given = repo_value.is_some();
    let repo = match repo_value {
        None => None,
        Some(Value::String(s)) => match Repository::parse(&s) {
            Some(repo) => Some(repo),
            None => p.at(
                "git_repo",
                format!(
                    "{} is not a repository: write {}",
                    q(&s),
                    Repository::EXPECTED
                ),
            ),
        },
        Some(v) => p.at("git_repo", must_be("a string (`owner/name`)", &v)),
    };
    let pr_number = match take(&mut job, "pr_number") {
        None => None,
        Some(v) => match v.as_u64().filter(|n| *n > 0) {
            Some(n) if !repo_given => p.at(
                "pr_number",
                format!("{n} needs `git_repo` (`owner/name`), the repository of the pull request"),
            ),
            Some(n) => Some(n),
            None => p.at("pr_number", must_be("a whole number > 0", &v)),
        },
    };
    if let Some(v) = take(&mut job, "git_provider").filter(|v| !is_empty(v))
        && v.as_str() != Some("github")
    {
        let shown = v.as_str().map_or_else(|| kind(&v).to_owned(), q);
        p.note(
            "git_provider",
            format!("{shown} is not supported: idp works with `github` only"),
        );
    }
    for key in ["git_token_location", "git_ssh_key_location", "commit_hash"] {
        p.refuse(&mut job, key, key, NO_CLONE);
    }
    p.refuse(
        &mut job,
        "issue_number",
        "issue_number",
        "idp comments on pull requests only: send `pr_number` with `git_repo`, or remove this field",
    );
    let orders = match take(&mut job, "orders") {
        None => p.at(
            "orders",
            "is required: a list of orders, each with `cmds` and `timeout`",
        ),
        Some(Value::Array(list)) if list.is_empty() => {
            p.at("orders", "is empty: list at least one order")
        }
        Some(Value::Array(list)) => Some(list),
        Some(v) => p.at("orders", must_be("a list of orders", &v)),
    };
    for key in job.keys() {
        p.unknown(key, key, "the job", JOB_KEYS, &[]);
    }
    let (built, longest) = match orders {
        Some(orders) => build(orders, job_timeout, defaults, p),
        None => (None, None),
    };
    if let (Some((expiry, given)), Some((longest, at))) = (presign, longest) {
        let need = longest.saturating_add(PRESIGN_MARGIN_S);
        if expiry < need {
            let what = if given {
                format!("{expiry} s")
            } else {
                format!("the default of {expiry} s")
            };
            p.note(
                "presign_expiry",
                format!(
                    "{what} is less than the longest order timeout ({longest} s, orders[{at}]) + {PRESIGN_MARGIN_S} s: set `presign_expiry` to at least {need} (it has no other effect in idp)"
                ),
            );
        }
    }
    let pr = repo
        .zip(pr_number)
        .map(|(repo, number)| PrRef { repo, number });
    JobParts {
        job: built,
        username,
        flow_label: flow_label.unwrap_or_default(),
        pr,
    }
}

/// One order's identifiers as dependencies see them (`None`: unusable, reported), and whether
/// each was given or is the default.
struct Ids {
    name: Option<String>,
    name_given: bool,
    queue_id: Option<String>,
    queue_id_given: bool,
}

/// The idp job of the orders (`None` if a problem was found) and the longest valid order
/// timeout with its order's index.
fn build(
    orders: Vec<Value>,
    job_timeout: Option<u64>,
    defaults: &Defaults,
    p: &mut Problems,
) -> (Option<Job>, Option<(u64, usize)>) {
    let ids: Vec<Ids> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| order_ids(i, o, p))
        .collect();
    let idp_names = unique_names(&ids, p);
    let mut idp_orders = Vec::new();
    let mut longest: Option<(u64, usize)> = None;
    for (i, order) in orders.into_iter().enumerate() {
        let Value::Object(map) = order else { continue };
        let (value, timeout) = order_value(i, map, &ids, &idp_names, defaults, p);
        if let Some(t) = timeout
            && longest.is_none_or(|(l, _)| t > l)
        {
            longest = Some((t, i));
        }
        idp_orders.push(value);
    }
    if idp_orders.is_empty() {
        return (None, longest);
    }
    let timeout = job_timeout.unwrap_or(DEFAULT_JOB_TIMEOUT_S);
    let raw = serde_json::json!({ "timeout": timeout, "orders": idp_orders });
    let errors = match serde_json::from_value::<validate::RawJob>(raw)
        .map(|raw| validate::validate(raw, "job_parameters_b64"))
    {
        Ok(Ok(job)) => return (job_timeout.map(|_| job), longest),
        Ok(Err(errors)) => errors.errors,
        Err(e) => {
            p.note(
                "job_parameters_b64",
                format!("the job could not be mapped: {e}"),
            );
            return (None, longest);
        }
    };
    let index: HashMap<&str, usize> = idp_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    for e in errors {
        let field = match (e.field.as_str(), e.order.is_some()) {
            ("name", _) => "order_name",
            ("depends_on", _) => "dependencies",
            ("env", _) => "env_vars",
            ("target", _) => "execution_target",
            ("working_dir", _) => "git_folder",
            ("cmds", _) => "cmds",
            ("secrets", _) => "secrets",
            ("ssm_paths", _) => "ssm_paths",
            ("secret_manager_paths", _) => "secret_manager_paths",
            ("timeout", true) => "timeout",
            ("timeout", false) => "job_timeout",
            ("orders", _) => "orders",
            _ => "job_parameters_b64",
        };
        let at = e.order.as_deref().and_then(|n| index.get(n).copied());
        // The validator speaks of idp's job file; the envelope calls `env` `env_vars`.
        let message = e.message.replace("both `env` and", "both `env_vars` and");
        if !p.reported.contains(&(at, field)) {
            match at {
                Some(i) => p.note(format!("orders[{i}].{field}"), message),
                None => p.note(field, message),
            }
        }
    }
    (None, longest)
}

/// An order's `order_name` (default `order-<n>`) and `queue_id` (default `<n>`).
fn order_ids(i: usize, order: &Value, p: &mut Problems) -> Ids {
    let n = i.saturating_add(1);
    let Value::Object(map) = order else {
        p.order(i, "", must_be("an object with `cmds` and `timeout`", order));
        return Ids {
            name: Some(format!("order-{n:04}")),
            name_given: false,
            queue_id: Some(format!("{n:04}")),
            queue_id_given: false,
        };
    };
    let (name, name_given) = match map.get("order_name") {
        None | Some(Value::Null) => (Some(format!("order-{n:04}")), false),
        Some(Value::String(s)) => (Some(s.clone()), true),
        Some(v) => {
            p.order(i, "order_name", must_be("a string", v));
            (None, true)
        }
    };
    let (queue_id, queue_id_given) = match map.get("queue_id") {
        None | Some(Value::Null) => (Some(format!("{n:04}")), false),
        Some(Value::String(s)) if s.trim().is_empty() => {
            p.order(i, "queue_id", "is blank: leave it out for the order number");
            (None, true)
        }
        Some(v) => match id_text(v) {
            Some(id) => (Some(id), true),
            None => {
                p.order(i, "queue_id", must_be("a string or an integer", v));
                (None, true)
            }
        },
    };
    Ids {
        name,
        name_given,
        queue_id,
        queue_id_given,
    }
}

/// The name of each order in the idp job: its `order_name`, or, where that is missing or used
/// by an earlier order (reported), a placeholder no order uses.
fn unique_names(ids: &[Ids], p: &mut Problems) -> Vec<String> {
    let mut first_name: HashMap<&str, usize> = HashMap::new();
    let mut first_queue: HashMap<&str, usize> = HashMap::new();
    let taken: HashSet<&str> = ids.iter().filter_map(|d| d.name.as_deref()).collect();
    let mut names = Vec::with_capacity(ids.len());
    for (i, d) in ids.iter().enumerate() {
        let default = |given: bool, what: &str| {
            if given {
                String::new()
            } else {
                format!(" (the default {what})")
            }
        };
        let mut name = d.name.clone();
        if let Some(n) = d.name.as_deref() {
            match first_name.get(n) {
                Some(j) => {
                    let why = format!(
                        "{}{} is also the name of orders[{j}]: give each order its own `order_name`",
                        q(n),
                        default(d.name_given, "name")
                    );
                    p.order(i, "order_name", why);
                    name = None;
                }
                None => {
                    first_name.insert(n, i);
                }
            }
        }
        if let Some(id) = d.queue_id.as_deref() {
            match first_queue.get(id) {
                Some(j) => {
                    let why = format!(
                        "{}{} is also the queue_id of orders[{j}]: give each order its own `queue_id`",
                        q(id),
                        default(d.queue_id_given, "queue_id: the order number")
                    );
                    p.order(i, "queue_id", why);
                }
                None => {
                    first_queue.insert(id, i);
                }
            }
        }
        names.push(name.unwrap_or_else(|| {
            let mut placeholder = format!("#{i}");
            while taken.contains(placeholder.as_str()) {
                placeholder.push('#');
            }
            placeholder
        }));
    }
    names
}

/// One order as an order of an idp job file (JSON), and its timeout if valid.
fn order_value(
    i: usize,
    mut map: Map<String, Value>,
    ids: &[Ids],
    idp_names: &[String],
    defaults: &Defaults,
    p: &mut Problems,
) -> (Value, Option<u64>) {
    map.remove("order_name");
    map.remove("queue_id");
    let mut cmds = Vec::new();
    match take(&mut map, "cmds") {
        None => p.order(i, "cmds", "is required: list the shell commands to run"),
        Some(Value::Array(list)) if list.is_empty() => {
            p.order(i, "cmds", "is empty: list at least one shell command");
        }
        Some(Value::Array(list)) => {
            for (k, cmd) in list.into_iter().enumerate() {
                match cmd {
                    Value::String(s) if s.trim().is_empty() => {
                        p.reported.insert((Some(i), "cmds"));
                        p.note(
                            format!("orders[{i}].cmds[{k}]"),
                            "is blank: remove it or write a command",
                        );
                    }
                    Value::String(s) => cmds.push(s),
                    v => {
                        p.reported.insert((Some(i), "cmds"));
                        p.note(format!("orders[{i}].cmds[{k}]"), must_be("a string", &v));
                    }
                }
            }
        }
        Some(v) => p.order(i, "cmds", must_be("a list of strings", &v)),
    }
    let timeout = match take(&mut map, "timeout").map(|v| seconds(&v)) {
        None => {
            p.order(i, "timeout", "is required: a whole number of seconds > 0");
            None
        }
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            p.order(i, "timeout", e);
            None
        }
    };
    let must_succeed = match take(&mut map, "must_succeed") {
        None => true,
        Some(Value::Bool(b)) => b,
        Some(v) => {
            p.order(i, "must_succeed", must_be("`true` or `false`", &v));
            true
        }
    };
    let mut env = BTreeMap::new();
    match take(&mut map, "env_vars") {
        None => {}
        Some(Value::Object(vars)) => {
            for (key, value) in vars {
                let text = match value {
                    Value::String(s) => s,
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    v => {
                        let why = must_be("a string, number or boolean", &v);
                        p.note(format!("orders[{i}].env_vars.{key}"), why);
                        continue;
                    }
                };
                env.insert(key, text);
            }
        }
        Some(v) => p.order(i, "env_vars", must_be("an object of variables", &v)),
    }
    let target = match take(&mut map, "execution_target") {
        None => Some(defaults.default_target),
        Some(Value::String(s)) if s == "ssm" => {
            p.order(
                i,
                "execution_target",
                format!("`ssm` is not supported: {NO_SSM}"),
            );
            None
        }
        Some(Value::String(s)) => {
            let found = Target::ALL.into_iter().find(|t| t.as_str() == s);
            if found.is_none() {
                let why = format!(
                    "{} is not a target of idp: use `local`, `codebuild`, `lambda` or `ecs`, or leave it out for `{}`",
                    q(&s),
                    defaults.default_target
                );
                p.order(i, "execution_target", why);
            }
            found
        }
        Some(v) => {
            p.order(i, "execution_target", must_be("a string", &v));
            None
        }
    };
    let working_dir = match take(&mut map, "git_folder") {
        None => None,
        Some(Value::String(s)) => match folder_problem(&s) {
            None => Some(s),
            Some(why) => {
                p.order(i, "git_folder", format!("{} {why}", q(&s)));
                None
            }
        },
        Some(v) => {
            p.order(i, "git_folder", must_be("a string", &v));
            None
        }
    };
    let mut depends_on: Vec<String> = Vec::new();
    match take(&mut map, "dependencies") {
        None => {}
        Some(Value::Array(list)) => {
            for (k, dep) in list.iter().enumerate() {
                match id_text(dep) {
                    Some(dep) => {
                        if let Some(name) = resolve(i, &dep, ids, p).and_then(|j| idp_names.get(j))
                            && !depends_on.contains(name)
                        {
                            depends_on.push(name.clone());
                        }
                    }
                    None => p.note(
                        format!("orders[{i}].dependencies[{k}]"),
                        must_be("a string or an integer", dep),
                    ),
                }
            }
        }
        Some(v) => p.note(
            format!("orders[{i}].dependencies"),
            must_be("a list of `queue_id`s or `order_name`s", &v),
        ),
    }
    let ssm_paths = names(&mut map, i, "ssm_paths", "SSM parameter names or paths", p);
    let secret_manager_paths = names(
        &mut map,
        i,
        "secret_manager_paths",
        "secret names or ARNs",
        p,
    );
    for (key, what) in [
        ("git_repo", NO_CLONE),
        ("commit_hash", NO_CLONE),
        ("s3_location", NO_BUNDLE),
        ("sops_key", NO_SOPS),
        ("ssm_targets", NO_SSM),
        ("ssm_document_name", NO_SSM),
    ] {
        p.refuse(&mut map, key, &format!("orders[{i}].{key}"), what);
    }
    for key in map.keys() {
        p.unknown(
            &format!("orders[{i}].{key}"),
            key,
            "an order",
            ORDER_KEYS,
            IDP_NAMES,
        );
    }
    let mut order = Map::new();
    let name = idp_names.get(i).cloned().unwrap_or_default();
    order.insert("name".into(), name.into());
    order.insert("cmds".into(), cmds.into());
    if let Some(t) = timeout {
        order.insert("timeout".into(), t.into());
    }
    order.insert(
        "env".into(),
        env.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect::<Map<_, _>>()
            .into(),
    );
    if !ssm_paths.is_empty() {
        order.insert("ssm_paths".into(), ssm_paths.into());
    }
    if !secret_manager_paths.is_empty() {
        order.insert("secret_manager_paths".into(), secret_manager_paths.into());
    }
    order.insert("depends_on".into(), depends_on.into());
    order.insert("must_succeed".into(), must_succeed.into());
    let target = target.unwrap_or(defaults.default_target);
    order.insert("target".into(), target.as_str().into());
    if let Some(dir) = working_dir {
        order.insert("working_dir".into(), dir.into());
    }
    (Value::Object(order), timeout)
}

/// A list of source names (`ssm_paths`, `secret_manager_paths`): strings, each checked by the
/// rules of `sources`, so the problem is reported at the entry (`orders[0].ssm_paths[2]`).
fn names(
    map: &mut Map<String, Value>,
    i: usize,
    field: &'static str,
    what: &str,
    p: &mut Problems,
) -> Vec<String> {
    use super::sources::{SsmRef, check_name, var_name};
    let mut found = Vec::new();
    match take(map, field) {
        None => {}
        Some(Value::Array(list)) => {
            for (k, entry) in list.into_iter().enumerate() {
                let path = format!("orders[{i}].{field}[{k}]");
                let Value::String(s) = entry else {
                    p.reported.insert((Some(i), field));
                    p.note(path, must_be("a string", &entry));
                    continue;
                };
                let problem = if field == "ssm_paths" {
                    match SsmRef::parse(&s) {
                        Ok(SsmRef::Name(name)) => var_name(&name).err(),
                        Ok(SsmRef::Path(_)) => None,
                        Err(e) => Some(e),
                    }
                } else {
                    check_name(&s, "a secret name or ARN").err()
                };
                match problem {
                    Some(e) => {
                        p.reported.insert((Some(i), field));
                        p.note(path, e);
                    }
                    None if found.contains(&s) => {
                        p.reported.insert((Some(i), field));
                        p.note(path, format!("{} is listed twice: list it once", q(&s)));
                    }
                    None => found.push(s),
                }
            }
        }
        Some(v) => p.order(i, field, must_be(&format!("a list of {what}"), &v)),
    }
    found
}

/// The one order `dep` names, by `queue_id` or `order_name`; reports a missing or ambiguous one.
fn resolve(i: usize, dep: &str, ids: &[Ids], p: &mut Problems) -> Option<usize> {
    let mut matches: BTreeMap<usize, &str> = BTreeMap::new();
    for (j, d) in ids.iter().enumerate() {
        if d.queue_id.as_deref() == Some(dep) {
            matches.insert(j, "queue_id");
        }
        if d.name.as_deref() == Some(dep) {
            matches.entry(j).or_insert("order_name");
        }
    }
    let path = format!("orders[{i}].dependencies");
    let mut found = matches.iter();
    match (found.next(), found.next()) {
        (Some((&j, _)), None) => Some(j),
        (None, _) => {
            let hint = ids
                .iter()
                .flat_map(|d| d.queue_id.iter().chain(d.name.iter()))
                .filter(|n| strsim::levenshtein(n, dep) <= 2)
                .min_by_key(|n| strsim::levenshtein(n, dep))
                .map_or_else(String::new, |n| format!(" (did you mean {}?)", q(n)));
            p.at(
                path,
                format!(
                    "{} names no order (by order_name or queue_id){hint}: use another order's `order_name` or `queue_id`",
                    q(dep)
                ),
            )
        }
        _ => {
            let all: Vec<String> = matches
                .iter()
                .map(|(j, by)| format!("orders[{j}] by {by}"))
                .collect();
            p.at(
                path,
                format!(
                    "{} matches more than one order ({}): give each order an `order_name` and a `queue_id` no other order uses",
                    q(dep),
                    all.join(", ")
                ),
            )
        }
    }
}

/// Why `dir` cannot be an order's working directory, if it cannot.
fn folder_problem(dir: &str) -> Option<&'static str> {
    if dir.trim().is_empty() {
        Some("is blank: name a directory or leave it out")
    } else if dir.starts_with(['/', '\\']) || dir.get(1..2) == Some(":") {
        Some("is absolute: give a directory relative to the server's working directory")
    } else if dir.split(['/', '\\']).any(|part| part == "..") {
        Some("leaves the server's working directory (`..`): give a directory inside it")
    } else if dir.chars().any(char::is_control) {
        Some("has a control character: remove it")
    } else {
        None
    }
}

/// A `username` or `flow_label`: not blank, no control character.
fn label(s: String, field: &'static str, p: &mut Problems) -> Option<String> {
    if s.trim().is_empty() {
        p.at(field, "is blank: give a name")
    } else if s.chars().any(char::is_control) {
        p.at(
            field,
            format!("{} has a control character: remove it", q(&s)),
        )
    } else {
        Some(s)
    }
}

fn trace_id_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

fn env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A whole number of seconds > 0 that a job file can hold.
fn seconds(v: &Value) -> Result<u64, String> {
    match v.as_u64() {
        Some(s) if s > 0 && i64::try_from(s).is_ok() => Ok(s),
        Some(s) if s > 0 => Err(format!("{s} s is too long")),
        _ => Err(must_be("a whole number of seconds > 0", v)),
    }
}

/// A `queue_id` or dependency as text: a string, or an integer in decimal.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// Removes `key`; `null` counts as absent.
fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.remove(key).filter(|v| !v.is_null())
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn must_be(what: &str, v: &Value) -> String {
    match v {
        Value::Number(n) => format!("must be {what}, not `{n}`"),
        Value::String(s) => format!("must be {what}, not the string {}", q(s)),
        Value::Bool(b) => format!("must be {what}, not `{b}`"),
        other => format!("must be {what}, not {}", kind(other)),
    }
}

/// A value in backticks, cut at 80 characters.
fn q(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((at, _)) => format!("`{}…`", s.get(..at).unwrap_or_default()),
        None => format!("`{s}`"),
    }
}

// === impl Problems ===

/// The problems found so far, each one line, and the `(order, field)`s that already have one
/// (so idp's validator does not also report the placeholder put in their place).
#[derive(Default)]
struct Problems {
    list: Vec<String>,
    reported: HashSet<(Option<usize>, &'static str)>,
}

impl Problems {
    /// Records a problem of `path`; `None`, to stand for the value that is missing.
    fn at<T>(&mut self, path: impl fmt::Display, message: impl fmt::Display) -> Option<T> {
        self.note(path, message);
        None
    }

    /// Records a problem of `path`; control characters (a newline in a value) are escaped.
    fn note(&mut self, path: impl fmt::Display, message: impl fmt::Display) {
        let line = format!("{path}: {message}");
        let mut one = String::with_capacity(line.len());
        for c in line.chars() {
            if c.is_control() {
                one.extend(c.escape_default());
            } else {
                one.push(c);
            }
        }
        self.list.push(one);
    }

    /// A problem of `orders[i].field` (`orders[i]` when `field` is empty) whose value is
    /// replaced by a placeholder in the idp job.
    fn order(&mut self, i: usize, field: &'static str, message: impl fmt::Display) {
        self.reported.insert((Some(i), field));
        if field.is_empty() {
            self.note(format!("orders[{i}]"), message);
        } else {
            self.note(format!("orders[{i}].{field}"), message);
        }
    }

    /// Refuses `key` of `map` unless it is absent or empty.
    fn refuse(&mut self, map: &mut Map<String, Value>, key: &str, path: &str, what: &str) {
        if map.remove(key).is_some_and(|v| !is_empty(&v)) {
            self.note(path, format!("is not supported: {what}"));
        }
    }

    /// An unknown key, with the known one it is closest to (a typo away, or one inside the other).
    fn unknown(&mut self, path: &str, key: &str, of: &str, known: &[&str], idp: &[(&str, &str)]) {
        let close = || {
            known
                .iter()
                .copied()
                .filter(|k| {
                    strsim::levenshtein(k, key) <= 2
                        || (key.len() >= 4 && (k.contains(key) || key.contains(k)))
                })
                .min_by_key(|k| strsim::levenshtein(k, key))
        };
        let hint = idp
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, ours)| *ours)
            .or_else(close)
            .map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
        self.note(path, format!("is not a field of {of}{hint}: remove it"));
    }

    fn rejected(self, run_id: String, trace_id: String) -> Rejected {
        Rejected {
            errors: self.list,
            run_id,
            trace_id,
        }
    }
}
