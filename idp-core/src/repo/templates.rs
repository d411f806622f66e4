//! The infrastructure templates a platform offers, read from their `template.json` manifests
//! (`infrastructure/templates/<name>/template.json`), so `idp templates`, the Python module and
//! documentation all list the same names, inputs, outputs and prices.
#![allow(
    clippy::disallowed_methods,
    reason = "template manifests are files on disk"
)]

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The manifest file name inside each template directory.
pub const MANIFEST: &str = "template.json";

/// One template's `template.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateManifest {
    /// The template name (its directory name).
    pub name: String,
    /// What it provisions.
    pub description: String,
    /// Variables every environment must set.
    #[serde(default)]
    pub required: Vec<String>,
    /// Variables with defaults.
    #[serde(default)]
    pub optional: Vec<String>,
    /// The OpenTofu outputs.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The list-price cost per hour with default sizes, in USD.
    #[serde(default)]
    pub hourly_cost_usd: Option<f64>,
    /// What the hourly cost counts.
    #[serde(default)]
    pub cost_note: Option<String>,
    /// What applies it: `opentofu` (a root module in the same folder, the default) or
    /// `kubernetes` (objects on the shared cluster; the folder holds only this manifest).
    #[serde(default = "default_provisioner")]
    pub provisioner: String,
}

fn default_provisioner() -> String {
    "opentofu".to_owned()
}

/// A template directory whose manifest could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadManifest {
    /// The manifest file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Every template in a directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplatesReport {
    /// The templates directory.
    pub dir: PathBuf,
    /// The templates, sorted by name.
    pub templates: Vec<TemplateManifest>,
    /// Directories with a missing or invalid manifest.
    pub invalid: Vec<BadManifest>,
}

/// Parse one manifest; `dir_name` is the directory it was found in, which must match `name`.
pub fn parse_manifest(text: &str, dir_name: &str) -> std::result::Result<TemplateManifest, String> {
    let m: TemplateManifest = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if m.name != dir_name {
        return Err(format!(
            "`name` is `{}` but the directory is `{dir_name}`: make them the same",
            m.name
        ));
    }
    if !matches!(m.provisioner.as_str(), "opentofu" | "kubernetes") {
        return Err(format!(
            "`provisioner` is `{}`: use `opentofu` (the default) or `kubernetes`",
            m.provisioner
        ));
    }
    Ok(m)
}

/// Read every `<dir>/*/template.json`.
pub fn list(dir: &Path) -> Result<TemplatesReport> {
    let entries = fs_err::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut templates = Vec::new();
    let mut invalid = Vec::new();
    for entry in entries.flatten() {
        let sub = entry.path();
        if !sub.is_dir() {
            continue;
        }
        let path = sub.join(MANIFEST);
        let dir_name = entry.file_name().to_string_lossy().into_owned();
        let parsed = fs_err::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| parse_manifest(&text, &dir_name));
        match parsed {
            Ok(m) => templates.push(m),
            Err(reason) => invalid.push(BadManifest { path, reason }),
        }
    }
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    invalid.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(TemplatesReport {
        dir: dir.to_path_buf(),
        templates,
        invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_templates_all_have_valid_manifests() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/templates");
        let report = list(&dir).unwrap();
        let names: Vec<&str> = report.templates.iter().map(|t| t.name.as_str()).collect();
        let mut builtin = crate::domain::template::BUILTIN_TEMPLATES.to_vec();
        builtin.sort_unstable();
        assert_eq!(names, builtin);
        assert!(report.invalid.is_empty(), "{:?}", report.invalid);
    }

    #[test]
    fn a_manifest_whose_name_differs_from_its_directory_is_invalid() {
        let err = parse_manifest(r#"{"name": "a", "description": "d"}"#, "b").unwrap_err();
        assert!(err.contains("make them the same"), "{err}");
        assert!(parse_manifest("{", "b").is_err());
    }

    #[test]
    fn a_missing_directory_is_not_found() {
        let err = list(Path::new("/nonexistent/templates")).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::NotFound);
    }
}
