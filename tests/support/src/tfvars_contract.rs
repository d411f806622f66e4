//! The tfvars contract of the CLI's and the Action's tests (the Python test reads the same
//! files in `tests/fixtures/platform-tfvars`): one set of inputs (`inputs.json`), and the tfvars
//! every frontend must hand the provisioner for them (`expected.json`).

#![allow(
    clippy::disallowed_methods,
    reason = "the contract is read from its fixture files"
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// This directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/platform-tfvars")
}

/// Input `key` of `inputs.json`.
pub fn input(key: &str) -> String {
    let inputs: Value =
        serde_json::from_slice(&fs_err::read(dir().join("inputs.json")).unwrap()).unwrap();
    inputs[key]
        .as_str()
        .unwrap_or_else(|| panic!("inputs.json has no `{key}`"))
        .to_owned()
}

/// Check that the tfvars file `recorded` is `expected.json` once its creation time and the
/// test's own state bucket are put in: `expires_at` is `created_at` plus the TTL of 7 days.
pub fn assert_matches(recorded: &Path, bucket: &str, frontend: &str) {
    let text = fs_err::read_to_string(recorded)
        .unwrap_or_else(|e| panic!("{frontend} handed no tfvars file: {e}"));
    let mut vars: Value = serde_json::from_str(&text).unwrap();
    let time = |key: &str| {
        chrono::DateTime::parse_from_rfc3339(vars[key].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{frontend}: `{key}` is not a timestamp: {e}"))
    };
    assert_eq!(
        time("expires_at") - time("created_at"),
        chrono::TimeDelta::days(7),
        "{frontend}: {text}"
    );
    assert_eq!(vars["state_bucket"], bucket, "{frontend}: {text}");
    vars["created_at"] = "<created_at>".into();
    vars["expires_at"] = "<created_at + 7d>".into();
    vars["state_bucket"] = "<state bucket>".into();
    let expected: Value =
        serde_json::from_slice(&fs_err::read(dir().join("expected.json")).unwrap()).unwrap();
    assert_eq!(
        vars, expected,
        "{frontend} handed the provisioner other tfvars than tests/fixtures/platform-tfvars/expected.json"
    );
}
