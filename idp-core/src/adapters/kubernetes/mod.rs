//! The Kubernetes provisioner: an environment is a namespace on a shared cluster with its Argo
//! CD project and application (template `k8s-namespace`, the objects of
//! [`namespace::render`]).
//!
//! - **apply** reads the spec from the request's variables ([`NamespaceSpec::from_vars`]),
//!   renders it, finds every kind through discovery (`/api/v1`, `/apis/{group}/{version}`: one
//!   request per API group; the Argo CD kinds are CustomResourceDefinitions, and their absence
//!   is the error "Argo CD is not installed", before anything is applied), refuses to take over an object outside the
//!   environment's namespace that exists without the environment's label (a namespace named
//!   like the environment, an application of the same name), then **server-side applies**
//!   every object in wave order (`PATCH`, `application/apply-patch+yaml`, field manager
//!   [`FIELD_MANAGER`], `force`), and waits, bounded by [`KubernetesSettings::sync_timeout`],
//!   until Argo CD reports the Application `Synced` and `Healthy` at the applied
//!   `targetRevision`. `Degraded` fails at once with what Argo CD says. A push is the same apply
//!   with the new `branch` variable, which moves the application's `targetRevision`; `extend`
//!   re-applies so the `idp.dev/expires-at` annotations move ([`Provisioner::tags_follow_expiry`]).
//! - **destroy** deletes the Application (foreground; its finalizer makes Argo CD delete what
//!   it synced first) and waits until it is gone, then the AppProject, then the Namespace,
//!   waiting until each is gone, bounded by [`KubernetesSettings::delete_timeout`]. Each step
//!   lists by the label `idp.dev/environment=<env>` and deletes only the listed object of the
//!   environment's name, with its `uid` as a precondition: nothing idp did not label is ever
//!   deleted. Objects already gone, or already being deleted, are fine, so a destroy
//!   interrupted at any step finishes when it runs again.
//! - **outputs** are `endpoint` (the ingress's URL), `namespace` and `application`, read from
//!   the cluster: `NotFound` when the environment's namespace is absent (or not labelled as
//!   the environment's).
//! - **health** is the Application's health: `Healthy` is running; `Degraded`, `Missing`,
//!   `Suspended` or no application are stopped; anything else is unknown.
//!
//! Environments named `default`, `kube-*` or like the Argo CD namespace are refused: those
//! namespaces belong to the cluster.
//!
//! Progress (each object applied, each change of the application's status, each deletion) is
//! reported through `tracing` at `info`. A stop request ([`crate::interrupt`]) ends a wait or
//! the applies between two objects as [`ProvisionError::Interrupted`]; what was applied stays
//! and the next apply or destroy carries on from there.
//!
//! No Kubernetes API server (and no Argo CD) runs on the machines idp is built and tested on.
//! The tests drive this adapter against `idp_test_support::kube_fake`, a loopback server that
//! speaks the subset of the Kubernetes API used here with upstream object shapes, and plays
//! the Argo CD controller; on a real cluster only this module's own calls are the same.

pub mod client;
mod delete;
mod errors;
mod lazy;
mod status;
mod sync;

pub use self::client::ClientError;
pub use self::lazy::FromEnvironment;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{GroupVersion, ObjectMeta};
use kube::discovery::{self, ApiGroup, Scope};

use self::errors::{api_error, missing_kind};
use crate::domain::kubernetes::Manifest;
use crate::domain::kubernetes::namespace::{
    self, ARGOCD_NAMESPACE, ENVIRONMENT_LABEL, NamespaceSpec, TEMPLATE, VARIABLES,
};
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

const BACKEND: &str = "kubernetes";

/// The field manager of every server-side apply idp makes.
pub const FIELD_MANAGER: &str = "idp";

/// How long an apply waits for Argo CD by default.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How long a destroy waits for one object to be gone by default.
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How often a wait looks again by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// The Argo CD API group.
const ARGOCD_GROUP: &str = "argoproj.io";
/// The Argo CD API version.
const ARGOCD_VERSION: &str = "v1alpha1";

/// How long the provisioner waits, and how often it looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesSettings {
    /// The longest an apply waits for the Application to be `Synced` and `Healthy`.
    pub sync_timeout: Duration,
    /// The longest a destroy waits for one object (the Application, the AppProject, the
    /// Namespace) to be gone after it was deleted.
    pub delete_timeout: Duration,
    /// The pause between two looks at an object that is waited for (the Application's status
    /// is watched; this paces the reads between watches, polling where a cluster serves no
    /// watches, and the delete waits).
    pub poll_interval: Duration,
}

