//! One module per command: convert arguments, call one idp-core use case, render its report.

pub(crate) mod approve;
pub(crate) mod auth;
pub(crate) mod budgets;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod cost;
pub(crate) mod create;
pub(crate) mod dashboard;
pub(crate) mod destroy;
pub(crate) mod exec;
pub(crate) mod extend;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod logs;
pub(crate) mod migrate;
pub(crate) mod name;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod status;
pub(crate) mod sweep;
pub(crate) mod teams;
pub(crate) mod templates;
pub(crate) mod unlock;
pub(crate) mod validate;
pub(crate) mod via_github;

use idp_core::domain::naming::EnvName;
use idp_core::error::Result;

/// Parse an environment name argument.
pub(crate) fn env_name(name: &str) -> Result<EnvName> {
    Ok(EnvName::parse(name)?)
}
