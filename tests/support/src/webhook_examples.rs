//! The payloads of `@octokit/webhooks-examples` (installed by `npm ci` at the workspace root):
//! real GitHub webhook bodies, by event name.

#![allow(clippy::print_stderr, reason = "a skipped suite says so on stderr")]
#![allow(
    clippy::disallowed_methods,
    reason = "test support reads the corpus from disk"
)]

use std::path::Path;

use idp_core::setup::env_vars::{self, EnvVars};
use serde_json::Value;

/// Every `(event name, example payloads)` of the corpus; `None` outside CI when `npm ci` has not
/// been run (after one loud line), a failure in CI.
pub fn all() -> Option<Vec<(String, Vec<Value>)>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let Ok(bytes) = fs_err::read(&path) else {
        assert!(
            env_vars::get(EnvVars::CI).is_none(),
            "{} is missing: run `npm ci` at the workspace root first",
            path.display()
        );
        eprintln!(
            "!!!!! SKIPPED: {} is missing; run `npm ci` at the workspace root to test on real GitHub payloads !!!!!",
            path.display()
        );
        return None;
    };
    let index: Vec<Value> = serde_json::from_slice(&bytes).expect("index.json is a JSON array");
    Some(
        index
            .into_iter()
            .map(|e| {
                (
                    e["name"]
                        .as_str()
                        .expect("every entry has a name")
                        .to_owned(),
                    e["examples"].as_array().cloned().unwrap_or_default(),
                )
            })
            .collect(),
    )
}