impl Default for KubernetesSettings {
    /// [`DEFAULT_SYNC_TIMEOUT`], [`DEFAULT_DELETE_TIMEOUT`], [`DEFAULT_POLL_INTERVAL`].
    fn default() -> Self {
        Self {
            sync_timeout: DEFAULT_SYNC_TIMEOUT,
            delete_timeout: DEFAULT_DELETE_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// A [`Provisioner`] that applies `k8s-namespace` previews to a Kubernetes cluster running
/// Argo CD.
#[derive(Clone)]
pub struct KubernetesProvisioner {
    client: Client,
    settings: KubernetesSettings,
}

impl fmt::Debug for KubernetesProvisioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubernetesProvisioner")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One rendered object and the API resource the cluster serves it as.
struct Resolved<'m> {
    manifest: &'m Manifest,
    resource: ApiResource,
    namespaced: bool,
}

impl KubernetesProvisioner {
    /// A provisioner talking to the cluster through `client`.
    pub fn new(client: Client, settings: KubernetesSettings) -> Self {
        Self { client, settings }
    }

    /// A provisioner for the cluster `kubectl` would use: the kubeconfig (`KUBECONFIG`,
    /// `~/.kube/config`), else the pod's service account ([`client::infer`]).
    pub async fn infer(settings: KubernetesSettings) -> Result<Self, ClientError> {
        Ok(Self::new(client::infer().await?, settings))
    }

    /// A provisioner for the API server at `url`, without credentials ([`client::for_url`]):
    /// a `kubectl proxy`, or a local stand-in in tests.
    pub fn for_url(url: &str, settings: KubernetesSettings) -> Result<Self, ClientError> {
        Ok(Self::new(client::for_url(url)?, settings))
    }

    /// The settings.
    pub fn settings(&self) -> &KubernetesSettings {
        &self.settings
    }

    /// The spec of the request's environment, from its variables; a missing or mistyped
    /// variable is an invalid request naming it.
    fn spec(request: &ProvisionRequest) -> Result<NamespaceSpec, ProvisionError> {
        check_request(request)?;
        NamespaceSpec::from_vars(&request.env, &request.tfvars).map_err(|reason| {
            // A variable the frontends always write is named with the template's whole list.
            let reason = if reason.starts_with("variable ") {
                format!(
                    "{reason}: template `{TEMPLATE}` takes `environment_name`, `owner`, `expires_at` and {}",
                    VARIABLES.map(|v| format!("`{v}`")).join(", ")
                )
            } else {
                reason
            };
            ProvisionError::InvalidRequest {
                reason: request.redact(&reason),
            }
        })
    }

    /// The API group `group/version` as the cluster serves it; `None` if it serves no such
    /// group version (404).
    async fn group(
        &self,
        request: &ProvisionRequest,
        group: &str,
        version: &str,
    ) -> Result<Option<ApiGroup>, ProvisionError> {
        let gv = GroupVersion::gv(group, version);
        match discovery::pinned_group(&self.client, &gv).await {
            Ok(found) => Ok(Some(found)),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
            Err(error) => Err(api_error(
                request,
                format!("discover `{}`", gv.api_version()),
                error,
            )),
        }
    }

    /// Every manifest with the resource it is served as, asking discovery once per group.
    async fn resolve<'m>(
        &self,
        request: &ProvisionRequest,
        manifests: &'m [Manifest],
    ) -> Result<Vec<Resolved<'m>>, ProvisionError> {
        let mut groups: BTreeMap<(&str, &str), Option<ApiGroup>> = BTreeMap::new();
        let mut out = Vec::with_capacity(manifests.len());
        for manifest in manifests {
            let key = (manifest.group(), manifest.version());
            if let Entry::Vacant(vacant) = groups.entry(key) {
                vacant.insert(self.group(request, key.0, key.1).await?);
            }
            let found = groups
                .get(&key)
                .and_then(Option::as_ref)
                .and_then(|group| group.recommended_kind(manifest.kind()));
            let Some((resource, caps)) = found else {
                return Err(missing_kind(manifest));
            };
            out.push(Resolved {
                manifest,
                resource,
                namespaced: caps.scope == Scope::Namespaced,
            });
        }
        Ok(out)
    }

    /// The Argo CD resource `kind`, `None` when Argo CD is not installed.
    async fn argocd(
        &self,
        request: &ProvisionRequest,
        kind: &str,
    ) -> Result<Option<ApiResource>, ProvisionError> {
        Ok(self
            .group(request, ARGOCD_GROUP, ARGOCD_VERSION)
            .await?
            .and_then(|group| group.recommended_kind(kind))
            .map(|(resource, _)| resource))
    }

