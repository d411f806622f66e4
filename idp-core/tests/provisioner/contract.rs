//! The contract of the `Provisioner` port, run against every adapter that can run here: the
//! in-memory provisioner and the local runtime (with the example app). The OpenTofu adapter's
//! command contract is in `tofu.rs`; no OpenTofu binary runs on this machine.

use idp_core::adapters::local::{LocalRuntime, LocalRuntimeConfig};
use idp_core::adapters::memory::MemoryProvisioner;
use idp_core::ports::{ProvisionRequest, Provisioner, RuntimeHealth};

use super::request;

/// Apply, read back, check health, destroy twice, and find nothing afterwards.
async fn apply_outputs_health_destroy(provisioner: &dyn Provisioner, request: &ProvisionRequest) {
    assert!(
        provisioner
            .outputs(request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        provisioner
            .health(request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    provisioner.destroy(request).await.unwrap();

    let outputs = provisioner.apply(request).await.unwrap();
    assert!(outputs.endpoint().is_some(), "{outputs}");
    assert_eq!(provisioner.outputs(request).await.unwrap(), outputs);
    assert!(matches!(
        provisioner.health(request).await.unwrap(),
        RuntimeHealth::Running { .. }
    ));

    provisioner.destroy(request).await.unwrap();
    provisioner.destroy(request).await.unwrap();
    assert!(
        provisioner
            .outputs(request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        provisioner
            .health(request)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn the_memory_provisioner_keeps_the_port_contract() {
    apply_outputs_health_destroy(&MemoryProvisioner::new(), &request("preview-a")).await;
}

#[tokio::test]
async fn the_local_runtime_keeps_the_port_contract() {
    let state = tempfile::tempdir().unwrap();
    let mut config = LocalRuntimeConfig::new(state.path());
    config.working_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut request = request("preview-contract");
    request.local_command = Some("python3 examples/app/server.py".to_owned());
    request.health_check_path = "/health".to_owned();
    apply_outputs_health_destroy(&LocalRuntime::new(config), &request).await;
}
