//! The `Provisioner` port: apply, destroy and read the infrastructure of one environment.
//!
//! On AWS an environment is an OpenTofu root module (a *template*) applied with its own state key;
//! on the embedded local backend it is the app started as a local process. Both answer the same
//! four questions (apply, destroy, outputs, health), so the use cases never know which one runs.
//! Secrets never leave this port in clear text: sensitive outputs are masked whenever they are
//! printed or serialized, and error output is redacted before it is kept in an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Debug};
use std::time::Duration;

use async_trait::async_trait;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BoxError;
use crate::domain::naming::EnvName;
use crate::domain::redact::{self, Tail};
use crate::domain::template::TemplateName;
use crate::secret::Secret;

pub use crate::domain::redact::{MASK, MAX_TAIL_BYTES, MAX_TAIL_LINES};

/// Everything a provisioner needs to apply, destroy or inspect one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionRequest {
    /// The environment.
    pub env: EnvName,
    /// The infrastructure template (a root module under the templates directory).
    pub template: TemplateName,
    /// The AWS region; `None` for the provisioner's default.
    pub region: Option<String>,
    /// The state key of the environment (`environments/{name}/terraform.tfstate`), built by the
    /// caller from the domain's layout.
    pub state_key: String,
    /// The template's input variables. The values of the map `secret_variables` are redacted from
    /// any error output.
    pub tfvars: serde_json::Map<String, Value>,
    /// The command that starts the app locally (`local.command` in `.idp/config.yml`); used only
    /// by the local runtime.
    pub local_command: Option<String>,
    /// The HTTP path that answers 2xx once the app is ready (`health_check_path`).
    pub health_check_path: String,
    /// Environment variables of the app (used by the local runtime; templates get theirs from
    /// `tfvars`).
    pub env_vars: BTreeMap<String, String>,
}

impl ProvisionRequest {
    /// A request for `env` from `template` with the given state key and no variables, the health
    /// check at `/`.
    pub fn new(env: EnvName, template: TemplateName, state_key: impl Into<String>) -> Self {
        Self {
            env,
            template,
            region: None,
            state_key: state_key.into(),
            tfvars: serde_json::Map::new(),
            local_command: None,
            health_check_path: "/".to_owned(),
            env_vars: BTreeMap::new(),
        }
    }

    /// The values that must never appear in output: the values of the tfvars map
    /// `secret_variables` (strings, or the JSON text of other values), longest first.
    pub fn secret_values(&self) -> Vec<String> {
        let mut values: Vec<String> = match self.tfvars.get("secret_variables") {
            Some(Value::Object(map)) => map
                .values()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .filter(|v| !v.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
    }

    /// `text` with every secret value of this request replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secret_values();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        redact::mask(text, &secrets, false)
    }

    /// The end of a step's whole error output as [`ProvisionError`] carries it: this request's
    /// secret values masked, at most [`MAX_TAIL_LINES`] lines and [`MAX_TAIL_BYTES`] bytes.
    pub fn error_tail(&self, output: &[u8]) -> String {
        let secrets = self.secret_values();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        redact::error_tail(output, &secrets)
    }

    /// [`ProvisionRequest::error_tail`] of the bytes a bounded [`Tail`] kept.
    pub fn error_tail_of(&self, tail: &Tail) -> String {
        let secrets = self.secret_values();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        tail.error_tail(&secrets)
    }
}

/// The outputs of an applied environment: output name → value.
///
/// Sensitive outputs (OpenTofu `sensitive = true`) are kept apart: `Debug`, `Display` and
/// `Serialize` print them as [`MASK`], [`Outputs::get`] does not return them, and reading one
/// takes [`Outputs::secret`].
#[derive(Clone, Default, PartialEq)]
pub struct Outputs {
    values: BTreeMap<String, Value>,
    sensitive: BTreeSet<String>,
}

impl Outputs {
    /// No outputs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a plain output.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        self.sensitive.remove(&name);
        self.values.insert(name, value.into());
    }

    /// Adds (or replaces) a sensitive output.
    pub fn insert_sensitive(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        self.sensitive.insert(name.clone());
        self.values.insert(name, value.into());
    }

