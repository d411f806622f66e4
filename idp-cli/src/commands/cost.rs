//! `idp cost [NAME]`.

use idp_core::domain::template::TemplateName;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::cost::{self, CostRequest};
use idp_core::error::{Error, Result};
use idp_core::platform::Platform;
use idp_core::setup::config_file;

use crate::cli::{CostArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &CostArgs, out: Output) -> Result<Code> {
    let mut config =
        config_file::load_with(args.config.as_deref(), &platform.settings.config_options())?;
    let req = match &args.name {
        Some(name) => {
            if args.template.is_some() || args.ttl.is_some() {
                return Err(Error::Refused {
                    reason: "conflicting_arguments".into(),
                    message: "an existing environment has its own template and expiry: drop `--template`/`--ttl`, or the NAME".into(),
                });
            }
            CostRequest::Environment {
                name: super::env_name(name)?,
                config,
            }
        }
        None => {
            if let Some(template) = &args.template {
                config.template = TemplateName::new(template).ok_or_else(|| Error::Refused {
                    reason: "invalid_template".into(),
                    message: format!(
                        "template `{}` is not a valid template name",
                        template.escape_debug()
                    ),
                })?;
            }
            let ttl = args.ttl.as_deref().map(Ttl::parse).transpose()?;
            CostRequest::Config { config, ttl }
        }
    };
    render::cost(&cost::cost(platform, req).await?, out);
    Ok(Code::Ok)
}
