//! The ApplicationSets that read the team files, and the objects they generate for one team.
//!
//! The ApplicationSets use Go templates (`goTemplate: true`, `{{.name}}`): the git files
//! generator exposes the team file as nested values, so `team-apps` can iterate `apps` with the
//! list generator's `elementsYaml`. Each app is wrapped as `{app: …}` because the matrix merges
//! the list's values over the file's, and an app's `name` and `path` would otherwise replace the
//! team's `name` and the generator's `path`. The charts of the `<team>-project` and
//! `<team>-namespace` Applications get the team file itself as a Helm values file.

use serde_json::{Value, json};

use super::{App, NAMESPACE_PREFIX, Platform, TEAM_LABEL, Team};
use crate::domain::kubernetes::Manifest;

/// The label on the ApplicationSets saying idp renders them.
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The finalizer that makes deleting an app's Application delete what it deployed.
const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The three ApplicationSets (`team-projects`, `team-namespaces`, `team-apps`) that turn every
/// `<teams_path>/*/team.yaml` of the GitOps repository into Applications.
pub fn applicationsets(platform: &Platform) -> Vec<Manifest> {
    vec![
        Manifest::new(0, chart_set(platform, "team-projects", "project")),
        Manifest::new(0, chart_set(platform, "team-namespaces", "namespace")),
        Manifest::new(0, apps_set(platform)),
    ]
}

fn files_generator(platform: &Platform) -> Value {
    let teams = platform.teams_path.trim_end_matches('/');
    let teams = if teams.is_empty() || teams == "." {
        String::new()
    } else {
        format!("{teams}/")
    };
    json!({"git": {
        "repoURL": platform.repo_url,
        "revision": platform.revision,
        "files": [{"path": format!("{teams}*/{}", super::FILE_NAME)}],
    }})
}

fn set_metadata(platform: &Platform, name: &str) -> Value {
    json!({
        "name": name,
        "namespace": platform.argocd_namespace,
        "labels": {MANAGED_BY: "idp"},
    })
}

fn automated() -> Value {
    json!({"automated": {"prune": true, "selfHeal": true}})
}

/// `team-projects` or `team-namespaces`: one Application per team file, rendering a chart of
/// the GitOps repository with the team file as its values.
fn chart_set(platform: &Platform, name: &str, what: &str) -> Value {
    let (chart, namespace) = if what == "project" {
        (&platform.project_chart, platform.argocd_namespace.clone())
    } else {
        (
            &platform.resources_chart,
            format!("{NAMESPACE_PREFIX}{{{{.name}}}}"),
        )
    };
    // Helm resolves value files from the chart's directory; the generator's `.path.path` is
    // the team file's directory from the repository's root.
    let depth = chart
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .count();
    let values = format!(
        "{}{{{{.path.path}}}}/{{{{.path.filename}}}}",
        "../".repeat(depth)
    );
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": set_metadata(platform, name),
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [files_generator(platform)],
            // A team file deleted by mistake must not delete the team's namespace or project.
            "syncPolicy": {"preserveResourcesOnDeletion": true},
            "template": {
                "metadata": {
                    "name": format!("{{{{.name}}}}-{what}"),
                    "labels": {TEAM_LABEL: "{{.name}}"},
                },
                "spec": {
                    "project": platform.project,
                    "source": {
                        "repoURL": platform.repo_url,
                        "targetRevision": platform.revision,
                        "path": chart,
                        "helm": {
                            "releaseName": format!("{NAMESPACE_PREFIX}{{{{.name}}}}"),
                            "valueFiles": [values],
                        },
                    },
                    "destination": {
                        "server": platform.destination_server,
                        "namespace": namespace,
                    },
                    "syncPolicy": automated(),
                },
            },
        },
    })
}