    /// Builds outputs from the document `tofu output -json` prints:
    /// `{name: {"value": …, "type": …, "sensitive": bool}}`.
    pub fn from_tofu_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct Entry {
            value: Value,
            #[serde(default)]
            sensitive: bool,
        }
        let doc: BTreeMap<String, Entry> = serde_json::from_slice(bytes)?;
        let mut outputs = Self::new();
        for (name, entry) in doc {
            if entry.sensitive {
                outputs.insert_sensitive(name, entry.value);
            } else {
                outputs.insert(name, entry.value);
            }
        }
        Ok(outputs)
    }

    /// A plain output's value; `None` if absent or sensitive.
    pub fn get(&self, name: &str) -> Option<&Value> {
        if self.sensitive.contains(name) {
            return None;
        }
        self.values.get(name)
    }

    /// A sensitive output's value, still wrapped; `None` if absent or not sensitive.
    pub fn secret(&self, name: &str) -> Option<Secret<Value>> {
        if !self.sensitive.contains(name) {
            return None;
        }
        self.values.get(name).cloned().map(Secret::new)
    }

    /// Whether the output `name` is sensitive.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.sensitive.contains(name)
    }

    /// The names of all outputs, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Every output with sensitive values replaced by [`MASK`], sorted by name.
    pub fn masked(&self) -> BTreeMap<String, Value> {
        self.values
            .iter()
            .map(|(name, value)| {
                let shown = if self.sensitive.contains(name) {
                    Value::String(MASK.to_owned())
                } else {
                    value.clone()
                };
                (name.clone(), shown)
            })
            .collect()
    }

    /// The number of outputs.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no outputs.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The URL the environment answers on (the plain string output `endpoint`).
    pub fn endpoint(&self) -> Option<&str> {
        self.get("endpoint").and_then(Value::as_str)
    }
}

impl Debug for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.masked()).finish()
    }
}

impl fmt::Display for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masked = Value::Object(self.masked().into_iter().collect());
        write!(f, "{masked}")
    }
}

/// Serializes as a flat object with sensitive values masked (safe to store and print).
impl Serialize for Outputs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let masked = self.masked();
        let mut map = serializer.serialize_map(Some(masked.len()))?;
        for (name, value) in &masked {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Reads a flat object of output name → value (as [`Outputs`] serializes); every value is plain,
/// so a masked value stays [`MASK`].
impl<'de> Deserialize<'de> for Outputs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = BTreeMap::<String, Value>::deserialize(deserializer)?;
        Ok(Self::from(values))
    }
}

impl From<BTreeMap<String, Value>> for Outputs {
    fn from(values: BTreeMap<String, Value>) -> Self {
        Self {
            values,
            sensitive: BTreeSet::new(),
        }
    }
}

/// Whether an environment's runtime is up, as far as the provisioner can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
#[non_exhaustive]
pub enum RuntimeHealth {
    /// The app runs (the local runtime found its process, pid and start time matching).
    Running {
        /// The process id, where the runtime has one.
        pid: Option<u32>,
    },
    /// The environment was applied but its app no longer runs (it exited or was killed).
    Stopped,
    /// This provisioner cannot tell: OpenTofu only knows the infrastructure, not whether the app
    /// on it is healthy. Ask the `Deployer` port (ECS) instead.
    Unknown,
}

