//! `idp create`.

use idp_core::domain::cost;
use idp_core::domain::template::TemplateName;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::create::{self, CreateRequest};
use idp_core::error::{Error, Result};
use idp_core::platform::Platform;
use idp_core::setup::config_file;

use crate::cli::{Cli, CreateArgs, Output};
use crate::exit::Code;
use crate::render;

pub(crate) async fn run(platform: &Platform, args: &CreateArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let mut config =
        config_file::load_with(args.config.as_deref(), &platform.settings.config_options())?;
    if let Some(template) = &args.template {
        config.template = TemplateName::new(template).ok_or_else(|| Error::Refused {
            reason: "invalid_template".into(),
            message: format!(
                "template `{}` is not a valid template name",
                template.escape_debug()
            ),
        })?;
    }
    if let Some(region) = &args.env_region {
        create::in_region(&mut config, region)?;
    }
    let ttl = match &args.ttl {
        Some(t) => Some(Ttl::parse(t)?),
        None => None,
    };
    let estimate = cost::estimate(
        &config.template,
        config.cpu,
        config.memory,
        ttl.unwrap_or(config.ttl),
        idp_core::domain::tfvars::network(&config, &platform.settings.platform_vars),
    );
    let summary = format!(
        "Create `{name}` from template `{}` in {} for {} (estimated cost on AWS: {} over the TTL)?",
        config.template,
        config
            .region
            .as_deref()
            .unwrap_or(&platform.settings.region),
        ttl.unwrap_or(config.ttl),
        cost::format_usd(estimate.total_usd),
    );
    render::confirm(&summary, args.yes)?;
    let spinner = render::spinner(out, &format!("creating {name}"));
    let report = create::create(
        platform,
        CreateRequest {
            name,
            config,
            ttl,
            owner: args.owner.clone(),
            image: None,
            source: Default::default(),
            budget_override: args.override_budget.clone(),
        },
    )
    .await;
    spinner.finish_and_clear();
    render::change(&report?, out);
    Ok(Code::Ok)
}

/// `idp create --via-github`: dispatch `provision.yml` with the name, template and TTL (the
/// dispatching GitHub user owns the environment).
pub(crate) async fn via_github(cli: &Cli, args: &CreateArgs, out: Output) -> Result<Code> {
    let name = super::env_name(&args.name)?;
    let template = match &args.template {
        Some(t) => Some(TemplateName::new(t).ok_or_else(|| Error::Refused {
            reason: "invalid_template".into(),
            message: format!(
                "template `{}` is not a valid template name",
                t.escape_debug()
            ),
        })?),
        None => None,
    };
    let ttl = args.ttl.as_deref().map(Ttl::parse).transpose()?;
    if args.owner.is_some() {
        return Err(Error::Refused {
            reason: "owner_with_via_github".into(),
            message: "`--owner` cannot be used with `--via-github`: the GitHub user who dispatches the run owns the environment".into(),
        });
    }
    render::confirm(
        &format!("Create `{name}` through the platform's workflow?"),
        args.yes,
    )?;
    let dispatch = idp_core::github::workflows::provision(&name, template.as_ref(), ttl);
    super::via_github::run(cli, &args.via, dispatch, out).await
}