/// `team-apps`: one Application `<team>-<app>` per app of every team file, in the team's
/// project and namespace.
fn apps_set(platform: &Platform) -> Value {
    // No `missingkey=error`: a team without `apps`, or an app without `path`, is valid.
    let elements = "{{- range .apps }}\n- app: {{ toJson . }}\n{{- end }}\n";
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": set_metadata(platform, "team-apps"),
        "spec": {
            "goTemplate": true,
            "generators": [{"matrix": {"generators": [
                files_generator(platform),
                {"list": {"elements": [], "elementsYaml": elements}},
            ]}}],
            "template": {
                "metadata": {
                    "name": "{{.name}}-{{.app.name}}",
                    "labels": {TEAM_LABEL: "{{.name}}", "idp.dev/app": "{{.app.name}}"},
                    "finalizers": [RESOURCES_FINALIZER],
                },
                "spec": {
                    "project": format!("{NAMESPACE_PREFIX}{{{{.name}}}}"),
                    "source": {
                        "repoURL": "{{.app.repoURL}}",
                        "path": format!("{{{{ default \"{}\" .app.path }}}}", super::DEFAULT_APP_PATH),
                        "targetRevision": format!(
                            "{{{{ default \"{}\" .app.targetRevision }}}}",
                            super::DEFAULT_APP_REVISION
                        ),
                    },
                    "destination": {
                        "server": platform.destination_server,
                        "namespace": format!("{NAMESPACE_PREFIX}{{{{.name}}}}"),
                    },
                    "syncPolicy": automated(),
                },
            },
        },
    })
}

/// What the ApplicationSets generate for `team`: its AppProject (from `team-projects`), its
/// Namespace, ResourceQuota, LimitRange, NetworkPolicies, Roles and RoleBindings (from
/// `team-namespaces`), and its apps' Applications (from `team-apps`), in apply order.
pub fn team_objects(team: &Team, platform: &Platform) -> Vec<Manifest> {
    let ns = team.namespace();
    let mut out = vec![
        Manifest::new(-5, app_project(team, platform)),
        Manifest::new(
            -5,
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": ns, "labels": labels(team)}}),
        ),
        Manifest::new(
            -4,
            object(
                "v1",
                "ResourceQuota",
                "team-quota",
                team,
                json!({"hard": {
                    "requests.cpu": team.quota.cpu,
                    "requests.memory": team.quota.memory,
                    "limits.cpu": team.quota.cpu,
                    "limits.memory": team.quota.memory,
                    "pods": team.quota.pods.to_string(),
                }}),
            ),
        ),
        Manifest::new(
            -4,
            object(
                "v1",
                "LimitRange",
                "team-limits",
                team,
                json!({"limits": [{
                    "type": "Container",
                    "default": {"cpu": team.limits.cpu, "memory": team.limits.memory},
                    "defaultRequest": {"cpu": team.limits.cpu, "memory": team.limits.memory},
                }]}),
            ),
        ),
    ];
    out.extend(
        network_policies(team, platform)
            .into_iter()
            .map(|p| Manifest::new(-4, p)),
    );
    for (role, rules) in [("developer", developer_rules()), ("viewer", viewer_rules())] {
        out.push(Manifest::new(
            -3,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": metadata(role, team), "rules": rules}),
        ));
    }
    let users = team.members.iter().map(|m| subject("User", m));
    let developers: Vec<Value> = users
        .chain(team.groups.iter().map(|g| subject("Group", g)))
        .collect();
    let viewers: Vec<Value> = team.viewers.iter().map(|g| subject("Group", g)).collect();
    for (role, subjects) in [("developer", developers), ("viewer", viewers)] {
        let mut binding = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata(role, team),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": role},
        });
        if !subjects.is_empty() {
            binding["subjects"] = Value::Array(subjects);
        }
        out.push(Manifest::new(-2, binding));
    }
    out.extend(
        team.apps
            .iter()
            .map(|app| Manifest::new(0, application(team, app, platform))),
    );
    out
}

fn labels(team: &Team) -> Value {
    json!({TEAM_LABEL: team.name})
}

fn metadata(name: &str, team: &Team) -> Value {
    json!({"name": name, "namespace": team.namespace(), "labels": labels(team)})
}

fn object(api_version: &str, kind: &str, name: &str, team: &Team, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata(name, team), "spec": spec})
}

fn subject(kind: &str, name: &str) -> Value {
    json!({"kind": kind, "apiGroup": RBAC_GROUP, "name": name})
}

