//! The in-memory provisioner: recorded calls and injected failures.

use idp_core::adapters::memory::{MemoryProvisioner, ProvisionOp};
use idp_core::ports::{ProvisionError, Provisioner, RuntimeHealth};

use super::request;

#[tokio::test]
async fn memory_provisioner_applies_records_and_destroys_idempotently() {
    let provisioner = MemoryProvisioner::new();
    let request = request("preview-a");
    let outputs = provisioner.apply(&request).await.unwrap();
    assert_eq!(outputs.endpoint(), Some("http://preview-a.preview.invalid"));
    assert_eq!(provisioner.outputs(&request).await.unwrap(), outputs);
    assert_eq!(
        provisioner.health(&request).await.unwrap(),
        RuntimeHealth::Running { pid: None }
    );
    provisioner.destroy(&request).await.unwrap();
    provisioner.destroy(&request).await.unwrap();
    assert!(!provisioner.is_applied(&request.env));
    assert!(
        provisioner
            .outputs(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        provisioner
            .health(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let ops: Vec<ProvisionOp> = provisioner.calls().iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            ProvisionOp::Apply,
            ProvisionOp::Outputs,
            ProvisionOp::Health,
            ProvisionOp::Destroy,
            ProvisionOp::Destroy,
            ProvisionOp::Outputs,
            ProvisionOp::Health,
        ]
    );
    assert_eq!(provisioner.envs_called(ProvisionOp::Destroy).len(), 2);
}

#[tokio::test]
async fn memory_provisioner_fails_the_next_apply_and_destroy_once() {
    let provisioner = MemoryProvisioner::new();
    let request = request("preview-a");

    provisioner.fail_next_apply(MemoryProvisioner::failed(
        "tofu apply",
        "Error: quota exceeded",
    ));
    let error = provisioner.apply(&request).await.unwrap_err();
    assert!(matches!(
        error,
        ProvisionError::Failed {
            exit_code: Some(1),
            ..
        }
    ));
    assert!(
        !provisioner.is_applied(&request.env),
        "a failed apply changes nothing"
    );
    provisioner.apply(&request).await.unwrap();

    provisioner.fail_next_destroy(ProvisionError::Timeout {
        step: "tofu destroy".to_owned(),
        after: std::time::Duration::from_secs(1),
        output_tail: String::new(),
    });
    assert!(matches!(
        provisioner.destroy(&request).await,
        Err(ProvisionError::Timeout { .. })
    ));
    assert!(
        provisioner.is_applied(&request.env),
        "a failed destroy changes nothing"
    );
    provisioner.destroy(&request).await.unwrap();
    assert!(!provisioner.is_applied(&request.env));
}
