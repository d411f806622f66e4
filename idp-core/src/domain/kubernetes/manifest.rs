//! One Kubernetes object with the sync wave it is applied in.

use serde::Serialize;
use serde_json::Value;

/// The annotation Argo CD orders a sync by; idp applies in the same order.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// One Kubernetes API object (`apiVersion`, `kind`, `metadata`, …) and its sync wave: lower
/// waves are applied first and deleted last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// The sync wave (also written to the object's [`SYNC_WAVE`] annotation).
    pub wave: i32,
    /// The object as the API server takes it.
    pub object: Value,
}

impl Manifest {
    /// `object` in `wave`, with the wave annotated on it.
    pub fn new(wave: i32, mut object: Value) -> Self {
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(annotations) = annotations.as_object_mut() {
                annotations.insert(SYNC_WAVE.to_owned(), Value::String(wave.to_string()));
            }
        }
        Self { wave, object }
    }

    fn text(&self, pointer: &str) -> &str {
        self.object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `apiVersion`: `v1`, `apps/v1`, `argoproj.io/v1alpha1`.
    pub fn api_version(&self) -> &str {
        self.text("/apiVersion")
    }

    /// The API group: `""` for the core group, else the part of `apiVersion` before `/`.
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// The version: the part of `apiVersion` after `/`.
    pub fn version(&self) -> &str {
        let api_version = self.api_version();
        api_version
            .rsplit_once('/')
            .map_or(api_version, |(_, version)| version)
    }

    /// `kind`: `Namespace`, `Role`, `Application`.
    pub fn kind(&self) -> &str {
        self.text("/kind")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.text("/metadata/name")
    }

    /// `metadata.namespace`; `None` for a cluster-scoped object.
    pub fn namespace(&self) -> Option<&str> {
        self.object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }

    /// `kind/name` or `kind/namespace/name`, as people read it.
    pub fn label(&self) -> String {
        match self.namespace() {
            Some(namespace) => format!("{}/{namespace}/{}", self.kind(), self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }
}

/// `manifests` as one multi-document YAML stream, in order.
pub fn to_yaml(manifests: &[Manifest]) -> String {
    let mut out = String::new();
    for manifest in manifests {
        out.push_str("---\n");
        // A `Value` always serializes.
        out.push_str(&serde_saphyr::to_string(&manifest.object).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_wave_is_annotated_and_the_names_are_read_back() {
        let m = Manifest::new(
            -3,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "developer", "namespace": "preview-a"}}),
        );
        assert_eq!(m.object["metadata"]["annotations"][SYNC_WAVE], "-3");
        assert_eq!(
            (m.group(), m.version(), m.kind(), m.name(), m.namespace()),
            (
                "rbac.authorization.k8s.io",
                "v1",
                "Role",
                "developer",
                Some("preview-a")
            )
        );
        assert_eq!(m.label(), "Role/preview-a/developer");
        let core = Manifest::new(
            -5,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "preview-a"}}),
        );
        assert_eq!((core.group(), core.version()), ("", "v1"));
        assert_eq!(core.label(), "Namespace/preview-a");
        let yaml = to_yaml(&[core, m]);
        assert_eq!(yaml.matches("---\n").count(), 2, "{yaml}");
        assert!(yaml.contains("kind: Namespace"), "{yaml}");
    }
}
