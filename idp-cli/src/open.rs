//! Turning the backend flags into a backend choice (flag > `IDP_*` environment variable >
//! default); idp-core opens it.

use idp_core::error::Result;
use idp_core::platform::Platform;
use idp_core::platform::open::{self, AwsOptions, BackendChoice};

use crate::cli::{BackendKind, Cli};

/// The platform selected by `--backend`.
pub(crate) async fn platform(cli: &Cli) -> Result<Platform> {
    let choice = match cli.backend {
        BackendKind::Local => BackendChoice::Local {
            state_dir: cli.state_dir.clone(),
        },
        BackendKind::Aws => BackendChoice::Aws(AwsOptions {
            state_bucket: cli.aws.state_bucket.clone(),
            lock_table: cli.aws.lock_table.clone(),
            region: cli.aws.region.clone(),
            endpoint_url: cli.aws.endpoint_url.clone(),
            profile: cli.aws.profile.clone(),
            ecr_repository: cli.aws.ecr_repository.clone(),
            templates_dir: cli.aws.templates_dir.clone(),
            tofu_program: cli.aws.tofu.clone(),
            data_dir: cli.state_dir.as_ref().map(|d| d.join("tofu")),
        }),
    };
    open::open(choice).await
}
