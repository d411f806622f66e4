//! Static checks of `infrastructure/` (the OpenTofu modules, templates and shared stacks).
//!
//! No OpenTofu binary can run here, so the contract between idp and its templates is checked by
//! parsing the HCL: every file parses, every local module exists, every variable is typed and
//! described, each template's `template.json` agrees with its root module, and the variables and
//! outputs of each template are exactly the ones idp-core passes and reads.
//!
//! Long because it holds one check per contract between idp and its templates, over shared
//! parsers.
#![allow(
    clippy::disallowed_methods,
    reason = "this suite reads the infrastructure/ tree from disk"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use hcl::{Block, Body, Expression};
use idp_core::domain::config::Config;
use idp_core::domain::naming::EnvName;
use idp_core::domain::template::{ECS_TEMPLATES, OPENTOFU_TEMPLATES, TemplateName};
use idp_core::domain::tfvars::{PlatformVars, TfvarsInputs, tfvars, variable_names};

/// The OpenTofu templates shipped in `infrastructure/templates/` (idp-core's list); the
/// folders of templates another provisioner applies hold only their `template.json`.
const TEMPLATES: [&str; 5] = OPENTOFU_TEMPLATES;

fn template_name(template: &str) -> TemplateName {
    TemplateName::new(template).unwrap_or_else(|| panic!("`{template}` is not a template name"))
}

/// Variables every template declares, with their HCL type.
const COMMON_VARIABLES: [(&str, &str); 18] = [
    ("environment_name", "string"),
    ("owner", "string"),
    ("ttl", "string"),
    ("created_at", "string"),
    ("expires_at", "string"),
    ("aws_region", "string"),
    ("container_image", "string"),
    ("cpu", "number"),
    ("memory", "number"),
    ("log_retention_days", "number"),
    ("environment_variables", "map(string)"),
    ("secret_variables", "map(string)"),
    ("use_shared_networking", "bool"),
    ("state_bucket", "string"),
    ("nat_gateway_per_az", "bool"),
    ("enable_flow_logs", "bool"),
    ("cost_center", "string"),
    ("permissions_boundary_arn", "string"),
];

/// Variables the two HTTP templates add.
const HTTP_VARIABLES: [(&str, &str); 9] = [
    ("container_port", "number"),
    ("health_check_path", "string"),
    ("acm_certificate_arn", "string"),
    ("route53_zone_id", "string"),
    ("preview_domain", "string"),
    ("alb_access_logs_bucket", "string"),
    ("use_shared_ingress", "bool"),
    ("listener_rule_priority", "number"),
    ("alarm_topic_arn", "string"),
];

/// Variables the scheduled template adds.
const SCHEDULED_VARIABLES: [(&str, &str); 2] = [
    ("schedule_expression", "string"),
    ("s3_bucket_arn", "string"),
];

/// The variables of `static-site`: the tags, its host name and its alarm target.
const STATIC_SITE_VARIABLES: [(&str, &str); 11] = [
    ("environment_name", "string"),
    ("owner", "string"),
    ("ttl", "string"),
    ("created_at", "string"),
    ("expires_at", "string"),
    ("aws_region", "string"),
    ("cost_center", "string"),
    ("acm_certificate_arn", "string"),
    ("route53_zone_id", "string"),
    ("preview_domain", "string"),
    ("alarm_topic_arn", "string"),
];

/// The variables `lambda-api` adds to those of `static-site` (the permissions boundary is for
/// its execution role; `static-site` creates no IAM role).
const LAMBDA_API_VARIABLES: [(&str, &str); 5] = [
    ("log_retention_days", "number"),
    ("environment_variables", "map(string)"),
    ("image_uri", "string"),
    ("lambda_zip", "string"),
    ("permissions_boundary_arn", "string"),
];

/// The variables (name → type) a template's root module must declare, and no others. The names
/// are checked against idp-core's [`variable_names`] too; the types live only here.
fn contract_variables(template: &str) -> BTreeMap<&'static str, &'static str> {
    match template {
        "static-site" => return STATIC_SITE_VARIABLES.into_iter().collect(),
        "lambda-api" => {
            return STATIC_SITE_VARIABLES
                .iter()
                .chain(&LAMBDA_API_VARIABLES)
                .copied()
                .collect();
        }
        _ => {}
    }
    let extra: &[(&str, &str)] = match template {
        "api-service" | "api-database" => &HTTP_VARIABLES,
        "scheduled-worker" => &SCHEDULED_VARIABLES,
        other => panic!("no variable contract for template `{other}`"),
    };
    COMMON_VARIABLES.iter().chain(extra).copied().collect()
}

