//! `idp teams validate|render`: check the team files, print the ApplicationSets and what they
//! generate.

use idp_core::domain::kubernetes::teams::Platform;
use idp_core::error::Result;
use idp_core::teams::{self, RenderRequest};

use crate::cli::{Output, TeamsAction, TeamsArgs, TeamsRenderArgs};
use crate::exit::Code;
use crate::render;

pub(crate) fn run(args: &TeamsArgs, out: Output) -> Result<Code> {
    let report = match &args.action {
        TeamsAction::Validate(dir) => teams::validate(&dir.dir)?,
        TeamsAction::Render(args) => teams::render(&request(args))?,
    };
    if !report.valid {
        render::teams_invalid(&report, out);
        return Ok(Code::Invalid);
    }
    match &args.action {
        TeamsAction::Validate(_) => render::teams_valid(&report, out),
        TeamsAction::Render(_) => render::teams_rendered(&report, out),
    }
    Ok(Code::Ok)
}

fn request(args: &TeamsRenderArgs) -> RenderRequest {
    let defaults = Platform::default();
    let or = |flag: &Option<String>, default: String| flag.clone().unwrap_or(default);
    RenderRequest {
        dir: args.dir.dir.clone(),
        team: args.team.clone(),
        platform: Platform {
            repo_url: or(&args.gitops_repo, defaults.repo_url),
            revision: or(&args.revision, defaults.revision),
            // Empty: the use case derives it from `--dir`.
            teams_path: or(&args.teams_path, String::new()),
            argocd_namespace: or(&args.argocd_namespace, defaults.argocd_namespace),
            project: or(&args.project, defaults.project),
            project_chart: or(&args.project_chart, defaults.project_chart),
            resources_chart: or(&args.resources_chart, defaults.resources_chart),
            destination_server: or(&args.destination_server, defaults.destination_server),
            ingress_namespace: args.ingress_namespace.clone(),
        },
    }
}
