//! The objects of one environment's namespace on a shared cluster (template `k8s-namespace`).
//!
//! A preview is a namespace instead of a stack: the namespace, its quota and default limits,
//! network policies that deny by default, a service account (with an IAM role through IRSA when
//! one is given), the developer and viewer roles **with the bindings that grant them**, an Argo
//! CD project that confines the preview's application to its namespace and to the allowed kinds,
//! the application that syncs the branch's `k8s/` folder, and an ingress on the shared ingress
//! class. Every object carries the labels `idp.dev/environment`, `idp.dev/owner` and
//! `idp.dev/template`, and its sync wave.
//!
//! Sync waves, as the platform's GitOps table orders them: the namespace first (-5), then what
//! constrains it (quota, limits, network policies: -4), RBAC (-3), the Argo CD project (-1), the
//! application (0) and the ingress (2).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::manifest::Manifest;
use crate::domain::naming::EnvName;

/// The template name.
pub const TEMPLATE: &str = "k8s-namespace";

/// The label naming the environment.
pub const ENVIRONMENT_LABEL: &str = "idp.dev/environment";
/// The label naming the owner (made a valid label value; the annotation keeps it as written).
pub const OWNER_LABEL: &str = "idp.dev/owner";
/// The label naming the template.
pub const TEMPLATE_LABEL: &str = "idp.dev/template";
/// The annotation holding the environment's expiry (RFC 3339), rewritten by `extend`.
pub const EXPIRES_ANNOTATION: &str = "idp.dev/expires-at";
/// The annotation holding the owner as written.
pub const OWNER_ANNOTATION: &str = "idp.dev/owner";

/// The finalizer that makes Argo CD delete an application's resources before the application.
pub const ARGOCD_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The in-cluster API server, as Argo CD names it.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The service account the preview's pods run as.
pub const SERVICE_ACCOUNT: &str = "app";

/// The quota and default limits of a preview namespace (Kubernetes quantities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// CPU the namespace may request and be limited to in total (`"2"`, `"1500m"`).
    pub cpu: String,
    /// Memory in total (`"4Gi"`).
    pub memory: String,
    /// Pods at most.
    pub pods: u32,
    /// The CPU limit of a container that sets none (`"500m"`).
    pub default_cpu: String,
    /// The memory limit of a container that sets none (`"512Mi"`).
    pub default_memory: String,
}

impl Default for Quota {
    /// The specification's defaults for one preview: 2 CPUs, 4 GiB, 20 pods; containers
    /// without limits get 500m / 512Mi.
    fn default() -> Self {
        Self {
            cpu: "2".to_owned(),
            memory: "4Gi".to_owned(),
            pods: 20,
            default_cpu: "500m".to_owned(),
            default_memory: "512Mi".to_owned(),
        }
    }
}

/// Where the preview's ingress is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// The shared ingress class (`alb` for the AWS Load Balancer Controller).
    pub class: String,
    /// The preview domain; the host is `{environment}.{domain}`.
    pub domain: String,
    /// The namespace of the ingress controller, allowed to reach the preview's pods.
    pub controller_namespace: String,
    /// The wildcard certificate: an ACM ARN (annotated for the AWS controller) or `None`.
    pub certificate_arn: Option<String>,
    /// The secret holding the wildcard certificate for controllers that read one (`None`:
    /// the controller's default certificate).
    pub tls_secret: Option<String>,
    /// The ingress group the AWS controller shares one load balancer across (`idp-previews`).
    pub group: String,
    /// The service and port the host routes to (`app`, 80).
    pub service: String,
    /// The service's port.
    pub port: u16,
}

/// Everything the objects of one preview namespace are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceSpec {
    /// The environment (also the namespace, the project and the application name).
    pub env: EnvName,
    /// The owner as idp knows them (a login or an e-mail address).
    pub owner: String,
    /// The group the developer role is bound to.
    pub developer_group: String,
    /// The group the viewer role is bound to.
    pub viewer_group: String,
    /// The repository Argo CD syncs from (its clone URL).
    pub repo_url: String,
    /// The branch (the application's `targetRevision`; a push bumps it).
    pub revision: String,
    /// The folder of manifests in the repository (`k8s`).
    pub path: String,
    /// The namespace Argo CD runs in (`argocd`).
    pub argocd_namespace: String,
    /// The IAM role the service account assumes through IRSA, if any.
    pub role_arn: Option<String>,
    /// Quota and default limits.
    pub quota: Quota,
    /// The ingress.
    pub ingress: Ingress,
    /// When the environment expires.
    pub expires_at: DateTime<Utc>,
}

