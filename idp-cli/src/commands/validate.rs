//! `idp validate [PATH]`: check `.idp/config.yml`, reporting every problem at once.

use std::path::Path;

use idp_core::domain::config::{Config, DEFAULT_PATH};
use idp_core::error::Result;
use idp_core::setup::config_file;
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

pub(crate) fn run(args: &ValidateArgs, out: Output) -> Result<Code> {
    // A repository directory names its `.idp/config.yml`.
    let path = if args.path.is_dir() {
        args.path.join(DEFAULT_PATH)
    } else {
        args.path.clone()
    };
    let found = config_file::read(Path::new(""), Some(&path))?;
    let file = found.name;
    let defaults = found.defaults;
    let config = match found.parsed {
        Ok(config) => config,
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
