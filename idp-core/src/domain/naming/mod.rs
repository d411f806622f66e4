//! Environment names: the [`EnvName`] newtype and the branch → name mapping.
//!
//! An environment name ends up in many AWS names (ALB, target group, RDS identifier, IAM roles,
//! DNS labels), so one validated type carries it everywhere and nothing else builds names.
//!
//! # Branch → name
//!
//! [`EnvName::from_branch`] is deterministic and total: every branch gives a valid name or
//! [`NameError::EmptyBranch`]. In order:
//!
//! 1. Strip one conventional prefix, ignoring case: `feature/`, `bugfix/`, `hotfix/`, `fix/`,
//!    `chore/` or `release/`. For Dependabot branches (`dependabot/{ecosystem}/{rest}`) the
//!    ecosystem segment is dropped, giving `dependabot/{rest}`.
//! 2. Fold: ASCII letters are lowercased, ASCII letters and digits are kept, and every run of other
//!    characters (`/`, `_`, `.`, spaces, punctuation, any non-ASCII character) becomes one `-`.
//!    Leading and trailing `-` are removed. If nothing is left, the branch is refused with
//!    [`NameError::EmptyBranch`] (`///`, `🙂`).
//! 3. If the branch contained a non-ASCII character, or the folded core is longer than
//!    [`MAX_LEN`] − `preview-` (32 characters), information was lost: the core is cut to 21
//!    characters and `-` plus [`branch_hash`] of the **original** branch (10 hex digits) is
//!    appended. Otherwise the core is used as is.
//! 4. The result is `preview-{core}`.
//!
//! So short ASCII branches never get a hash (`feature/payment-api` → `preview-payment-api`), and
//! two different long or non-ASCII branches differ in their hash. What step 1 and 2 fold
//! together on purpose (`feature/x` and `bugfix/x`, `a/b` and `a_b`, `Foo` and `foo`) maps to
//! one name; such branches are told apart because `metadata.json` records the branch
//! ([`crate::domain::lifecycle::Metadata::branch`]) and a push whose branch differs from the
//! recorded one is a collision, never a takeover of the other branch's environment.
//!
//! # Derived AWS names
//!
//! [`EnvName::aws_name`] builds `idp-{name}-{suffix}` and, when that is longer than the AWS limit,
//! cuts the name and inserts a hash of the full environment name, so two environments never
//! share an ALB or target group name. [`MAX_LEN`] keeps every other derived name within its limit
//! without cutting.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The longest environment name. Chosen so that every derived AWS name fits its limit:
/// `idp-{name}-ecs-task-execution` (IAM role, 64), `idp-{name}-postgres` (RDS, 63),
/// `{name}.{domain}` (DNS label, 63).
pub const MAX_LEN: usize = 40;

/// The prefix of environments created from a branch (GitOps previews).
pub const PREVIEW_PREFIX: &str = "preview-";

/// The number of hex digits of a hash suffix (40 bits of SHA-256).
pub const HASH_LEN: usize = 10;

/// The conventional branch prefixes stripped by [`EnvName::from_branch`] (compared ignoring case).
pub const STRIPPED_PREFIXES: [&str; 6] = [
    "feature/", "bugfix/", "hotfix/", "fix/", "chore/", "release/",
];

/// The longest branch-derived core kept without a hash: `MAX_LEN - "preview-".len()`.
const CORE_MAX: usize = MAX_LEN - PREVIEW_PREFIX.len();

/// The longest core kept in front of a hash suffix: room for `-` and [`HASH_LEN`] digits.
const CORE_CUT: usize = CORE_MAX - 1 - HASH_LEN;

