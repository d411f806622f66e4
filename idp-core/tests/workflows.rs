//! The workflow files and the inputs idp dispatches agree: every input `--via-github` sends, and
//! every input `idp init`'s consumer workflow passes, is declared by the platform's workflows
//! under both `workflow_dispatch` and `workflow_call` (GitHub refuses a dispatch with an
//! undeclared input: "Unexpected inputs provided").

#![allow(
    clippy::disallowed_methods,
    clippy::print_stderr,
    reason = "the test reads the workflow files from disk, runs the linters and says when it skips"
)]

use std::path::Path;

use idp_core::github::workflows::{
    DESTROY_INPUTS, DESTROY_WORKFLOW, PROVISION_INPUTS, PROVISION_WORKFLOW,
};

fn declared(workflow: &str, trigger: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.github/workflows")
        .join(workflow);
    let text = fs_err::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let inputs = &doc["on"][trigger]["inputs"];
    inputs
        .as_object()
        .unwrap_or_else(|| panic!("{workflow}: no {trigger} inputs"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_dispatched_input_is_declared_by_both_triggers() {
    for (workflow, sent) in [
        (PROVISION_WORKFLOW, &PROVISION_INPUTS[..]),
        (DESTROY_WORKFLOW, &DESTROY_INPUTS[..]),
    ] {
        for trigger in ["workflow_dispatch", "workflow_call"] {
            let declared = declared(workflow, trigger);
            for input in sent {
                assert!(
                    declared.iter().any(|d| d == input),
                    "{workflow} {trigger} does not declare `{input}`: {declared:?}"
                );
            }
        }
    }
}

#[test]
fn both_triggers_declare_the_same_inputs() {
    for workflow in [PROVISION_WORKFLOW, DESTROY_WORKFLOW] {
        assert_eq!(
            declared(workflow, "workflow_dispatch"),
            declared(workflow, "workflow_call"),
            "{workflow}"
        );
    }
}

#[test]
fn the_scaffolded_consumer_workflow_passes_only_declared_inputs() {
    let workflow = idp_core::repo::scaffold::consumer_workflow(
        "acme/idp",
        "v1",
        Some("0123456789abcdef0123456789abcdef01234567"),
    );
    let doc: serde_json::Value = serde_saphyr::from_str(&workflow).unwrap();
    for (job, called) in [
        ("provision", PROVISION_WORKFLOW),
        ("destroy", DESTROY_WORKFLOW),
    ] {
        let with = doc["jobs"][job]["with"].as_object().unwrap();
        let declared = declared(called, "workflow_call");
        for input in with.keys() {
            assert!(
                declared.contains(input),
                "{job} passes undeclared `{input}` to {called}"
            );
        }
    }
}

fn workflow_doc(workflow: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.github/workflows")
        .join(workflow);
    serde_saphyr::from_str(&fs_err::read_to_string(&path).unwrap()).unwrap()
}

const PINNED: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn the_scaffolded_workflow_passes_only_declared_secrets_and_grants_what_the_jobs_need() {
    let workflow = idp_core::repo::scaffold::consumer_workflow("acme/idp", "v1", Some(PINNED));
    let doc: serde_json::Value = serde_saphyr::from_str(&workflow).unwrap();
    assert_eq!(
        doc["permissions"],
        serde_json::json!({}),
        "nothing at workflow level"
    );
    for (job, called) in [
        ("provision", PROVISION_WORKFLOW),
        ("destroy", DESTROY_WORKFLOW),
    ] {
        let callee = workflow_doc(called);
        let declared = callee["on"]["workflow_call"]["secrets"]
            .as_object()
            .unwrap();
        let passed = doc["jobs"][job]["secrets"].as_object().unwrap_or_else(|| {
            panic!(
                "{job}: secrets must be named, not inherited: {}",
                doc["jobs"][job]
            )
        });
        for secret in passed.keys() {
            assert!(
                declared.contains_key(secret),
                "{job} passes undeclared {secret}"
            );
        }
        for (name, spec) in declared {
            if spec["required"] == true {
                assert!(passed.contains_key(name), "{job} misses required {name}");
            }
        }
        // The caller's job must grant every permission the called workflow's jobs ask for.
        let granted = doc["jobs"][job]["permissions"].as_object().unwrap();
        for (callee_job, body) in callee["jobs"].as_object().unwrap() {
            for (scope, level) in body["permissions"].as_object().into_iter().flatten() {
                assert_eq!(
                    granted.get(scope),
                    Some(level),
                    "{job} must grant `{scope}: {level}` for {called}'s job {callee_job}"
                );
            }
        }
        let uses = doc["jobs"][job]["uses"].as_str().unwrap();
        assert!(uses.ends_with(&format!("@{PINNED}")), "{uses}");
    }
    assert!(
        workflow.contains(&format!("@{PINNED} # v1")),
        "the ref stays in a comment"
    );
}

/// actionlint and zizmor (installed by `.ci/workflow-checks.sh` into `.tools/lint`, which
/// `.ci/run` runs before the tests) find nothing in the workflow `idp init` writes.
#[test]
fn the_scaffolded_workflow_passes_actionlint_and_zizmor() {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/lint/bin");
    let (actionlint, zizmor) = (tools.join("actionlint"), tools.join("zizmor"));
    if !actionlint.exists() || !zizmor.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} has no actionlint/zizmor: run `.ci/workflow-checks.sh` first",
            tools.display()
        );
        eprintln!(
            "!!!!! SKIPPED: run `bash .ci/workflow-checks.sh` to install actionlint and zizmor !!!!!"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".github/workflows/preview-env.yml");
    fs_err::create_dir_all(file.parent().unwrap()).unwrap();
    fs_err::write(
        &file,
        idp_core::repo::scaffold::consumer_workflow("acme/idp", "v1", Some(PINNED)),
    )
    .unwrap();
    let lint = std::process::Command::new(&actionlint)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let audit = std::process::Command::new(&zizmor)
        .args(["--offline", "--no-progress"])
        .arg(&file)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.status.success() && said.contains("No findings"),
        "zizmor: {said}{}",
        String::from_utf8_lossy(&audit.stderr)
    );
}
