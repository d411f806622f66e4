//! The working copy an environment's OpenTofu commands run in, and the endpoint override.
//!
//! OpenTofu writes next to the root module it runs in: `init` writes `.terraform.lock.hcl`, and an
//! endpoint override has to be a file of the root module (`*_override.tf.json`). The templates
//! directory is the platform's source, which the running process may not own (a read-only
//! checkout, a package), so nothing is ever written there. Each environment gets a working copy
//! instead, laid out like the directory around the templates so that relative module sources
//! (`../../modules/networking`) resolve as they do in the repository:
//!
//! ```text
//! {data_dir}/{env}/workdir/
//!   modules -> {templates_dir}/../modules      (every sibling of the templates directory, linked)
//!   templates/{template}/                      (the template's files, copied; symlinks followed)
//!     .terraform.lock.hcl                      (written by `init`, kept between runs)
//!     idp_endpoint_override.tf.json            (only with an endpoint override)
//! ```
//!
//! Lock files are not committed to the templates: the provider versions are constrained in each
//! template's `versions.tf`, and the lock file `init` writes in the working copy pins them for the
//! environment's later runs. A template that commits a `.terraform.lock.hcl` has it copied over
//! the working copy's on every run, so a committed lock file wins.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The provider override file written into the working copy when an endpoint is set.
pub const ENDPOINT_OVERRIDE_FILE: &str = "idp_endpoint_override.tf.json";

const LOCK_FILE: &str = ".terraform.lock.hcl";

/// The override document that points the AWS provider at an emulated or compatible endpoint
/// (moto, LocalStack): path-style S3 (an IP endpoint has no bucket subdomains), and no calls
/// that only real AWS answers (credential validation through STS, the account id, the EC2
/// instance metadata service). The endpoint itself reaches the provider as `AWS_ENDPOINT_URL`.
///
/// It merges into every template's and shared stack's `provider "aws"` block (OpenTofu and
/// Terraform both read `*_override.tf.json`).
pub fn endpoint_override_document() -> Value {
    json!({
        "provider": {
            "aws": {
                "s3_use_path_style": true,
                "skip_credentials_validation": true,
                "skip_requesting_account_id": true,
                "skip_metadata_api_check": true
            }
        }
    })
}

/// The `-backend-config` arguments that point the S3 backend (state and its DynamoDB lock) at
/// `endpoint`, with the same checks skipped as [`endpoint_override_document`].
pub fn endpoint_backend_config(endpoint: &str) -> Vec<String> {
    let url = hcl_string(endpoint);
    let mut args = vec![format!(
        "-backend-config=endpoints={{s3={url},dynamodb={url},sts={url}}}"
    )];
    args.extend(
        [
            "use_path_style",
            "skip_credentials_validation",
            "skip_requesting_account_id",
            "skip_metadata_api_check",
            "skip_region_validation",
        ]
        .map(|key| format!("-backend-config={key}=true")),
    );
    args
}

