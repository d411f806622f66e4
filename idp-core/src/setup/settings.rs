//! The user settings file (`idp config`) and the one precedence rule every frontend applies:
//! a flag (or keyword argument) wins over an environment variable, which wins over the settings
//! file, which wins over the default.
//!
//! The file is TOML at `$IDP_CONFIG_FILE`, else `$XDG_CONFIG_HOME/idp/config.toml`, else
//! `~/.config/idp/config.toml`. Its keys are the dotted names of [`Key`], as TOML tables:
//!
//! ```toml
//! backend = "aws"
//! stateDir = "/var/lib/idp"
//!
//! [aws]
//! stateBucket = "acme-idp-state"
//! lockTable = "idp-locks"
//! region = "eu-west-1"
//!
//! [github]
//! repo = "acme/idp"
//! ```
//!
//! Unknown keys are refused with the closest known key, so a typo never silently falls back to
//! a default.
#![allow(
    clippy::disallowed_methods,
    reason = "the settings file lives on disk and its location comes from the environment"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::setup::env_vars::{self, EnvVars};
use crate::setup::open::BackendChoice;

/// The environment variable naming the settings file (overrides the XDG location).
pub const IDP_CONFIG_FILE: &str = "IDP_CONFIG_FILE";
/// The base directory of user configuration files (XDG).
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// The environment variable of [`Key::AwsEcrRepo`].
pub const IDP_ECR_REPOSITORY: &str = "IDP_ECR_REPOSITORY";
/// The environment variable of [`Key::GithubRepo`].
pub const IDP_GITHUB_REPO: &str = "IDP_GITHUB_REPO";
/// The environment variable of [`Key::AwsProfile`] (the AWS SDK's own).
pub const AWS_PROFILE: &str = "AWS_PROFILE";

/// One setting. Its dotted name ([`Key::as_str`]) is what `idp config` and the file use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Key {
    /// `backend`: `local` or `aws`.
    Backend,
    /// `stateDir`: the local backend's state directory.
    StateDir,
    /// `aws.stateBucket`: the S3 bucket holding environment state.
    AwsStateBucket,
    /// `aws.lockTable`: the DynamoDB table of leases and OpenTofu locks.
    AwsLockTable,
    /// `aws.region`: the AWS region.
    AwsRegion,
    /// `aws.endpointUrl`: an endpoint override (S3/DynamoDB-compatible services).
    AwsEndpointUrl,
    /// `aws.profile`: the AWS profile for credentials.
    AwsProfile,
    /// `aws.ecrRepo`: the ECR repository holding preview images.
    AwsEcrRepo,
    /// `github.repo`: the `owner/name` repository whose workflows `--via-github` dispatches.
    GithubRepo,
}

