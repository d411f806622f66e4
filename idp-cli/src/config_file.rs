//! Reading `.idp/config.yml` for commands that need a configuration.

use std::path::{Path, PathBuf};

use idp_core::domain::config::Config;
use idp_core::error::{Error, Result};

/// The config file at `path`, or `.idp/config.yml` when present, or the defaults.
pub(crate) fn load(path: Option<&Path>) -> Result<Config> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(".idp/config.yml"), false),
    };
    match fs_err::read_to_string(&path) {
        Ok(text) => Ok(Config::from_yaml(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Config::default()),
        Err(source) => Err(Error::Io { path, source }),
    }
}
