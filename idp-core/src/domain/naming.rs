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
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn name(branch: &str) -> String {
        EnvName::from_branch(branch).unwrap().to_string()
    }

    /// Every AWS name derived from an environment, with its limit.
    fn derived(n: &EnvName) -> Vec<(String, usize)> {
        vec![
            (n.aws_name("alb", 32), 32),
            (n.aws_name("tg", 32), 32),
            (n.aws_name("postgres", 63), 63),
            (n.aws_name("ecs-task-execution", 64), 64),
            (n.aws_name("events-ecs-role", 64), 64),
            (n.aws_name("scheduled-task", 64), 64),
            (n.as_str().to_owned(), 63),
        ]
    }

    fn assert_valid(n: &EnvName) {
        assert_eq!(
            EnvName::parse(n.as_str()).as_ref(),
            Ok(n),
            "{n} does not re-parse"
        );
        for (aws, max) in derived(n) {
            assert!(aws.len() <= max, "`{aws}` is longer than {max}");
            assert!(!aws.contains("--"), "`{aws}` contains `--`");
            assert!(!aws.ends_with('-') && !aws.starts_with('-'), "`{aws}`");
            assert!(
                aws.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "`{aws}`"
            );
        }
    }

    #[test]
    fn documented_examples_hold_without_a_hash() {
        assert_eq!(name("feature/payment-api"), "preview-payment-api");
        assert_eq!(name("bugfix/auth-token"), "preview-auth-token");
        assert_eq!(name("HOTFIX/Critical_Issue"), "preview-critical-issue");
        assert_eq!(name("release/v2.0"), "preview-v2-0");
        assert_eq!(name("Feature/Payment-API"), "preview-payment-api");
        assert_eq!(name("fix/x1"), "preview-x1");
        assert_eq!(name("chore/deps"), "preview-deps");
        assert_eq!(name("main"), "preview-main");
    }

    /// The original's problem cases (reference §1.3), with what they give now.
    #[test]
    fn original_bad_cases_give_valid_distinct_names() {
        let table = [
            // HOTFIX was not stripped (case-sensitive) and the docs disagreed.
            ("HOTFIX/Critical_Issue", "preview-critical-issue"),
            ("feature/a/b/c", "preview-a-b-c"),
            // Every Dependabot npm branch mapped to `preview-dependabot-npm-and-yarn`.
            (
                "dependabot/npm_and_yarn/lodash-4.17.21",
                "preview-dependabot-lodash-4-17-21",
            ),
            (
                "dependabot/npm_and_yarn/react-18.0.0",
                "preview-dependabot-react-18-0-0",
            ),
            // Non-ASCII letters vanished silently (`preview-nicode`).
            ("feature/ÜNICODE-äöü", "preview-nicode-c7f8411304"),
            ("feature/--double--dash--", "preview-double-dash"),
            // Truncation to 24 characters made every such branch collide.
            (
                "feature/this-is-a-very-long-branch-name-that-exceeds-every-aws-limit-for-names",
                "preview-this-is-a-very-long-b-35b5b77c11",
            ),
            (
                "feature/this-is-a-very-long-branch-name-that-exceeds-every-aws-limit-for-tests",
                "preview-this-is-a-very-long-b-459ef643b9",
            ),
            ("123-numeric-start", "preview-123-numeric-start"),
            (
                "feature/abcdefghijklmnop-one",
                "preview-abcdefghijklmnop-one",
            ),
            (
                "feature/abcdefghijklmnop-two",
                "preview-abcdefghijklmnop-two",
            ),
            ("renovate/lodash-4.x", "preview-renovate-lodash-4-x"),
            (
                "dependabot/github_actions/actions/checkout-4",
                "preview-dependabot-actions-checkout-4",
            ),
        ];
        for (branch, expected) in table {
            let n = EnvName::from_branch(branch).unwrap();
            assert_eq!(n.as_str(), expected, "branch `{branch}`");
            assert_valid(&n);
        }
    }

    #[test]
    fn names_sharing_sixteen_characters_get_different_alb_and_target_group_names() {
        let one = EnvName::from_branch("feature/abcdefghijklmnop-one").unwrap();
        let two = EnvName::from_branch("feature/abcdefghijklmnop-two").unwrap();
        assert_eq!(one.aws_name("alb", 32), "idp-abcdefghijklm-f8d6c06362-alb");
        assert_eq!(two.aws_name("alb", 32), "idp-abcdefghijklm-fb88ae3fa5-alb");
        assert_ne!(one.aws_name("tg", 32), two.aws_name("tg", 32));
    }

    #[test]
    fn short_names_keep_their_full_aws_names() {
        let n = EnvName::parse("preview-payment-api").unwrap();
        assert_eq!(n.aws_name("alb", 32), "idp-preview-payment-api-alb");
        assert_eq!(n.aws_name("tg", 32), "idp-preview-payment-api-tg");
        assert_eq!(
            n.aws_name("postgres", 63),
            "idp-preview-payment-api-postgres"
        );
    }

    #[test]
    fn a_longest_name_fits_every_aws_limit() {
        let n = EnvName::parse(&format!("a{}", "b".repeat(MAX_LEN - 1))).unwrap();
        assert_valid(&n);
        assert_eq!(n.aws_name("postgres", 63).len(), 4 + MAX_LEN + 9);
        assert_eq!(n.aws_name("ecs-task-execution", 64).len(), 4 + MAX_LEN + 19);
    }

    #[test]
    fn a_cut_never_leaves_a_double_hyphen_before_the_hash() {
        // The 13th character of the readable part is a hyphen.
        let n = EnvName::parse("preview-abcdefghijkl-mnopqrstuvwxyz").unwrap();
        let alb = n.aws_name("alb", 32);
        assert!(alb.starts_with("idp-abcdefghijkl-"), "{alb}");
        assert!(!alb.contains("--"), "{alb}");
        let b = EnvName::from_branch(&format!("feature/{}-{}", "a".repeat(20), "b".repeat(20)))
            .unwrap();
        assert_valid(&b);
    }

    #[test]
    fn empty_results_are_refused_never_preview_dash() {
        for branch in ["", "///", "🙂", "feature/", "FEATURE/___", "-", "ÄÖÜ"] {
            let err = EnvName::from_branch(branch).unwrap_err();
            assert!(
                matches!(err, NameError::EmptyBranch { .. }),
                "{branch}: {err}"
            );
        }
        assert_eq!(
            EnvName::from_branch("///").unwrap_err().to_string(),
            "branch `///` gives no environment name: it needs an ASCII letter or digit besides a `feature/`-style prefix; rename the branch"
        );
        assert_eq!(
            EnvName::from_branch("a\nb/\u{1F642}").map(|n| n.to_string()),
            Ok(format!("preview-a-b-{}", branch_hash("a\nb/\u{1F642}")))
        );
        assert_eq!(
            EnvName::from_branch("\n").unwrap_err().to_string(),
            "branch `\\n` gives no environment name: it needs an ASCII letter or digit besides a `feature/`-style prefix; rename the branch"
        );
    }

    #[test]
    fn non_ascii_branches_get_a_hash_so_they_do_not_collide_with_ascii_ones() {
        let ascii = name("feature/nicode");
        let umlaut = name("feature/ÜNICODE");
        let other = name("feature/ÅNICODE");
        assert_eq!(ascii, "preview-nicode");
        assert!(umlaut.starts_with("preview-nicode-"));
        assert_ne!(umlaut, other);
    }

    #[test]
    fn stripped_prefixes_and_separators_map_together_and_are_told_apart_by_the_recorded_branch() {
        // Documented: these share a name; `Metadata::branch` detects the collision.
        for branch in ["feature/x-y", "bugfix/x-y", "fix/x_y", "chore/X.Y", "x/y"] {
            assert_eq!(name(branch), "preview-x-y", "{branch}");
        }
    }

    #[test]
    fn only_one_prefix_is_stripped() {
        assert_eq!(name("feature/fix/login"), "preview-fix-login");
        assert_eq!(name("features/login"), "preview-features-login");
    }

    #[test]
    fn the_hash_is_of_the_original_branch() {
        let long = "x".repeat(60);
        let a = name(&format!("feature/{long}"));
        let b = name(&format!("bugfix/{long}"));
        assert_ne!(a, b);
        assert!(a.ends_with(&branch_hash(&format!("feature/{long}"))));
        assert_eq!(branch_hash("main").len(), HASH_LEN);
    }

    #[test]
    fn hundred_thousand_long_branches_sharing_a_prefix_get_distinct_names_and_albs() {
        let prefix = "feature/".to_owned() + &"shared-long-prefix-".repeat(4);
        let mut names: HashMap<String, usize> = HashMap::with_capacity(100_000);
        let mut albs: HashMap<String, usize> = HashMap::with_capacity(100_000);
        for i in 0..100_000 {
            let n = EnvName::from_branch(&format!("{prefix}{i}")).unwrap();
            let alb = n.aws_name("alb", 32);
            if let Some(j) = albs.insert(alb.clone(), i) {
                panic!("branches {j} and {i} share the ALB name `{alb}`");
            }
            if let Some(j) = names.insert(n.to_string(), i) {
                panic!("branches {j} and {i} share the name `{n}`");
            }
        }
    }

    #[test]
    fn parse_rejects_every_broken_rule() {
        let cases = [
            ("a", "too short"),
            ("", "too short"),
            ("Preview", "lowercase"),
            ("1abc", "start it"),
            ("abc-", "end it"),
            ("a--b", "two hyphens"),
            ("a_b", "lowercase"),
        ];
        for (input, fragment) in cases {
            let err = EnvName::parse(input).unwrap_err().to_string();
            assert!(err.contains(fragment), "{input}: {err}");
        }
        assert!(matches!(
            EnvName::parse(&"a".repeat(MAX_LEN + 1)),
            Err(NameError::TooLong { len: 41, .. })
        ));
    }

    proptest! {
        #[test]
        fn any_string_gives_a_valid_name_or_empty_branch(branch in any::<String>()) {
            match EnvName::from_branch(&branch) {
                Ok(n) => {
                    assert_valid(&n);
                    prop_assert_eq!(EnvName::from_branch(&branch), Ok(n));
                }
                Err(NameError::EmptyBranch { .. }) => {
                    let rest = strip_conventional_prefix(&branch);
                    prop_assert!(!rest.chars().any(|c| c.is_ascii_alphanumeric()));
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }

        #[test]
        fn branch_like_strings_give_valid_names(
            branch in "([A-Za-z]{1,8}/)?[A-Za-z0-9._/ -]{0,80}"
        ) {
            if let Ok(n) = EnvName::from_branch(&branch) {
                assert_valid(&n);
            }
        }

        #[test]
        fn short_ascii_branches_never_get_a_hash(core in "[a-z][a-z0-9]{0,31}") {
            prop_assert_eq!(name(&format!("feature/{core}")), format!("preview-{core}"));
        }

        #[test]
        fn distinct_long_branches_get_distinct_names(
            a in "[a-z0-9/_.-]{33,90}", b in "[a-z0-9/_.-]{33,90}"
        ) {
            prop_assume!(a != b);
            if let (Ok(x), Ok(y)) = (EnvName::from_branch(&a), EnvName::from_branch(&b))
                && x.as_str().len() == MAX_LEN
                && y.as_str().len() == MAX_LEN
            {
                prop_assert_ne!(x, y);
            }
        }

        #[test]
        fn distinct_names_get_distinct_alb_names(
            a in "[a-z][a-z0-9]{0,38}", b in "[a-z][a-z0-9]{0,38}"
        ) {
            prop_assume!(a != b);
            let (x, y) = (EnvName::parse(&a).ok(), EnvName::parse(&b).ok());
            if let (Some(x), Some(y)) = (x, y) {
                prop_assert_ne!(x.aws_name("alb", 32), y.aws_name("alb", 32));
            }
        }
    }
}
