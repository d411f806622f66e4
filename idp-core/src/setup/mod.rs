//! Opening the platform for a frontend: the one place that reads the environment
//! ([`env_vars`]), the user settings file ([`settings`]), the credential store
//! ([`credentials`]) and a repository's `.idp/config.yml` ([`config_file`]), and turns them into
//! a [`Platform`](crate::platform::Platform) ([`open`]).

pub mod config_file;
pub mod credentials;
pub mod env_vars;
pub mod open;
pub mod settings;

/// The approval rules of the templates in `dir` (each `<name>/template.json`'s `approval`),
/// or of the built-in templates this build carries when `dir` is not a directory (see
/// [`crate::repo::templates::approval_rules_or_builtin`], which this mirrors without importing
/// `repo`). An invalid rule is an error: it must not switch approval off.
#[allow(
    clippy::disallowed_methods,
    reason = "template manifests are files on disk"
)]
pub(crate) fn approval_rules(
    dir: &std::path::Path,
) -> crate::error::Result<std::collections::BTreeMap<String, crate::domain::approval::ApprovalRule>>
{
    use crate::domain::approval::ApprovalRule;
    let bad = |path: String, reason: String| crate::error::Error::Refused {
        reason: "invalid_template".to_owned(),
        message: format!("`{path}`: {reason}"),
    };
    let mut texts: Vec<(String, String)> = Vec::new();
    if dir.is_dir() {
        for entry in fs_err::read_dir(dir)
            .map_err(|e| bad(dir.display().to_string(), e.to_string()))?
            .flatten()
        {
            let path = entry.path().join("template.json");
            if let Ok(text) = fs_err::read_to_string(&path) {
                texts.push((path.display().to_string(), text));
            }
        }
    } else {
        for (name, text) in BUILTIN_MANIFESTS {
            texts.push((format!("built-in {name}/template.json"), text.to_owned()));
        }
    }
    let mut rules = std::collections::BTreeMap::new();
    for (path, text) in texts {
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(path.clone(), e.to_string()))?;
        let (Some(name), Some(rule)) = (doc["name"].as_str(), doc.get("approval")) else {
            continue;
        };
        let rule: ApprovalRule =
            serde_json::from_value(rule.clone()).map_err(|e| bad(path.clone(), e.to_string()))?;
        rule.check().map_err(|reason| bad(path.clone(), reason))?;
        rules.insert(name.to_owned(), rule);
    }
    Ok(rules)
}

const BUILTIN_MANIFESTS: [(&str, &str); 2] = [
    (
        "api-database",
        include_str!("../../../infrastructure/templates/api-database/template.json"),
    ),
    (
        "api-service",
        include_str!("../../../infrastructure/templates/api-service/template.json"),
    ),
];
