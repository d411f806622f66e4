//! The settings file on disk: where it is, how it is parsed and written.
#![allow(
    clippy::disallowed_methods,
    reason = "the settings file lives on disk and its location comes from the environment"
)]

use std::path::{Path, PathBuf};

use super::{Key, SettingsError, Values};
use crate::error::Error;
use crate::setup::env_vars::{self, EnvVars};

/// The settings file's location: `$IDP_CONFIG_FILE`, else `$XDG_CONFIG_HOME/idp/config.toml`,
/// else `$HOME/.config/idp/config.toml`, else `./.idp-config.toml`.
pub fn default_path() -> PathBuf {
    if let Some(file) = env_vars::get(EnvVars::IDP_CONFIG_FILE) {
        return PathBuf::from(file);
    }
    config_dir().join("config.toml")
}

/// idp's configuration directory: `$XDG_CONFIG_HOME/idp`, else `$HOME/.config/idp`, else
/// `./.idp-config`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = env_vars::get(EnvVars::XDG_CONFIG_HOME) {
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
        // The two switches may be TOML booleans (`vpcFlowLogs = true`) as well as strings.
        let text_value = match value {
            toml::Value::Boolean(b) if key.is_switch() => {
                if *b {
                    "true"
                } else {
                    "false"
                }
            }
            v => v.as_str().ok_or_else(|| {
                at(
                    locate(key.as_str().rsplit('.').next().unwrap_or_default()),
                    format!("`{key}` must be a string, e.g. {key} = \"...\" (quoted)"),
                )
            })?,
        };
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
    match fs_err::read(path) {
        Ok(bytes) => {
            let file = path.display().to_string();
            let text = crate::domain::text::utf8(&bytes).map_err(|e| SettingsError::Syntax {
                file: file.clone(),
                line: e.line,
                column: e.column,
                message: format!(
                    "the settings file {}: {}",
                    e.what,
                    crate::domain::text::NotText::FIX
                ),
            })?;
            Ok(parse(text, &file)?)
        }
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
