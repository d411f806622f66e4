//! Where an order's secret values come from besides the runner (`ssm_paths`,
//! `secret_manager_paths`), and how each parameter or secret becomes an environment variable.
//!
//! The naming rule, in full (the same for every source, so a job file reads the same on every
//! backend):
//!
//! | source | variables |
//! |---|---|
//! | SSM parameter `/app/prod/db-password` (an entry of `ssm_paths` without a trailing `/`) | one: `DB_PASSWORD` |
//! | SSM path `/app/prod/` (an entry ending with `/`) | one per parameter under it, at any depth (`/app/prod/api/token` → `TOKEN`); an empty path is an error |
//! | secret `prod/db.creds` (name or ARN) whose value is a JSON object of strings, numbers or booleans | one per key of the object: `{"user": …, "pass-word": …}` → `USER`, `PASS_WORD` |
//! | any other secret | one, named after the secret: `prod/api-token` → `API_TOKEN` |
//!
//! A name becomes a variable by taking its last non-empty `/`-separated segment, upper-casing
//! ASCII letters and turning `-` and `.` into `_`. Anything else (a segment that starts with a
//! digit, a space, a non-ASCII letter) is an error that names the parameter, never a silently
//! altered name. Two sources of one order that give the same variable, or a variable also in
//! the order's `env` or `secrets`, are an error naming both.

use std::collections::BTreeMap;
use std::fmt;

use crate::secret::Secret;

/// The longest SSM parameter name AWS accepts, and the longest accepted here for any source.
pub const MAX_SOURCE_NAME: usize = 2048;

/// One entry of an order's `ssm_paths`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsmRef {
    /// One parameter, by its full name.
    Name(String),
    /// Every parameter under this path (it ends with `/`), recursively.
    Path(String),
}

impl SsmRef {
    /// Reads an `ssm_paths` entry: a name ends without `/`, a path with one (and starts with
    /// `/`, as `GetParametersByPath` requires).
    pub fn parse(entry: &str) -> Result<Self, String> {
        check_name(entry, "a parameter name")?;
        if entry.ends_with('/') {
            if !entry.starts_with('/') {
                return Err(format!(
                    "{} is a path (it ends with `/`) but does not start with `/`: write `/{entry}`",
                    q(entry)
                ));
            }
            Ok(Self::Path(entry.to_owned()))
        } else {
            Ok(Self::Name(entry.to_owned()))
        }
    }
}

/// Checks a source name: not blank, no whitespace or control character, not too long.
pub fn check_name(name: &str, what: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        Err(format!("is blank: give {what} or remove the entry"))
    } else if name.len() > MAX_SOURCE_NAME {
        Err(format!(
            "{} is longer than {MAX_SOURCE_NAME} bytes: give {what}",
            q(name)
        ))
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!(
            "{} has a space or control character: give {what}",
            q(name)
        ))
    } else {
        Ok(())
    }
}

/// The environment variable a parameter, secret or JSON key called `name` becomes (see the
/// module documentation for the rule).
pub fn var_name(name: &str) -> Result<String, String> {
    let segment = name.rsplit('/').find(|s| !s.is_empty()).unwrap_or_default();
    if segment.is_empty() {
        return Err(format!(
            "{} has no name to make a variable of: name a parameter, not only `/`",
            q(name)
        ));
    }
    let mut var = String::with_capacity(segment.len());
    for c in segment.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => var.push(c.to_ascii_uppercase()),
            '-' | '.' => var.push('_'),
            other => {
                return Err(format!(
                    "{} cannot become a variable name: {} is not one of `A-Z a-z 0-9 _ - .`; rename it or read it in a command",
                    q(name),
                    q(&other.to_string())
                ));
            }
        }
    }
    if var.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "{} cannot become a variable name: `{var}` starts with a digit; rename it or read it in a command",
            q(name)
        ));
    }
    Ok(var)
}

/// Where one variable's value came from, for error messages (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An SSM parameter.
    Parameter(String),
    /// A Secrets Manager secret, or one key of a JSON secret.
    Secret { name: String, key: Option<String> },
    /// The order's `env`.
    Env,
    /// The order's `secrets` (supplied by the runner).
    Runner,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Parameter(name) => write!(f, "SSM parameter {}", q(name)),
            Origin::Secret { name, key: None } => write!(f, "secret {}", q(name)),
            Origin::Secret {
                name,
                key: Some(key),
            } => write!(f, "key {} of secret {}", q(key), q(name)),
            Origin::Env => f.write_str("`env`"),
            Origin::Runner => f.write_str("`secrets`"),
        }
    }
}

/// The variables a secret's value gives: one per key of a JSON object of scalars, else one
/// named after the secret. Keys are mapped by [`var_name`].
pub fn secret_vars(
    name: &str,
    value: &Secret<String>,
) -> Result<Vec<(String, Origin, Secret<String>)>, String> {
    if let Ok(serde_json::Value::Object(map)) =
        serde_json::from_str::<serde_json::Value>(value.expose())
        && !map.is_empty()
        && map.values().all(|v| {
            matches!(
                v,
                serde_json::Value::String(_)
                    | serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
            )
        })
    {
        let mut vars = Vec::with_capacity(map.len());
        for (key, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            let var = var_name(&key).map_err(|e| format!("key of secret {}: {e}", q(name)))?;
            vars.push((
                var,
                Origin::Secret {
                    name: name.to_owned(),
                    key: Some(key),
                },
                Secret::new(text),
            ));
        }
        return Ok(vars);
    }
    let var = var_name(name)?;
    Ok(vec![(
        var,
        Origin::Secret {
            name: name.to_owned(),
            key: None,
        },
        value.clone(),
    )])
}

