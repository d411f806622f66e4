//! One provisioner per kind of template: the OpenTofu templates (or the local runtime) on one
//! side, the namespaces on the shared Kubernetes cluster (`k8s-namespace`) on the other. The
//! use cases see one [`Provisioner`]; each request goes to the one its template needs.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::template::TemplateName;
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

/// Sends `k8s-namespace` requests to `kubernetes` and every other request to `default`.
#[derive(Clone)]
pub struct ByTemplate {
    default: Arc<dyn Provisioner>,
    kubernetes: Arc<dyn Provisioner>,
}

impl std::fmt::Debug for ByTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByTemplate").finish_non_exhaustive()
    }
}

impl ByTemplate {
    /// `default` for every template but the Kubernetes ones, which go to `kubernetes`.
    pub fn new(default: Arc<dyn Provisioner>, kubernetes: Arc<dyn Provisioner>) -> Self {
        Self {
            default,
            kubernetes,
        }
    }

    fn pick(&self, request: &ProvisionRequest) -> &dyn Provisioner {
        if request.template.is_kubernetes() {
            self.kubernetes.as_ref()
        } else {
            self.default.as_ref()
        }
    }
}

#[async_trait]
impl Provisioner for ByTemplate {
    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.pick(request).apply(request).await
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        self.pick(request).destroy(request).await
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        self.pick(request).outputs(request).await
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        self.pick(request).health(request).await
    }

    fn tags_follow_expiry(&self, template: &TemplateName) -> bool {
        if template.is_kubernetes() {
            self.kubernetes.tags_follow_expiry(template)
        } else {
            self.default.tags_follow_expiry(template)
        }
    }

    async fn remove_orphans(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        self.pick(request).remove_orphans(request).await
    }
}

/// The Kubernetes side of a build without Kubernetes support: every request is refused, saying
/// so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKubernetes;

impl NoKubernetes {
    fn refuse(&self) -> ProvisionError {
        ProvisionError::Unavailable {
            backend: "kubernetes",
            retryable: false,
            source: "the template `k8s-namespace` needs Kubernetes support, which this build of idp leaves out (the `kubernetes` feature of idp-core)".into(),
        }
    }
}

#[async_trait]
impl Provisioner for NoKubernetes {
    async fn apply(&self, _: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        Err(self.refuse())
    }

    async fn destroy(&self, _: &ProvisionRequest) -> Result<(), ProvisionError> {
        Err(self.refuse())
    }

    async fn outputs(&self, _: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        Err(self.refuse())
    }

    async fn health(&self, _: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        Err(self.refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryProvisioner;
    use crate::domain::naming::EnvName;

    fn request(template: &str) -> ProvisionRequest {
        let env = EnvName::parse(&format!("preview-{template}")).unwrap();
        let key = format!("environments/{env}/terraform.tfstate");
        ProvisionRequest::new(env, TemplateName::new(template).unwrap(), key)
    }

    #[tokio::test]
    async fn a_namespace_goes_to_the_kubernetes_provisioner_and_the_rest_to_the_default() {
        let default = Arc::new(MemoryProvisioner::new());
        let kubernetes = Arc::new(MemoryProvisioner::new());
        let router = ByTemplate::new(default.clone(), kubernetes.clone());
        router.apply(&request("k8s-namespace")).await.unwrap();
        router.apply(&request("api-service")).await.unwrap();
        assert!(kubernetes.outputs(&request("k8s-namespace")).await.is_ok());
        assert!(default.outputs(&request("k8s-namespace")).await.is_err());
        assert!(default.outputs(&request("api-service")).await.is_ok());
        assert!(kubernetes.outputs(&request("api-service")).await.is_err());

        kubernetes.set_tags_follow_expiry(true);
        let k8s = TemplateName::new("k8s-namespace").unwrap();
        assert!(
            router.tags_follow_expiry(&k8s),
            "extend re-applies a namespace"
        );
        assert!(!router.tags_follow_expiry(&TemplateName::default_template()));
    }
}
