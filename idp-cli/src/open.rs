//! Turning the backend flags into a backend choice. The precedence (flag > `IDP_*` environment
//! variable > settings file > default) is applied by `idp_core::setup::settings`; idp-core opens
//! the backend.

use std::path::PathBuf;

use idp_core::error::Result;
use idp_core::platform::Platform;
use idp_core::setup::open;
use idp_core::setup::settings::{self as settings_file, Key, Resolved, Values};

use crate::cli::{BackendKind, Cli};

/// The settings given as flags.
pub(crate) fn flags(cli: &Cli) -> Values {
    let mut v = Values::new();
    let mut put = |key: Key, value: Option<String>| {
        if let Some(value) = value {
            v.insert(key, value);
        }
    };
    put(
        Key::Backend,
        cli.backend.map(|b| match b {
            BackendKind::Local => "local".to_owned(),
            BackendKind::Aws => "aws".to_owned(),
        }),
    );
    put(
        Key::StateDir,
        cli.state_dir.as_ref().map(|d| d.display().to_string()),
    );
    put(Key::AwsStateBucket, cli.aws.state_bucket.clone());
    put(Key::AwsLockTable, cli.aws.lock_table.clone());
    put(Key::AwsRegion, cli.aws.region.clone());
    put(Key::AwsEndpointUrl, cli.aws.endpoint_url.clone());
    put(Key::AwsProfile, cli.aws.profile.clone());
    put(Key::AwsEcrRepo, cli.aws.ecr_repository.clone());
    put(Key::GithubRepo, cli.repo.clone());
    v
}

/// The settings file's path.
pub(crate) fn settings_path() -> PathBuf {
    settings_file::default_path()
}

/// Every setting after the precedence rule.
pub(crate) fn settings(cli: &Cli) -> Result<Resolved> {
    let file = settings_file::load(&settings_path())?;
    Ok(settings_file::resolve(&flags(cli), &file))
}

/// The platform the settings select.
pub(crate) async fn platform(cli: &Cli) -> Result<Platform> {
    let choice =
        settings(cli)?.backend_choice(cli.aws.templates_dir.clone(), cli.aws.tofu.clone())?;
    open::open(choice).await
}
