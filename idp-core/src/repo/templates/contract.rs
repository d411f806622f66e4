//! The template contract: what every template folder must hold for idp to provision it, checked
//! the same way by `idp templates check`, `idp templates new` and the test suite over every
//! template folder (the rules are written out in `infrastructure/templates/README.md`).
//!
//! Long because it is one set of rules: the HCL reader, the six checks, their messages with
//! file, line and fix, and the tests of each rule belong together.
//!
//! For an OpenTofu template (`provisioner: opentofu`, the default):
//!
//! 1. the folder holds `template.json`, `versions.tf`, `variables.tf`, `outputs.tf` and
//!    `README.md`, and every `.tf` file parses;
//! 2. state lives in the platform's bucket: one empty `backend "s3" {}` (idp passes bucket, key,
//!    region and lock table at `init`);
//! 3. one `provider "aws"` without an `alias` whose `region` is `var.aws_region`, tagging
//!    through `default_tags` (aliased ones, such as a us-east-1 provider for CloudFront's
//!    metrics, may be added and tag through `default_tags` too), and the files set the tags `idp:managed`, `idp:environment`, `idp:owner`, `idp:ttl`,
//!    `idp:created-at`, `idp:expires-at` and `idp:template`;
//! 4. the standard variables `environment_name`, `owner`, `ttl`, `created_at`, `expires_at`
//!    (strings without a default) and `aws_region` (a string) are declared; every variable has a
//!    type and a description, and every variable without a default is one idp passes
//!    ([`variable_names`]), so an apply never stops to ask for a value;
//! 5. every output has a description, and a template that serves HTTP outputs `endpoint`;
//! 6. `template.json` agrees with the module both ways: `outputs` are the outputs, `required`
//!    the variables without a default, `optional` the ones with, `inputs` gives each variable's
//!    type, default and description as the HCL does; it has a `description`, an
//!    `hourly_cost_usd` above zero with its `cost_note`, and, when the module takes `cpu` and
//!    `memory`, the cost of each size it offers in `sizes`.
//!
//! A template applied by another provisioner (`kubernetes`) holds only its manifest: rule 6's
//! manifest fields are checked, the HCL rules do not apply.
//!
//! Long because each rule's check sits beside the others, with the tests of the provider rule.
#![allow(
    clippy::disallowed_methods,
    reason = "a template is a folder of files on disk"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression};
use serde::Serialize;

use super::{MANIFEST, TemplateManifest, parse_manifest};
use crate::domain::template::TemplateName;
use crate::domain::tfvars::variable_names;

/// Variables every OpenTofu template declares as strings without a default.
pub const STANDARD_VARIABLES: [&str; 5] = [
    "environment_name",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
];

/// The tags every template sets on everything it creates.
pub const STANDARD_TAGS: [&str; 7] = [
    "idp:managed",
    "idp:environment",
    "idp:owner",
    "idp:ttl",
    "idp:created-at",
    "idp:expires-at",
    "idp:template",
];

/// Files every OpenTofu template folder holds.
pub const REQUIRED_FILES: [&str; 5] = [
    MANIFEST,
    "versions.tf",
    "variables.tf",
    "outputs.tf",
    "README.md",
];

/// One way a template breaks the contract: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The file at fault (the folder itself for a missing file).
    pub file: PathBuf,
    /// The line in `file`, when one is at fault.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// A variable as the HCL declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The type expression, e.g. `string` or `map(string)` (`None`: untyped).
    pub hcl_type: Option<String>,
    /// The default, evaluated (`None`: no default, so idp must pass it).
    pub default: Option<serde_json::Value>,
    /// The description.
    pub description: Option<String>,
    /// The file and line of its `variable` block.
    pub at: (PathBuf, usize),
}

/// What a template folder's `.tf` files declare.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// Variables by name.
    pub variables: BTreeMap<String, Variable>,
    /// Outputs by name, with whether they have a description and where they are.
    pub outputs: BTreeMap<String, (bool, (PathBuf, usize))>,
    /// Every top-level block, with the file it is in.
    blocks: Vec<(PathBuf, Block)>,
    /// The text of every `.tf` file, concatenated.
    text: String,
}