impl From<Key> for &'static str {
    fn from(key: Key) -> Self {
        key.as_str()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Key {
    /// Every key, in the order `idp config list` shows them.
    pub const ALL: [Key; 9] = [
        Key::Backend,
        Key::StateDir,
        Key::AwsStateBucket,
        Key::AwsLockTable,
        Key::AwsRegion,
        Key::AwsEndpointUrl,
        Key::AwsProfile,
        Key::AwsEcrRepo,
        Key::GithubRepo,
    ];

    /// The dotted name, e.g. `aws.stateBucket`.
    pub fn as_str(self) -> &'static str {
        match self {
            Key::Backend => "backend",
            Key::StateDir => "stateDir",
            Key::AwsStateBucket => "aws.stateBucket",
            Key::AwsLockTable => "aws.lockTable",
            Key::AwsRegion => "aws.region",
            Key::AwsEndpointUrl => "aws.endpointUrl",
            Key::AwsProfile => "aws.profile",
            Key::AwsEcrRepo => "aws.ecrRepo",
            Key::GithubRepo => "github.repo",
        }
    }

    /// The environment variable that sets it.
    pub fn env_var(self) -> &'static str {
        match self {
            Key::Backend => EnvVars::IDP_BACKEND,
            Key::StateDir => EnvVars::IDP_STATE_DIR,
            Key::AwsStateBucket => EnvVars::IDP_STATE_BUCKET,
            Key::AwsLockTable => EnvVars::IDP_LOCK_TABLE,
            Key::AwsRegion => EnvVars::IDP_REGION,
            Key::AwsEndpointUrl => EnvVars::IDP_ENDPOINT_URL,
            Key::AwsProfile => AWS_PROFILE,
            Key::AwsEcrRepo => IDP_ECR_REPOSITORY,
            Key::GithubRepo => IDP_GITHUB_REPO,
        }
    }

    /// The CLI flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Key::Backend => "--backend",
            Key::StateDir => "--state-dir",
            Key::AwsStateBucket => "--state-bucket",
            Key::AwsLockTable => "--lock-table",
            Key::AwsRegion => "--region",
            Key::AwsEndpointUrl => "--endpoint-url",
            Key::AwsProfile => "--profile",
            Key::AwsEcrRepo => "--ecr-repository",
            Key::GithubRepo => "--repo",
        }
    }

    /// The value used when no flag, variable or file sets it.
    pub fn default_value(self) -> Option<&'static str> {
        match self {
            Key::Backend => Some("local"),
            Key::AwsEcrRepo => Some("idp-preview"),
            _ => None,
        }
    }

    /// The key named `name`, or an error naming the closest key.
    pub fn parse(name: &str) -> Result<Key, SettingsError> {
        Key::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| SettingsError::UnknownKey {
                key: name.to_owned(),
                suggestion: did_you_mean(name),
            })
    }

    /// Check a value before it is stored.
    pub fn validate(self, value: &str) -> Result<(), SettingsError> {
        let bad = |expected: &str| SettingsError::InvalidValue {
            key: self,
            value: value.to_owned(),
            expected: expected.to_owned(),
        };
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(bad("a non-empty value without control characters"));
        }
        match self {
            Key::Backend if !matches!(value, "local" | "aws") => Err(bad("`local` or `aws`")),
            Key::AwsEndpointUrl
                if !(value.starts_with("http://") || value.starts_with("https://")) =>
            {
                Err(bad("an `http://` or `https://` URL"))
            }
            Key::GithubRepo if !is_repo(value) => Err(bad("`owner/name`, e.g. `acme/idp`")),
            Key::AwsRegion
                if !value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
            {
                Err(bad("a region name such as `eu-west-1`"))
            }
            _ => Ok(()),
        }
    }
}

fn is_repo(value: &str) -> bool {
    let ok = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    matches!(value.split_once('/'), Some((owner, name)) if ok(owner) && ok(name))
}

fn did_you_mean(name: &str) -> Option<Key> {
    let lower = name.to_ascii_lowercase();
    Key::ALL
        .into_iter()
        .map(|k| {
            let candidate = k.as_str().to_ascii_lowercase();
            let score = strsim::jaro_winkler(&lower, &candidate)
                .max(strsim::normalized_damerau_levenshtein(&lower, &candidate));
            (score, k)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn known_keys() -> String {
    Key::ALL.map(Key::as_str).join(", ")
}

/// A problem with a setting or the settings file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The key is not one of [`Key::ALL`].
    #[error("unknown setting `{key}`: {}", match suggestion { Some(k) => format!("did you mean `{k}`?"), None => format!("the settings are {}", known_keys()) })]
    UnknownKey {
        /// The key as given.
        key: String,
        /// The closest known key, if one is close.
        suggestion: Option<Key>,
    },
    /// The value does not fit the key.
    #[error("invalid value `{value}` for `{key}`: expected {expected}")]
    InvalidValue {
        /// The key.
        key: Key,
        /// The value as given.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl From<SettingsError> for Error {
    fn from(e: SettingsError) -> Self {
        let reason = match &e {
            SettingsError::UnknownKey { .. } => "unknown_setting",
            SettingsError::InvalidValue { .. } => "invalid_setting",
            SettingsError::Syntax { .. } => "invalid_settings_file",
        };
        Error::Refused {
            reason: reason.to_owned(),
            message: e.to_string(),
        }
    }
}

/// Values of some settings (one layer: flags, environment or file).
pub type Values = BTreeMap<Key, String>;

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag (or a keyword argument of a library call).
    Flag,
    /// An environment variable.
    Env,
    /// The settings file.
    File,
    /// The built-in default.
    Default,
}

impl Source {
    /// `flag`, `env`, `file` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::File => "file",
            Source::Default => "default",
        }
    }
}