/// The outputs a template's root module must declare, and no others.
fn contract_outputs(template: &str) -> BTreeSet<&'static str> {
    let outputs: &[&str] = match template {
        "api-service" => &[
            "endpoint",
            "cluster_name",
            "service_name",
            "log_group",
            "alarm_names",
        ],
        "api-database" => &[
            "endpoint",
            "cluster_name",
            "service_name",
            "log_group",
            "alarm_names",
            "db_endpoint",
            "db_name",
            "db_credentials_secret_arn",
        ],
        "scheduled-worker" => &[
            "cluster_name",
            "task_definition_arn",
            "event_rule_name",
            "log_group",
        ],
        "static-site" => &["endpoint", "bucket_name", "distribution_id", "alarm_names"],
        "lambda-api" => &[
            "endpoint",
            "function_name",
            "api_id",
            "log_group",
            "alarm_names",
        ],
        other => panic!("no output contract for template `{other}`"),
    };
    outputs.iter().copied().collect()
}

fn infrastructure_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("infrastructure")
}

/// Every `.tf` file under `dir`, recursively, sorted.
fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", current.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", current.display()))
                .path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() && !name.starts_with('.') {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "tf") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()))
}

fn parse(path: &Path) -> Body {
    hcl::parse(&read(path)).unwrap_or_else(|e| panic!("`{}` does not parse: {e}", path.display()))
}

/// Directories directly under `infrastructure/{group}` that hold OpenTofu files (a template
/// another provisioner applies holds only its `template.json` and README).
fn stack_dirs(group: &str) -> Vec<PathBuf> {
    let dir = infrastructure_dir().join(group);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir() && !tf_files(path).is_empty())
        .collect();
    dirs.sort();
    dirs
}

/// Every module, template and shared stack directory.
fn all_stack_dirs() -> Vec<PathBuf> {
    ["modules", "templates", "shared"]
        .iter()
        .flat_map(|group| stack_dirs(group))
        .collect()
}

