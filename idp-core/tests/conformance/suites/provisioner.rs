//! The `Provisioner` contract: apply then outputs then destroy, destroy is idempotent and
//! succeeds on a never-applied environment, an unknown template is a clear error, environments
//! are independent, and secret values never appear in errors or printed outputs.
//!
//! The rules take the port and a [`Setup`] giving requests the adapter can apply and a way to
//! make its next apply fail with a given error output.

use std::sync::Arc;

use idp_core::domain::template::TemplateName;
use idp_core::ports::{ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth};
use serde_json::json;

/// Where provisioners legitimately differ.
#[derive(Debug, Clone)]
pub(crate) struct ProvisionerCaps {
    /// Whether `apply` refuses a template it does not have. The local runtime runs the
    /// environment's `local.command` whatever the template, so for it the suite asserts that
    /// the template does not matter.
    pub(crate) checks_templates: bool,
    /// Whether `health` can tell (the OpenTofu adapter answers `Unknown` always).
    pub(crate) knows_health: bool,
    /// Whether a failed step has an exit code. Processes do; the Kubernetes provisioner's steps
    /// are API calls and waits, whose failures have none.
    pub(crate) exit_codes: bool,
}

/// Test data for one adapter.
pub(crate) trait Setup: Send + Sync {
    /// A request for `env` this adapter can apply.
    fn request(&self, env: &str) -> ProvisionRequest;
    /// Makes the next apply of `request` fail with exit code 3 (where steps have exit codes)
    /// after printing `stderr` to its error output (and changes `request` where the failure
    /// lives in it).
    fn fail_next_apply(&self, request: &mut ProvisionRequest, stderr: &str);
    /// What the adapter can do.
    fn caps(&self) -> ProvisionerCaps;
}

async fn assert_not_applied(
    provisioner: &dyn Provisioner,
    request: &ProvisionRequest,
    caps: &ProvisionerCaps,
) {
    let outputs = provisioner.outputs(request).await;
    assert!(
        outputs.as_ref().is_err_and(ProvisionError::is_not_found),
        "{outputs:?}"
    );
    let health = provisioner.health(request).await;
    if caps.knows_health {
        assert!(
            health.as_ref().is_err_and(ProvisionError::is_not_found),
            "{health:?}"
        );
    } else {
        assert!(matches!(health, Ok(RuntimeHealth::Unknown)), "{health:?}");
    }
}

pub(crate) async fn apply_then_outputs_then_destroy(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let caps = setup.caps();
    let request = setup.request("preview-cycle");
    assert_not_applied(provisioner.as_ref(), &request, &caps).await;

    let outputs = provisioner.apply(&request).await.expect("apply");
    assert!(outputs.endpoint().is_some(), "{outputs}");
    assert_eq!(
        provisioner.outputs(&request).await.expect("outputs"),
        outputs
    );
    let health = provisioner.health(&request).await.expect("health");
    if caps.knows_health {
        assert!(
            matches!(health, RuntimeHealth::Running { .. }),
            "{health:?}"
        );
    } else {
        assert_eq!(health, RuntimeHealth::Unknown);
    }

    provisioner.destroy(&request).await.expect("destroy");
    assert_not_applied(provisioner.as_ref(), &request, &caps).await;
}

pub(crate) async fn destroy_of_a_never_applied_environment_succeeds_and_is_idempotent(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let request = setup.request("preview-never");
    provisioner
        .destroy(&request)
        .await
        .expect("destroy of nothing");
    provisioner.destroy(&request).await.expect("destroy again");
    assert_not_applied(provisioner.as_ref(), &request, &setup.caps()).await;

    provisioner.apply(&request).await.expect("apply");
    provisioner.destroy(&request).await.expect("destroy");
    provisioner
        .destroy(&request)
        .await
        .expect("destroy of a destroyed one");
    assert_not_applied(provisioner.as_ref(), &request, &setup.caps()).await;
}

pub(crate) async fn a_second_apply_updates_the_environment_in_place(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let request = setup.request("preview-again");
    provisioner.apply(&request).await.expect("apply");
    let again = provisioner.apply(&request).await.expect("apply again");
    assert_eq!(provisioner.outputs(&request).await.expect("outputs"), again);
    provisioner.destroy(&request).await.expect("destroy");
    assert_not_applied(provisioner.as_ref(), &request, &setup.caps()).await;
}

pub(crate) async fn environments_are_independent(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let (left, right) = (
        setup.request("preview-left"),
        setup.request("preview-right"),
    );
    provisioner.apply(&left).await.expect("apply left");
    let outputs = provisioner.apply(&right).await.expect("apply right");
    provisioner.destroy(&left).await.expect("destroy left");
    assert_not_applied(provisioner.as_ref(), &left, &setup.caps()).await;
    assert_eq!(
        provisioner
            .outputs(&right)
            .await
            .expect("the other one's outputs"),
        outputs
    );
    provisioner.destroy(&right).await.expect("destroy right");
}

pub(crate) async fn apply_of_an_unknown_template_is_a_clear_error(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let mut request = setup.request("preview-unknown");
    request.template = TemplateName::new("no-such-template").expect("a template name");
    let applied = provisioner.apply(&request).await;
    if !setup.caps().checks_templates {
        applied.expect("the template does not matter here");
        provisioner.destroy(&request).await.expect("destroy");
        return;
    }
    let error = applied.expect_err("an unknown template is refused");
    assert!(
        matches!(error, ProvisionError::InvalidRequest { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("`no-such-template`"), "{message}");
    assert!(message.contains("idp templates"), "{message}");
    // Nothing was applied for the environment.
    let known = setup.request("preview-unknown");
    assert_not_applied(provisioner.as_ref(), &known, &setup.caps()).await;
}

pub(crate) async fn secrets_never_appear_in_errors_or_printed_outputs(
    provisioner: Arc<dyn Provisioner>,
    setup: Arc<dyn Setup>,
) {
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Zq9xW";
    let mut request = setup.request("preview-secret");
    request.tfvars.insert(
        "secret_variables".to_owned(),
        json!({"DB_PASSWORD": secret}),
    );
    setup.fail_next_apply(
        &mut request,
        &format!("Error: cannot read {secret}: AccessDenied"),
    );
    let error = provisioner
        .apply(&request)
        .await
        .expect_err("the apply fails");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains("db-Zq9xW"), "{shown}");
    let ProvisionError::Failed {
        exit_code,
        stderr_tail,
        ..
    } = &error
    else {
        panic!("expected Failed, got {error:?}");
    };
    let expected = setup.caps().exit_codes.then_some(3);
    assert_eq!(*exit_code, expected);
    assert!(stderr_tail.contains("AccessDenied"), "{stderr_tail}");

    let mut request = setup.request("preview-secret");
    request.tfvars.insert(
        "secret_variables".to_owned(),
        json!({"DB_PASSWORD": secret}),
    );
    let outputs = provisioner.apply(&request).await.expect("apply");
    let printed = format!(
        "{outputs} {outputs:?} {}",
        serde_json::to_string(&outputs).expect("outputs serialize")
    );
    assert!(!printed.contains(secret), "{printed}");
    for name in outputs.names().filter(|n| outputs.is_sensitive(n)) {
        let value = outputs.secret(name).expect("a sensitive value");
        let value = value.expose().to_string();
        assert!(
            !printed.contains(value.trim_matches('"')),
            "{name}: {printed}"
        );
    }
    provisioner.destroy(&request).await.expect("destroy");
}