/// Reads and parses every `.tf` file of `dir` (sorted by name); a file that does not parse is a
/// violation, not an error.
pub fn read_module(dir: &Path) -> (Module, Vec<Violation>) {
    let mut module = Module::default();
    let mut violations = Vec::new();
    let mut files: Vec<PathBuf> = fs_err::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for file in files {
        let text = match fs_err::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                violations.push(at(&file, None, format!("cannot be read: {e}")));
                continue;
            }
        };
        let body: Body = match hcl::parse(&text) {
            Ok(body) => body,
            Err(e) => {
                violations.push(at(
                    &file,
                    None,
                    format!("does not parse as HCL: {e}; fix the syntax"),
                ));
                continue;
            }
        };
        for block in body.blocks() {
            let label = first_label(block);
            let line = line_of(&text, block.identifier(), &label);
            match block.identifier() {
                "variable" => {
                    let attr = |key: &str| attribute(block.body(), key);
                    module.variables.insert(
                        label,
                        Variable {
                            hcl_type: attr("type").map(ToString::to_string),
                            default: attr("default").map(evaluate),
                            description: attr("description").and_then(string_value),
                            at: (file.clone(), line),
                        },
                    );
                }
                "output" => {
                    let described = attribute(block.body(), "description").is_some();
                    module
                        .outputs
                        .insert(label, (described, (file.clone(), line)));
                }
                _ => {}
            }
            module.blocks.push((file.clone(), block.clone()));
        }
        module.text.push_str(&text);
        module.text.push('\n');
    }
    (module, violations)
}

/// Checks the template folder `dir` (named like the template) against the contract; empty when
/// it meets it.
pub fn check(dir: &Path) -> Vec<Violation> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    check_as(dir, &name)
}

/// [`check`] of a folder that will be named `name` (one being written, say).
pub fn check_as(dir: &Path, name: &str) -> Vec<Violation> {
    let name = name.to_owned();
    let manifest_path = dir.join(MANIFEST);
    let manifest = match fs_err::read_to_string(&manifest_path) {
        Err(_) => {
            return vec![at(
                dir,
                None,
                format!("has no `{MANIFEST}`: add one (`idp templates new` writes it)"),
            )];
        }
        Ok(text) => match parse_manifest(&text, &name) {
            Ok(m) => m,
            Err(reason) => return vec![at(&manifest_path, None, reason)],
        },
    };
    let mut v = manifest_fields(&manifest, &manifest_path);
    if manifest.provisioner != "opentofu" {
        return v;
    }
    for file in REQUIRED_FILES {
        if !dir.join(file).is_file() {
            v.push(at(dir, None, format!("has no `{file}`: add it")));
        }
    }
    let (module, parse_errors) = read_module(dir);
    v.extend(parse_errors);
    v.extend(backend_and_provider(&module, dir));
    v.extend(variables(&module, &name, dir));
    v.extend(outputs(&module, &name, dir));
    v.extend(agreement(&manifest, &module, &manifest_path));
    v
}

fn manifest_fields(m: &TemplateManifest, path: &Path) -> Vec<Violation> {
    let mut v = Vec::new();
    if m.description.trim().is_empty() {
        v.push(at(
            path,
            None,
            "`description` is empty: say what the template provisions".to_owned(),
        ));
    }
    if !m.hourly_cost_usd.is_some_and(|c| c > 0.0 && c.is_finite()) {
        v.push(at(
            path,
            None,
            "`hourly_cost_usd` is missing or not above zero: give the list price per hour with default sizes".to_owned(),
        ));
    }
    if m.cost_note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        v.push(at(
            path,
            None,
            "`cost_note` is missing: say which prices and lines the hourly cost counts".to_owned(),
        ));
    }
    for size in &m.sizes {
        if !(size.hourly_cost_usd > 0.0 && size.hourly_cost_usd.is_finite()) {
            v.push(at(
                path,
                None,
                format!(
                    "`sizes`: the cost of {} CPU / {} MiB is not above zero",
                    size.cpu, size.memory
                ),
            ));
        }
    }
    v
}

