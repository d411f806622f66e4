//! `idp name BRANCH`: the environment name of a branch and the AWS names derived from it.

use idp_core::domain::layout;
use idp_core::domain::naming::EnvName;
use idp_core::error::Result;
use serde::Serialize;

use crate::cli::{NameArgs, Output};
use crate::exit::Code;
use crate::render;

#[derive(Serialize)]
struct NameReport<'a> {
    branch: &'a str,
    name: String,
    derived: Derived,
}

#[derive(Serialize)]
struct Derived {
    alb: String,
    target_group: String,
    ecs_cluster: String,
    ecs_service: String,
    log_group: String,
    rds_identifier: String,
    task_execution_role: String,
}

pub(crate) fn run(args: &NameArgs, out: Output) -> Result<Code> {
    let name = EnvName::from_branch(&args.branch)?;
    match out {
        Output::Human => render::line(name.as_str()),
        Output::Json => render::json(&NameReport {
            branch: &args.branch,
            derived: Derived {
                alb: layout::alb_name(&name),
                target_group: layout::target_group_name(&name),
                ecs_cluster: layout::ecs_cluster(&name),
                ecs_service: layout::ecs_service(&name),
                log_group: layout::log_group(&name),
                rds_identifier: layout::rds_identifier(&name),
                task_execution_role: layout::task_execution_role(&name),
            },
            name: name.to_string(),
        }),
    }
    Ok(Code::Ok)
}