/// `s` as a quoted HCL string literal (a `-backend-config` value is parsed as HCL).
fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            // `${` and `%{` start templates in HCL strings; doubling the sign escapes them.
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Builds (or refreshes) the working copy of `template_dir` under `base` and returns the root
/// module's directory in it. Keeps the lock file of an earlier run; writes the endpoint override
/// when `endpoint` is set and removes it otherwise.
///
/// `own_dir` is the templates directory the template is in: the platform's `platform_dir`, or a
/// team's. The siblings of the platform's directory are linked first and a team directory's own
/// siblings over them, so a team template resolves `../../modules/…` to its team's modules when
/// the team has them and to the platform's otherwise.
pub(super) fn prepare(
    platform_dir: &Path,
    own_dir: &Path,
    template_dir: &Path,
    base: &Path,
    endpoint: Option<&str>,
) -> std::io::Result<PathBuf> {
    let templates_dir = fs_err::canonicalize(own_dir)?;
    let templates_name = templates_dir
        .file_name()
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| "templates".into());
    fs_err::create_dir_all(base)?;
    let mut trees = vec![templates_dir.clone()];
    if let Ok(platform) = fs_err::canonicalize(platform_dir)
        && platform != templates_dir
    {
        trees.insert(0, platform);
    }
    for tree in trees {
        let Some(parent) = tree.parent() else {
            continue;
        };
        let own_name = tree.file_name().map(ToOwned::to_owned);
        for entry in fs_err::read_dir(parent)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == templates_name || Some(&name) == own_name.as_ref() {
                continue;
            }
            let link = base.join(&name);
            if fs_err::symlink_metadata(&link).is_ok() {
                remove(&link)?;
            }
            fs_err::os::unix::fs::symlink(entry.path(), &link)?;
        }
    }
    let template_name = template_dir.file_name().unwrap_or_default();
    let root = base.join(&templates_name).join(template_name);
    fs_err::create_dir_all(&root)?;
    for entry in fs_err::read_dir(&root)? {
        let entry = entry?;
        if entry.file_name() != LOCK_FILE {
            remove(&entry.path())?;
        }
    }
    for entry in fs_err::read_dir(template_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        // OpenTofu's own files in a template directory someone ran it in by hand.
        if name_str == ".terraform" || name_str.starts_with("terraform.tfstate") {
            continue;
        }
        let target = root.join(&name);
        // `metadata` follows symlinks: a linked file (`api-database/variables.tf`) is copied
        // as the file it points to.
        if fs_err::metadata(entry.path())?.is_dir() {
            fs_err::os::unix::fs::symlink(entry.path(), &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    if endpoint.is_some() {
        let doc = serde_json::to_vec_pretty(&endpoint_override_document())?;
        fs_err::write(root.join(ENDPOINT_OVERRIDE_FILE), doc)?;
    }
    Ok(root)
}

fn remove(path: &Path) -> std::io::Result<()> {
    if fs_err::symlink_metadata(path)?.is_dir() {
        fs_err::remove_dir_all(path)
    } else {
        fs_err::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_points_every_service_it_calls_at_the_endpoint() {
        assert_eq!(
            endpoint_backend_config("http://127.0.0.1:5055"),
            [
                r#"-backend-config=endpoints={s3="http://127.0.0.1:5055",dynamodb="http://127.0.0.1:5055",sts="http://127.0.0.1:5055"}"#,
                "-backend-config=use_path_style=true",
                "-backend-config=skip_credentials_validation=true",
                "-backend-config=skip_requesting_account_id=true",
                "-backend-config=skip_metadata_api_check=true",
                "-backend-config=skip_region_validation=true",
            ]
        );
        assert_eq!(hcl_string(r#"a"b\c${x}%{y}"#), r#""a\"b\\c$${x}%%{y}""#);
    }

    #[test]
    fn the_override_sets_path_style_and_skips_the_real_aws_only_calls() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&endpoint_override_document()).unwrap(), @r#"
        {
          "provider": {
            "aws": {
              "s3_use_path_style": true,
              "skip_credentials_validation": true,
              "skip_metadata_api_check": true,
              "skip_requesting_account_id": true
            }
          }
        }
        "#);
    }

    #[test]
    fn the_working_copy_mirrors_the_layout_and_never_writes_into_the_templates() {
        let tmp = tempfile::tempdir().unwrap();
        let infra = tmp.path().join("infrastructure");
        let template = infra.join("templates/api-database");
        fs_err::create_dir_all(&template).unwrap();
        fs_err::create_dir_all(infra.join("modules/networking")).unwrap();
        fs_err::write(infra.join("modules/networking/main.tf"), "# module\n").unwrap();
        fs_err::create_dir_all(infra.join("templates/api-service")).unwrap();
        fs_err::write(infra.join("templates/api-service/variables.tf"), "# vars\n").unwrap();
        fs_err::os::unix::fs::symlink("../api-service/variables.tf", template.join("variables.tf"))
            .unwrap();
        fs_err::write(template.join("main.tf"), "# main\n").unwrap();
        fs_err::write(template.join("terraform.tfstate"), "{}").unwrap();
        let base = tmp.path().join("data/preview-a/workdir");

        let root = prepare(
            &infra.join("templates"),
            &infra.join("templates"),
            &template,
            &base,
            Some("http://e"),
        )
        .unwrap();
        assert_eq!(root, base.join("templates/api-database"));
        // The module source `../../modules/networking` resolves from the copy.
        assert_eq!(
            fs_err::read_to_string(root.join("../../modules/networking/main.tf")).unwrap(),
            "# module\n"
        );
        // The linked file is copied as a plain file, and OpenTofu's state is not.
        assert!(
            !fs_err::symlink_metadata(root.join("variables.tf"))
                .unwrap()
                .is_symlink()
        );
        assert_eq!(
            fs_err::read_to_string(root.join("variables.tf")).unwrap(),
            "# vars\n"
        );
        assert!(!root.join("terraform.tfstate").exists());
        let written: Value = serde_json::from_str(
            &fs_err::read_to_string(root.join(ENDPOINT_OVERRIDE_FILE)).unwrap(),
        )
        .unwrap();
        assert_eq!(written, endpoint_override_document());

        // A second run keeps the lock file `init` wrote, drops what the template no longer has
        // and the override once no endpoint is set.
        fs_err::write(root.join(LOCK_FILE), "# lock\n").unwrap();
        fs_err::write(root.join("stale.tf"), "").unwrap();
        let again = prepare(
            &infra.join("templates"),
            &infra.join("templates"),
            &template,
            &base,
            None,
        )
        .unwrap();
        assert_eq!(
            fs_err::read_to_string(again.join(LOCK_FILE)).unwrap(),
            "# lock\n"
        );
        assert!(!again.join("stale.tf").exists());
        assert!(!again.join(ENDPOINT_OVERRIDE_FILE).exists());

        let mut in_templates: Vec<String> = fs_err::read_dir(&template)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        in_templates.sort();
        assert_eq!(
            in_templates,
            ["main.tf", "terraform.tfstate", "variables.tf"]
        );
    }

    #[test]
    fn a_team_template_uses_the_platforms_modules_unless_its_team_has_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let infra = tmp.path().join("infrastructure");
        fs_err::create_dir_all(infra.join("templates")).unwrap();
        fs_err::create_dir_all(infra.join("modules/common")).unwrap();
        fs_err::write(infra.join("modules/common/main.tf"), "# platform\n").unwrap();
        let team = tmp.path().join("teams/payments");
        let template = team.join("tpl/ledger");
        fs_err::create_dir_all(&template).unwrap();
        fs_err::write(template.join("main.tf"), "# ledger\n").unwrap();
        let base = tmp.path().join("data/preview-l/workdir");

        let root = prepare(
            &infra.join("templates"),
            &team.join("tpl"),
            &template,
            &base,
            None,
        )
        .unwrap();
        assert_eq!(root, base.join("tpl/ledger"));
        assert_eq!(
            fs_err::read_to_string(root.join("../../modules/common/main.tf")).unwrap(),
            "# platform\n"
        );

        fs_err::create_dir_all(team.join("modules/common")).unwrap();
        fs_err::write(team.join("modules/common/main.tf"), "# team\n").unwrap();
        let root = prepare(
            &infra.join("templates"),
            &team.join("tpl"),
            &template,
            &base,
            None,
        )
        .unwrap();
        assert_eq!(
            fs_err::read_to_string(root.join("../../modules/common/main.tf")).unwrap(),
            "# team\n"
        );
    }
}
