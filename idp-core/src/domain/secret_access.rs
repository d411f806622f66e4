//! Which Secrets Manager secrets an environment may read: the platform's allow-list.
//!
//! `.idp/config.yml` is written by whoever pushes a branch, so its `secrets` (variable → secret
//! ARN, read by the environment's execution role) are not the branch's to choose freely: the
//! platform setting `aws.secretPatterns` lists the ARN patterns a repository's environments may
//! reference, with `{owner}` and `{repo}` standing for the environment's repository. The
//! default lets `owner/name` read only secrets named `idp/owner/name/…`. A pattern with a
//! placeholder says nothing about an environment without a repository (`idp create`, the API):
//! such an environment may reference only the secrets of patterns without placeholders.
//!
//! Patterns match as IAM matches resource ARNs: `*` any run of characters, `?` one character,
//! case-sensitive. The check is made on the secret's ARN (the `valueFrom` without its JSON key,
//! version stage and version id). The same rule is enforced again in IAM by the permissions
//! boundary of every role an environment creates (`infrastructure/shared/github-oidc`).

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::domain::naming::EnvName;
use crate::domain::render::{code_span, comment_marker, escape_markdown, message_markdown};

/// The patterns when the platform sets none: a repository's secrets live under
/// `idp/{owner}/{repo}/`.
pub const DEFAULT_SECRET_PATTERNS: &str = "arn:aws:secretsmanager:*:*:secret:idp/{owner}/{repo}/*";

/// The ARN patterns environments may reference, as the platform set them (placeholders kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAllowList {
    patterns: Vec<String>,
}

impl Default for SecretAllowList {
    fn default() -> Self {
        Self::parse(DEFAULT_SECRET_PATTERNS).unwrap_or(Self {
            patterns: Vec::new(),
        })
    }
}

/// What a setting value must look like.
pub const EXPECTED: &str = "Secrets Manager ARN patterns separated by commas or spaces, each `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>` where `*` and `?` are wildcards and `{owner}`/`{repo}` the environment's repository, e.g. `arn:aws:secretsmanager:*:*:secret:idp/{owner}/{repo}/*`";

impl SecretAllowList {
    /// Parses the setting: patterns separated by commas or whitespace. Each must be a
    /// Secrets Manager secret ARN pattern whose secret name does not start with a wildcard,
    /// and use no placeholder but `{owner}` and `{repo}`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let patterns: Vec<String> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if patterns.is_empty() {
            return Err(format!("no pattern given; expected {EXPECTED}"));
        }
        for pattern in &patterns {
            check_pattern(pattern)?;
        }
        Ok(Self { patterns })
    }

    /// The patterns as set (placeholders kept).
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The patterns that apply to an environment of `repository` (`owner/name`), with the
    /// placeholders filled in; without a repository, only the patterns without placeholders.
    pub fn for_repository(&self, repository: Option<&str>) -> Vec<String> {
        let parts = repository.and_then(|r| r.split_once('/'));
        self.patterns
            .iter()
            .filter_map(|p| {
                let placeholders = p.contains("{owner}") || p.contains("{repo}");
                match (placeholders, parts) {
                    (false, _) => Some(p.clone()),
                    (true, Some((owner, repo))) => {
                        Some(p.replace("{owner}", owner).replace("{repo}", repo))
                    }
                    (true, None) => None,
                }
            })
            .collect()
    }

    /// `Ok` when every secret of `secrets` (variable → `valueFrom`) matches a pattern of
    /// `repository`; else the first one that does not, in variable order.
    pub fn check(
        &self,
        secrets: &BTreeMap<String, String>,
        repository: Option<&str>,
    ) -> Result<(), SecretNotAllowed> {
        let allowed = self.for_repository(repository);
        for (key, value_from) in secrets {
            let arn = secret_arn(value_from);
            if !allowed.iter().any(|p| arn_matches(p, &arn)) {
                return Err(SecretNotAllowed {
                    key: key.clone(),
                    arn,
                    repository: repository.map(str::to_owned),
                    allowed,
                });
            }
        }
        Ok(())
    }
}

