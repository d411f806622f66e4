//! The domain is pure: no file under `src/domain/` names a port or an adapter, so the rules
//! never depend on the world they are applied to.
#![allow(
    clippy::disallowed_methods,
    reason = "the test reads the crate's own source files"
)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_domain_file_mentions_a_port_or_an_adapter() {
    let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&domain, &mut files);
    assert!(
        files.len() > 10,
        "the domain's files were not found: {files:?}"
    );
    let offending: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("a readable source file");
            text.lines()
                .enumerate()
                .filter(|(_, line)| {
                    line.contains("crate::ports") || line.contains("crate::adapters")
                })
                .map(|(i, line)| format!("{}:{}: {}", path.display(), i + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offending.is_empty(),
        "the domain must not depend on ports or adapters:\n{}",
        offending.join("\n")
    );
}
