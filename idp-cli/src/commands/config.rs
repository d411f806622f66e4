//! `idp config get|set|list|unset`: the settings file, with the precedence applied by
//! idp-core.

use idp_core::error::Result;
use idp_core::setup::settings::{self as settings_file, Key};

use crate::cli::{Cli, ConfigArgs, ConfigCommand, Output};
use crate::exit::Code;
use crate::{open, render};

pub(crate) fn run(cli: &Cli, args: &ConfigArgs, out: Output) -> Result<Code> {
    let path = open::settings_path();
    match &args.command {
        ConfigCommand::Get(k) => {
            let key = Key::parse(&k.key)?;
            let resolved = open::settings(cli)?;
            let setting = resolved.settings.iter().find(|s| s.key == key);
            match setting {
                Some(s) if s.value.is_some() => {
                    render::setting(s, out);
                    Ok(Code::Ok)
                }
                _ => {
                    render::failure(
                        "not_found",
                        &format!("`{key}` is not set"),
                        &[format!(
                            "set it with `idp config set {key} VALUE`, `{}` or `{}`",
                            key.flag(),
                            key.env_var()
                        )],
                        out,
                    );
                    Ok(Code::NotFound)
                }
            }
        }
        ConfigCommand::Set(a) => {
            let key = Key::parse(&a.key)?;
            key.validate(&a.value)?;
            let mut values = settings_file::load(&path)?;
            values.insert(key, a.value.clone());
            settings_file::save(&path, &values)?;
            render::setting_changed(key, Some(&a.value), true, &path, out);
            Ok(Code::Ok)
        }
        ConfigCommand::Unset(k) => {
            let key = Key::parse(&k.key)?;
            let mut values = settings_file::load(&path)?;
            let removed = values.remove(&key).is_some();
            if removed {
                settings_file::save(&path, &values)?;
            }
            render::setting_changed(key, None, removed, &path, out);
            Ok(Code::Ok)
        }
        ConfigCommand::List => {
            render::settings(&open::settings(cli)?, &path, out);
            Ok(Code::Ok)
        }
    }
}
