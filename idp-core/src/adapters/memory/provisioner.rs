//! The in-memory [`Provisioner`]: environments as map entries, every call recorded, failures on
//! demand.
//!
//! Use-case tests use it to check what was applied or destroyed, in which order and with which
//! variables, and to make the next apply or destroy fail the way OpenTofu fails. Like every
//! provisioner it refuses a template it does not have (it has the built-in ones, and those
//! added with [`MemoryProvisioner::add_template`]) and keeps the request's secret values out of
//! its errors, injected ones included.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::domain::naming::EnvName;
use crate::domain::template::{BUILTIN_TEMPLATES, TemplateName};
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

/// Which provisioner method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProvisionOp {
    /// [`Provisioner::apply`].
    Apply,
    /// [`Provisioner::destroy`].
    Destroy,
    /// [`Provisioner::outputs`].
    Outputs,
    /// [`Provisioner::health`].
    Health,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionCall {
    /// The method.
    pub op: ProvisionOp,
    /// The request it was called with.
    pub request: ProvisionRequest,
}

#[derive(Debug, Default)]
struct State {
    calls: Vec<ProvisionCall>,
    applied: BTreeMap<EnvName, Outputs>,
    fail_apply: Option<ProvisionError>,
    fail_destroy: Option<ProvisionError>,
    tags_follow_expiry: bool,
    /// Templates beyond the built-in ones.
    templates: BTreeSet<TemplateName>,
}

/// A [`Provisioner`] in process memory.
///
/// `apply` stores the environment with the outputs `endpoint = http://{env}.preview.invalid` (a
/// reserved domain that never resolves), `template` and, for a built-in template with alarms,
/// `alarm_names` as that template names them; `destroy` removes it and succeeds when it
/// is already gone; `health` reports a running app without a pid.
#[derive(Debug, Default)]
pub struct MemoryProvisioner {
    state: Mutex<State>,
}

impl MemoryProvisioner {
    /// Behave like a provisioner whose resources carry the expiry in their tags (OpenTofu), so
    /// that `extend` re-applies.
    pub fn set_tags_follow_expiry(&self, follow: bool) {
        lock(&self.state).tags_follow_expiry = follow;
    }

    /// A provisioner with nothing applied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `template` available besides the built-in templates.
    pub fn add_template(&self, template: TemplateName) {
        lock(&self.state).templates.insert(template);
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<ProvisionCall> {
        lock(&self.state).calls.clone()
    }

    /// The calls of one kind so far, as environment names, oldest first.
    pub fn envs_called(&self, op: ProvisionOp) -> Vec<EnvName> {
        lock(&self.state)
            .calls
            .iter()
            .filter(|c| c.op == op)
            .map(|c| c.request.env.clone())
            .collect()
    }

    /// Whether `env` is applied and not destroyed.
    pub fn is_applied(&self, env: &EnvName) -> bool {
        lock(&self.state).applied.contains_key(env)
    }

    /// Makes the next `apply` fail with `error` (once) without changing anything.
    pub fn fail_next_apply(&self, error: ProvisionError) {
        lock(&self.state).fail_apply = Some(error);
    }

    /// Makes the next `destroy` fail with `error` (once) without changing anything.
    pub fn fail_next_destroy(&self, error: ProvisionError) {
        lock(&self.state).fail_destroy = Some(error);
    }

    /// The failure OpenTofu reports when a step exits non-zero, for [`Self::fail_next_apply`].
    pub fn failed(step: &str, stderr_tail: &str) -> ProvisionError {
        ProvisionError::Failed {
            step: step.to_owned(),
            exit_code: Some(1),
            stderr_tail: stderr_tail.to_owned(),
        }
    }

    fn record(
        &self,
        op: ProvisionOp,
        request: &ProvisionRequest,
    ) -> std::sync::MutexGuard<'_, State> {
        let mut state = lock(&self.state);
        state.calls.push(ProvisionCall {
            op,
            request: request.clone(),
        });
        state
    }
}

