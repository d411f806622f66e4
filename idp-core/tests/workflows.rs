//! The workflow files and the inputs idp dispatches agree: every input `--via-github` sends, and
//! every input `idp init`'s consumer workflow passes, is declared by the platform's workflows
//! under both `workflow_dispatch` and `workflow_call` (GitHub refuses a dispatch with an
//! undeclared input: "Unexpected inputs provided").

#![allow(
    clippy::disallowed_methods,
    reason = "the test reads the workflow files from disk"
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
    let workflow = idp_core::repo::scaffold::consumer_workflow("acme/idp", "v1");
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