/// Top-level blocks `identifier "label" { ... }` of every `.tf` file directly in `dir`, as
/// (file, block) pairs.
fn blocks_in(dir: &Path, identifier: &str) -> Vec<(PathBuf, Block)> {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list `{}`: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|file| {
            let body = parse(&file);
            body.blocks()
                .filter(|block| block.identifier() == identifier)
                .cloned()
                .map(|block| (file.clone(), block))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn first_label(block: &Block) -> String {
    block
        .labels()
        .first()
        .map(|label| label.as_str().to_owned())
        .unwrap_or_default()
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|attr| attr.key() == key)
        .map(|attr| attr.expr())
}

/// Variable name → block, for the variables declared in `dir`.
fn variables(dir: &Path) -> BTreeMap<String, Block> {
    blocks_in(dir, "variable")
        .into_iter()
        .map(|(_, block)| (first_label(&block), block))
        .collect()
}

/// Names of the outputs declared in the given file only.
fn outputs_in_file(file: &Path) -> BTreeSet<String> {
    parse(file)
        .blocks()
        .filter(|block| block.identifier() == "output")
        .map(first_label)
        .collect()
}

fn template_dir(template: &str) -> PathBuf {
    infrastructure_dir().join("templates").join(template)
}

fn template_json(template: &str) -> serde_json::Value {
    let path = template_dir(template).join("template.json");
    serde_json::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", path.display()))
}

fn string_set(value: &serde_json::Value, key: &str, template: &str) -> BTreeSet<String> {
    value
        .get(key)
        .and_then(serde_json::Value::as_array)
        .unwrap_or_else(|| panic!("template.json of `{template}` has no `{key}` array"))
        .iter()
        .map(|item| {
            item.as_str()
                .unwrap_or_else(|| panic!("`{key}` of `{template}` holds a non-string"))
                .to_owned()
        })
        .collect()
}

fn owned(set: impl IntoIterator<Item = impl ToString>) -> BTreeSet<String> {
    set.into_iter().map(|item| item.to_string()).collect()
}

#[test]
fn every_tf_file_under_infrastructure_parses() {
    let files = tf_files(&infrastructure_dir());
    assert!(
        files.len() >= 50,
        "expected the whole infrastructure tree, found only {} .tf files",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|file| {
            hcl::parse(&read(file))
                .err()
                .map(|e| format!("{}: {e}", file.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "unparsable files:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_local_module_source_points_at_an_existing_module() {
    let mut checked = 0;
    for file in tf_files(&infrastructure_dir()) {
        for block in parse(&file).blocks().filter(|b| b.identifier() == "module") {
            let Some(Expression::String(source)) = attribute(block.body(), "source") else {
                panic!(
                    "module `{}` in `{}` has no literal source",
                    first_label(block),
                    file.display()
                );
            };
            assert!(
                source.starts_with("../../modules/"),
                "module `{}` in `{}` uses source `{source}`; use a local ../../modules/ path",
                first_label(block),
                file.display()
            );
            let target = file
                .parent()
                .map(|dir| dir.join(source))
                .unwrap_or_default();
            assert!(
                !tf_files(&target).is_empty(),
                "module source `{source}` in `{}` is not a module directory",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 8,
        "expected every template to compose modules, found {checked} module blocks"
    );
}

#[test]
fn every_variable_has_a_type_and_a_description_and_every_output_a_description() {
    let mut problems = Vec::new();
    for dir in all_stack_dirs() {
        for (file, block) in blocks_in(&dir, "variable") {
            for key in ["type", "description"] {
                if attribute(block.body(), key).is_none() {
                    problems.push(format!(
                        "{}: variable `{}` has no {key}",
                        file.display(),
                        first_label(&block)
                    ));
                }
            }
        }
        for (file, block) in blocks_in(&dir, "output") {
            if attribute(block.body(), "description").is_none() {
                problems.push(format!(
                    "{}: output `{}` has no description",
                    file.display(),
                    first_label(&block)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_stack_has_versions_variables_outputs_and_a_readme() {
    let mut problems = Vec::new();
    for dir in all_stack_dirs() {
        for name in ["versions.tf", "variables.tf", "outputs.tf", "README.md"] {
            if !dir.join(name).is_file() {
                problems.push(format!("{} has no {name}", dir.display()));
            }
        }
        let versions = read(&dir.join("versions.tf"));
        for needle in [
            "required_version = \">= 1.6\"",
            "source  = \"hashicorp/aws\"",
            "version = \"~> 5.0\"",
        ] {
            if !versions.contains(needle) {
                problems.push(format!("{}/versions.tf lacks `{needle}`", dir.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn templates_and_shared_stacks_use_a_partial_s3_backend() {
    let roots = stack_dirs("templates").into_iter().chain(
        stack_dirs("shared")
            .into_iter()
            .filter(|dir| !dir.ends_with("bootstrap")),
    );
    for dir in roots {
        let backends: Vec<Block> = blocks_in(&dir, "terraform")
            .into_iter()
            .flat_map(|(_, block)| {
                block
                    .body()
                    .blocks()
                    .filter(|b| b.identifier() == "backend")
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            backends.len(),
            1,
            "{} must declare exactly one backend",
            dir.display()
        );
        let backend = &backends[0];
        assert_eq!(
            first_label(backend),
            "s3",
            "{} must use the s3 backend",
            dir.display()
        );
        assert!(
            backend.body().iter().next().is_none(),
            "{}: the backend block must be empty (partial configuration, values come from -backend-config)",
            dir.display()
        );
    }
}

#[test]
fn no_file_sets_idp_managed_to_anything_but_true() {
    for file in tf_files(&infrastructure_dir()) {
        for (number, line) in read(&file).lines().enumerate() {
            let Some((_, rest)) = line.split_once("\"idp:managed\"") else {
                continue;
            };
            let rest = rest.trim_start();
            if rest.starts_with('=') && !rest.starts_with("==") {
                assert!(
                    rest[1..].trim_start().starts_with("\"true\""),
                    "{}:{}: `idp:managed` must be \"true\": {line}",
                    file.display(),
                    number + 1
                );
            }
        }
    }
}

#[test]
fn every_template_declares_exactly_the_contract_variables_with_their_types() {
    for template in TEMPLATES {
        let declared = variables(&template_dir(template));
        let expected = contract_variables(template);
        assert_eq!(
            owned(declared.keys()),
            owned(variable_names(&template_name(template))),
            "variables of template `{template}` against idp-core's tfvars::variable_names"
        );
        assert_eq!(
            owned(declared.keys()),
            owned(expected.keys()),
            "variables of template `{template}`"
        );
        for (name, hcl_type) in expected {
            let block = &declared[name];
            let actual = attribute(block.body(), "type").map(ToString::to_string);
            assert_eq!(
                actual.as_deref(),
                Some(hcl_type),
                "type of `{name}` in `{template}`"
            );
        }
        let outside: Vec<PathBuf> = blocks_in(&template_dir(template), "variable")
            .into_iter()
            .map(|(file, _)| file)
            .filter(|file| !file.ends_with("variables.tf"))
            .collect();
        assert!(
            outside.is_empty(),
            "`{template}` declares variables outside variables.tf: {outside:?}"
        );
    }
}

#[test]
fn every_template_declares_exactly_the_contract_outputs() {
    for template in TEMPLATES {
        let dir = template_dir(template);
        let in_outputs_tf = outputs_in_file(&dir.join("outputs.tf"));
        let everywhere = owned(
            blocks_in(&dir, "output")
                .iter()
                .map(|(_, b)| first_label(b)),
        );
        assert_eq!(
            in_outputs_tf, everywhere,
            "`{template}` declares outputs outside outputs.tf"
        );
        assert_eq!(
            in_outputs_tf,
            owned(template_name(template).expected_outputs()),
            "outputs of template `{template}` against idp-core's TemplateName::expected_outputs"
        );
        assert_eq!(
            in_outputs_tf,
            owned(contract_outputs(template)),
            "outputs of template `{template}`"
        );
    }
}

#[test]
fn every_template_manifest_matches_its_root_module() {
    let dirs = stack_dirs("templates");
    assert_eq!(dirs.len(), TEMPLATES.len(), "templates/ holds {dirs:?}");
    for template in TEMPLATES {
        let dir = template_dir(template);
        let manifest = template_json(template);
        assert_eq!(
            manifest.get("name").and_then(|v| v.as_str()),
            Some(template),
            "name in `{template}`/template.json"
        );
        for key in ["description", "cost_note"] {
            let text = manifest.get(key).and_then(|v| v.as_str()).unwrap_or("");
            assert!(
                !text.trim().is_empty(),
                "`{template}`/template.json needs a non-empty `{key}`"
            );
        }
        let cost = manifest
            .get("hourly_cost_usd")
            .and_then(serde_json::Value::as_f64);
        assert!(
            cost.is_some_and(|c| c > 0.0 && c < 10.0),
            "`{template}`/template.json: hourly_cost_usd is {cost:?}"
        );

        let outputs = string_set(&manifest, "outputs", template);
        assert_eq!(
            outputs,
            outputs_in_file(&dir.join("outputs.tf")),
            "outputs in `{template}`/template.json"
        );

        let declared = variables(&dir);
        let without_default: BTreeSet<String> = declared
            .iter()
            .filter(|(_, block)| attribute(block.body(), "default").is_none())
            .map(|(name, _)| name.clone())
            .collect();
        let with_default: BTreeSet<String> = owned(declared.keys())
            .difference(&without_default)
            .cloned()
            .collect();
        assert_eq!(
            string_set(&manifest, "required", template),
            without_default,
            "required in `{template}`/template.json"
        );
        assert_eq!(
            string_set(&manifest, "optional", template),
            with_default,
            "optional in `{template}`/template.json"
        );
    }
}

#[test]
fn every_template_tags_through_default_tags_and_takes_its_region_from_a_variable() {
    for template in TEMPLATES {
        let dir = template_dir(template);
        let providers: Vec<Block> = blocks_in(&dir, "provider")
            .into_iter()
            .map(|(_, block)| block)
            .filter(|block| first_label(block) == "aws")
            .filter(|block| attribute(block.body(), "alias").is_none())
            .collect();
        assert_eq!(
            providers.len(),
            1,
            "`{template}` needs one default aws provider"
        );
        let provider = &providers[0];
        assert_eq!(
            attribute(provider.body(), "region")
                .map(ToString::to_string)
                .as_deref(),
            Some("var.aws_region"),
            "region of `{template}`"
        );
        assert!(
            provider
                .body()
                .blocks()
                .any(|b| b.identifier() == "default_tags"),
            "`{template}` provider has no default_tags"
        );
        let main = read(&dir.join("main.tf"));
        for tag in [
            "\"idp:managed\"     = \"true\"",
            "\"idp:environment\" = var.environment_name",
            &format!("template = \"{template}\""),
            "\"idp:template\"    = local.template",
            "\"idp:owner\"       = var.owner",
            "\"idp:created-at\"  = var.created_at",
            "\"idp:ttl\"         = var.ttl",
            "\"idp:expires-at\"  = var.expires_at",
            "\"cost-center\"     = var.cost_center",
        ] {
            assert!(main.contains(tag), "`{template}`/main.tf lacks `{tag}`");
        }
    }
}

#[test]
fn every_template_can_swap_its_own_network_for_the_shared_preview_network() {
    // The serverless templates have no network of their own to swap.
    for template in ECS_TEMPLATES {
        let dir = template_dir(template);
        let remote_state = blocks_in(&dir, "data")
            .into_iter()
            .map(|(_, block)| block)
            .find(|block| {
                block.labels().first().map(|l| l.as_str()) == Some("terraform_remote_state")
                    && block.labels().get(1).map(|l| l.as_str()) == Some("shared_networking")
            })
            .unwrap_or_else(|| panic!("`{template}` does not read the shared network's state"));
        let body = remote_state.body();
        assert_eq!(
            attribute(body, "backend")
                .map(ToString::to_string)
                .as_deref(),
            Some("\"s3\""),
            "`{template}` remote state backend"
        );
        let Some(Expression::Object(config)) = attribute(body, "config") else {
            panic!("`{template}` remote state has no config object");
        };
        let value = |key: &str| {
            config
                .iter()
                .find(|(k, _)| k.to_string() == key)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(value("bucket").as_deref(), Some("var.state_bucket"));
        assert_eq!(value("region").as_deref(), Some("var.aws_region"));
        assert_eq!(
            value("key").as_deref(),
            Some("\"shared/preview-networking/terraform.tfstate\"")
        );
        // The HTTP templates' shared load balancer stands in the shared VPC, so their switch is
        // `local.shared_networking` (`var.use_shared_networking || var.use_shared_ingress`).
        let switch = if template == "scheduled-worker" {
            "var.use_shared_networking"
        } else {
            let local = blocks_in(&dir, "locals")
                .into_iter()
                .find_map(|(_, b)| attribute(b.body(), "shared_networking").map(|e| e.to_string()));
            assert_eq!(
                local.as_deref(),
                Some("var.use_shared_networking || var.use_shared_ingress"),
                "`{template}`'s local.shared_networking"
            );
            "local.shared_networking"
        };
        for (label, count) in [
            ("shared_networking", format!("{switch} ? 1 : 0")),
            ("networking", format!("{switch} ? 0 : 1")),
        ] {
            let block = if label == "networking" {
                blocks_in(&dir, "module")
                    .into_iter()
                    .map(|(_, b)| b)
                    .find(|b| first_label(b) == label)
            } else {
                Some(remote_state.clone())
            };
            let actual = block
                .as_ref()
                .and_then(|b| attribute(b.body(), "count"))
                .map(ToString::to_string);
            assert_eq!(
                actual.as_deref(),
                Some(count.as_str()),
                "count of `{label}` in `{template}`"
            );
        }
    }
}

/// Whether a JSON value written by idp-core fits an HCL variable type of the contract.
fn fits(value: &serde_json::Value, hcl_type: &str) -> bool {
    match hcl_type {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "bool" => value.is_boolean(),
        "map(string)" => value
            .as_object()
            .is_some_and(|map| map.values().all(serde_json::Value::is_string)),
        _ => false,
    }
}

#[test]
fn the_tfvars_idp_core_writes_fill_every_template_variable_with_a_value_of_its_type() {
    let inputs = TfvarsInputs {
        owner: "dev@example.com".to_owned(),
        created_at: Utc.with_ymd_and_hms(2026, 2, 18, 22, 3, 39).unwrap(),
        expires_at: Utc.with_ymd_and_hms(2026, 2, 25, 22, 3, 39).unwrap(),
        image: Some(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/idp-preview:preview-x-1a2b3c4".to_owned(),
        ),
        aws_region: "us-east-1".to_owned(),
        platform: PlatformVars::default(),
        repository: None,
        branch: None,
        listener_rule_priority: None,
    };
    let env = EnvName::parse("preview-payment-api").unwrap();
    for template in TEMPLATES {
        let mut config = Config {
            template: template_name(template),
            ..Config::default()
        };
        if config.template.is_scheduled() {
            config.schedule_expression = Some("rate(1 hour)".to_owned());
        }
        let vars = tfvars(&config, &env, &inputs);
        let declared = variables(&template_dir(template));
        assert_eq!(
            owned(vars.keys()),
            owned(declared.keys()),
            "tfvars keys against the variables of `{template}`"
        );
        for (name, hcl_type) in contract_variables(template) {
            let value = &vars[name];
            assert!(
                fits(value, hcl_type),
                "`{template}`: idp-core writes `{name}` = {value}, the template declares {hcl_type}"
            );
        }
    }
}

/// A check a `validation` condition makes on one variable, found by walking its expression.
#[derive(Debug)]
enum Rule {
    /// `can(regex("pattern", subject))`, or its negation `!can(regex(...))`.
    Regex {
        pattern: String,
        subject: String,
        negated: bool,
    },
    /// `contains([numbers], subject)`.
    OneOf { allowed: Vec<f64>, subject: String },
}

/// Collects the `regex` and `contains` checks in `expr`. `bindings` maps the variables of the
/// enclosing `for` expressions to the collection they iterate (`values(var.x)`, `keys(var.x)`),
/// so that a subject names the tfvars value it checks.
fn collect_rules(
    expr: &Expression,
    bindings: &BTreeMap<String, String>,
    negated: bool,
    out: &mut Vec<Rule>,
) {
    let resolve = |subject: &Expression| {
        let text = subject.to_string();
        bindings.get(&text).cloned().unwrap_or(text)
    };
    match expr {
        Expression::FuncCall(call) => {
            match (call.name.name.as_str(), call.args.as_slice()) {
                ("regex", [Expression::String(pattern), subject]) => out.push(Rule::Regex {
                    pattern: pattern.clone(),
                    subject: resolve(subject),
                    negated,
                }),
                ("contains", [Expression::Array(items), subject]) => {
                    let allowed: Option<Vec<f64>> = items
                        .iter()
                        .map(|item| match item {
                            Expression::Number(n) => n.as_f64(),
                            _ => None,
                        })
                        .collect();
                    if let Some(allowed) = allowed {
                        out.push(Rule::OneOf {
                            allowed,
                            subject: resolve(subject),
                        });
                    }
                }
                _ => {}
            }
            for arg in &call.args {
                collect_rules(arg, bindings, negated, out);
            }
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(unary) => {
                let not = unary.operator == hcl::expr::UnaryOperator::Not;
                collect_rules(&unary.expr, bindings, negated != not, out);
            }
            hcl::expr::Operation::Binary(binary) => {
                collect_rules(&binary.lhs_expr, bindings, negated, out);
                collect_rules(&binary.rhs_expr, bindings, negated, out);
            }
        },
        Expression::Conditional(cond) => {
            for e in [&cond.cond_expr, &cond.true_expr, &cond.false_expr] {
                collect_rules(e, bindings, negated, out);
            }
        }
        Expression::Parenthesis(inner) => collect_rules(inner, bindings, negated, out),
        Expression::ForExpr(for_expr) => {
            let mut inner = bindings.clone();
            inner.insert(
                for_expr.value_var.as_str().to_owned(),
                for_expr.collection_expr.to_string(),
            );
            let parts = [
                Some(&for_expr.value_expr),
                for_expr.key_expr.as_ref(),
                for_expr.cond_expr.as_ref(),
            ];
            for e in parts.into_iter().flatten() {
                collect_rules(e, &inner, negated, out);
            }
        }
        Expression::Array(items) => {
            for item in items {
                collect_rules(item, bindings, negated, out);
            }
        }
        _ => {}
    }
}

/// The strings a rule subject (`var.x`, `values(var.x)`, `keys(var.x)`) stands for in `vars`.
fn subject_strings(
    subject: &str,
    vars: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let name = |prefix: &str| {
        subject
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(str::to_owned)
    };
    let object = |var: &str| {
        vars.get(var)
            .and_then(serde_json::Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    if let Some(var) = name("values(var.") {
        object(&var)
            .values()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    } else if let Some(var) = name("keys(var.") {
        object(&var).keys().cloned().collect()
    } else if let Some(var) = subject.strip_prefix("var.") {
        vars.get(var)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .into_iter()
            .collect()
    } else {
        Vec::new()
    }
}

/// Every validation failure the template's root variables would report for `vars`.
fn validation_failures(
    template: &str,
    vars: &serde_json::Map<String, serde_json::Value>,
) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, block) in variables(&template_dir(template)) {
        for validation in block
            .body()
            .blocks()
            .filter(|b| b.identifier() == "validation")
        {
            let Some(condition) = attribute(validation.body(), "condition") else {
                continue;
            };
            let value = vars.get(&name);
            // `var.x == "" || ...` accepts the empty string without further checks.
            if value.and_then(|v| v.as_str()) == Some("")
                && condition
                    .to_string()
                    .contains(&format!("var.{name} == \"\""))
            {
                continue;
            }
            let mut rules = Vec::new();
            collect_rules(condition, &BTreeMap::new(), false, &mut rules);
            for rule in rules {
                match rule {
                    Rule::Regex {
                        pattern,
                        subject,
                        negated,
                    } => {
                        let re = regex::Regex::new(&pattern).unwrap_or_else(|e| {
                            panic!("`{template}`: pattern of `{name}` does not compile: {e}")
                        });
                        for text in subject_strings(&subject, vars) {
                            checked += 1;
                            if re.is_match(&text) == negated {
                                let verb = if negated { "matches" } else { "does not match" };
                                failures.push(format!("`{name}`: {text:?} {verb} {pattern}"));
                            }
                        }
                    }
                    Rule::OneOf { allowed, subject } => {
                        let var = subject.strip_prefix("var.").unwrap_or(&subject);
                        if let Some(number) = vars.get(var).and_then(serde_json::Value::as_f64) {
                            checked += 1;
                            if !allowed.contains(&number) {
                                failures
                                    .push(format!("`{name}`: {number} is not one of {allowed:?}"));
                            }
                        }
                    }
                }
            }
        }
    }
    (checked, failures)
}

#[test]
fn the_tfvars_idp_core_writes_pass_the_templates_validations() {
    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf";
    let defaults = TfvarsInputs {
        owner: "12345+octocat@users.noreply.github.com".to_owned(),
        created_at: Utc.with_ymd_and_hms(2026, 2, 18, 22, 3, 39).unwrap(),
        expires_at: Utc.with_ymd_and_hms(2026, 2, 25, 22, 3, 39).unwrap(),
        image: None,
        aws_region: "us-east-1".to_owned(),
        platform: PlatformVars::default(),
        repository: None,
        branch: None,
        listener_rule_priority: None,
    };
    let everything_set = TfvarsInputs {
        image: Some("123456789012.dkr.ecr.eu-west-3.amazonaws.com/idp-preview:preview-payment-api-1a2b3c4".to_owned()),
        aws_region: "eu-west-3".to_owned(),
        platform: PlatformVars {
            state_bucket: "my-org-idp-state".to_owned(),
            acm_certificate_arn: "arn:aws:acm:eu-west-3:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789".to_owned(),
            route53_zone_id: "Z0123456789ABCDEFGHIJ".to_owned(),
            preview_domain: "preview.example.com".to_owned(),
            alb_access_logs_bucket: "my-org-idp-alb-logs".to_owned(),
            cost_center: "payments".to_owned(),
            nat_gateway_per_az: true,
            enable_flow_logs: true,
            permissions_boundary: "arn:aws:iam::123456789012:policy/idp-boundary-acme+payments".to_owned(),
            regional_certificates: Vec::new(),
            use_shared_ingress: true,
            alarm_topic_arn: "arn:aws:sns:eu-west-3:123456789012:idp-alarms".to_owned(),
        },
        listener_rule_priority: Some(4242),
        ..defaults.clone()
    };
    let env = EnvName::parse("preview-payment-api").unwrap();
    for template in TEMPLATES {
        let plain = Config {
            template: template_name(template),
            schedule_expression: template_name(template)
                .is_scheduled()
                .then(|| "rate(1 hour)".to_owned()),
            ..Config::default()
        };
        let mut rich = plain.clone();
        rich.cpu = 1024;
        rich.memory = 4096;
        rich.log_retention_days = 14;
        rich.container_port = 8080;
        rich.health_check_path = "/api/health".to_owned();
        rich.use_shared_networking = true;
        rich.environment
            .insert("NODE_ENV".to_owned(), "preview".to_owned());
        rich.secrets.insert(
            "DATABASE_PASSWORD".to_owned(),
            format!("{SECRET}:password::"),
        );
        rich.secrets.insert(
            "API_TOKEN".to_owned(),
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:api".to_owned(),
        );
        if rich.template.is_scheduled() {
            rich.schedule_expression = Some("cron(0 3 * * ? *)".to_owned());
            rich.s3_bucket_arn = Some("arn:aws:s3:::my-org-reports".to_owned());
        }
        // The serverless templates declare fewer variables, so fewer validations.
        let (few, many) = if plain.template.is_serverless() {
            (5, 7)
        } else {
            (8, 15)
        };
        for (config, inputs, least) in [(&plain, &defaults, few), (&rich, &everything_set, many)] {
            let vars = tfvars(config, &env, inputs);
            let (checked, failures) = validation_failures(template, &vars);
            assert!(
                checked >= least,
                "`{template}`: only {checked} validations could be checked"
            );
            assert!(
                failures.is_empty(),
                "`{template}` rejects idp-core's tfvars:\n{}",
                failures.join("\n")
            );
        }
    }
}

/// `idp exec` on AWS needs ECS Exec on the service and the session channels on the task role;
/// moto does not keep the service's flag, so the templates are checked here.
#[test]
fn the_http_templates_turn_on_ecs_exec_for_the_service_and_the_task_role() {
    for template in ["api-service", "api-database"] {
        let modules = blocks_in(&template_dir(template), "module");
        for module in ["common", "service"] {
            let (_, block) = modules
                .iter()
                .find(|(_, b)| first_label(b) == module)
                .unwrap_or_else(|| panic!("{template} has no module `{module}`"));
            assert_eq!(
                attribute(block.body(), "enable_execute_command"),
                Some(&Expression::Bool(true)),
                "{template}: module `{module}` must set enable_execute_command = true"
            );
        }
    }
    let service = read(&infrastructure_dir().join("modules/ecs-service/main.tf"));
    assert!(service.contains("enable_execute_command            = var.enable_execute_command"));
    let common = read(&infrastructure_dir().join("modules/common/main.tf"));
    for action in [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ] {
        assert!(common.contains(action), "the task role may {action}");
    }
}

/// `k8s-namespace` has no root module: its manifest is checked against the variables idp
/// writes for it and the outputs its provisioner reports, both ways.
#[test]
fn the_kubernetes_template_manifest_matches_its_variables_and_outputs() {
    let template = "k8s-namespace";
    let dir = template_dir(template);
    assert!(
        tf_files(&dir).is_empty(),
        "`{template}` is applied by the Kubernetes provisioner: no .tf files"
    );
    assert!(
        dir.join("README.md").is_file(),
        "`{template}` needs a README"
    );
    let manifest = template_json(template);
    assert_eq!(manifest["provisioner"], "kubernetes");
    let mut declared = string_set(&manifest, "required", template);
    declared.extend(string_set(&manifest, "optional", template));
    assert_eq!(
        declared,
        owned(variable_names(&template_name(template))),
        "variables in `{template}`/template.json"
    );
    assert_eq!(
        string_set(&manifest, "outputs", template),
        owned(template_name(template).expected_outputs()),
        "outputs in `{template}`/template.json"
    );
}