fn backend_and_provider(module: &Module, dir: &Path) -> Vec<Violation> {
    let mut v = Vec::new();
    let backends: Vec<&Block> = module
        .blocks
        .iter()
        .filter(|(_, b)| b.identifier() == "terraform")
        .flat_map(|(_, b)| b.body().blocks())
        .filter(|b| b.identifier() == "backend")
        .collect();
    match backends.as_slice() {
        [one]
            if first_label(one) == "s3"
                && one.body().attributes().next().is_none()
                && one.body().blocks().next().is_none() => {}
        [] => v.push(at(
            dir,
            None,
            "declares no backend: add `terraform { backend \"s3\" {} }` (idp passes bucket, key, region and lock table at init)".to_owned(),
        )),
        _ => v.push(at(
            dir,
            None,
            "the backend must be one empty `backend \"s3\" {}`: idp passes its settings at init".to_owned(),
        )),
    }
    type Providers<'a> = Vec<&'a (PathBuf, Block)>;
    let (aliased, providers): (Providers<'_>, Providers<'_>) = module
        .blocks
        .iter()
        .filter(|(_, b)| b.identifier() == "provider" && first_label(b) == "aws")
        .partition(|(_, b)| attribute(b.body(), "alias").is_some());
    match providers.as_slice() {
        [(file, provider)] => {
            let region = attribute(provider.body(), "region").map(ToString::to_string);
            if region.as_deref() != Some("var.aws_region") {
                v.push(at(
                    file,
                    None,
                    "`provider \"aws\"` must take its region from the environment: `region = var.aws_region`".to_owned(),
                ));
            }
            if !has_default_tags(provider) {
                v.push(at(
                    file,
                    None,
                    "`provider \"aws\"` has no `default_tags`: tag everything through it (see `modules/common`)".to_owned(),
                ));
            }
        }
        [] => v.push(at(
            dir,
            None,
            "has no `provider \"aws\"` without an `alias`: add one with `region = var.aws_region` and `default_tags`"
                .to_owned(),
        )),
        _ => v.push(at(
            dir,
            None,
            "has more than one `provider \"aws\"` without an `alias`: keep one, and give every other an `alias`"
                .to_owned(),
        )),
    }
    for (file, provider) in aliased {
        if !has_default_tags(provider) {
            let alias = attribute(provider.body(), "alias").map_or_else(String::new, |a| {
                string_value(a).unwrap_or_else(|| a.to_string())
            });
            v.push(at(
                file,
                None,
                format!("`provider \"aws\"` with `alias = \"{alias}\"` has no `default_tags`: tag what it creates like the default provider does"),
            ));
        }
    }
    for tag in STANDARD_TAGS {
        if !module.text.contains(&format!("\"{tag}\"")) {
            v.push(at(
                dir,
                None,
                format!("no file sets the tag `{tag}`: add it to the provider's default tags"),
            ));
        }
    }
    v
}

fn has_default_tags(provider: &Block) -> bool {
    provider
        .body()
        .blocks()
        .any(|b| b.identifier() == "default_tags")
}

