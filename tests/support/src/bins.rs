//! The workspace's binaries for end-to-end suites.
//!
//! `cargo test --workspace` builds every binary before it runs a test, so a suite finds `idp`
//! and `idp-action` next to its own executable (`target/<profile>/`). `IDP_BIN` and
//! `IDP_ACTION_BIN` point at other builds.

use std::path::PathBuf;

use idp_core::setup::env_vars::{self, EnvVars};

/// The `idp` binary.
pub fn idp() -> PathBuf {
    find("idp", EnvVars::IDP_BIN)
}

/// The `idp-action` binary.
pub fn idp_action() -> PathBuf {
    find("idp-action", EnvVars::IDP_ACTION_BIN)
}

fn find(name: &str, var: &str) -> PathBuf {
    if let Some(path) = env_vars::get(var) {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test binary> → target/<profile>/<name>
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test binary lives in target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "`{}` is not built: run `cargo build -p {}` (or the whole suite, `cargo test --workspace`), or set `{var}`",
        path.display(),
        if name == "idp" {
            "idp-cli"
        } else {
            "idp-actions"
        }
    );
    path
}
