//! `idp templates new`: a new template folder that meets the [`contract`](super::contract), from
//! a skeleton (the inputs idp passes, a tagged log group, an `endpoint` output) or as a copy of
//! an existing template.
//!
//! The manifest is written from the module itself (inputs, required and optional variables,
//! outputs), so the two agree from the start; the folder is checked against the contract
//! before this returns, and is written under a temporary name and renamed into place, so a
//! failure leaves nothing behind. An existing template of that name, in any templates
//! directory, is never overwritten.
#![allow(
    clippy::disallowed_methods,
    reason = "a template is a folder of files on disk"
)]

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::contract::{self, Violation};
use super::{MANIFEST, SizeCost, TemplateManifest, find};
use crate::domain::cost;
use crate::domain::template::TemplateName;
use crate::domain::ttl::{Ttl, TtlUnit};
use crate::error::{Error, Result};

/// The skeleton's files, with `__NAME__` where the template's name goes.
const SKELETON: [(&str, &str); 6] = [
    ("versions.tf", include_str!("skeleton/versions.tf")),
    ("backend.tf", include_str!("skeleton/backend.tf")),
    ("providers.tf", include_str!("skeleton/providers.tf")),
    ("variables.tf", include_str!("skeleton/variables.tf")),
    ("main.tf", include_str!("skeleton/main.tf")),
    ("outputs.tf", include_str!("skeleton/outputs.tf")),
];

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    /// The new template's name.
    pub name: String,
    /// Copy this template instead of the skeleton.
    pub from: Option<String>,
    /// The templates directory to create it in (default: the first team directory of `dirs`,
    /// else the platform's).
    pub into: Option<PathBuf>,
    /// Every configured templates directory (the platform's first): `from` is looked up there,
    /// and `name` must be in none of them.
    pub dirs: Vec<PathBuf>,
    /// The manifest's description (default: says where it came from).
    pub description: Option<String>,
}

/// What was scaffolded.
#[derive(Debug, Clone, Serialize)]
pub struct NewTemplateReport {
    /// The new template's folder.
    pub dir: PathBuf,
    /// The template it was copied from (`None`: the skeleton).
    pub from: Option<String>,
    /// The files written, by name.
    pub files: Vec<String>,
    /// The manifest written.
    pub manifest: TemplateManifest,
}

fn refused(reason: &str, message: String) -> Error {
    Error::Refused {
        reason: reason.to_owned(),
        message,
    }
}

/// Scaffolds `request.name` in `request.into` (or its default).
pub fn new(request: &NewTemplate) -> Result<NewTemplateReport> {
    let name = TemplateName::new(&request.name).ok_or_else(|| {
        refused(
            "invalid_template_name",
            format!(
                "template name `{}` is invalid: use 1-64 characters of a-z, 0-9 and `-`, starting with a letter",
                request.name.escape_default()
            ),
        )
    })?;
    let into = request
        .into
        .clone()
        .or_else(|| request.dirs.get(1).or(request.dirs.first()).cloned())
        .unwrap_or_else(|| PathBuf::from("."));
    let into = &into;
    let (platform, teams) = request
        .dirs
        .split_first()
        .map_or((into.as_path(), &[][..]), |(p, t)| (p.as_path(), t));
    if let Some(existing) = find(platform, teams, name.as_str()).or_else(|| {
        let d = into.join(name.as_str());
        d.exists().then_some(d)
    }) {
        return Err(refused(
            "template_exists",
            format!(
                "template `{name}` already exists in `{}`: choose another name",
                existing.display()
            ),
        ));
    }
    if !into.is_dir() {
        return Err(refused(
            "templates_dir_missing",
            format!(
                "templates directory `{}` does not exist: create it, or pass `--dir`",
                into.display()
            ),
        ));
    }
    let source = match &request.from {
        None => None,
        Some(from) => {
            let dir = TemplateName::new(from)
                .and_then(|_| find(platform, teams, from))
                .ok_or_else(|| {
                    refused(
                        "unknown_template",
                        format!(
                            "template `{}` does not exist: run `idp templates` for the available ones",
                            from.escape_default()
                        ),
                    )
                })?;
            Some((from.clone(), dir))
        }
    };

    let staging = into.join(format!(".{name}.new"));
    if staging.exists() {
        remove_dir(&staging)?;
    }
    let result = scaffold(&name, source.as_ref(), request, &staging).and_then(|report| {
        let mut violations = contract::check_as(&staging, name.as_str());
        if violations.is_empty() {
            return Ok(report);
        }
        let Some((from, dir)) = &source else {
            return Err(refused("template_contract", describe(&violations)));
        };
        // Name the copied template's own files: the staging folder is gone when this is read.
        for v in &mut violations {
            if let Ok(rest) = v.file.strip_prefix(&staging) {
                v.file = dir.join(rest);
            }
        }
        Err(refused(
            "template_contract",
            format!(
                "a copy of `{from}` named `{name}` would not meet the template contract, so nothing was written: idp gives a template of its own name only the common variables and expects it to serve HTTP. Start from another template, or without `--from`, and add what it needs:\n{}",
                describe(&violations)
            ),
        ))
    });
    match result {
        Ok(mut report) => {
            let dir = into.join(name.as_str());
            fs_err::rename(&staging, &dir).map_err(|e| io(&dir, e))?;
            report.dir = dir.clone();
            report.manifest.dir = Some(dir);
            Ok(report)
        }
        Err(e) => {
            let _ = remove_dir(&staging);
            Err(e)
        }
    }
}

