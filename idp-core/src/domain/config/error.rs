//! Configuration errors: file, line, column, key, offending value and the fix.
//!
//! A user who pushes a broken `.idp/config.yml` sees these in a PR check, a CLI run or a GitHub
//! annotation, so every error points at the offending key and says how to fix it, and a file
//! with several mistakes reports all of them at once ([`ConfigErrors`]).

use std::fmt;

use serde::Serialize;

/// One problem in a configuration file, located at the key it concerns.
///
/// `Display` renders `file:line:col: key `x`: message` and, on the next line, `  hint: fix`.
/// Errors about the whole document (YAML syntax) have an empty `key` and render as
/// `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ConfigError {
    /// The file as the user knows it, e.g. `.idp/config.yml`.
    pub file: String,
    /// 1-based line of the offending key (or of the syntax error).
    pub line: usize,
    /// 1-based column of the offending key (or of the syntax error).
    pub column: usize,
    /// The key path, e.g. `cpu` or `environment.API_URL`; empty for document-level errors.
    pub key: String,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    /// What is wrong, one line, values in backticks.
    pub message: String,
    /// How to fix it, one line.
    pub fix: String,
}

impl ConfigError {
    /// The first line of the rendered error, without the hint.
    pub fn headline(&self) -> String {
        if self.key.is_empty() {
            format!(
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            format!(
                "{}:{}:{}: key `{}`: {}",
                self.file, self.line, self.column, self.key, self.message
            )
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if !self.fix.is_empty() {
            write!(f, "\n  hint: {}", self.fix)?;
        }
        Ok(())
    }
}

/// Every problem found in one configuration file, sorted by position (never empty when
/// returned by [`crate::domain::config::Config::from_yaml`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The individual errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
