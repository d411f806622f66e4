//! The layout's rules, checked on the source tree (see `ARCHITECTURE.md`):
//!
//! - idp-core's top-level modules depend on each other without a cycle, so each can be read
//!   (and moved into a crate of its own) with only what it imports;
//! - no source file is over 600 lines unless its first lines say why.
#![allow(
    clippy::disallowed_methods,
    reason = "the test reads the workspace's own source files"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;
/// The words a long file's opening comment uses to say why it is long.
const REASON: &str = "Long because";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is a folder of the repository")
        .to_path_buf()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without comments and without its inline `mod tests` (test code may reach
/// anywhere).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// idp-core's top-level modules and, for each, the other top-level modules its code names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("idp-core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("a file under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_owned())
            .expect("a module name");
        if top == "lib" || path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let code = code_of(&text);
        let deps = graph.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    graph
}

/// A path from `from` back to `from` through `graph`, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        target: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == target {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, target, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_owned()];
    walk(graph, from, from, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn idp_core_top_level_modules_import_each_other_without_a_cycle() {
    let graph = module_graph();
    assert!(
        graph.contains_key("domain") && graph.contains_key("ports"),
        "idp-core's modules were not found: {:?}",
        graph.keys()
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_through(&graph, m))
        .map(|path| path.join(" → "))
        .collect();
    assert!(
        cycles.is_empty(),
        "module import cycles:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
        ("d".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(
        cycle_through(&graph, "a").map(|p| p.join(" → ")),
        Some("a → b → c → a".to_owned())
    );
    assert_eq!(cycle_through(&graph, "d"), None);
}

#[test]
fn no_source_file_is_over_600_lines_without_saying_why() {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "idp-core",
        "idp-cli",
        "idp-actions",
        "idp-py",
        "benches",
        "fuzz",
        "tests",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "the sources were not found");
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let lines = text.lines().count();
            let head: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
            (lines > MAX_LINES && !head.contains(REASON)).then(|| {
                format!(
                    "{} ({lines} lines)",
                    path.strip_prefix(&root).unwrap_or(path).display()
                )
            })
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines need a reason in their first lines (`//! {REASON} …`) or a split:\n{}",
        long.join("\n")
    );
}