fn scaffold(
    name: &TemplateName,
    source: Option<&(String, PathBuf)>,
    request: &NewTemplate,
    staging: &Path,
) -> Result<NewTemplateReport> {
    fs_err::create_dir_all(staging).map_err(|e| io(staging, e))?;
    let mut files = Vec::new();
    let mut base: Option<TemplateManifest> = None;
    match source {
        None => {
            for (file, text) in SKELETON {
                write(staging, file, &text.replace("__NAME__", name.as_str()))?;
                files.push(file.to_owned());
            }
        }
        Some((from, dir)) => {
            let mut entries: Vec<PathBuf> = fs_err::read_dir(dir)
                .map_err(|e| io(dir, e))?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                let file = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // `metadata` follows links: a linked file is copied as the file it points to.
                let is_file = fs_err::metadata(&path).is_ok_and(|m| m.is_file());
                if !is_file || file == MANIFEST || file == "README.md" || file.starts_with('.') {
                    continue;
                }
                if file.starts_with("terraform.tfstate") {
                    continue;
                }
                if file.ends_with(".tf") {
                    let text = fs_err::read_to_string(&path).map_err(|e| io(&path, e))?;
                    write(
                        staging,
                        &file,
                        &text.replace(&format!("\"{from}\""), &format!("\"{name}\"")),
                    )?;
                } else {
                    fs_err::copy(&path, staging.join(&file)).map_err(|e| io(&path, e))?;
                }
                files.push(file);
            }
            let text = fs_err::read_to_string(dir.join(MANIFEST))
                .map_err(|e| io(&dir.join(MANIFEST), e))?;
            base = Some(super::parse_manifest(&text, from).map_err(|reason| {
                refused(
                    "invalid_template",
                    format!("`{}`: {reason}", dir.join(MANIFEST).display()),
                )
            })?);
        }
    }

    let (module, errors) = contract::read_module(staging);
    if !errors.is_empty() {
        return Err(refused("template_contract", describe(&errors)));
    }
    let from = source.map(|(f, _)| f.clone());
    let manifest = manifest_for(
        name,
        &module,
        base,
        request.description.clone(),
        from.as_deref(),
    );
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Refused {
        reason: "template_contract".to_owned(),
        message: e.to_string(),
    })?;
    write(staging, MANIFEST, &format!("{json}\n"))?;
    files.push(MANIFEST.to_owned());
    write(staging, "README.md", &readme(&manifest, from.as_deref()))?;
    files.push("README.md".to_owned());
    files.sort();
    Ok(NewTemplateReport {
        dir: staging.to_path_buf(),
        from,
        files,
        manifest,
    })
}

/// The manifest of a new template: the copied template's (or the skeleton's) description and
/// prices, with everything about the module read from the module.
fn manifest_for(
    name: &TemplateName,
    module: &contract::Module,
    base: Option<TemplateManifest>,
    description: Option<String>,
    from: Option<&str>,
) -> TemplateManifest {
    let skeleton_cost = || {
        let e = cost::estimate(name, 256, 512, Ttl::new(1, TtlUnit::Hours), true);
        e.hourly_usd
    };
    let (hourly, cost_note, sizes, approval, base_description) = match base {
        Some(b) => (
            b.hourly_cost_usd,
            b.cost_note,
            b.sizes,
            b.approval,
            Some(b.description),
        ),
        None => {
            let hourly = skeleton_cost();
            (
                Some(hourly),
                Some("idp's estimate for a custom template with default sizes (256 CPU / 512 MiB); replace it with the list prices of what the template creates.".to_owned()),
                vec![SizeCost {
                    cpu: 256,
                    memory: 512,
                    hourly_cost_usd: hourly,
                }],
                None,
                None,
            )
        }
    };
    let inputs = contract::inputs_of(module);
    TemplateManifest {
        name: name.to_string(),
        description: description.unwrap_or_else(|| match (from, base_description) {
            (Some(from), Some(d)) => format!("Based on `{from}`: {d}"),
            _ => format!("The `{name}` template: describe what it provisions."),
        }),
        required: inputs
            .iter()
            .filter(|(_, i)| i.default.is_none())
            .map(|(n, _)| n.clone())
            .collect(),
        optional: inputs
            .iter()
            .filter(|(_, i)| i.default.is_some())
            .map(|(n, _)| n.clone())
            .collect(),
        inputs,
        outputs: module.outputs.keys().cloned().collect(),
        hourly_cost_usd: hourly,
        sizes,
        cost_note,
        provisioner: "opentofu".to_owned(),
        approval,
        dir: None,
    }
}