impl NamespaceSpec {
    /// The preview's host name, `{environment}.{domain}`.
    pub fn host(&self) -> String {
        format!("{}.{}", self.env, self.ingress.domain)
    }

    /// The preview's URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The labels every object carries.
    fn labels(&self) -> Value {
        json!({
            ENVIRONMENT_LABEL: self.env.as_str(),
            OWNER_LABEL: label_value(&self.owner),
            TEMPLATE_LABEL: TEMPLATE,
            "app.kubernetes.io/managed-by": "idp",
        })
    }

    /// `metadata` of an object named `name` in the preview's namespace (`None`: cluster-scoped
    /// or, with `namespace`, another namespace).
    fn metadata(&self, name: &str, namespace: Option<&str>) -> Value {
        let mut metadata = json!({
            "name": name,
            "labels": self.labels(),
            "annotations": {
                OWNER_ANNOTATION: self.owner,
                EXPIRES_ANNOTATION: timestamp(self.expires_at),
            },
        });
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        metadata
    }

    fn local(&self, name: &str) -> Value {
        self.metadata(name, Some(self.env.as_str()))
    }
}

/// A label value made of `text`: at most 63 characters of `A-Za-z0-9._-`, starting and ending
/// with a letter or digit (others become `-`); `unknown` when nothing is left.
pub fn label_value(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    let trimmed = replaced.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        "unknown".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The objects of `spec`'s preview, in the order they are applied (by wave).
pub fn render(spec: &NamespaceSpec) -> Vec<Manifest> {
    let ns = spec.env.as_str();
    let mut out = vec![Manifest::new(
        -5,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": spec.metadata(ns, None)}),
    )];
    out.extend(constraints(spec));
    out.extend(access(spec));
    out.extend(argocd(spec));
    out.push(ingress(spec));
    out.sort_by_key(|m| m.wave);
    out
}

/// Quota, default limits and the network policies (wave -4).
fn constraints(spec: &NamespaceSpec) -> Vec<Manifest> {
    let q = &spec.quota;
    let quota = json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": spec.local("preview-quota"),
        "spec": {"hard": {
            "requests.cpu": q.cpu,
            "requests.memory": q.memory,
            "limits.cpu": q.cpu,
            "limits.memory": q.memory,
            "pods": q.pods.to_string(),
            // A preview is served by the shared ingress: no load balancer or node port of its own.
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }},
    });
    let limits = json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": spec.local("preview-limits"),
        "spec": {"limits": [{
            "type": "Container",
            "default": {"cpu": q.default_cpu, "memory": q.default_memory},
            "defaultRequest": {"cpu": q.default_cpu, "memory": q.default_memory},
        }]},
    });
    let policy = |name: &str, spec_body: Value| {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": spec.local(name),
            "spec": spec_body,
        })
    };
    let namespace_named = |name: &str| json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}});
    let policies = [
        policy(
            "default-deny-all",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        // The namespace label every cluster sets (the seed's `name: kube-system` exists nowhere
        // by default), and only the DNS pods.
        policy(
            "allow-dns",
            json!({
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [{
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }],
            }),
        ),
        policy(
            "allow-same-namespace",
            json!({
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            }),
        ),
        policy(
            "allow-ingress-controller",
            json!({
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [namespace_named(&spec.ingress.controller_namespace)]}],
            }),
        ),
    ];
    [quota, limits]
        .into_iter()
        .chain(policies)
        .map(|object| Manifest::new(-4, object))
        .collect()
}

/// What the preview's people work with in its namespace: API group, resources, and whether the
/// developer role may change them (the viewer role only reads). No wildcards, no secrets, no
/// `pods/exec`.
const RESOURCES: [(&str, &[&str], bool); 5] = [
    ("", &["pods", "services", "configmaps"], true),
    ("", &["pods/log", "events"], false),
    (
        "apps",
        &["deployments", "replicasets", "statefulsets"],
        true,
    ),
    ("batch", &["jobs", "cronjobs"], true),
    ("networking.k8s.io", &["ingresses"], false),
];

