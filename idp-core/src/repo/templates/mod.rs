//! The infrastructure templates a platform offers, read from their `template.json` manifests
//! (`infrastructure/templates/<name>/template.json`), so `idp templates`, the Python module and
//! documentation all list the same names, inputs, outputs and prices.
//!
//! Templates are discovered from every configured templates directory: the platform's
//! (`aws.templatesDir`) first, then each team's own (`aws.teamTemplatesDirs`), so adding a
//! template is adding a folder. [`contract`] is what each folder must hold; [`new`] scaffolds
//! one that meets it.
#![allow(
    clippy::disallowed_methods,
    reason = "template manifests are files on disk"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod contract;
pub mod new;

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
    /// Each variable's type, default and description, as its `variables.tf` declares them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, InputSpec>,
    /// The OpenTofu outputs.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The list-price cost per hour with default sizes, in USD.
    #[serde(default)]
    pub hourly_cost_usd: Option<f64>,
    /// The list-price cost per hour of each size the template offers (`cpu` / `memory`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<SizeCost>,
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
    /// The folder it was read from (not part of the file).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

/// One input of a template, as its variable declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// The HCL type, e.g. `string`, `number`, `map(string)`.
    pub r#type: String,
    /// The default (absent: idp must pass a value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// What it sets.
    #[serde(default)]
    pub description: String,
}

/// What one size of a template costs per hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeCost {
    /// Fargate CPU units (1024 = 1 vCPU).
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// List price per hour in USD.
    pub hourly_cost_usd: f64,
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

/// Every template in the templates directories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplatesReport {
    /// The platform's templates directory.
    pub dir: PathBuf,
    /// The teams' templates directories, searched after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_dirs: Vec<PathBuf>,
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

/// Every template of the platform's directory `dir` and of the teams' `team_dirs`, in that
/// order. The platform's directory must exist; a team directory that does not, and a template
/// whose name an earlier directory already has, are reported as invalid (never silently
/// dropped or shadowing the platform's).
pub fn discover(dir: &Path, team_dirs: &[PathBuf]) -> Result<TemplatesReport> {
    let mut report = list(dir)?;
    for team_dir in team_dirs {
        let team = match list(team_dir) {
            Ok(team) => team,
            Err(_) => {
                report.invalid.push(BadManifest {
                    path: team_dir.clone(),
                    reason: "the team templates directory does not exist: create it or remove it from `aws.teamTemplatesDirs`".to_owned(),
                });
                continue;
            }
        };
        for t in team.templates {
            if let Some(first) = report.templates.iter().find(|e| e.name == t.name) {
                report.invalid.push(BadManifest {
                    path: t.dir.clone().unwrap_or_default().join(MANIFEST),
                    reason: format!(
                        "template `{}` is already in `{}`: rename this one (a team template cannot replace another)",
                        t.name,
                        first.dir.clone().unwrap_or_default().display()
                    ),
                });
            } else {
                report.templates.push(t);
            }
        }
        report.invalid.extend(team.invalid);
    }
    report.templates.sort_by(|a, b| a.name.cmp(&b.name));
    report.team_dirs = team_dirs.to_vec();
    Ok(report)
}

/// The folder of template `name`: the first of `dir` and `team_dirs` that has it. The rule
/// lives with the provisioner that applies the folder (adapters do not import this module).
pub use crate::adapters::tofu::find_template as find;

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
            Ok(mut m) => {
                m.dir = Some(sub);
                templates.push(m);
            }
            Err(reason) => invalid.push(BadManifest { path, reason }),
        }
    }
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    invalid.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(TemplatesReport {
        dir: dir.to_path_buf(),
        team_dirs: Vec::new(),
        templates,
        invalid,
    })
}