fn readme(m: &TemplateManifest, from: Option<&str>) -> String {
    let mut out = format!("# {}\n\n{}\n\n", m.name, m.description);
    if let Some(from) = from {
        out.push_str(&format!(
            "Scaffolded from `{from}` by `idp templates new`.\n\n"
        ));
    } else {
        out.push_str("Scaffolded by `idp templates new`: replace the log group in `main.tf` with what an environment needs, keep the variables idp passes, and run `idp templates check`.\n\n");
    }
    out.push_str("## Inputs\n\n| name | type | default | description |\n|---|---|---|---|\n");
    for (name, input) in &m.inputs {
        let default = input
            .default
            .as_ref()
            .map_or_else(|| "required".to_owned(), |d| format!("`{d}`"));
        out.push_str(&format!(
            "| `{name}` | `{}` | {default} | {} |\n",
            input.r#type,
            input.description.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out.push_str("\n## Outputs\n\n");
    for output in &m.outputs {
        out.push_str(&format!("- `{output}`\n"));
    }
    out
}

/// The violations, one per line.
pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn write(dir: &Path, file: &str, text: &str) -> Result<()> {
    let path = dir.join(file);
    fs_err::write(&path, text).map_err(|e| io(&path, e))
}

fn remove_dir(dir: &Path) -> Result<()> {
    fs_err::remove_dir_all(dir).map_err(|e| io(dir, e))
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/templates")
    }

    fn request(into: &Path, name: &str, from: Option<&str>) -> NewTemplate {
        NewTemplate {
            name: name.to_owned(),
            from: from.map(str::to_owned),
            into: Some(into.to_path_buf()),
            dirs: vec![platform(), into.to_path_buf()],
            description: None,
        }
    }

    #[test]
    fn the_skeleton_meets_the_contract_and_its_manifest_agrees_with_it() {
        let tmp = tempfile::tempdir().unwrap();
        let report = new(&request(tmp.path(), "ledger", None)).unwrap();
        assert_eq!(report.dir, tmp.path().join("ledger"));
        assert_eq!(contract::check(&report.dir), []);
        assert!(report.files.contains(&"template.json".to_owned()));
        assert_eq!(report.manifest.outputs, ["endpoint", "log_group"]);
        let main = fs_err::read_to_string(report.dir.join("main.tf")).unwrap();
        assert!(main.contains("template = \"ledger\""), "{main}");
        // Nothing but the template is left in the directory.
        let names: Vec<String> = fs_err::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["ledger"]);
    }

    #[test]
    fn a_copy_of_a_builtin_meets_the_contract_and_names_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let report = new(&request(tmp.path(), "api-service-gpu", Some("api-service"))).unwrap();
        assert_eq!(contract::check(&report.dir), []);
        let source: TemplateManifest = serde_json::from_str(
            &fs_err::read_to_string(platform().join("api-service/template.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(report.manifest.outputs, source.outputs);
        assert_eq!(report.manifest.sizes, source.sizes);
        assert!(
            report
                .manifest
                .description
                .starts_with("Based on `api-service`")
        );
        let main = fs_err::read_to_string(report.dir.join("main.tf")).unwrap();
        assert!(main.contains("template = \"api-service-gpu\""));
        assert!(!main.contains("\"api-service\""));
    }

    #[test]
    fn an_existing_invalid_or_unknown_name_is_refused_and_nothing_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let reason = |r: &NewTemplate| match new(r).unwrap_err() {
            Error::Refused { reason, message } => (reason, message),
            other => panic!("{other:?}"),
        };
        let (r, m) = reason(&request(tmp.path(), "api-service", None));
        assert_eq!(r, "template_exists", "{m}");
        let (r, _) = reason(&request(tmp.path(), "../evil", None));
        assert_eq!(r, "invalid_template_name");
        let (r, m) = reason(&request(tmp.path(), "mine", Some("nope")));
        assert_eq!(r, "unknown_template");
        assert!(m.contains("idp templates"), "{m}");
        let (r, _) = reason(&request(&tmp.path().join("missing"), "mine", None));
        assert_eq!(r, "templates_dir_missing");
        assert_eq!(fs_err::read_dir(tmp.path()).unwrap().count(), 0);
        new(&request(tmp.path(), "mine", None)).unwrap();
        let (r, _) = reason(&request(tmp.path(), "mine", None));
        assert_eq!(r, "template_exists");
    }

    #[test]
    fn the_contract_names_the_file_line_and_fix_of_what_breaks_it() {
        let tmp = tempfile::tempdir().unwrap();
        let report = new(&request(tmp.path(), "ledger", None)).unwrap();
        let vars = report.dir.join("variables.tf");
        let text = fs_err::read_to_string(&vars).unwrap();
        fs_err::write(
            &vars,
            format!("{text}\nvariable \"extra\" {{\n  type = string\n}}\n"),
        )
        .unwrap();
        let found = describe(&contract::check(&report.dir));
        assert!(found.contains("variables.tf:"), "{found}");
        assert!(found.contains("`extra` has no `description`"), "{found}");
        assert!(
            found.contains("idp does not pass it: give it a `default`"),
            "{found}"
        );
        assert!(found.contains("`inputs` lacks `extra`"), "{found}");
    }
}
