//! Environment names: the [`EnvName`] newtype and the branch → name mapping.
//!
//! An environment name ends up in many AWS names (ALB, target group, RDS identifier, IAM roles,
//! DNS labels), so one validated type carries it everywhere and nothing else builds names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest environment name. Chosen so that every derived AWS name fits its limit:
/// `idp-{name}-ecs-task-execution` (IAM role, 64), `idp-{name}-postgres` (RDS, 63),
/// `{name}.{domain}` (DNS label, 63).
pub const MAX_LEN: usize = 40;

/// The prefix of environments created from a branch (GitOps previews).
pub const PREVIEW_PREFIX: &str = "preview-";

/// Why a string is not a valid environment name, or a branch gives none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty or shorter than two characters.
    #[error("environment name `{name}` is too short: use at least 2 characters")]
    TooShort {
        /// The offending name.
        name: String,
    },
    /// The name is longer than [`MAX_LEN`].
    #[error("environment name `{name}` is {len} characters long: use at most {max}", max = MAX_LEN)]
    TooLong {
        /// The offending name.
        name: String,
        /// Its length.
        len: usize,
    },
    /// The name contains a character outside `a-z`, `0-9` and `-`, or breaks a positional rule.
    #[error("environment name `{name}` is invalid: {reason}")]
    Invalid {
        /// The offending name.
        name: String,
        /// What rule it breaks and how to fix it.
        reason: &'static str,
    },
    /// Nothing usable is left of the branch name after sanitizing.
    #[error("branch `{branch}` gives no environment name: it has no letters or digits")]
    EmptyBranch {
        /// The offending branch (escaped for display).
        branch: String,
    },
}

/// A validated environment name: 2–[`MAX_LEN`] characters of `a-z`, `0-9` and `-`, starting
/// with a letter, ending with a letter or digit, with no `--`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EnvName(String);

impl EnvName {
    /// Validate a name typed by a user (`idp create --name`).
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let invalid = |reason| NameError::Invalid {
            name: name.to_owned(),
            reason,
        };
        let len = name.chars().count();
        if len < 2 {
            return Err(NameError::TooShort {
                name: name.to_owned(),
            });
        }
        if len > MAX_LEN {
            return Err(NameError::TooLong {
                name: name.to_owned(),
                len,
            });
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "use only lowercase letters a-z, digits 0-9 and hyphens",
            ));
        }
        if !name.as_bytes()[0].is_ascii_lowercase() {
            return Err(invalid("start it with a lowercase letter"));
        }
        if name.ends_with('-') {
            return Err(invalid("end it with a letter or digit"));
        }
        if name.contains("--") {
            return Err(invalid(
                "do not use two hyphens in a row (RDS identifiers forbid them)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The environment name of a branch (`feature/payment-api` → `preview-payment-api`).
    ///
    /// Provisional rule: strip one conventional prefix, lowercase, fold every other character to
    /// `-`, collapse and trim hyphens, cut to fit.
    pub fn from_branch(branch: &str) -> Result<Self, NameError> {
        let lower = branch.to_ascii_lowercase();
        let core = ["feature/", "bugfix/", "hotfix/", "fix/", "chore/", "release/"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower);
        let mut out = String::new();
        for c in core.chars() {
            let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
            if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
                out.push(c);
            }
        }
        let max = MAX_LEN - PREVIEW_PREFIX.len();
        out.truncate(max);
        let core = out.trim_matches('-');
        if core.is_empty() {
            return Err(NameError::EmptyBranch {
                branch: branch.escape_debug().to_string(),
            });
        }
        Self::parse(&format!("{PREVIEW_PREFIX}{core}"))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EnvName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for EnvName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for EnvName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
