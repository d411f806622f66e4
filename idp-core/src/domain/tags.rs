//! The tags every AWS resource of an environment carries, for cost attribution and lifecycle.
//!
//! One function builds the whole set from the environment's record, so the Terraform variables,
//! the sweep and cost reports all agree on keys and formats. Values come from users (owner,
//! cost center) and are sanitized to AWS's tag rules instead of failing an apply halfway:
//! keys and values may use letters, digits, spaces and `_ . : / = + - @`; keys are at most
//! 128 characters and values at most 256.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::lifecycle::Metadata;

/// The cost center when the configuration names none.
pub const DEFAULT_COST_CENTER: &str = "engineering";

/// The longest tag key AWS accepts, in characters.
pub const MAX_KEY_LEN: usize = 128;

/// The longest tag value AWS accepts, in characters.
pub const MAX_VALUE_LEN: usize = 256;

/// `idp:managed`: always `true`; marks resources idp may destroy.
pub const MANAGED: &str = "idp:managed";
/// `idp:environment`: the environment name.
pub const ENVIRONMENT: &str = "idp:environment";
/// `idp:template`: the template the environment was created from.
pub const TEMPLATE: &str = "idp:template";
/// `idp:owner`: who created it.
pub const OWNER: &str = "idp:owner";
/// `idp:created-at`: creation time, ISO 8601 UTC (`2026-01-01T00:00:00Z`).
pub const CREATED_AT: &str = "idp:created-at";
/// `idp:ttl`: the TTL it was created or last extended with (`7d`).
pub const TTL: &str = "idp:ttl";
/// `idp:expires-at`: expiry time, ISO 8601 UTC.
pub const EXPIRES_AT: &str = "idp:expires-at";
/// `cost-center`: the team the cost is charged to.
pub const COST_CENTER: &str = "cost-center";

/// A tag AWS would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The key is empty, too long, reserved or has a character AWS refuses.
    #[error("tag key `{key}` is invalid: {reason}")]
    InvalidKey {
        /// The offending key (escaped).
        key: String,
        /// What rule it breaks and how to fix it.
        reason: &'static str,
    },
    /// The value is too long or has a character AWS refuses.
    #[error("value of tag `{key}` is invalid: {reason}")]
    InvalidValue {
        /// The key of the offending value.
        key: String,
        /// What rule it breaks and how to fix it.
        reason: &'static str,
    },
}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

/// `value` made acceptable as a tag value: every character AWS refuses becomes `_`, and the
/// result is cut to [`MAX_VALUE_LEN`] characters.
pub fn sanitize_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .take(MAX_VALUE_LEN)
        .collect()
}

/// Check one tag against AWS's rules.
pub fn validate_tag(key: &str, value: &str) -> Result<(), TagError> {
    let bad_key = |reason| TagError::InvalidKey {
        key: key.escape_debug().to_string(),
        reason,
    };
    if key.is_empty() {
        return Err(bad_key("use at least one character"));
    }
    if key.chars().count() > MAX_KEY_LEN {
        return Err(bad_key("use at most 128 characters"));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(bad_key("the `aws:` prefix is reserved by AWS"));
    }
    if !key.chars().all(allowed) {
        return Err(bad_key(
            "use only letters, digits, spaces and `_ . : / = + - @`",
        ));
    }
    let bad_value = |reason| TagError::InvalidValue {
        key: key.to_owned(),
        reason,
    };
    if value.chars().count() > MAX_VALUE_LEN {
        return Err(bad_value("use at most 256 characters"));
    }
    if !value.chars().all(allowed) {
        return Err(bad_value(
            "use only letters, digits, spaces and `_ . : / = + - @`",
        ));
    }
    Ok(())
}

/// Check every tag of a set.
pub fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), TagError> {
    tags.iter().try_for_each(|(k, v)| validate_tag(k, v))
}

/// An instant as the tags write it: ISO 8601 UTC to the second (`2026-01-01T00:00:00Z`).
pub fn iso8601(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The tags of every resource of the environment in `meta`: `idp:managed=true`,
/// `idp:environment`, `idp:template`, `idp:owner`, `idp:created-at`, `idp:ttl`,
/// `idp:expires-at` and `cost-center` (`cost_center`, default [`DEFAULT_COST_CENTER`]).
/// Every value is passed through [`sanitize_value`], so the set always passes
/// [`validate_tags`].
///
/// `idp:created-at` never changes over an environment's life (extends keep `created_at`);
/// `idp:expires-at` and `idp:ttl` change when it is extended.
pub fn resource_tags(
    meta: &Metadata,
    ttl: &str,
    cost_center: Option<&str>,
) -> BTreeMap<String, String> {
    let cost_center = cost_center
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_COST_CENTER);
    [
        (MANAGED, "true".to_owned()),
        (ENVIRONMENT, meta.name.to_string()),
        (TEMPLATE, meta.template.to_string()),
        (OWNER, meta.owner.clone()),
        (CREATED_AT, iso8601(meta.created_at)),
        (TTL, ttl.to_owned()),
        (EXPIRES_AT, iso8601(meta.expires_at)),
        (COST_CENTER, cost_center.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), sanitize_value(&v)))
    .collect()
}