/// The prefix of every derived AWS resource name.
const AWS_PREFIX: &str = "idp-";

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
    #[error(
        "branch `{branch}` gives no environment name: it needs an ASCII letter or digit besides a `feature/`-style prefix; rename the branch"
    )]
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
        if !name.bytes().next().is_some_and(|b| b.is_ascii_lowercase()) {
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
    /// The rule is described in the [module documentation](self): strip one conventional
    /// prefix (ignoring case), fold to `[a-z0-9-]`, and append a hash of the original branch when
    /// the branch had non-ASCII characters or had to be cut. Deterministic; never panics.
    ///
    /// ```
    /// use idp_core::domain::naming::EnvName;
    /// let name = |b| EnvName::from_branch(b).unwrap().to_string();
    /// assert_eq!(name("feature/payment-api"), "preview-payment-api");
    /// assert_eq!(name("HOTFIX/Critical_Issue"), "preview-critical-issue");
    /// assert_eq!(name("release/v2.0"), "preview-v2-0");
    /// assert!(EnvName::from_branch("///").is_err());
    /// ```
    pub fn from_branch(branch: &str) -> Result<Self, NameError> {
        let rest = strip_conventional_prefix(branch);
        let (core, non_ascii) = fold(&dependabot_without_ecosystem(rest));
        if core.is_empty() {
            return Err(NameError::EmptyBranch {
                branch: branch.escape_debug().to_string(),
            });
        }
        let name = if non_ascii || core.len() > CORE_MAX {
            let cut = core.get(..CORE_CUT).unwrap_or(&core).trim_end_matches('-');
            format!("{PREVIEW_PREFIX}{cut}-{}", branch_hash(branch))
        } else {
            format!("{PREVIEW_PREFIX}{core}")
        };
        Self::parse(&name)
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The AWS resource name `idp-{name}-{suffix}`, at most `max_len` characters.
    ///
    /// When the full name is longer than `max_len`, the environment name is cut and
    /// `-{hash}` is inserted before the suffix, where `hash` is [`HASH_LEN`] hex digits of the
    /// SHA-256 of the full environment name: `idp-{cut}-{hash}-{suffix}`. The cut part drops the
    /// `preview-` prefix first, so that the characters that tell environments apart stay
    /// readable (`preview-abcdefghijklmnop-one` → `idp-abcdefghijklm-f8d6c06362-alb`). Two environments
    /// therefore never share a cut name unless their 40-bit hashes collide, even when their names
    /// share a long prefix. The result never contains `--` and never ends with `-`.
    ///
    /// `suffix` must be a non-empty `[a-z0-9-]` string without leading, trailing or double
    /// hyphens (the callers in [`crate::domain::layout`] pass constants). `max_len` must leave
    /// room for `idp-`, one character, the hash and the suffix (at least 17 + `suffix.len()`);
    /// below that the result is `idp-{hash}-{suffix}` and may exceed `max_len`.
    ///
    /// ```
    /// use idp_core::domain::naming::EnvName;
    /// let short = EnvName::parse("preview-payment-api").unwrap();
    /// assert_eq!(short.aws_name("alb", 32), "idp-preview-payment-api-alb");
    /// let long = EnvName::parse("preview-abcdefghijklmnop-one").unwrap();
    /// assert_eq!(long.aws_name("alb", 32).len(), 32);
    /// ```
    pub fn aws_name(&self, suffix: &str, max_len: usize) -> String {
        let full = format!("{AWS_PREFIX}{}-{suffix}", self.0);
        if full.len() <= max_len {
            return full;
        }
        let hash = hex_prefix(self.0.as_bytes());
        let room = max_len.saturating_sub(AWS_PREFIX.len() + 1 + HASH_LEN + 1 + suffix.len());
        let readable = self.0.strip_prefix(PREVIEW_PREFIX).unwrap_or(&self.0);
        let cut = readable
            .get(..room)
            .unwrap_or(readable)
            .trim_end_matches('-');
        if cut.is_empty() {
            format!("{AWS_PREFIX}{hash}-{suffix}")
        } else {
            format!("{AWS_PREFIX}{cut}-{hash}-{suffix}")
        }
    }
}

/// The hash suffix [`EnvName::from_branch`] appends for `branch`: the first [`HASH_LEN`] hex
/// digits of the SHA-256 of the branch exactly as given (case and prefix included).
pub fn branch_hash(branch: &str) -> String {
    hex_prefix(branch.as_bytes())
}

fn hex_prefix(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(HASH_LEN);
    for b in digest.iter().take(HASH_LEN.div_ceil(2)) {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex.truncate(HASH_LEN);
    hex
}

/// `branch` without one leading conventional prefix, compared ignoring ASCII case.
fn strip_conventional_prefix(branch: &str) -> &str {
    STRIPPED_PREFIXES
        .iter()
        .find_map(|p| strip_prefix_ignore_case(branch, p))
        .unwrap_or(branch)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// `dependabot/{ecosystem}/{rest}` → `dependabot/{rest}`; anything else unchanged.
fn dependabot_without_ecosystem(branch: &str) -> std::borrow::Cow<'_, str> {
    const BOT: &str = "dependabot/";
    match strip_prefix_ignore_case(branch, BOT).and_then(|r| r.split_once('/')) {
        Some((_ecosystem, rest)) if !rest.is_empty() => format!("{BOT}{rest}").into(),
        _ => branch.into(),
    }
}

/// Fold to `[a-z0-9-]` with single hyphens and no hyphen at either end. Also says whether a
/// non-ASCII character was met (its information is lost in the fold).
fn fold(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len().min(256));
    let mut non_ascii = false;
    let mut pending_hyphen = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else {
            non_ascii |= !c.is_ascii();
            pending_hyphen = true;
        }
    }
    (out, non_ascii)
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

#[cfg(test)]
mod tests;