fn app_project(team: &Team, platform: &Platform) -> Value {
    let project = team.namespace();
    let mut repos: Vec<&str> = team.apps.iter().map(|a| a.repo_url.as_str()).collect();
    repos.sort_unstable();
    repos.dedup();
    let policy = |role: &str, resource: &str, action: &str| {
        format!("p, proj:{project}:{role}, {resource}, {action}, {project}/*, allow")
    };
    let mut developer: Vec<String> = ["get", "sync", "update", "delete"]
        .iter()
        .map(|a| policy("developer", "applications", a))
        .collect();
    developer.push(policy("developer", "logs", "get"));
    let viewer = vec![
        policy("viewer", "applications", "get"),
        policy("viewer", "logs", "get"),
    ];
    let description = team
        .description
        .clone()
        .unwrap_or_else(|| format!("Team {}", team.name));
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": project, "namespace": platform.argocd_namespace, "labels": labels(team)},
        "spec": {
            "description": description,
            "sourceRepos": repos,
            "destinations": [{"server": platform.destination_server, "namespace": project}],
            // Nothing cluster-wide, and not the objects that enforce the team's limits.
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": [
                {"group": "", "kind": "ResourceQuota"},
                {"group": "", "kind": "LimitRange"},
                {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
            ],
            "roles": [
                {"name": "developer", "description": "sync, update and delete the team's apps",
                 "policies": developer, "groups": team.groups},
                {"name": "viewer", "description": "see the team's apps and their logs",
                 "policies": viewer, "groups": team.viewers},
            ],
        },
    })
}

/// Deny all traffic, then allow the namespace to itself, DNS, and (when the platform has one)
/// the ingress controller.
fn network_policies(team: &Team, platform: &Platform) -> Vec<Value> {
    let policy =
        |name: &str, spec: Value| object("networking.k8s.io/v1", "NetworkPolicy", name, team, spec);
    let mut out = vec![
        policy(
            "default-deny",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        policy(
            "allow-same-namespace",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                   "ingress": [{"from": [{"podSelector": {}}]}],
                   "egress": [{"to": [{"podSelector": {}}]}]}),
        ),
        policy(
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }]}),
        ),
    ];
    if let Some(ingress) = &platform.ingress_namespace {
        out.push(policy(
            "allow-from-ingress",
            json!({"podSelector": {}, "policyTypes": ["Ingress"],
                   "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ingress}}}]}]}),
        ));
    }
    out
}

const READ: [&str; 3] = ["get", "list", "watch"];

/// Read the team's workloads, their logs and events; exec and port-forward into pods, delete
/// pods (a restart) and start jobs. Changes to the workloads themselves go through Git.
fn developer_rules() -> Value {
    json!([
        {"apiGroups": [""], "resources": ["pods", "pods/log", "services", "endpoints", "configmaps",
            "secrets", "persistentvolumeclaims", "serviceaccounts", "events", "resourcequotas",
            "limitranges"], "verbs": READ},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
        {"apiGroups": [""], "resources": ["pods/exec", "pods/portforward"], "verbs": ["create"]},
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets",
            "daemonsets"], "verbs": READ},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": READ},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete"]},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": READ},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"],
            "verbs": READ},
    ])
}

/// Read the team's workloads, their logs and events; not its secrets.
fn viewer_rules() -> Value {
    json!([
        {"apiGroups": [""], "resources": ["pods", "pods/log", "services", "endpoints", "configmaps",
            "persistentvolumeclaims", "events", "resourcequotas", "limitranges"], "verbs": READ},
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets",
            "daemonsets"], "verbs": READ},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": READ},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": READ},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": READ},
    ])
}

/// The Application `team-apps` generates for `app` of `team`.
fn application(team: &Team, app: &App, platform: &Platform) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": format!("{}-{}", team.name, app.name),
            "namespace": platform.argocd_namespace,
            "labels": {TEAM_LABEL: team.name, "idp.dev/app": app.name},
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": {
            "project": team.namespace(),
            "source": {"repoURL": app.repo_url, "path": app.path, "targetRevision": app.target_revision},
            "destination": {"server": platform.destination_server, "namespace": team.namespace()},
            "syncPolicy": automated(),
        },
    })
}