/// A resolved setting: its value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The key.
    pub key: Key,
    /// The value (None when nothing sets it and it has no default).
    pub value: Option<String>,
    /// Where the value came from (None when unset).
    pub source: Option<Source>,
    /// The environment variable that sets it.
    pub env: &'static str,
}

/// Every setting after applying the precedence: flag > environment > file > default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// One entry per key, in [`Key::ALL`] order.
    pub settings: Vec<Setting>,
}

/// Apply the precedence to explicit layers (pure; [`resolve`] reads the environment).
pub fn resolve_layers(flags: &Values, env: &Values, file: &Values) -> Resolved {
    let settings = Key::ALL
        .into_iter()
        .map(|key| {
            let found = [
                (flags, Source::Flag),
                (env, Source::Env),
                (file, Source::File),
            ]
            .into_iter()
            .find_map(|(layer, source)| layer.get(&key).map(|v| (v.clone(), source)))
            .or_else(|| key.default_value().map(|v| (v.to_owned(), Source::Default)));
            Setting {
                key,
                value: found.as_ref().map(|(v, _)| v.clone()),
                source: found.map(|(_, s)| s),
                env: key.env_var(),
            }
        })
        .collect();
    Resolved { settings }
}

/// The environment layer: every key's variable that is set and not empty.
pub fn env_layer() -> Values {
    Key::ALL
        .into_iter()
        .filter_map(|k| env_vars::get(k.env_var()).map(|v| (k, v)))
        .collect()
}

/// Apply the precedence to `flags`, the environment and `file`.
pub fn resolve(flags: &Values, file: &Values) -> Resolved {
    resolve_layers(flags, &env_layer(), file)
}

impl Resolved {
    /// The value of `key`, if any layer or the default sets it.
    pub fn get(&self, key: Key) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value.as_deref())
    }

    /// Where the value of `key` came from.
    pub fn source(&self, key: Key) -> Option<Source> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.source)
    }

    /// The backend these settings select. `templates_dir` and `tofu_program` are the
    /// OpenTofu templates and binary of the AWS backend.
    pub fn backend_choice(
        &self,
        templates_dir: PathBuf,
        tofu_program: PathBuf,
    ) -> Result<BackendChoice, Error> {
        let state_dir = self.get(Key::StateDir).map(PathBuf::from);
        match self.get(Key::Backend).unwrap_or("local") {
            "local" => Ok(BackendChoice::Local { state_dir }),
            #[cfg(feature = "aws")]
            "aws" => {
                let get = |k: Key| self.get(k).map(str::to_owned);
                Ok(BackendChoice::Aws(crate::setup::open::AwsOptions {
                    state_bucket: get(Key::AwsStateBucket),
                    lock_table: get(Key::AwsLockTable),
                    region: get(Key::AwsRegion),
                    endpoint_url: get(Key::AwsEndpointUrl),
                    profile: get(Key::AwsProfile),
                    ecr_repository: get(Key::AwsEcrRepo)
                        .unwrap_or_else(|| "idp-preview".to_owned()),
                    templates_dir,
                    tofu_program,
                    data_dir: state_dir.map(|d| d.join("tofu")),
                }))
            }
            other => {
                let _ = (templates_dir, tofu_program);
                Err(SettingsError::InvalidValue {
                    key: Key::Backend,
                    value: other.to_owned(),
                    expected: if cfg!(feature = "aws") {
                        "`local` or `aws`".to_owned()
                    } else {
                        "`local` (this build has no AWS support)".to_owned()
                    },
                }
                .into())
            }
        }
    }
}

