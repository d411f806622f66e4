//! Git ref names, branches, repositories and commit ids, checked as git and GitHub check them.

use super::MAX_REF_LEN;

use std::fmt;

use serde::Serialize;

/// Why a string is not a legal git branch or ref name (the rules of `git check-ref-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_REF_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name contains an ASCII control character (newline, tab, NUL, DEL…).
    ControlCharacter,
    /// The name contains a character git forbids: space, `~`, `^`, `:`, `?`, `*`, `[` or `\`.
    ForbiddenCharacter { character: char },
    /// The name contains `..`.
    DoubleDot,
    /// The name contains `@{`.
    AtBrace,
    /// The name is the single character `@`.
    LoneAt,
    /// The name starts or ends with `/`, or contains `//`.
    BadSlash,
    /// A `/`-separated component starts with `.`.
    ComponentStartsWithDot,
    /// A `/`-separated component ends with `.lock`.
    ComponentEndsWithLock,
    /// The name ends with `.`.
    EndsWithDot,
    /// The name starts with `-` (git refuses such branch names).
    StartsWithDash,
}

impl fmt::Display for RefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::TooLong { len } => {
                write!(f, "it is {len} bytes long; use at most {MAX_REF_LEN} bytes")
            }
            Self::ControlCharacter => {
                f.write_str("it contains a control character (newline, tab, …); git forbids them")
            }
            Self::ForbiddenCharacter { character: ' ' } => {
                f.write_str("it contains a space, which git forbids in ref names")
            }
            Self::ForbiddenCharacter { character } => {
                write!(
                    f,
                    "it contains `{}`, which git forbids in ref names",
                    character.escape_debug()
                )
            }
            Self::DoubleDot => f.write_str("it contains `..`, which git forbids"),
            Self::AtBrace => f.write_str("it contains `@{`, which git forbids"),
            Self::LoneAt => f.write_str("it is `@`, which git forbids"),
            Self::BadSlash => f.write_str("it starts or ends with `/` or contains `//`"),
            Self::ComponentStartsWithDot => f.write_str("a `/`-separated part starts with `.`"),
            Self::ComponentEndsWithLock => f.write_str("a `/`-separated part ends with `.lock`"),
            Self::EndsWithDot => f.write_str("it ends with `.`"),
            Self::StartsWithDash => f.write_str("it starts with `-`"),
        }
    }
}

/// Check a ref name (a branch such as `feature/x`, or a full ref such as `refs/heads/feature/x`)
/// against the rules of `git check-ref-format --branch`, plus a [`MAX_REF_LEN`]-byte limit.
pub fn check_ref_name(name: &str) -> Result<(), RefProblem> {
    if name.is_empty() {
        return Err(RefProblem::Empty);
    }
    if name.len() > MAX_REF_LEN {
        return Err(RefProblem::TooLong { len: name.len() });
    }
    if name == "@" {
        return Err(RefProblem::LoneAt);
    }
    if name.chars().any(|c| c.is_ascii_control()) {
        return Err(RefProblem::ControlCharacter);
    }
    if let Some(character) = name
        .chars()
        .find(|c| matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Err(RefProblem::ForbiddenCharacter { character });
    }
    if name.contains("..") {
        return Err(RefProblem::DoubleDot);
    }
    if name.contains("@{") {
        return Err(RefProblem::AtBrace);
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(RefProblem::BadSlash);
    }
    if name.ends_with('.') {
        return Err(RefProblem::EndsWithDot);
    }
    if name.starts_with('-') {
        return Err(RefProblem::StartsWithDash);
    }
    for part in name.split('/') {
        if part.starts_with('.') {
            return Err(RefProblem::ComponentStartsWithDot);
        }
        if part.ends_with(".lock") {
            return Err(RefProblem::ComponentEndsWithLock);
        }
    }
    Ok(())
}

/// A legal git branch name (short form, without `refs/heads/`), e.g. `feature/payment-api`.
///
/// It may still contain `$`, backticks, quotes, `<`, `|`… (git allows them): treat it as data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Branch(String);

impl Branch {
    /// Validate a branch name with [`check_ref_name`].
    pub fn parse(name: &str) -> Result<Self, RefProblem> {
        check_ref_name(name)?;
        Ok(Self(name.to_owned()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository as `owner/name` (GitHub's `full_name`), e.g. `octo-org/octo-repo`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Repository(String);

impl Repository {
    /// What [`Repository::parse`] accepts, for error messages.
    pub const EXPECTED: &'static str = "`owner/name`, e.g. `acme/idp`";

    /// Validate `owner/name`: the owner is 1–39 letters, digits or `-`; the name is 1–100
    /// letters, digits, `.`, `_` or `-` and not `.` or `..`. Returns `None` otherwise.
    pub fn parse(full_name: &str) -> Option<Self> {
        let (owner, name) = full_name.split_once('/')?;
        let owner_ok = (1..=39).contains(&owner.len())
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = (1..=100).contains(&name.len())
            && name != "."
            && name != ".."
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        (owner_ok && name_ok).then(|| Self(full_name.to_owned()))
    }

    /// The full `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner (user or organization).
    pub fn owner(&self) -> &str {
        self.0.split_once('/').map_or("", |(o, _)| o)
    }

    /// The repository name without its owner.
    pub fn name(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, n)| n)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A full commit SHA: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CommitSha(String);

impl CommitSha {
    /// Validate a full commit SHA; returns `None` if it is not 40 or 64 hex digits.
    pub fn parse(sha: &str) -> Option<Self> {
        let ok = matches!(sha.len(), 40 | 64)
            && sha
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(sha.to_owned()))
    }

    /// The full SHA.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 7-character short SHA shown to people.
    pub fn short(&self) -> &str {
        self.0.get(..7).unwrap_or(&self.0)
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