    fn api(&self, resolved: &Resolved<'_>) -> Result<Api<DynamicObject>, ProvisionError> {
        match (resolved.namespaced, resolved.manifest.namespace()) {
            (false, _) => Ok(Api::all_with(self.client.clone(), &resolved.resource)),
            (true, Some(namespace)) => Ok(Api::namespaced_with(
                self.client.clone(),
                namespace,
                &resolved.resource,
            )),
            (true, None) => Err(ProvisionError::Backend {
                backend: BACKEND,
                source: format!(
                    "{} is namespaced but was rendered without a namespace",
                    resolved.manifest.label()
                )
                .into(),
            }),
        }
    }

    /// Refuses when an object outside the environment's own namespace (the namespace itself,
    /// the Argo CD project and application) exists without the environment's label: idp takes
    /// over nothing it did not make.
    async fn check_ownership(
        &self,
        request: &ProvisionRequest,
        resolved: &[Resolved<'_>],
    ) -> Result<(), ProvisionError> {
        let env = request.env.as_str();
        for object in resolved
            .iter()
            .filter(|r| r.manifest.namespace() != Some(env))
        {
            let label = object.manifest.label();
            let existing = self
                .api(object)?
                .get_opt(object.manifest.name())
                .await
                .map_err(|e| api_error(request, format!("read {label}"), e))?;
            if let Some(existing) = existing
                && !labelled(&existing.metadata, env)
            {
                return Err(ProvisionError::InvalidRequest {
                    reason: format!(
                        "{label} exists and is not environment `{env}`'s (it has no label `{ENVIRONMENT_LABEL}={env}`); idp changes nothing it did not make: pick another environment name, or remove {label} first"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Server-side applies every object, in the order given (wave order).
    async fn apply_all(
        &self,
        request: &ProvisionRequest,
        resolved: &[Resolved<'_>],
    ) -> Result<(), ProvisionError> {
        let params = PatchParams::apply(FIELD_MANAGER).force();
        for (done, object) in resolved.iter().enumerate() {
            let label = object.manifest.label();
            if crate::interrupt::is_requested() {
                return Err(ProvisionError::Interrupted {
                    step: format!("server-side apply of {label}"),
                    killed: false,
                    output_tail: format!(
                        "{done} of {} objects were applied; the next apply applies them all",
                        resolved.len()
                    ),
                });
            }
            tracing::info!(env = %request.env, wave = object.manifest.wave, object = %label, "server-side apply");
            self.api(object)?
                .patch(
                    object.manifest.name(),
                    &params,
                    &Patch::Apply(&object.manifest.object),
                )
                .await
                .map_err(|e| api_error(request, format!("server-side apply of {label}"), e))?;
        }
        Ok(())
    }

    /// Waits one poll interval (at most `left`) between two looks at an object; an interrupt
    /// (Ctrl-C, SIGTERM) ends the wait of `step` with `output_tail`.
    async fn pause(
        &self,
        step: &str,
        left: std::time::Duration,
        output_tail: impl FnOnce() -> String,
    ) -> Result<(), ProvisionError> {
        tokio::select! {
            () = tokio::time::sleep(self.settings.poll_interval.min(left)) => Ok(()),
            () = crate::interrupt::requested() => Err(ProvisionError::Interrupted {
                step: step.to_owned(),
                killed: false,
                output_tail: output_tail(),
            }),
        }
    }

    /// The environment's namespace, if it exists and carries the environment's label.
    async fn namespace(&self, request: &ProvisionRequest) -> Result<Namespace, ProvisionError> {
        let env = request.env.as_str();
        let api: Api<Namespace> = Api::all(self.client.clone());
        match api.get_opt(env).await {
            Ok(Some(found)) if labelled(&found.metadata, env) => Ok(found),
            Ok(_) => Err(ProvisionError::NotFound {
                env: env.to_owned(),
            }),
            Err(error) => Err(api_error(request, format!("read Namespace/{env}"), error)),
        }
    }
}

/// Refuses a template other than `k8s-namespace` and the names of the cluster's own
/// namespaces.
fn check_request(request: &ProvisionRequest) -> Result<(), ProvisionError> {
    let template = request.template.as_str();
    if template != TEMPLATE {
        return Err(ProvisionError::InvalidRequest {
            reason: format!(
                "template `{}` is not applied by the kubernetes provisioner, which applies `{TEMPLATE}` only; run `idp templates` for the available ones",
                template.escape_default()
            ),
        });
    }
    let env = request.env.as_str();
    if env == "default" || env.starts_with("kube-") || env == ARGOCD_NAMESPACE {
        return Err(ProvisionError::InvalidRequest {
            reason: format!(
                "environment `{env}` cannot be a preview namespace: `default`, `kube-*` and `{ARGOCD_NAMESPACE}` belong to the cluster; pick another name"
            ),
        });
    }
    Ok(())
}

/// Whether `metadata` carries the label of environment `env`.
fn labelled(metadata: &ObjectMeta, env: &str) -> bool {
    metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(ENVIRONMENT_LABEL))
        .is_some_and(|value| value == env)
}

/// The outputs of environment `env` answering on `endpoint`.
fn outputs_of(env: &str, endpoint: Option<String>) -> Outputs {
    let mut outputs = Outputs::new();
    if let Some(endpoint) = endpoint {
        outputs.insert("endpoint", endpoint);
    }
    outputs.insert("namespace", env);
    outputs.insert("application", env);
    outputs
}

/// The URL an ingress serves: its first rule's host, `https` when its TLS names the host.
fn endpoint_of(ingress: &Ingress) -> Option<String> {
    let spec = ingress.spec.as_ref()?;
    let host = spec.rules.as_ref()?.iter().find_map(|r| r.host.clone())?;
    let tls = spec.tls.as_ref().is_some_and(|tls| {
        tls.iter()
            .any(|t| t.hosts.as_ref().is_some_and(|h| h.contains(&host)))
    });
    Some(format!("{}://{host}", if tls { "https" } else { "http" }))
}

#[async_trait]
impl Provisioner for KubernetesProvisioner {
    /// Every object carries the `idp.dev/expires-at` annotation.
    fn tags_follow_expiry(&self, _template: &crate::domain::template::TemplateName) -> bool {
        true
    }

    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let spec = Self::spec(request)?;
        let manifests = namespace::render(&spec);
        let _shield = crate::interrupt::shield();
        let resolved = self.resolve(request, &manifests).await?;
        self.check_ownership(request, &resolved).await?;
        self.apply_all(request, &resolved).await?;
        let application = resolved
            .iter()
            .find(|r| r.manifest.kind() == "Application")
            .ok_or_else(|| ProvisionError::Backend {
                backend: BACKEND,
                source: "the rendered preview has no Argo CD Application".into(),
            })?;
        self.wait_synced(request, &spec, application).await?;
        Ok(outputs_of(request.env.as_str(), Some(spec.url())))
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        check_request(request)?;
        let _shield = crate::interrupt::shield();
        let env = request.env.as_str();
        // The application first: its finalizer has Argo CD delete what it synced.
        if let Some(resource) = self.argocd(request, "Application").await? {
            let api = Api::namespaced_with(self.client.clone(), ARGOCD_NAMESPACE, &resource);
            let what = format!("Application/{ARGOCD_NAMESPACE}/{env}");
            self.delete_labelled(request, &api, &what, DeleteParams::foreground())
                .await?;
        }
        if let Some(resource) = self.argocd(request, "AppProject").await? {
            let api = Api::namespaced_with(self.client.clone(), ARGOCD_NAMESPACE, &resource);
            let what = format!("AppProject/{ARGOCD_NAMESPACE}/{env}");
            self.delete_labelled(request, &api, &what, DeleteParams::default())
                .await?;
        }
        let api = Api::all_with(self.client.clone(), &ApiResource::erase::<Namespace>(&()));
        self.delete_labelled(
            request,
            &api,
            &format!("Namespace/{env}"),
            DeleteParams::default(),
        )
        .await
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        check_request(request)?;
        self.namespace(request).await?;
        let env = request.env.as_str();
        let api: Api<Ingress> = Api::namespaced(self.client.clone(), env);
        let selector = format!("{ENVIRONMENT_LABEL}={env}");
        let ingresses = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| api_error(request, format!("list the ingresses of {env}"), e))?;
        let mut endpoints: Vec<String> = ingresses.items.iter().filter_map(endpoint_of).collect();
        endpoints.sort();
        Ok(outputs_of(env, endpoints.into_iter().next()))
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        check_request(request)?;
        self.namespace(request).await?;
        let Some(resource) = self.argocd(request, "Application").await? else {
            return Ok(RuntimeHealth::Unknown);
        };
        let env = request.env.as_str();
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), ARGOCD_NAMESPACE, &resource);
        match api.get_opt(env).await {
            Ok(Some(app)) if labelled(&app.metadata, env) => {
                Ok(status::health(app.data.get("status")))
            }
            Ok(_) => Ok(RuntimeHealth::Stopped),
            Err(error) => Err(api_error(
                request,
                format!("read Application/{ARGOCD_NAMESPACE}/{env}"),
                error,
            )),
        }
    }
}