/// What went wrong in a provisioner call, by outcome class.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// A step ran and failed (a non-zero exit, an app that exited or answered an error).
    #[error("`{step}` failed {}: {}", exit_text(*exit_code), summary_line(stderr_tail))]
    Failed {
        /// The step (`tofu apply`, `local start`, ...).
        step: String,
        /// The exit code, if the step was a process that exited.
        exit_code: Option<i32>,
        /// The end of the step's error output: at most [`MAX_TAIL_LINES`] lines and
        /// [`MAX_TAIL_BYTES`] bytes, with secret values replaced by [`MASK`].
        stderr_tail: String,
    },
    /// A step did not finish in time; its processes were killed.
    #[error("`{step}` did not succeed within {}s and was stopped; raise the timeout or check why it hangs", after.as_secs_f64())]
    Timeout {
        step: String,
        /// The time it was given.
        after: Duration,
        /// The end of its output so far (capped and redacted as [`ProvisionError::Failed`]).
        output_tail: String,
    },
    /// A stop was requested (SIGINT or SIGTERM to idp) while the step ran; it was stopped.
    #[error("`{step}` was interrupted and {}; run the command again to finish", if *killed { "killed (it did not stop in time): its state lock may remain, see `idp unlock`" } else { "stopped cleanly (its state is saved)" })]
    Interrupted {
        step: String,
        /// Whether it had to be killed after it did not stop within the grace period.
        killed: bool,
        /// The end of its output so far (capped and redacted as [`ProvisionError::Failed`]).
        output_tail: String,
    },
    /// Nothing is provisioned for the environment.
    #[error("environment `{env}` has nothing provisioned; create it first")]
    NotFound {
        /// The environment asked for.
        env: String,
    },
    /// The request cannot be carried out as given (a bad template name, a missing command).
    #[error("{reason}")]
    InvalidRequest {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The backend could not be reached or refused for now (a missing binary, a busy lock).
    #[error("{backend} is unavailable{}: {source}", if *retryable { " (retry later)" } else { "" })]
    Unavailable {
        /// The backend (`tofu`, `local`, `memory`).
        backend: &'static str,
        /// Whether retrying the same call may succeed.
        retryable: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure (an unreadable record, an output document that is not JSON).
    #[error("{backend} request failed: {source}")]
    Backend {
        /// The backend (`tofu`, `local`, `memory`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl ProvisionError {
    /// What to show of the failure where people look for its cause (status, the pull request
    /// comment): the end of the step's output when it has one (already capped and redacted),
    /// else the error's message.
    pub fn detail(&self) -> String {
        match self {
            Self::Failed { stderr_tail, .. } if !stderr_tail.trim().is_empty() => {
                format!("{self}\n\n{}", stderr_tail.trim_end())
            }
            Self::Timeout { output_tail, .. } | Self::Interrupted { output_tail, .. }
                if !output_tail.trim().is_empty() =>
            {
                format!("{self}\n\n{}", output_tail.trim_end())
            }
            other => other.to_string(),
        }
    }

    /// Whether the same call may succeed if retried unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }

    /// Whether nothing is provisioned for the environment.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("with exit code `{code}`"),
        None => "(killed by a signal)".to_owned(),
    }
}

/// The line of an error output that says what failed: the first `Error:` line (OpenTofu prints
/// the summary first and its detail after it), else the last non-empty line.
fn summary_line(tail: &str) -> &str {
    tail.lines()
        .map(str::trim)
        .find(|l| l.starts_with("Error:"))
        .or_else(|| tail.lines().rev().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("no error output")
}

/// Applies, destroys and inspects the infrastructure (or local process) of one environment.
///
/// Calls for one environment must not overlap: the use cases hold the environment's lease while
/// they call a provisioner. Calls for different environments may run concurrently.
#[async_trait]
pub trait Provisioner: Debug + Send + Sync + 'static {
    /// Creates or updates the environment and returns its outputs.
    ///
    /// Applying an environment that exists updates it in place (the local runtime restarts the
    /// app). On failure whatever the step left behind stays until [`Provisioner::destroy`]; the
    /// error is [`ProvisionError::Failed`] or [`ProvisionError::Timeout`].
    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError>;

    /// Removes everything the environment has.
    ///
    /// Idempotent: destroying an environment that is already gone (or was never applied)
    /// succeeds.
    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError>;

    /// The outputs of the last successful apply.
    ///
    /// MUST fail with [`ProvisionError::NotFound`] if nothing is applied.
    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError>;

    /// Whether the environment's runtime is up.
    ///
    /// MUST fail with [`ProvisionError::NotFound`] if nothing is applied, except where the
    /// provisioner cannot tell at all and answers [`RuntimeHealth::Unknown`].
    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError>;

    /// Whether the applied resources of an environment of `template` carry the expiry
    /// (`idp:expires-at` tags, the `idp.dev/expires-at` annotation), so that moving the expiry
    /// needs a re-apply to keep them true. `false` by default (the local runtime and the memory
    /// provisioner have no tags).
    fn tags_follow_expiry(&self, _template: &TemplateName) -> bool {
        false
    }

    /// Removes what an interrupted run of the environment made but never recorded in its state,
    /// so that the next apply neither trips over it nor makes a second copy. Provisioners that
    /// can leave such things do it in their own `apply` and `destroy` too; this is for paths that
    /// run the template themselves (a workflow's own `tofu apply`), before they apply and after
    /// they destroyed. `Ok` by default: the memory and local provisioners leave nothing behind
    /// that they do not record.
    async fn remove_orphans(&self, _request: &ProvisionRequest) -> Result<(), ProvisionError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request() -> ProvisionRequest {
        let mut request = ProvisionRequest::new(
            EnvName::parse("preview-a").unwrap(),
            TemplateName::default_template(),
            "environments/preview-a/terraform.tfstate",
        );
        request.tfvars.insert(
            "secret_variables".to_owned(),
            json!({"API_KEY": "arn:aws:secretsmanager:us-east-1:1:secret:key", "N": 42}),
        );
        request
    }

    #[test]
    fn tofu_output_documents_are_flattened_and_sensitive_values_masked() {
        let doc =
            br#"{"endpoint":{"value":"https://a.example.com","type":"string","sensitive":false},
            "db_password":{"value":"hunter2","type":"string","sensitive":true}}"#;
        let outputs = Outputs::from_tofu_json(doc).unwrap();
        assert_eq!(outputs.endpoint(), Some("https://a.example.com"));
        assert_eq!(outputs.get("db_password"), None);
        assert_eq!(
            outputs.secret("db_password").unwrap().expose(),
            &json!("hunter2")
        );
        let printed = format!(
            "{outputs} {outputs:?} {}",
            serde_json::to_string(&outputs).unwrap()
        );
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains(MASK));
        let stored: Outputs =
            serde_json::from_str(&serde_json::to_string(&outputs).unwrap()).unwrap();
        assert_eq!(stored.endpoint(), Some("https://a.example.com"));
        assert_eq!(stored.get("db_password"), Some(&json!(MASK)));
    }

    #[test]
    fn secret_variables_are_redacted_from_text() {
        let text = "error: arn:aws:secretsmanager:us-east-1:1:secret:key not readable (42)";
        assert_eq!(request().redact(text), "error: **** not readable (****)");
    }

    proptest::proptest! {
        #[test]
        fn tails_are_capped_and_never_hold_a_secret(
            output in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20_000),
            secret in "[A-Za-z0-9:/-]{3,40}",
            at in 0_usize..20_000,
        ) {
            let mut output = output;
            let at = at.min(output.len());
            output.splice(at..at, secret.bytes());
            let mut request = request();
            request.tfvars.insert("secret_variables".to_owned(), json!({"S": secret.clone()}));
            let tail = request.error_tail(&output);
            proptest::prop_assert!(tail.len() <= MAX_TAIL_BYTES);
            proptest::prop_assert!(tail.lines().count() <= MAX_TAIL_LINES);
            proptest::prop_assert!(!tail.contains(&secret));
        }
    }

    #[test]
    fn error_messages_name_the_step_and_the_fix() {
        let messages = [
            ProvisionError::Failed {
                step: "tofu apply".into(),
                exit_code: Some(1),
                stderr_tail: "Error: creating ECS Service: AccessDenied\n".into(),
            },
            ProvisionError::Failed {
                step: "local.command".into(),
                exit_code: None,
                stderr_tail: String::new(),
            },
            ProvisionError::Timeout {
                step: "GET http://127.0.0.1:41234/health".into(),
                after: Duration::from_secs(30),
                output_tail: String::new(),
            },
            ProvisionError::Interrupted {
                step: "tofu apply".into(),
                killed: false,
                output_tail: "Error: execution halted\n".into(),
            },
            ProvisionError::NotFound {
                env: "preview-a".into(),
            },
            ProvisionError::Unavailable {
                backend: "tofu",
                retryable: true,
                source: "busy".into(),
            },
            ProvisionError::Backend {
                backend: "local",
                source: "disk full".into(),
            },
        ]
        .map(|e| e.to_string())
        .join("\n");
        insta::assert_snapshot!(messages, @r"
        `tofu apply` failed with exit code `1`: Error: creating ECS Service: AccessDenied
        `local.command` failed (killed by a signal): no error output
        `GET http://127.0.0.1:41234/health` did not succeed within 30s and was stopped; raise the timeout or check why it hangs
        `tofu apply` was interrupted and stopped cleanly (its state is saved); run the command again to finish
        environment `preview-a` has nothing provisioned; create it first
        tofu is unavailable (retry later): busy
        local request failed: disk full
        ");
    }

    #[test]
    fn failed_errors_are_one_line_naming_the_step_and_the_error_summary() {
        let error = ProvisionError::Failed {
            step: "tofu apply".to_owned(),
            exit_code: Some(1),
            stderr_tail: "Error: one\n  detail\n\nError: two\n".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "`tofu apply` failed with exit code `1`: Error: one"
        );
        let error = ProvisionError::Failed {
            step: "local.command".to_owned(),
            exit_code: Some(1),
            stderr_tail: "starting\n  address in use\n\n".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "`local.command` failed with exit code `1`: address in use"
        );
    }
}