// === impl the file ===

/// The settings file's location: `$IDP_CONFIG_FILE`, else `$XDG_CONFIG_HOME/idp/config.toml`,
/// else `$HOME/.config/idp/config.toml`, else `./.idp-config.toml`.
pub fn default_path() -> PathBuf {
    if let Some(file) = env_vars::get(IDP_CONFIG_FILE) {
        return PathBuf::from(file);
    }
    config_dir().join("config.toml")
}

/// idp's configuration directory: `$XDG_CONFIG_HOME/idp`, else `$HOME/.config/idp`, else
/// `./.idp-config`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = env_vars::get(XDG_CONFIG_HOME) {
        return Path::new(&dir).join("idp");
    }
    match env_vars::get(EnvVars::HOME) {
        Some(home) => Path::new(&home).join(".config/idp"),
        None => PathBuf::from(".idp-config"),
    }
}

/// Parse the text of a settings file. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Values, SettingsError> {
    let at = |span: Option<std::ops::Range<usize>>, message: String| {
        let offset = span.map_or(0, |s| s.start).min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        SettingsError::Syntax {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| at(e.span(), e.message().trim().to_owned()))?;
    let locate = |key: &str| text.find(key).map(|start| start..start + key.len());
    let mut values = Values::new();
    let mut take = |dotted: String, value: &toml::Value| -> Result<(), SettingsError> {
        let key = Key::parse(&dotted).map_err(|e| {
            at(
                locate(dotted.rsplit('.').next().unwrap_or(&dotted)),
                e.to_string(),
            )
        })?;
        let text_value = value.as_str().ok_or_else(|| {
            at(
                locate(key.as_str().rsplit('.').next().unwrap_or_default()),
                format!("`{key}` must be a string, e.g. {key} = \"...\" (quoted)"),
            )
        })?;
        key.validate(text_value).map_err(|e| {
            at(
                locate(key.as_str().rsplit('.').next().unwrap_or_default()),
                e.to_string(),
            )
        })?;
        values.insert(key, text_value.to_owned());
        Ok(())
    };
    for (name, value) in &table {
        match value {
            toml::Value::Table(section) => {
                for (sub, v) in section {
                    take(format!("{name}.{sub}"), v)?;
                }
            }
            v => take(name.clone(), v)?,
        }
    }
    Ok(values)
}

/// The TOML text of `values`: top-level keys first, then one table per section.
pub fn to_toml(values: &Values) -> String {
    let mut root = toml::Table::new();
    for (key, value) in values {
        match key.as_str().split_once('.') {
            Some((section, name)) => {
                let entry = root
                    .entry(section.to_owned())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(t) = entry {
                    t.insert(name.to_owned(), toml::Value::String(value.clone()));
                }
            }
            None => {
                root.insert(key.as_str().to_owned(), toml::Value::String(value.clone()));
            }
        }
    }
    let body = toml::to_string(&root).unwrap_or_default();
    format!("# idp settings: edit with `idp config set KEY VALUE` (see `idp config list`).\n{body}")
}

