//! The cluster found on first use: the Kubernetes provisioner every backend routes
//! `k8s-namespace` requests to, opened from the environment (`KUBECONFIG`, `~/.kube/config`,
//! or the pod's service account) only when such a request comes, so that a machine without a
//! cluster runs every other template as before.

use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::{KubernetesProvisioner, KubernetesSettings};
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

/// A [`KubernetesProvisioner`] for the cluster `kubectl` would use, opened on first use.
#[derive(Debug, Default)]
pub struct FromEnvironment {
    settings: KubernetesSettings,
    opened: OnceCell<KubernetesProvisioner>,
}

impl FromEnvironment {
    /// A provisioner that opens the environment's cluster with `settings` when first asked.
    pub fn new(settings: KubernetesSettings) -> Self {
        Self {
            settings,
            opened: OnceCell::new(),
        }
    }

    async fn get(&self) -> Result<&KubernetesProvisioner, ProvisionError> {
        self.opened
            .get_or_try_init(|| KubernetesProvisioner::infer(self.settings.clone()))
            .await
            .map_err(|e| ProvisionError::Unavailable {
                backend: "kubernetes",
                retryable: false,
                source: format!("the template `k8s-namespace` needs a Kubernetes cluster: {e}")
                    .into(),
            })
    }
}

#[async_trait]
impl Provisioner for FromEnvironment {
    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.get().await?.apply(request).await
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        self.get().await?.destroy(request).await
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.get().await?.outputs(request).await
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        self.get().await?.health(request).await
    }

    fn tags_follow_expiry(&self, _template: &crate::domain::template::TemplateName) -> bool {
        true
    }
}
