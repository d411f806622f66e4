//! The runner files and variables of a step (`GITHUB_OUTPUT` and `GITHUB_ENV` with their
//! heredocs, the default variables), and the copy a checkout makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::exec::Machine;

/// The variables a hosted runner sets for every step; they win over `env:` as on GitHub.
pub(super) fn default_variables(
    machine: &Machine,
    output: &Path,
    env_file: &Path,
    path_file: &Path,
    summary: &Path,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    let mut path = machine.path.clone();
    path.push(String::new());
    let path = path.join(":");
    let mut set = |k: &str, v: String| {
        vars.insert(k.to_owned(), v);
    };
    set("PATH", path); // completed below with the world's PATH
    set("HOME", machine.home.display().to_string());
    set("LANG", "C.UTF-8".to_owned());
    set("CI", "true".to_owned());
    set("GITHUB_ACTIONS", "true".to_owned());
    set("RUNNER_OS", "Linux".to_owned());
    set("RUNNER_ARCH", "X64".to_owned());
    set("RUNNER_NAME", "idp-test-runner".to_owned());
    set("RUNNER_ENVIRONMENT", "github-hosted".to_owned());
    set("RUNNER_TEMP", machine.temp.display().to_string());
    set(
        "RUNNER_TOOL_CACHE",
        machine.tool_cache.display().to_string(),
    );
    set("GITHUB_WORKSPACE", machine.workspace.display().to_string());
    set(
        "GITHUB_EVENT_PATH",
        machine.event_path.display().to_string(),
    );
    set("GITHUB_OUTPUT", output.display().to_string());
    set("GITHUB_ENV", env_file.display().to_string());
    set("GITHUB_PATH", path_file.display().to_string());
    set("GITHUB_STEP_SUMMARY", summary.display().to_string());
    vars
}

/// Fills in what [`default_variables`] leaves to the caller: the github context's variables
/// and the `PATH` tail.
pub(super) fn complete_variables(
    vars: &mut BTreeMap<String, String>,
    github: &Value,
    world_path: &str,
) {
    let text = |k: &str| github[k].as_str().unwrap_or_default().to_owned();
    for (var, key) in [
        ("GITHUB_EVENT_NAME", "event_name"),
        ("GITHUB_REPOSITORY", "repository"),
        ("GITHUB_REPOSITORY_OWNER", "repository_owner"),
        ("GITHUB_SHA", "sha"),
        ("GITHUB_REF", "ref"),
        ("GITHUB_REF_NAME", "ref_name"),
        ("GITHUB_REF_TYPE", "ref_type"),
        ("GITHUB_HEAD_REF", "head_ref"),
        ("GITHUB_BASE_REF", "base_ref"),
        ("GITHUB_ACTOR", "actor"),
        ("GITHUB_TRIGGERING_ACTOR", "triggering_actor"),
        ("GITHUB_API_URL", "api_url"),
        ("GITHUB_SERVER_URL", "server_url"),
        ("GITHUB_GRAPHQL_URL", "graphql_url"),
        ("GITHUB_RUN_ID", "run_id"),
        ("GITHUB_RUN_NUMBER", "run_number"),
        ("GITHUB_RUN_ATTEMPT", "run_attempt"),
        ("GITHUB_WORKFLOW", "workflow"),
        ("GITHUB_WORKFLOW_REF", "workflow_ref"),
        ("GITHUB_JOB", "job"),
        ("GITHUB_RETENTION_DAYS", "retention_days"),
    ] {
        vars.insert(var.to_owned(), text(key));
    }
    if let Some(path) = vars.get_mut("PATH") {
        path.push_str(world_path);
    }
}

/// `name=value` lines and `name<<DELIMITER` heredocs, as in `GITHUB_OUTPUT` and `GITHUB_ENV`.
pub(super) fn parse_file_commands(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            (Some(h), e) if e.is_none_or(|e| h < e) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                for l in lines.by_ref() {
                    if l == delimiter {
                        break;
                    }
                    value.push(l);
                }
                out.insert(name.to_owned(), value.join("\n"));
            }
            (_, Some(e)) => {
                out.insert(line[..e].to_owned(), line[e + 1..].to_owned());
            }
            _ => panic!("a runner file line that is neither `name=value` nor a heredoc: {line:?}"),
        }
    }
    out
}

/// Copies the files of `src` into `dest`: a git work tree's tracked and untracked files that
/// are not ignored (what a checkout of it holds, with uncommitted edits), any other
/// directory whole. Symbolic links are copied as links.
pub(super) fn copy_tree(src: &Path, dest: &Path) {
    let files: Vec<PathBuf> = if src.join(".git").exists() {
        let out = Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(src)
            .output()
            .expect("git ls-files");
        assert!(out.status.success(), "git ls-files in {}", src.display());
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect()
    } else {
        let mut found = Vec::new();
        walk(src, Path::new(""), &mut found);
        found
    };
    for rel in files {
        let from = src.join(&rel);
        let Ok(meta) = fs_err::symlink_metadata(&from) else {
            continue; // tracked but deleted in the work tree
        };
        let to = dest.join(&rel);
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent).expect("a checkout directory");
        }
        if meta.file_type().is_symlink() {
            let target = fs_err::read_link(&from).expect("read a link");
            fs_err::os::unix::fs::symlink(target, &to).expect("copy a link");
        } else if meta.is_file() {
            fs_err::copy(&from, &to).expect("copy a file");
        }
    }
}

fn walk(root: &Path, rel: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs_err::read_dir(root.join(rel)).expect("read a directory") {
        let entry = entry.expect("a directory entry");
        let path = rel.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            walk(root, &path, found);
        } else {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_lines_and_heredocs() {
        let parsed =
            parse_file_commands("a=1\nb=x=y\nbody<<EOF_1\nline one\n\nline=three\nEOF_1\nempty=\n");
        assert_eq!(parsed["a"], "1");
        assert_eq!(parsed["b"], "x=y");
        assert_eq!(parsed["body"], "line one\n\nline=three");
        assert_eq!(parsed["empty"], "");
    }
}