/// Read the settings file at `path`; a missing file has no values.
pub fn load(path: &Path) -> Result<Values, Error> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(parse(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Values::new()),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write `values` to `path` atomically (a temporary file renamed over it), creating its
/// directory.
pub fn save(path: &Path, values: &Values) -> Result<(), Error> {
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir).map_err(io)?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    fs_err::write(tmp.path(), to_toml(values)).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(Key, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn a_flag_wins_over_the_environment_which_wins_over_the_file_which_wins_over_the_default() {
        let flags = values(&[(Key::AwsRegion, "eu-west-1")]);
        let env = values(&[
            (Key::AwsRegion, "us-east-2"),
            (Key::AwsStateBucket, "env-bucket"),
        ]);
        let file = values(&[
            (Key::AwsRegion, "us-west-2"),
            (Key::AwsStateBucket, "file-bucket"),
            (Key::AwsLockTable, "file-table"),
        ]);
        let r = resolve_layers(&flags, &env, &file);
        assert_eq!(
            (r.get(Key::AwsRegion), r.source(Key::AwsRegion)),
            (Some("eu-west-1"), Some(Source::Flag))
        );
        assert_eq!(
            (r.get(Key::AwsStateBucket), r.source(Key::AwsStateBucket)),
            (Some("env-bucket"), Some(Source::Env))
        );
        assert_eq!(
            (r.get(Key::AwsLockTable), r.source(Key::AwsLockTable)),
            (Some("file-table"), Some(Source::File))
        );
        assert_eq!(
            (r.get(Key::Backend), r.source(Key::Backend)),
            (Some("local"), Some(Source::Default))
        );
        assert_eq!(
            (r.get(Key::GithubRepo), r.source(Key::GithubRepo)),
            (None, None)
        );
    }

    #[test]
    fn an_unknown_key_names_the_closest_known_key() {
        let err = Key::parse("aws.statebuckt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown setting `aws.statebuckt`: did you mean `aws.stateBucket`?"
        );
        let err = Key::parse("colour").unwrap_err();
        assert!(
            err.to_string()
                .contains("the settings are backend, stateDir"),
            "{err}"
        );
    }

    #[test]
    fn the_file_round_trips_through_toml_with_sections() {
        let v = values(&[
            (Key::Backend, "aws"),
            (Key::AwsStateBucket, "b"),
            (Key::AwsRegion, "eu-west-1"),
            (Key::GithubRepo, "acme/idp"),
        ]);
        let text = to_toml(&v);
        assert!(
            text.contains("[aws]\nregion = \"eu-west-1\"\nstateBucket = \"b\""),
            "{text}"
        );
        assert_eq!(parse(&text, "f").unwrap(), v);
    }

    #[test]
    fn an_unknown_key_in_the_file_is_reported_with_its_line() {
        let err = parse("backend = \"aws\"\n[aws]\nbucket = \"x\"\n", "config.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.toml:3:1: unknown setting `aws.bucket`: did you mean `aws.stateBucket`?"
        );
        let err = parse("colour = \"x\"\n", "config.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.toml:1:1: unknown setting `colour`: the settings are backend, stateDir, aws.stateBucket, aws.lockTable, aws.region, aws.endpointUrl, aws.profile, aws.ecrRepo, github.repo"
        );
        let err = parse("backend = 3\n", "f").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("f:1:1: `backend` must be a string"),
            "{err}"
        );
        let err = parse("backend = \n", "f").unwrap_err();
        assert!(
            matches!(err, SettingsError::Syntax { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn values_are_checked_before_they_are_stored() {
        assert!(Key::Backend.validate("gcp").is_err());
        assert!(Key::GithubRepo.validate("acme").is_err());
        assert!(Key::GithubRepo.validate("acme/idp").is_ok());
        assert!(Key::AwsEndpointUrl.validate("localhost:5000").is_err());
        assert!(Key::AwsStateBucket.validate("").is_err());
    }

    #[test]
    fn the_backend_choice_follows_the_resolved_backend() {
        let r = resolve_layers(
            &Values::new(),
            &Values::new(),
            &values(&[(Key::StateDir, "/s")]),
        );
        let choice = r.backend_choice("t".into(), "tofu".into()).unwrap();
        assert!(
            matches!(choice, BackendChoice::Local { state_dir: Some(d) } if d == Path::new("/s"))
        );
    }

    #[test]
    fn save_then_load_gives_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/config.toml");
        let v = values(&[(Key::AwsProfile, "dev"), (Key::StateDir, "/tmp/x")]);
        save(&path, &v).unwrap();
        assert_eq!(load(&path).unwrap(), v);
        assert_eq!(
            load(&dir.path().join("missing.toml")).unwrap(),
            Values::new()
        );
    }
}