fn variables(module: &Module, name: &str, dir: &Path) -> Vec<Violation> {
    let mut v = Vec::new();
    let vars_file = dir.join("variables.tf");
    for standard in STANDARD_VARIABLES {
        match module.variables.get(standard) {
            None => v.push(at(
                &vars_file,
                None,
                format!("declares no variable `{standard}`: add `variable \"{standard}\" {{ type = string }}` (idp passes it to every template)"),
            )),
            Some(var) if var.hcl_type.as_deref() != Some("string") || var.default.is_some() => {
                v.push(at(
                    &var.at.0,
                    Some(var.at.1),
                    format!("variable `{standard}` must be a `string` without a default"),
                ));
            }
            Some(_) => {}
        }
    }
    match module.variables.get("aws_region") {
        None => v.push(at(
            &vars_file,
            None,
            "declares no variable `aws_region`: add `variable \"aws_region\" { type = string }`"
                .to_owned(),
        )),
        Some(var) if var.hcl_type.as_deref() != Some("string") => v.push(at(
            &var.at.0,
            Some(var.at.1),
            "variable `aws_region` must be a `string`".to_owned(),
        )),
        Some(_) => {}
    }
    let passed: BTreeSet<&str> = TemplateName::new(name)
        .map(|t| variable_names(&t))
        .unwrap_or_default()
        .into_iter()
        .collect();
    for (var_name, var) in &module.variables {
        let (file, line) = (&var.at.0, Some(var.at.1));
        if var.hcl_type.is_none() {
            v.push(at(
                file,
                line,
                format!("variable `{var_name}` has no `type`: give it one"),
            ));
        }
        if var
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            v.push(at(
                file,
                line,
                format!("variable `{var_name}` has no `description`: say what it sets"),
            ));
        }
        if var.default.is_none() && !passed.contains(var_name.as_str()) {
            v.push(at(
                file,
                line,
                format!(
                    "variable `{var_name}` has no default and idp does not pass it: give it a `default` (idp passes {})",
                    passed.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    v
}

fn outputs(module: &Module, name: &str, dir: &Path) -> Vec<Violation> {
    let mut v = Vec::new();
    for (output, (described, (file, line))) in &module.outputs {
        if !described {
            v.push(at(
                file,
                Some(*line),
                format!("output `{output}` has no `description`: say what it is"),
            ));
        }
    }
    let serves = TemplateName::new(name).is_some_and(|t| t.has_endpoint());
    if serves && !module.outputs.contains_key("endpoint") {
        v.push(at(
            &dir.join("outputs.tf"),
            None,
            "declares no output `endpoint`: a template that serves HTTP outputs its URL as `endpoint` (idp puts it on the pull request)".to_owned(),
        ));
    }
    v
}

fn agreement(m: &TemplateManifest, module: &Module, path: &Path) -> Vec<Violation> {
    let mut v = Vec::new();
    let declared_outputs: BTreeSet<&str> = module.outputs.keys().map(String::as_str).collect();
    both_ways(
        &mut v,
        path,
        "outputs",
        m.outputs.iter().map(String::as_str).collect(),
        declared_outputs,
        "outputs.tf",
    );
    let without_default: BTreeSet<&str> = module
        .variables
        .iter()
        .filter(|(_, var)| var.default.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    let with_default: BTreeSet<&str> = module
        .variables
        .iter()
        .filter(|(_, var)| var.default.is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    both_ways(
        &mut v,
        path,
        "required",
        m.required.iter().map(String::as_str).collect(),
        without_default,
        "the variables without a default",
    );
    both_ways(
        &mut v,
        path,
        "optional",
        m.optional.iter().map(String::as_str).collect(),
        with_default,
        "the variables with a default",
    );
    both_ways(
        &mut v,
        path,
        "inputs",
        m.inputs.keys().map(String::as_str).collect(),
        module.variables.keys().map(String::as_str).collect(),
        "variables.tf",
    );
    for (input, spec) in &m.inputs {
        let Some(var) = module.variables.get(input) else {
            continue;
        };
        if var.hcl_type.as_deref() != Some(spec.r#type.as_str()) {
            v.push(at(
                path,
                None,
                format!(
                    "`inputs.{input}.type` is `{}` but the variable's type is `{}`: make them the same",
                    spec.r#type,
                    var.hcl_type.as_deref().unwrap_or("(none)")
                ),
            ));
        }
        if var.default != spec.default {
            v.push(at(
                path,
                None,
                format!(
                    "`inputs.{input}.default` is {} but the variable's default is {}: make them the same",
                    shown(spec.default.as_ref()),
                    shown(var.default.as_ref())
                ),
            ));
        }
        if var.description.as_deref() != Some(spec.description.as_str()) {
            v.push(at(
                path,
                None,
                format!("`inputs.{input}.description` differs from the variable's description: copy it from variables.tf"),
            ));
        }
    }
    if module.variables.contains_key("cpu")
        && module.variables.contains_key("memory")
        && m.sizes.is_empty()
    {
        v.push(at(
            path,
            None,
            "`sizes` is empty but the template takes `cpu` and `memory`: give the cost per hour of each size it offers".to_owned(),
        ));
    }
    v
}

/// The manifest's `inputs` for a module: each variable's type, default and description.
pub fn inputs_of(module: &Module) -> BTreeMap<String, super::InputSpec> {
    module
        .variables
        .iter()
        .map(|(name, var)| {
            (
                name.clone(),
                super::InputSpec {
                    r#type: var.hcl_type.clone().unwrap_or_else(|| "any".to_owned()),
                    default: var.default.clone(),
                    description: var.description.clone().unwrap_or_default(),
                },
            )
        })
        .collect()
}

fn both_ways(
    v: &mut Vec<Violation>,
    path: &Path,
    key: &str,
    listed: BTreeSet<&str>,
    declared: BTreeSet<&str>,
    what: &str,
) {
    for missing in declared.difference(&listed) {
        v.push(at(
            path,
            None,
            format!("`{key}` lacks `{missing}`, which {what} declares: add it"),
        ));
    }
    for extra in listed.difference(&declared) {
        v.push(at(
            path,
            None,
            format!(
                "`{key}` lists `{extra}`, which {what} does not declare: remove it or declare it"
            ),
        ));
    }
}

fn shown(value: Option<&serde_json::Value>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| format!("`{v}`"))
}

fn at(file: &Path, line: Option<usize>, message: String) -> Violation {
    Violation {
        file: file.to_path_buf(),
        line,
        message,
    }
}

fn first_label(block: &Block) -> String {
    block
        .labels()
        .first()
        .map(|l| l.as_str().to_owned())
        .unwrap_or_default()
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(hcl::Attribute::expr)
}

fn string_value(expr: &Expression) -> Option<String> {
    match evaluate(expr) {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// A literal expression's value (a default, a description); anything that needs a context
/// (a reference, a function call) is kept as its HCL text.
fn evaluate(expr: &Expression) -> serde_json::Value {
    expr.evaluate(&Context::new())
        .ok()
        .and_then(|value| serde_json::to_value(value).ok())
        .unwrap_or_else(|| serde_json::Value::String(expr.to_string()))
}

/// The 1-based line of `identifier "label"` in `text` (1 when it cannot be found).
fn line_of(text: &str, identifier: &str, label: &str) -> usize {
    let needle = format!("{identifier} \"{label}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with(&needle))
        .map_or(1, |i| i + 1)
}

/// One template folder and how it meets the contract.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The template.
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// What breaks the contract (empty: it meets it).
    pub violations: Vec<Violation>,
}

/// Every template folder checked: `idp templates check`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Each template folder, by name.
    pub templates: Vec<Checked>,
}

impl CheckReport {
    /// Whether every template meets the contract.
    pub fn ok(&self) -> bool {
        self.templates.iter().all(|t| t.violations.is_empty())
    }
}

/// Checks the templates `names` (every template folder of every directory when empty) of the
/// platform's `dir` and the teams' `team_dirs`. A name found in no directory is an error.
pub fn check_all(
    dir: &Path,
    team_dirs: &[PathBuf],
    names: &[String],
) -> crate::error::Result<CheckReport> {
    let mut folders: Vec<(String, PathBuf)> = Vec::new();
    if names.is_empty() {
        for d in std::iter::once(dir).chain(team_dirs.iter().map(PathBuf::as_path)) {
            let Ok(entries) = fs_err::read_dir(d) else {
                continue;
            };
            let mut found: Vec<(String, PathBuf)> = entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .filter(|(n, _)| !n.starts_with('.'))
                .collect();
            found.sort();
            folders.extend(found);
        }
    } else {
        for name in names {
            let folder = TemplateName::new(name)
                .and_then(|_| super::find(dir, team_dirs, name))
                .ok_or_else(|| crate::error::Error::Refused {
                    reason: "unknown_template".to_owned(),
                    message: format!(
                        "template `{}` does not exist: run `idp templates` for the available ones",
                        name.escape_default()
                    ),
                })?;
            folders.push((name.clone(), folder));
        }
    }
    Ok(CheckReport {
        templates: folders
            .into_iter()
            .map(|(name, dir)| Checked {
                violations: check(&dir),
                name,
                dir,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_of(providers: &str) -> (tempfile::TempDir, Module) {
        let tmp = tempfile::tempdir().unwrap();
        let tags = STANDARD_TAGS
            .map(|t| format!("    \"{t}\" = \"x\"\n"))
            .concat();
        fs_err::write(
            tmp.path().join("main.tf"),
            format!("terraform {{\n  backend \"s3\" {{}}\n}}\n\nlocals {{\n  tags = {{\n{tags}  }}\n}}\n\n{providers}"),
        )
        .unwrap();
        let (module, errors) = read_module(tmp.path());
        assert_eq!(errors, []);
        (tmp, module)
    }

    const DEFAULT: &str = "provider \"aws\" {\n  region = var.aws_region\n  default_tags {\n    tags = local.tags\n  }\n}\n";

    fn found(providers: &str) -> Vec<String> {
        let (tmp, module) = module_of(providers);
        backend_and_provider(&module, tmp.path())
            .into_iter()
            .map(|v| v.message)
            .collect()
    }

    #[test]
    fn one_default_provider_meets_the_provider_rule() {
        assert_eq!(found(DEFAULT), Vec::<String>::new());
    }

    #[test]
    fn an_aliased_provider_beside_the_default_one_is_accepted_when_it_tags() {
        let aliased = "provider \"aws\" {\n  alias  = \"us_east_1\"\n  region = \"us-east-1\"\n  default_tags {\n    tags = local.tags\n  }\n}\n";
        assert_eq!(found(&format!("{DEFAULT}{aliased}")), Vec::<String>::new());
        let untagged =
            "provider \"aws\" {\n  alias  = \"us_east_1\"\n  region = \"us-east-1\"\n}\n";
        let messages = found(&format!("{DEFAULT}{untagged}"));
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("`alias = \"us_east_1\"` has no `default_tags`"),
            "{messages:?}"
        );
    }

    #[test]
    fn two_default_providers_or_only_aliased_ones_break_the_provider_rule() {
        let messages = found(&format!("{DEFAULT}{DEFAULT}"));
        assert!(
            messages[0].contains("more than one `provider \"aws\"` without an `alias`"),
            "{messages:?}"
        );
        let only_aliased = "provider \"aws\" {\n  alias  = \"other\"\n  region = var.aws_region\n  default_tags {\n    tags = local.tags\n  }\n}\n";
        let messages = found(only_aliased);
        assert!(
            messages[0].contains("has no `provider \"aws\"` without an `alias`"),
            "{messages:?}"
        );
    }
}
