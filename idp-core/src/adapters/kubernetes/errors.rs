//! The errors of the Kubernetes provisioner: what a failed API call, a kind the cluster does
//! not serve and an object that is not deleted in time become at the `Provisioner` port.

use kube::api::DynamicObject;
use serde_json::Value;

use super::{ARGOCD_GROUP, BACKEND};
use crate::domain::kubernetes::Manifest;
use crate::domain::kubernetes::namespace::{ARGOCD_FINALIZER, ARGOCD_NAMESPACE};
use crate::ports::provisioner::{ProvisionError, ProvisionRequest};

/// The error for a kind the cluster does not serve: a prerequisite is missing, as a missing
/// binary is for the OpenTofu provisioner.
pub(super) fn missing_kind(manifest: &Manifest) -> ProvisionError {
    let (kind, api_version) = (manifest.kind(), manifest.api_version());
    let source = if manifest.group() == ARGOCD_GROUP {
        format!(
            "Argo CD is not installed: the cluster serves no `{kind}` in `{api_version}` (the Argo CD CustomResourceDefinitions are missing); install Argo CD in namespace `{ARGOCD_NAMESPACE}`, then run the command again"
        )
    } else {
        format!("the cluster serves no `{kind}` in `{api_version}`")
    };
    ProvisionError::Unavailable {
        backend: BACKEND,
        retryable: false,
        source: source.into(),
    }
}

/// What is left of an object that is not gone in time: its finalizers, its phase and
/// conditions.
pub(super) fn still_there(what: &str, object: &DynamicObject) -> String {
    let finalizers = object.metadata.finalizers.clone().unwrap_or_default();
    let mut out = format!(
        "Error: {what} is still being deleted (finalizers: {})",
        if finalizers.is_empty() {
            "none".to_owned()
        } else {
            finalizers.join(", ")
        }
    );
    let status = object.data.get("status");
    if let Some(phase) = status.and_then(|s| s.get("phase")).and_then(Value::as_str) {
        out.push_str(&format!("\nphase: {phase}"));
    }
    for condition in status
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(message) = condition.get("message").and_then(Value::as_str) {
            let kind = condition
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("Condition");
            out.push_str(&format!("\n{kind}: {message}"));
        }
    }
    if finalizers.iter().any(|f| f == ARGOCD_FINALIZER) {
        out.push_str("\nArgo CD removes its finalizer once it deleted the application's resources: check that its application controller runs.");
    }
    out
}

/// A failed API call as the port reports it: the server's status for refusals, unavailable
/// (retryable) for throttling, server errors and connection failures.
pub(super) fn api_error(
    request: &ProvisionRequest,
    step: String,
    error: kube::Error,
) -> ProvisionError {
    match error {
        kube::Error::Api(status) => {
            let said = request.redact(&format!(
                "{} {}: {}",
                status.code, status.reason, status.message
            ));
            match status.code {
                429 | 500..=599 => ProvisionError::Unavailable {
                    backend: BACKEND,
                    retryable: true,
                    source: format!("`{step}`: {said}").into(),
                },
                401 => ProvisionError::Unavailable {
                    backend: BACKEND,
                    retryable: false,
                    source: format!("`{step}`: {said}; the API server does not accept idp's credentials: check the kubeconfig's user or the service account's token").into(),
                },
                403 => ProvisionError::Failed {
                    step,
                    exit_code: None,
                    stderr_tail: request.error_tail(format!("Error: {said}\nGrant idp's identity the permission, or run it as one that has it.").as_bytes()),
                },
                _ => ProvisionError::Failed {
                    step,
                    exit_code: None,
                    stderr_tail: request.error_tail(format!("Error: {said}").as_bytes()),
                },
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => ProvisionError::Unavailable {
            backend: BACKEND,
            retryable: true,
            source: request
                .redact(&format!(
                    "cannot reach the Kubernetes API server for `{step}`: {error}"
                ))
                .into(),
        },
        other => ProvisionError::Backend {
            backend: BACKEND,
            source: request.redact(&format!("`{step}`: {other}")).into(),
        },
    }
}