/// Builds one order's secret environment from its resolved variables, refusing a variable
/// given twice (by two sources, or by a source and the order's own `env`, listed in `taken`).
pub fn assemble(
    vars: Vec<(String, Origin, Secret<String>)>,
    taken: &[(String, Origin)],
) -> Result<BTreeMap<String, Secret<String>>, String> {
    let mut origins: BTreeMap<String, Origin> = taken.iter().cloned().collect();
    let mut env = BTreeMap::new();
    for (var, origin, value) in vars {
        if let Some(first) = origins.get(&var) {
            return Err(collision(&var, first, &origin));
        }
        origins.insert(var.clone(), origin);
        env.insert(var, value);
    }
    Ok(env)
}

/// The error of a variable given by two sources.
pub fn collision(var: &str, first: &Origin, second: &Origin) -> String {
    format!(
        "`{var}` would be set by both {first} and {second}: list only one of them, or rename one"
    )
}

/// A value in backticks, cut at 80 characters.
fn q(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((at, _)) => format!("`{}…`", s.get(..at).unwrap_or_default()),
        None => format!("`{s}`"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_last_segment_is_upper_cased_with_dashes_and_dots_as_underscores() {
        assert_eq!(var_name("/app/prod/db-password").unwrap(), "DB_PASSWORD");
        assert_eq!(var_name("/app/prod/api.token/").unwrap(), "API_TOKEN");
        assert_eq!(var_name("plain").unwrap(), "PLAIN");
        assert_eq!(var_name("prod/Mixed_Case-1").unwrap(), "MIXED_CASE_1");
        insta::assert_snapshot!(
            [var_name("/app/9lives"), var_name("/a/b c"), var_name("//"), var_name("/a/été")]
                .into_iter()
                .map(|r| r.unwrap_err())
                .collect::<Vec<_>>()
                .join("\n"),
            @r"
        `/app/9lives` cannot become a variable name: `9LIVES` starts with a digit; rename it or read it in a command
        `/a/b c` cannot become a variable name: ` ` is not one of `A-Z a-z 0-9 _ - .`; rename it or read it in a command
        `//` has no name to make a variable of: name a parameter, not only `/`
        `/a/été` cannot become a variable name: `é` is not one of `A-Z a-z 0-9 _ - .`; rename it or read it in a command
        "
        );
    }

    #[test]
    fn ssm_entries_are_names_or_paths() {
        assert_eq!(
            SsmRef::parse("/app/db").unwrap(),
            SsmRef::Name("/app/db".into())
        );
        assert_eq!(
            SsmRef::parse("/app/").unwrap(),
            SsmRef::Path("/app/".into())
        );
        assert!(SsmRef::parse("app/").unwrap_err().contains("write `/app/`"));
        assert!(SsmRef::parse(" ").unwrap_err().contains("blank"));
        assert!(SsmRef::parse("/a\nb").unwrap_err().contains("control"));
    }

    #[test]
    fn a_json_secret_gives_one_variable_per_key_and_another_secret_one() {
        let json = Secret::new(r#"{"user":"u","pass-word":"p","port":5432}"#.to_owned());
        let vars = secret_vars("prod/db", &json).unwrap();
        let names: Vec<&str> = vars.iter().map(|(v, _, _)| v.as_str()).collect();
        assert_eq!(names, ["PASS_WORD", "PORT", "USER"]);
        assert_eq!(vars[1].2.expose(), "5432");
        let plain = secret_vars("prod/api-token", &Secret::new("s3cr3t".to_owned())).unwrap();
        assert_eq!(plain[0].0, "API_TOKEN");
        assert_eq!(plain[0].2.expose(), "s3cr3t");
        // A JSON array or nested object is one value, not keys.
        let nested = secret_vars("x/nested", &Secret::new(r#"{"a":{"b":1}}"#.to_owned())).unwrap();
        assert_eq!(nested[0].0, "NESTED");
    }

    #[test]
    fn collisions_name_both_sources() {
        let v = |s: &str| Secret::new(s.to_owned());
        let err = assemble(
            vec![
                (
                    "DB_PASSWORD".into(),
                    Origin::Parameter("/a/db-password".into()),
                    v("1"),
                ),
                (
                    "DB_PASSWORD".into(),
                    Origin::Secret {
                        name: "prod/db".into(),
                        key: Some("db.password".into()),
                    },
                    v("2"),
                ),
            ],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "`DB_PASSWORD` would be set by both SSM parameter `/a/db-password` and key `db.password` of secret `prod/db`: list only one of them, or rename one"
        );
        let err = assemble(
            vec![("PORT".into(), Origin::Parameter("/a/port".into()), v("1"))],
            &[("PORT".into(), Origin::Env)],
        )
        .unwrap_err();
        assert!(
            err.contains("both `env` and SSM parameter `/a/port`"),
            "{err}"
        );
        let ok = assemble(
            vec![("A".into(), Origin::Parameter("/a".into()), v("1"))],
            &[("B".into(), Origin::Runner)],
        )
        .unwrap();
        assert_eq!(ok.keys().collect::<Vec<_>>(), ["A"]);
    }

    proptest! {
        #[test]
        fn any_name_becomes_a_valid_variable_or_an_error(name in "\\PC{0,40}|[/a-zA-Z0-9._-]{0,40}") {
            match var_name(&name) {
                Ok(var) => {
                    prop_assert!(!var.is_empty());
                    prop_assert!(!var.starts_with(|c: char| c.is_ascii_digit()));
                    prop_assert!(var.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
                }
                Err(e) => prop_assert!(e.starts_with('`'), "{}", e),
            }
            let _ = SsmRef::parse(&name);
            let _ = secret_vars(&name, &Secret::new(name.clone()));
        }
    }
}
