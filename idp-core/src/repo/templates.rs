//! The infrastructure templates a platform offers, read from their `template.json` manifests
//! (`infrastructure/templates/<name>/template.json`), so `idp templates`, the Python module and
//! documentation all list the same names, inputs, outputs and prices.
#![allow(
    clippy::disallowed_methods,
    reason = "template manifests are files on disk"
)]

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::approval::ApprovalRule;
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
    /// When an environment of this template needs approval before it is provisioned, and who
    /// may give it (see [`crate::domain::approval`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRule>,
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
    if let Some(rule) = &m.approval {
        rule.check()?;
    }
    Ok(m)
}

/// The approval rules of every template in `dir` that has one, by template name. A template
/// whose manifest is invalid is an error here (not skipped): a broken rule must not switch
/// approval off.
pub fn approval_rules(dir: &Path) -> Result<std::collections::BTreeMap<String, ApprovalRule>> {
    let report = list(dir)?;
    if let Some(bad) = report.invalid.first() {
        return Err(Error::Refused {
            reason: "invalid_template".to_owned(),
            message: format!("`{}`: {}", bad.path.display(), bad.reason),
        });
    }
    Ok(report
        .templates
        .into_iter()
        .filter_map(|t| t.approval.map(|rule| (t.name, rule)))
        .collect())
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

/// The manifests of the built-in templates, as this build was made with them.
const BUILTIN_MANIFESTS: [(&str, &str); 6] = [
    (
        "api-service",
        include_str!("../../../infrastructure/templates/api-service/template.json"),
    ),
    (
        "api-database",
        include_str!("../../../infrastructure/templates/api-database/template.json"),
    ),
    (
        "scheduled-worker",
        include_str!("../../../infrastructure/templates/scheduled-worker/template.json"),
    ),
    (
        "k8s-namespace",
        include_str!("../../../infrastructure/templates/k8s-namespace/template.json"),
    ),
    (
        "static-site",
        include_str!("../../../infrastructure/templates/static-site/template.json"),
    ),
    (
        "lambda-api",
        include_str!("../../../infrastructure/templates/lambda-api/template.json"),
    ),
];

/// [`approval_rules`] of `dir` when it is a directory; else the rules of the built-in
/// templates as this build carries them, so a missing templates directory never switches
/// approval off.
pub fn approval_rules_or_builtin(
    dir: &Path,
) -> Result<std::collections::BTreeMap<String, ApprovalRule>> {
    if dir.is_dir() {
        return approval_rules(dir);
    }
    let mut rules = std::collections::BTreeMap::new();
    for (name, text) in BUILTIN_MANIFESTS {
        let manifest = parse_manifest(text, name).map_err(|reason| Error::Refused {
            reason: "invalid_template".to_owned(),
            message: format!("built-in `{name}/{MANIFEST}`: {reason}"),
        })?;
        if let Some(rule) = manifest.approval {
            rules.insert(manifest.name, rule);
        }
    }
    Ok(rules)
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
    fn the_costly_template_needs_approval_and_a_missing_directory_keeps_the_rule() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/templates");
        let rules = approval_rules(&dir).unwrap();
        let rule = &rules["api-database"];
        assert!(rule.over_usd.is_some());
        assert!(!rules.contains_key("api-service"));
        assert_eq!(
            approval_rules_or_builtin(Path::new("/nonexistent/templates")).unwrap(),
            rules
        );
        let err = parse_manifest(
            r#"{"name": "b", "description": "d", "approval": {"required": true, "approvers": {}}}"#,
            "b",
        )
        .unwrap_err();
        assert!(err.contains("names nobody"), "{err}");
    }

    #[test]
    fn a_missing_directory_is_not_found() {
        let err = list(Path::new("/nonexistent/templates")).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::NotFound);
    }
}