/// Refuses a template this provisioner does not have.
fn check_template(state: &State, request: &ProvisionRequest) -> Result<(), ProvisionError> {
    let template = &request.template;
    if template.is_builtin() || state.templates.contains(template) {
        return Ok(());
    }
    let mut known: Vec<&str> = BUILTIN_TEMPLATES.to_vec();
    known.extend(state.templates.iter().map(TemplateName::as_str));
    Err(ProvisionError::InvalidRequest {
        reason: format!(
            "template `{}` does not exist: the templates are {}; run `idp templates` for the available ones",
            template.as_str().escape_default(),
            known.join(", ")
        ),
    })
}

/// An injected failure as a real provisioner reports it: the request's secrets masked.
fn redacted(error: ProvisionError, request: &ProvisionRequest) -> ProvisionError {
    match error {
        ProvisionError::Failed {
            step,
            exit_code,
            stderr_tail,
        } => ProvisionError::Failed {
            step,
            exit_code,
            stderr_tail: request.redact(&stderr_tail),
        },
        ProvisionError::Timeout {
            step,
            after,
            output_tail,
        } => ProvisionError::Timeout {
            step,
            after,
            output_tail: request.redact(&output_tail),
        },
        ProvisionError::Interrupted {
            step,
            killed,
            output_tail,
        } => ProvisionError::Interrupted {
            step,
            killed,
            output_tail: request.redact(&output_tail),
        },
        other => other,
    }
}

fn not_found(request: &ProvisionRequest) -> ProvisionError {
    ProvisionError::NotFound {
        env: request.env.to_string(),
    }
}

#[async_trait]
impl Provisioner for MemoryProvisioner {
    fn tags_follow_expiry(&self, _template: &TemplateName) -> bool {
        lock(&self.state).tags_follow_expiry
    }

    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let mut state = self.record(ProvisionOp::Apply, request);
        check_template(&state, request)?;
        if let Some(error) = state.fail_apply.take() {
            return Err(redacted(error, request));
        }
        let mut outputs = Outputs::new();
        outputs.insert(
            "endpoint",
            format!("http://{}.preview.invalid", request.env),
        );
        outputs.insert("template", request.template.as_str());
        if request.template.is_static_site() {
            // The static-site template's bucket and distribution, named as it names them.
            outputs.insert("bucket_name", format!("idp-{}-site", request.env));
            outputs.insert(
                "distribution_id",
                format!(
                    "E{}",
                    request.env.as_str().to_ascii_uppercase().replace('-', "")
                ),
            );
        }
        let alarms: &[&str] = match request.template.as_str() {
            "api-service" | "api-database" => &["5xx-rate", "unhealthy-targets"],
            "lambda-api" => &["api-errors", "api-5xx"],
            "static-site" => &["site-5xx-rate"],
            _ => &[],
        };
        if !alarms.is_empty() {
            let names: Vec<String> = alarms
                .iter()
                .map(|alarm| format!("idp-{}-{alarm}", request.env))
                .collect();
            outputs.insert("alarm_names", names);
        }
        state.applied.insert(request.env.clone(), outputs.clone());
        Ok(outputs)
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        let mut state = self.record(ProvisionOp::Destroy, request);
        check_template(&state, request)?;
        if let Some(error) = state.fail_destroy.take() {
            return Err(redacted(error, request));
        }
        state.applied.remove(&request.env);
        Ok(())
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let state = self.record(ProvisionOp::Outputs, request);
        state
            .applied
            .get(&request.env)
            .cloned()
            .ok_or_else(|| not_found(request))
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        let state = self.record(ProvisionOp::Health, request);
        if state.applied.contains_key(&request.env) {
            Ok(RuntimeHealth::Running { pid: None })
        } else {
            Err(not_found(request))
        }
    }
}