/// The manifests of the built-in templates, as this build was made with them.
const BUILTIN_MANIFESTS: [(&str, &str); 6] = [
    (
        "api-service",
        include_str!("../../../../infrastructure/templates/api-service/template.json"),
    ),
    (
        "api-database",
        include_str!("../../../../infrastructure/templates/api-database/template.json"),
    ),
    (
        "scheduled-worker",
        include_str!("../../../../infrastructure/templates/scheduled-worker/template.json"),
    ),
    (
        "k8s-namespace",
        include_str!("../../../../infrastructure/templates/k8s-namespace/template.json"),
    ),
    (
        "static-site",
        include_str!("../../../../infrastructure/templates/static-site/template.json"),
    ),
    (
        "lambda-api",
        include_str!("../../../../infrastructure/templates/lambda-api/template.json"),
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

    /// The sizes whose cost the built-in templates' manifests give.
    const BUILTIN_SIZES: [(u32, u32); 4] = [(256, 512), (512, 1024), (1024, 2048), (2048, 4096)];

    /// One test over every template folder: each meets the contract, and a built-in one's
    /// `sizes` are idp's own estimate. `IDP_UPDATE_MANIFESTS=1` rewrites each manifest's
    /// `inputs`, `required`, `optional`, `outputs` (and a built-in's `sizes`) from its module.
    #[test]
    fn every_template_folder_meets_the_template_contract() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/templates");
        let update = std::env::var_os("IDP_UPDATE_MANIFESTS").is_some();
        let mut failures = Vec::new();
        let mut folders: Vec<PathBuf> = fs_err::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            let path = folder.join(MANIFEST);
            let mut manifest =
                parse_manifest(&fs_err::read_to_string(&path).unwrap(), &name).unwrap();
            let template = crate::domain::template::TemplateName::new(&name).unwrap();
            if update && manifest.provisioner == "opentofu" {
                let (module, _) = contract::read_module(&folder);
                manifest.inputs = contract::inputs_of(&module);
                manifest.required = manifest
                    .inputs
                    .iter()
                    .filter(|(_, i)| i.default.is_none())
                    .map(|(n, _)| n.clone())
                    .collect();
                manifest.optional = manifest
                    .inputs
                    .iter()
                    .filter(|(_, i)| i.default.is_some())
                    .map(|(n, _)| n.clone())
                    .collect();
                manifest.outputs = module.outputs.keys().cloned().collect();
                if template.is_builtin() && manifest.inputs.contains_key("cpu") {
                    manifest.sizes = BUILTIN_SIZES
                        .iter()
                        .map(|&(cpu, memory)| SizeCost {
                            cpu,
                            memory,
                            hourly_cost_usd: hourly(&template, cpu, memory),
                        })
                        .collect();
                }
                let text = serde_json::to_string_pretty(&manifest).unwrap();
                fs_err::write(&path, format!("{text}\n")).unwrap();
            }
            failures.extend(contract::check(&folder).iter().map(ToString::to_string));
            if template.is_builtin() {
                for size in &manifest.sizes {
                    let expected = hourly(&template, size.cpu, size.memory);
                    if (size.hourly_cost_usd - expected).abs() > 1e-6 {
                        failures.push(format!(
                            "{}: `sizes` gives ${} for {} / {} but idp estimates ${expected} (IDP_UPDATE_MANIFESTS=1 rewrites it)",
                            path.display(),
                            size.hourly_cost_usd,
                            size.cpu,
                            size.memory
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn hourly(template: &crate::domain::template::TemplateName, cpu: u32, memory: u32) -> f64 {
        use crate::domain::ttl::{Ttl, TtlUnit};
        crate::domain::cost::estimate(template, cpu, memory, Ttl::new(1, TtlUnit::Hours), false)
            .hourly_usd
    }

    #[test]
    fn team_templates_are_found_after_the_platforms_and_never_replace_one() {
        let tmp = tempfile::tempdir().unwrap();
        let platform = tmp.path().join("platform");
        let team = tmp.path().join("team");
        for (dir, name) in [
            (&platform, "api-service"),
            (&team, "api-service"),
            (&team, "ledger"),
        ] {
            fs_err::create_dir_all(dir.join(name)).unwrap();
            fs_err::write(
                dir.join(name).join(MANIFEST),
                format!(
                    r#"{{"name": "{name}", "description": "{}"}}"#,
                    dir.display()
                ),
            )
            .unwrap();
        }
        let missing = tmp.path().join("nowhere");
        let report = discover(&platform, &[team.clone(), missing.clone()]).unwrap();
        let names: Vec<&str> = report.templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["api-service", "ledger"]);
        assert_eq!(report.templates[0].dir, Some(platform.join("api-service")));
        assert_eq!(report.templates[1].dir, Some(team.join("ledger")));
        let reasons: Vec<&str> = report.invalid.iter().map(|b| b.reason.as_str()).collect();
        assert_eq!(report.invalid.len(), 2, "{reasons:?}");
        assert!(
            reasons.iter().any(|r| r.contains("already in")),
            "{reasons:?}"
        );
        assert!(
            report.invalid.iter().any(|b| b.path == missing),
            "{reasons:?}"
        );
        assert_eq!(
            find(&platform, std::slice::from_ref(&team), "ledger"),
            Some(team.join("ledger"))
        );
        assert_eq!(
            find(&platform, &[team], "api-service"),
            Some(platform.join("api-service"))
        );
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