/// The service account, the roles and their bindings (wave -3).
fn access(spec: &NamespaceSpec) -> Vec<Manifest> {
    let mut account = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": spec.local(SERVICE_ACCOUNT),
        "automountServiceAccountToken": false,
    });
    if let Some(role) = &spec.role_arn {
        account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] = json!(role);
    }
    let read = ["get", "list", "watch"];
    let write = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let rules = |developer: bool| -> Value {
        RESOURCES
            .iter()
            .map(|(group, resources, writable)| {
                let verbs: &[&str] = if developer && *writable {
                    &write
                } else {
                    &read
                };
                json!({"apiGroups": [group], "resources": resources, "verbs": verbs})
            })
            .collect()
    };
    let role = |name: &str, rules: Value| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": spec.local(name),
            "rules": rules,
        })
    };
    let binding = |role: &str, group: &str| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": spec.local(role),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        })
    };
    [
        account,
        role("developer", rules(true)),
        role("viewer", rules(false)),
        binding("developer", &spec.developer_group),
        binding("viewer", &spec.viewer_group),
    ]
    .into_iter()
    .map(|object| Manifest::new(-3, object))
    .collect()
}

/// The Argo CD project (wave -1) and application (wave 0).
fn argocd(spec: &NamespaceSpec) -> Vec<Manifest> {
    let ns = spec.env.as_str();
    let argocd = spec.argocd_namespace.as_str();
    let kind = |group: &str, kind: &str| json!({"group": group, "kind": kind});
    let policy = |role: &str, action: &str| {
        format!("p, proj:{ns}:{role}, applications, {action}, {ns}/*, allow")
    };
    let project = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": spec.metadata(ns, Some(argocd)),
        "spec": {
            "description": format!("Preview {ns} of {}", spec.owner),
            "sourceRepos": [spec.repo_url],
            "destinations": [{"server": IN_CLUSTER, "namespace": ns}],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [
                kind("apps", "Deployment"),
                kind("", "Service"),
                kind("", "ConfigMap"),
            ],
            "namespaceResourceBlacklist": [
                kind("", "ResourceQuota"),
                kind("", "LimitRange"),
                kind("networking.k8s.io", "NetworkPolicy"),
            ],
            "roles": [
                {
                    "name": "developer",
                    "description": "Sync, update and delete the preview's application",
                    "policies": [policy("developer", "get"), policy("developer", "sync"), policy("developer", "update"), policy("developer", "delete")],
                    "groups": [spec.developer_group],
                },
                {
                    "name": "viewer",
                    "description": "See the preview's application",
                    "policies": [policy("viewer", "get")],
                    "groups": [spec.viewer_group],
                },
            ],
        },
    });
    let mut metadata = spec.metadata(ns, Some(argocd));
    metadata["finalizers"] = json!([ARGOCD_FINALIZER]);
    let application = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": {
            "project": ns,
            "source": {
                "repoURL": spec.repo_url,
                "path": spec.path,
                "targetRevision": spec.revision,
            },
            "destination": {"server": IN_CLUSTER, "namespace": ns},
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["CreateNamespace=false"],
                "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    });
    vec![Manifest::new(-1, project), Manifest::new(0, application)]
}

/// The ingress on the shared class (wave 2).
fn ingress(spec: &NamespaceSpec) -> Manifest {
    let host = spec.host();
    let i = &spec.ingress;
    let mut metadata = spec.local("preview");
    if i.class == "alb" {
        let annotations = &mut metadata["annotations"];
        annotations["alb.ingress.kubernetes.io/group.name"] = json!(i.group);
        annotations["alb.ingress.kubernetes.io/scheme"] = json!("internet-facing");
        annotations["alb.ingress.kubernetes.io/target-type"] = json!("ip");
        annotations["alb.ingress.kubernetes.io/listen-ports"] =
            json!(r#"[{"HTTP": 80}, {"HTTPS": 443}]"#);
        annotations["alb.ingress.kubernetes.io/ssl-redirect"] = json!("443");
        if let Some(arn) = &i.certificate_arn {
            annotations["alb.ingress.kubernetes.io/certificate-arn"] = json!(arn);
        }
    }
    let mut tls = json!({"hosts": [host]});
    if let Some(secret) = &i.tls_secret {
        tls["secretName"] = json!(secret);
    }
    Manifest::new(
        2,
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": metadata,
            "spec": {
                "ingressClassName": i.class,
                "tls": [tls],
                "rules": [{
                    "host": host,
                    "http": {"paths": [{
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": i.service, "port": {"number": i.port}}},
                    }]},
                }],
            },
        }),
    )
}

