//! Opening the backend the flags, environment and defaults select.

use idp_core::backend::Backend;
use idp_core::env_vars;
use idp_core::error::Result;
use idp_core::platform::{Platform, Settings};

use crate::cli::{BackendKind, Cli};

/// The platform selected by `--backend` (flag > `IDP_BACKEND` > `local`).
pub(crate) async fn platform(cli: &Cli) -> Result<Platform> {
    let settings = Settings {
        actor: env_vars::actor(),
        ..Settings::default()
    };
    let backend = match cli.backend {
        BackendKind::Local => {
            let dir = cli.state_dir.clone().unwrap_or_else(env_vars::default_state_dir);
            Backend::local(&dir)
        }
        BackendKind::Aws => return Err(aws_not_configured()),
    };
    Ok(Platform::new(backend).with_settings(settings))
}

fn aws_not_configured() -> idp_core::error::Error {
    idp_core::error::Error::Refused {
        reason: "aws_backend".into(),
        message: "the AWS backend needs --state-bucket, --lock-table and --region".into(),
    }
}
