//! `idp validate [PATH]`: check `.idp/config.yml`, reporting every problem at once.

use std::path::{Path, PathBuf};

use idp_core::domain::config::Config;
use idp_core::error::{Error, Result};
use serde::Serialize;

use crate::cli::{Output, ValidateArgs};
use crate::exit::Code;
use crate::render;

#[derive(Serialize)]
struct ValidReport<'a> {
    file: String,
    valid: bool,
    /// True when the file is absent and the defaults apply.
    defaults: bool,
    config: &'a Config,
}

#[derive(Serialize)]
struct InvalidReport<'a> {
    file: String,
    valid: bool,
    errors: &'a idp_core::domain::config::error::ConfigErrors,
}

/// The config file a path names: itself, or `.idp/config.yml` inside a directory.
fn config_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(".idp").join("config.yml")
    } else {
        path.to_path_buf()
    }
}

pub(crate) fn run(args: &ValidateArgs, out: Output) -> Result<Code> {
    let path = config_path(&args.path);
    let file = path.display().to_string();
    let is_default_path = args.path == Path::new(".idp/config.yml");
    let (config, defaults) = match fs_err::read_to_string(&path) {
        Ok(text) => match Config::from_yaml(&text, &file) {
            Ok(config) => (config, false),
            Err(errors) => {
                for e in errors.iter() {
                    render::diag(&e.to_string());
                }
                render::diag(&format!("{file}: {} problem(s) found", errors.len()));
                if out == Output::Json {
                    render::json(&InvalidReport {
                        file,
                        valid: false,
                        errors: &errors,
                    });
                }
                return Ok(Code::Invalid);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && is_default_path => {
            (Config::default(), true)
        }
        Err(source) => return Err(Error::Io { path, source }),
    };
    match out {
        Output::Json => render::json(&ValidReport {
            file,
            valid: true,
            defaults,
            config: &config,
        }),
        Output::Human if defaults => render::line(&format!(
            "{file} does not exist: the defaults apply (template `{}`, image `{}`, port {}, TTL {})",
            config.template, config.image, config.container_port, config.ttl
        )),
        Output::Human => render::line(&format!(
            "{file} is valid (template `{}`, port {}, TTL {}, {} CPU / {} MiB)",
            config.template, config.container_port, config.ttl, config.cpu, config.memory
        )),
    }
    Ok(Code::Ok)
}
