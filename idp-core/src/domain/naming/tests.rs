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

/// Branch names that are hard to map (slashes, case, length, leading digits), with their names.
#[test]
fn hard_branch_names_give_valid_distinct_names() {
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
    let b =
        EnvName::from_branch(&format!("feature/{}-{}", "a".repeat(20), "b".repeat(20))).unwrap();
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
