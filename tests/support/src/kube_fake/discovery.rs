//! The kinds the fake serves and the discovery documents that describe them, in the shapes of
//! the upstream API server (`APIVersions`, `APIGroupList`, `APIResourceList`), and the
//! validation of names and labels the API server applies to every object.

use serde_json::{Value, json};

/// One kind the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The version.
    pub version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The resource (URL) name.
    pub plural: &'static str,
    /// The singular name.
    pub singular: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names, as `kubectl` knows them.
    pub short_names: &'static [&'static str],
}

impl Kind {
    /// `apiVersion`: `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this is an Argo CD kind (a CustomResourceDefinition, served only while Argo CD
    /// is installed).
    pub fn is_argocd(&self) -> bool {
        self.group == ARGOCD_GROUP
    }

    /// The resource as error messages name it: `namespaces`, `applications.argoproj.io`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The Argo CD API group.
pub const ARGOCD_GROUP: &str = "argoproj.io";

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> Kind {
    Kind {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
    }
}

/// Every kind the fake serves: what `namespace::render` emits, plus the objects an Argo CD
/// application typically syncs.
pub const KINDS: &[Kind] = &[
    kind(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        false,
        &["ns"],
    ),
    kind(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        true,
        &["quota"],
    ),
    kind(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        "limitrange",
        true,
        &["limits"],
    ),
    kind(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        &["sa"],
    ),
    kind(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        true,
        &["cm"],
    ),
    kind("", "v1", "Service", "services", "service", true, &["svc"]),
    kind(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        true,
        &["deploy"],
    ),
    kind(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        true,
        &["netpol"],
    ),
    kind(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        "ingress",
        true,
        &["ing"],
    ),
    kind(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        "role",
        true,
        &[],
    ),
    kind(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
        &[],
    ),
    kind(
        ARGOCD_GROUP,
        "v1alpha1",
        "Application",
        "applications",
        "application",
        true,
        &["app", "apps"],
    ),
    kind(
        ARGOCD_GROUP,
        "v1alpha1",
        "AppProject",
        "appprojects",
        "appproject",
        true,
        &["appproj", "appprojs"],
    ),
];

/// The kinds served while Argo CD is (or is not) installed.
pub fn served(argocd: bool) -> impl Iterator<Item = &'static Kind> {
    KINDS.iter().filter(move |k| argocd || !k.is_argocd())
}

/// The kind served at `group/version` as `plural`.
pub fn by_plural(group: &str, version: &str, plural: &str, argocd: bool) -> Option<&'static Kind> {
    served(argocd).find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// The kind of `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.api_version() == api_version && k.kind == kind)
}

/// `GET /api`.
pub fn api_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    })
}

/// `GET /apis`: every named group served.
pub fn api_groups(argocd: bool) -> Value {
    let mut groups: Vec<Value> = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for k in served(argocd).filter(|k| !k.group.is_empty()) {
        if seen.contains(&(k.group, k.version)) {
            continue;
        }
        seen.push((k.group, k.version));
        let version = json!({"groupVersion": k.api_version(), "version": k.version});
        groups.push(json!({
            "name": k.group,
            "versions": [version.clone()],
            "preferredVersion": version,
        }));
    }
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /api/v1` or `GET /apis/{group}/{version}`; `None` for a group version not served.
pub fn api_resources(group: &str, version: &str, argocd: bool) -> Option<Value> {
    let kinds: Vec<&Kind> = served(argocd)
        .filter(|k| k.group == group && k.version == version)
        .collect();
    let first = kinds.first()?;
    let verbs = [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    let mut resources = Vec::new();
    for k in &kinds {
        let mut resource = json!({
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": if k.kind == "Namespace" { json!(["create", "delete", "get", "list", "patch", "update", "watch"]) } else { json!(verbs) },
            "storageVersionHash": storage_hash(k),
        });
        if !k.short_names.is_empty() {
            resource["shortNames"] = json!(k.short_names);
        }
        if k.is_argocd() {
            resource["categories"] = json!(["argo"]);
        }
        resources.push(resource);
        if matches!(
            k.kind,
            "Namespace" | "ResourceQuota" | "Service" | "Deployment" | "Ingress" | "Application"
        ) {
            resources.push(json!({
                "name": format!("{}/status", k.plural),
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": first.api_version(),
        "resources": resources,
    }))
}

/// A stable 12-character stand-in for the storage version hash.
fn storage_hash(k: &Kind) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in k.api_version().bytes().chain(k.kind.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..12)
        .map(|i| char::from(alphabet[((h >> (i * 5)) & 63) as usize]))
        .collect()
}

/// Why `name` is not a DNS-1123 label (namespaces: at most 63 characters of `a-z0-9-`,
/// starting and ending with a letter or digit).
pub fn invalid_label_name(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 63 {
        return Some(format!(
            "must be no more than 63 characters (is {})",
            name.len()
        ));
    }
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    (!ok).then(|| "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".to_owned())
}

/// Why `name` is not a DNS-1123 subdomain (most objects: at most 253 characters, dot-separated
/// labels).
pub fn invalid_subdomain(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 253 {
        return Some(format!(
            "must be no more than 253 characters (is {})",
            name.len()
        ));
    }
    let ok = name.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !part.starts_with('-')
            && !part.ends_with('-')
    });
    (!ok).then(|| "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned())
}

/// Why `value` is not a label value (at most 63 characters of `A-Za-z0-9._-`, starting and
/// ending with a letter or digit; empty is allowed).
pub fn invalid_label_value(value: &str) -> Option<String> {
    if value.len() > 63 {
        return Some("must be no more than 63 characters".to_owned());
    }
    if value.is_empty() {
        return None;
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(value.chars().next())
        && alnum(value.chars().last());
    (!ok).then(|| "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_owned())
}

/// Why `key` is not a label key (`[prefix/]name`: a DNS subdomain prefix of at most 253
/// characters, a name of at most 63 characters as a label value but not empty).
pub fn invalid_label_key(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(why) = prefix.and_then(invalid_subdomain) {
        return Some(format!("prefix part {why}"));
    }
    if name.is_empty() {
        return Some("name part must be non-empty".to_owned());
    }
    invalid_label_value(name).map(|why| format!("name part {why}"))
}
