//! Finding and reading a repository's `.idp/config.yml`, with one rule for every frontend:
//!
//! - no path, or the path [`DEFAULT_PATH`], means `<root>/.idp/config.yml`;
//! - that default location may be absent: the defaults apply ([`Config::default`]);
//! - a file named anywhere else must exist: its absence is an error, never the defaults, so a
//!   mistyped `--config` is not silently ignored.
#![allow(
    clippy::disallowed_methods,
    reason = "the configuration is a file in the repository"
)]

use std::path::{Path, PathBuf};

use crate::domain::config::{Config, ConfigErrors, ConfigOptions, DEFAULT_PATH};
use crate::error::{Error, Result};

/// A repository's configuration as read from disk.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The file that was looked up (under the root).
    pub path: PathBuf,
    /// The name errors and annotations use: the path as given, relative to the root.
    pub name: String,
    /// True when the file does not exist and the defaults apply.
    pub defaults: bool,
    /// The configuration, or every problem of the file.
    pub parsed: std::result::Result<Config, ConfigErrors>,
}

impl ConfigFile {
    /// The configuration, or the file's problems as an [`Error`].
    pub fn into_config(self) -> Result<Config> {
        Ok(self.parsed?)
    }
}

/// Read the configuration `path` names under `root` (see the module's rule). Fails only when
/// the file cannot be read; its problems are in [`ConfigFile::parsed`].
///
/// The TTL is checked against the default policy; [`read_with`] checks it against the
/// platform's (`ttl.min` / `ttl.max`).
pub fn read(root: &Path, path: Option<&Path>) -> Result<ConfigFile> {
    read_with(root, path, &ConfigOptions::default())
}

/// [`read`], checked against `options` (see [`crate::setup::open::config_options`]).
pub fn read_with(root: &Path, path: Option<&Path>, options: &ConfigOptions) -> Result<ConfigFile> {
    let given = path.unwrap_or(Path::new(DEFAULT_PATH));
    let full = root.join(given);
    let default_location = given == Path::new(DEFAULT_PATH);
    let name = given.display().to_string();
    let bytes = match fs_err::read(&full) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && default_location => None,
        Err(source) => return Err(Error::Io { path: full, source }),
    };
    Ok(ConfigFile {
        defaults: bytes.is_none(),
        parsed: Config::from_bytes_or_defaults_with(bytes.as_deref(), &name, options),
        path: full,
        name,
    })
}

/// The configuration `path` names (relative to the current directory), or the defaults when
/// `.idp/config.yml` is absent; its problems are an error.
pub fn load(path: Option<&Path>) -> Result<Config> {
    load_with(path, &ConfigOptions::default())
}

/// [`load`], checked against `options` (the platform's TTL bounds).
pub fn load_with(path: Option<&Path>, options: &ConfigOptions) -> Result<Config> {
    read_with(Path::new(""), path, options)?.into_config()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_location_may_be_absent_but_a_named_file_must_exist() {
        let root = tempfile::tempdir().unwrap();
        let read_ok = |path: Option<&Path>| read(root.path(), path).unwrap();
        let absent = read_ok(None);
        assert!(absent.defaults);
        assert_eq!(absent.parsed.unwrap(), Config::default());
        assert!(read_ok(Some(Path::new(".idp/config.yml"))).defaults);
        let err = read(root.path(), Some(Path::new("."))).unwrap_err();
        assert_eq!(
            err.kind(),
            crate::error::ErrorKind::Io,
            "a directory is not a file"
        );
        let err = read(root.path(), Some(Path::new("other.yml"))).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::NotFound);
        assert!(err.to_string().contains("other.yml"), "{err}");
    }

    #[test]
    fn a_present_file_is_parsed_and_its_problems_name_the_path_as_given() {
        let root = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(root.path().join(".idp")).unwrap();
        fs_err::write(
            root.path().join(".idp/config.yml"),
            "cpu: 512\nmemory: 1024\n",
        )
        .unwrap();
        fs_err::write(root.path().join("bad.yml"), "cpu: 3\n").unwrap();
        let found = read(root.path(), None).unwrap();
        assert!(!found.defaults);
        assert_eq!(found.parsed.unwrap().cpu, 512);
        let bad = read(root.path(), Some(Path::new("bad.yml"))).unwrap();
        assert_eq!(bad.name, "bad.yml");
        let errors = bad.parsed.unwrap_err();
        assert!(errors.to_string().starts_with("bad.yml:1:"), "{errors}");
        let nested = read(root.path(), Some(Path::new("./.idp/config.yml"))).unwrap();
        assert_eq!(nested.name, "./.idp/config.yml");
        assert!(!nested.defaults);
    }

    #[test]
    fn the_ttl_is_checked_against_the_platforms_bounds() {
        use crate::domain::ttl::{Ttl, TtlPolicy};
        let root = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(root.path().join(".idp")).unwrap();
        fs_err::write(root.path().join(".idp/config.yml"), "ttl: 60d\n").unwrap();
        let errors = read(root.path(), None).unwrap().parsed.unwrap_err();
        assert!(
            errors.to_string().contains("ttl"),
            "the default bound is 30d: {errors}"
        );
        let wide = ConfigOptions {
            ttl_policy: TtlPolicy::new(Ttl::parse("1h").unwrap(), Ttl::parse("90d").unwrap())
                .unwrap(),
            ..ConfigOptions::default()
        };
        let config = read_with(root.path(), None, &wide).unwrap().parsed.unwrap();
        assert_eq!(config.ttl, Ttl::parse("60d").unwrap());
    }
}
