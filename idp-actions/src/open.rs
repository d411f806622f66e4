//! Opening the platform a workflow step's environment selects. The step has no flags for the
//! platform: its inputs are the `IDP_*` variables the workflow sets, which idp-core's resolver
//! reads like every frontend's (see `idp_core::setup::open`). The step adds only what a runner
//! provides: OpenTofu's data directories under `$RUNNER_TEMP`, and the GitHub forge of the
//! workflow's token for pull-request comments.

use std::path::PathBuf;

use idp_core::domain::config::ConfigOptions;
use idp_core::error::Result;
use idp_core::platform::Platform;
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::open::{self, Options};
use idp_core::setup::settings::Resolved;

/// The resolver's inputs for a step.
pub(crate) fn options() -> Options {
    Options {
        data_dir: env_vars::get(EnvVars::RUNNER_TEMP).map(|t| PathBuf::from(t).join("idp-tofu")),
        github_forge: true,
        ..Options::new()
    }
}

/// The settings a step's environment selects, resolved once (the settings file is read once)
/// for both the configuration check and the platform.
pub(crate) struct Selected {
    resolved: Resolved,
}

/// Resolve the step's settings.
pub(crate) fn select() -> Result<Selected> {
    Ok(Selected {
        resolved: open::resolve(&options())?,
    })
}

impl Selected {
    /// What the repository's configuration is checked against: the TTL bounds the step's
    /// environment sets (`IDP_TTL_MIN` / `IDP_TTL_MAX`).
    pub(crate) fn config_options(&self) -> Result<ConfigOptions> {
        open::config_options(&self.resolved)
    }

    /// The platform these settings select.
    pub(crate) async fn platform(&self) -> Result<Platform> {
        open::open_resolved(&self.resolved, &options()).await
    }
}

/// The platform the step's environment selects.
pub(crate) async fn platform() -> Result<Platform> {
    open::open(&options()).await
}