/// The tags of an existing environment as [`resource_tags`] gives them, with `idp:ttl` its
/// lifetime (`created_at` to `expires_at`, to the nearest hour) in days when it is a whole
/// number of days, else in hours.
pub fn environment_tags(meta: &Metadata, cost_center: Option<&str>) -> BTreeMap<String, String> {
    // To the nearest hour: records keep sub-second timestamps.
    let hours = ((meta.lifetime().num_seconds() + 1800) / 3600).max(1);
    let ttl = if hours % 24 == 0 {
        format!("{}d", hours / 24)
    } else {
        format!("{hours}h")
    };
    resource_tags(meta, &ttl, cost_center)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::naming::EnvName;
    use crate::domain::template::TemplateName;

    fn meta(owner: &str) -> Metadata {
        Metadata::new(
            EnvName::parse("preview-payment-api").unwrap(),
            TemplateName::default_template(),
            owner.to_owned(),
            "2026-02-18T22:03:39.250Z".parse().unwrap(),
            "2026-02-25T22:03:39Z".parse().unwrap(),
        )
    }

    #[test]
    fn the_seed_tag_set_is_built_from_the_record() {
        let tags = resource_tags(&meta("octocat@users.noreply.github.com"), "7d", None);
        let expected: BTreeMap<String, String> = [
            ("cost-center", "engineering"),
            ("idp:created-at", "2026-02-18T22:03:39Z"),
            ("idp:environment", "preview-payment-api"),
            ("idp:expires-at", "2026-02-25T22:03:39Z"),
            ("idp:managed", "true"),
            ("idp:owner", "octocat@users.noreply.github.com"),
            ("idp:template", "api-service"),
            ("idp:ttl", "7d"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(tags, expected);
        assert_eq!(validate_tags(&tags), Ok(()));
    }

    #[test]
    fn the_cost_center_is_a_parameter_with_a_default() {
        let m = meta("dev@example.com");
        assert_eq!(
            resource_tags(&m, "7d", Some("payments"))[COST_CENTER],
            "payments"
        );
        assert_eq!(
            resource_tags(&m, "7d", Some("  "))[COST_CENTER],
            "engineering"
        );
    }

    #[test]
    fn values_that_break_aws_rules_are_sanitized_and_cut() {
        let tags = resource_tags(&meta("evil\"owner<script>\n"), "7d", Some(&"x".repeat(300)));
        assert_eq!(tags[OWNER], "evil_owner_script__");
        assert_eq!(tags[COST_CENTER].chars().count(), MAX_VALUE_LEN);
        assert_eq!(validate_tags(&tags), Ok(()));
        assert_eq!(sanitize_value("Jürgen Müller"), "Jürgen Müller");
    }

    #[test]
    fn invalid_tags_are_reported() {
        assert!(validate_tag("", "x").is_err());
        assert!(validate_tag(&"k".repeat(129), "x").is_err());
        assert_eq!(
            validate_tag("aws:foo", "x").unwrap_err().to_string(),
            "tag key `aws:foo` is invalid: the `aws:` prefix is reserved by AWS"
        );
        assert_eq!(
            validate_tag("team", "a;b").unwrap_err().to_string(),
            "value of tag `team` is invalid: use only letters, digits, spaces and `_ . : / = + - @`"
        );
        assert!(validate_tag("team", &"v".repeat(257)).is_err());
        assert_eq!(validate_tag("team", ""), Ok(()));
    }

    proptest! {
        #[test]
        fn any_owner_and_cost_center_give_valid_tags(owner in any::<String>(), cc in any::<String>()) {
            let tags = resource_tags(&meta(&owner), "7d", Some(&cc));
            prop_assert_eq!(validate_tags(&tags), Ok(()));
        }
    }

    #[test]
    fn an_environments_ttl_tag_is_its_lifetime() {
        let m = meta("octocat");
        assert_eq!(environment_tags(&m, None)[TTL], "7d");
        let mut short = m.clone();
        short.expires_at = short.created_at + chrono::Duration::hours(74);
        assert_eq!(environment_tags(&short, None)[TTL], "74h");
    }
}
