//! The id of an infrastructure run: valid by construction, so every key under `runs/{run_id}/`
//! built from it stays inside that prefix.
//!
//! A run id is 1 to 64 ASCII letters, digits, `-` or `_`, starting with a letter or digit (the
//! rule of `domain::layout`, which builds the keys). Run ids enter through [`RunId::parse`] (a
//! command-line argument, a Python argument) or through deserialization of a stored record, and
//! both check it; it serializes as the plain string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::layout::{self, LayoutError};

/// A validated run id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

/// A run id that breaks the rule; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct InvalidRunId(#[from] LayoutError);

impl RunId {
    /// Checks `text` against the rule.
    pub fn parse(text: &str) -> Result<Self, InvalidRunId> {
        layout::run_prefix(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RunId {
    type Err = InvalidRunId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for RunId {
    type Error = InvalidRunId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        layout::run_prefix(&text)?;
        Ok(Self(text))
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> Self {
        id.0
    }
}

impl AsRef<str> for RunId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_follow_the_key_rule_and_serialize_as_plain_strings() {
        for good in ["r-1", "abc_DEF", "0a", &"x".repeat(64)] {
            let id = RunId::parse(good).unwrap();
            assert_eq!(id.to_string(), good);
            assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{good}\""));
        }
        for bad in ["", "-x", "../up", "a/b", "a b", &"x".repeat(65)] {
            let error = RunId::parse(bad).unwrap_err();
            assert!(error.to_string().contains("is not valid"), "{error}");
            assert!(serde_json::from_str::<RunId>(&format!("{bad:?}")).is_err());
        }
        let stored: RunId = serde_json::from_str("\"r-1\"").unwrap();
        assert_eq!(stored, RunId::parse("r-1").unwrap());
    }
}
