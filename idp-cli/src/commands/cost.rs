//! `idp cost [NAME]`, `idp cost --by GROUP [--month M]`, `idp cost export --month M --to URL`.

use idp_core::domain::template::TemplateName;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::cost::{self, CostRequest};
use idp_core::error::{Error, Result};
use idp_core::platform::Platform;
use idp_core::setup::config_file;

use crate::cli::{CostAction, CostArgs, CostBy, Output};
use crate::exit::Code;
use crate::render;

/// `YYYY-MM` as its first day; `None` → `default`.
fn month(text: Option<&str>, default: chrono::NaiveDate) -> Result<chrono::NaiveDate> {
    let Some(text) = text else {
        return Ok(default);
    };
    chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| {
        Error::Refused {
            reason: "invalid_month".into(),
            message: format!(
                "`{}` is not a month: write it `YYYY-MM`, e.g. `2026-11`",
                text.escape_debug()
            ),
        }
    })
}

pub(crate) async fn run(platform: &Platform, args: &CostArgs, out: Output) -> Result<Code> {
    let today = platform.backend.clock.now().date_naive();
    if let Some(CostAction::Export(export)) = &args.action {
        let last_month = cost::month_start(today) - chrono::Days::new(1);
        let month = month(export.month.as_deref(), last_month)?;
        let report = cost::export(platform, month, &export.to, export.teams_dir.clone()).await?;
        render::cost_export(&report, out);
        return Ok(Code::Ok);
    }
    if let Some(by) = args.by {
        let by = match by {
            CostBy::Owner => cost::CostGroup::Owner,
            CostBy::Team => cost::CostGroup::Team,
            CostBy::Template => cost::CostGroup::Template,
            CostBy::Environment => cost::CostGroup::Environment,
        };
        let req = cost::ChargebackRequest {
            month: month(args.month.as_deref(), today)?,
            by,
            teams_dir: args.teams_dir.clone(),
        };
        render::chargeback(&cost::chargeback(platform, req).await?, args.format, out);
        return Ok(Code::Ok);
    }
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