fn check_pattern(pattern: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{pattern}` {why}; expected {EXPECTED}"));
    let fields: Vec<&str> = pattern.splitn(7, ':').collect();
    if fields.len() != 7
        || fields[0] != "arn"
        || !fields[1].starts_with("aws")
        || fields[2] != "secretsmanager"
        || fields[5] != "secret"
    {
        return bad("is not a Secrets Manager secret ARN pattern");
    }
    let name = fields[6];
    if name.is_empty() || name.starts_with('*') || name.starts_with('?') {
        return bad("lets every secret through (its name starts with a wildcard)");
    }
    let rest = pattern.replace("{owner}", "").replace("{repo}", "");
    if rest.contains('{') || rest.contains('}') {
        return bad("has a placeholder other than `{owner}` and `{repo}`");
    }
    if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains a space or control character");
    }
    Ok(())
}

/// The secret's ARN of a `valueFrom`: its first seven `:` fields (without the JSON key,
/// version stage and version id).
pub fn secret_arn(value_from: &str) -> String {
    value_from.split(':').take(7).collect::<Vec<_>>().join(":")
}

/// Whether `arn` matches `pattern` as IAM matches ARNs: `*` any run of characters (none
/// included), `?` exactly one, everything else itself (case-sensitive).
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = arn.chars().collect();
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == '?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A secret reference the allow-list refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretNotAllowed {
    /// The variable of `secrets` in `.idp/config.yml`.
    pub key: String,
    /// The secret's ARN.
    pub arn: String,
    /// The environment's repository, when it has one.
    pub repository: Option<String>,
    /// The patterns that apply to it (placeholders filled in).
    pub allowed: Vec<String>,
}

impl fmt::Display for SecretNotAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whose = match &self.repository {
            Some(repo) => format!("the environments of `{repo}` may"),
            None => "an environment without a repository may".to_owned(),
        };
        let allowed = if self.allowed.is_empty() {
            "none".to_owned()
        } else {
            self.allowed
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "secret `{}` refers to `{}`, which {whose} not read; allowed: {allowed}",
            self.key, self.arn
        )
    }
}

impl std::error::Error for SecretNotAllowed {}

/// The pull-request comment of a preview the allow-list refused. It takes the place of the
/// environment's preview comment (it starts with the same marker), so the next push that does
/// provision edits it into the usual one.
pub fn refusal_comment(
    env: &EnvName,
    branch: &str,
    refused: &SecretNotAllowed,
    hints: &[String],
) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "{}", comment_marker(env));
    let _ = writeln!(
        body,
        "### 🔒 Preview environment not created: secret not allowed\n"
    );
    let _ = writeln!(
        body,
        "`.idp/config.yml` references a secret this repository's previews may not read, so no environment was provisioned for this push.\n"
    );
    let _ = writeln!(body, "| | |\n|---|---|");
    let cut: String = branch.chars().take(200).collect();
    let allowed = if refused.allowed.is_empty() {
        "none".to_owned()
    } else {
        refused
            .allowed
            .iter()
            .map(|p| code_span(p))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let rows = [
        ("Environment", code_span(env.as_str())),
        ("Branch", escape_markdown(&cut)),
        ("Variable", code_span(&refused.key)),
        ("Secret", code_span(&refused.arn)),
        ("Allowed", allowed),
    ];
    for (name, value) in rows {
        let _ = writeln!(body, "| {name} | {value} |");
    }
    body.push('\n');
    for hint in hints {
        let _ = writeln!(body, "> {}", message_markdown(hint));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const OWN: &str =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:idp/acme/shop/db-AbCdEf";

    #[test]
    fn the_default_lets_a_repository_read_only_its_own_secrets() {
        let list = SecretAllowList::default();
        let own = secrets(&[("DB", &format!("{OWN}:password::"))]);
        assert_eq!(list.check(&own, Some("acme/shop")), Ok(()));
        let partial = secrets(&[(
            "DB",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp/acme/shop/db",
        )]);
        assert_eq!(list.check(&partial, Some("acme/shop")), Ok(()));

        let other = list.check(&own, Some("acme/other")).unwrap_err();
        assert_eq!(other.key, "DB");
        assert_eq!(other.arn, OWN);
        assert_eq!(
            other.allowed,
            ["arn:aws:secretsmanager:*:*:secret:idp/acme/other/*"]
        );
        let text = other.to_string();
        assert!(text.contains("`DB`") && text.contains(OWN) && text.contains("idp/acme/other/*"));

        // A prefix of the repository's name is not the repository.
        let longer = secrets(&[(
            "DB",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:idp/acme/shop-admin/db-AbCdEf",
        )]);
        assert!(list.check(&longer, Some("acme/shop")).is_err());
        let elsewhere = secrets(&[(
            "DB",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        )]);
        assert!(list.check(&elsewhere, Some("acme/shop")).is_err());
    }

    #[test]
    fn without_a_repository_only_patterns_without_placeholders_apply() {
        let list = SecretAllowList::default();
        let own = secrets(&[("DB", OWN)]);
        let refused = list.check(&own, None).unwrap_err();
        assert!(refused.allowed.is_empty());
        assert!(refused.to_string().contains("allowed: none"));

        let shared = SecretAllowList::parse(
            "arn:aws:secretsmanager:*:*:secret:idp/{owner}/{repo}/*, arn:aws:secretsmanager:*:123456789012:secret:idp/shared/*",
        )
        .unwrap();
        let shared_secret = secrets(&[(
            "KEY",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:idp/shared/key-AbCdEf",
        )]);
        assert_eq!(shared.check(&shared_secret, None), Ok(()));
        assert_eq!(shared.check(&shared_secret, Some("acme/shop")), Ok(()));
        assert!(shared.check(&own, None).is_err());
        assert_eq!(shared.check(&BTreeMap::new(), None), Ok(()));
    }

    #[test]
    fn patterns_that_let_everything_through_or_are_not_secret_arns_are_refused() {
        for bad in [
            "",
            "arn:aws:secretsmanager:*:*:secret:*",
            "arn:aws:secretsmanager:*:*:secret:?x",
            "arn:aws:s3:::idp-*",
            "idp/{owner}/*",
            "arn:aws:secretsmanager:*:*:secret:idp/{team}/*",
        ] {
            assert!(SecretAllowList::parse(bad).is_err(), "{bad}");
        }
        let two = SecretAllowList::parse(
            "arn:aws:secretsmanager:*:*:secret:a/*\narn:aws-us-gov:secretsmanager:*:*:secret:b/?",
        )
        .unwrap();
        assert_eq!(two.patterns().len(), 2);
    }

    #[test]
    fn the_refusal_comment_names_the_variable_the_secret_and_the_allowed_patterns() {
        let list = SecretAllowList::default();
        let refused = list
            .check(&secrets(&[("DB", OWN)]), Some("acme/other"))
            .unwrap_err();
        let env = EnvName::parse("preview-x").unwrap();
        let body = refusal_comment(&env, "feature/x", &refused, &["push again".to_owned()]);
        assert!(body.starts_with(&comment_marker(&env)));
        assert!(body.contains("`DB`") && body.contains(OWN));
        assert!(body.contains("idp/acme/other/*"));
        assert!(body.contains("> push again"));
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(arn_matches("a*c", "abbbc"));
        assert!(arn_matches("a*c", "ac"));
        assert!(arn_matches("a?c", "abc"));
        assert!(!arn_matches("a?c", "ac"));
        assert!(!arn_matches("a*c", "abcd"));
        assert!(arn_matches("a*b*c", "axxbyyc"));
        assert!(!arn_matches("A*", "abc"));
        assert!(arn_matches("*", ""));
    }
}
