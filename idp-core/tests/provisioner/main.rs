//! What is particular to each provisioner: the OpenTofu CLI adapter (through a fixture
//! executable), the local process runtime (with the real example app) and the in-memory
//! provisioner, and the Kubernetes provisioner against a loopback stand-in for the API server
//! (feature `kubernetes`). The rules every provisioner keeps are the `provisioner` suite of
//! `tests/conformance`.
#![allow(
    clippy::disallowed_methods,
    reason = "tests write fixture files, start processes and measure time"
)]

use idp_test_support::fake_tofu;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod local;
mod memory;
mod tofu;

use idp_core::domain::naming::EnvName;
use idp_core::domain::template::TemplateName;
use idp_core::ports::ProvisionRequest;

/// A request for `env` from the default template with its conventional state key.
fn request(env: &str) -> ProvisionRequest {
    let env = EnvName::parse(env).unwrap();
    let key = format!("environments/{env}/terraform.tfstate");
    ProvisionRequest::new(env, TemplateName::default_template(), key)
}

/// Whether any live (not zombie) process belongs to process group `pgid`.
fn group_alive(pgid: u32) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .any(|stat| {
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
                && !matches!(fields.first(), Some(&"Z" | &"X"))
        })
}

/// Whether process `pid` is alive (exists and is not a zombie).
fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}