/// The variables `k8s-namespace` receives besides the standard ones (`environment_name`,
/// `owner`, `expires_at`, …), as written to its `tfvars.json` and read back by
/// [`NamespaceSpec::from_vars`].
pub const VARIABLES: [&str; 17] = [
    "repo_url",
    "branch",
    "manifests_path",
    "developer_group",
    "viewer_group",
    "role_arn",
    "quota_cpu",
    "quota_memory",
    "quota_pods",
    "default_cpu",
    "default_memory",
    "preview_domain",
    "ingress_class",
    "ingress_namespace",
    "acm_certificate_arn",
    "tls_secret",
    "container_port",
];

/// The namespace Argo CD runs in.
pub const ARGOCD_NAMESPACE: &str = "argocd";

impl NamespaceSpec {
    /// The spec of environment `env` from its variables (see [`VARIABLES`]); an error names
    /// the variable that is missing or of the wrong type.
    pub fn from_vars(env: &EnvName, vars: &serde_json::Map<String, Value>) -> Result<Self, String> {
        let text = |key: &str| -> Result<String, String> {
            match vars.get(key) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(format!("variable `{key}` is `{other}`, not a string")),
                None => Err(format!("variable `{key}` is missing")),
            }
        };
        let optional = |key: &str| -> Result<Option<String>, String> {
            Ok(Some(text(key)?).filter(|s| !s.is_empty()))
        };
        let number = |key: &str| -> Result<u64, String> {
            vars.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("variable `{key}` is missing or not a whole number"))
        };
        let expires_at = text("expires_at")?;
        let expires_at = DateTime::parse_from_rfc3339(&expires_at)
            .map_err(|e| format!("variable `expires_at` is `{expires_at}`: {e}"))?
            .with_timezone(&Utc);
        let owner = text("owner")?;
        let developer_group = optional("developer_group")?.unwrap_or_else(|| owner.clone());
        let class = text("ingress_class")?;
        let repo_url = optional("repo_url")?.ok_or_else(|| {
            "the template `k8s-namespace` needs the repository Argo CD syncs: set `kubernetes.repo_url` in .idp/config.yml, or create the environment from a pull request".to_owned()
        })?;
        let domain = optional("preview_domain")?.ok_or_else(|| {
            "the template `k8s-namespace` needs the preview domain its host name is made in: set `aws.previewDomain` (`--preview-domain`, `IDP_PREVIEW_DOMAIN`)".to_owned()
        })?;
        Ok(Self {
            env: env.clone(),
            developer_group,
            viewer_group: optional("viewer_group")?.unwrap_or_else(|| "idp:viewers".to_owned()),
            repo_url,
            revision: optional("branch")?.unwrap_or_else(|| "main".to_owned()),
            path: optional("manifests_path")?.unwrap_or_else(|| "k8s".to_owned()),
            argocd_namespace: ARGOCD_NAMESPACE.to_owned(),
            role_arn: optional("role_arn")?,
            quota: Quota {
                cpu: text("quota_cpu")?,
                memory: text("quota_memory")?,
                pods: u32::try_from(number("quota_pods")?)
                    .map_err(|_| "variable `quota_pods` is too large".to_owned())?,
                default_cpu: text("default_cpu")?,
                default_memory: text("default_memory")?,
            },
            ingress: Ingress {
                group: "idp-previews".to_owned(),
                controller_namespace: optional("ingress_namespace")?
                    .unwrap_or_else(|| "kube-system".to_owned()),
                domain,
                certificate_arn: optional("acm_certificate_arn")?,
                tls_secret: optional("tls_secret")?,
                service: SERVICE_ACCOUNT.to_owned(),
                port: u16::try_from(number("container_port")?)
                    .map_err(|_| "variable `container_port` is not a port".to_owned())?,
                class,
            },
            owner,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests;
