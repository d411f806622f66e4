//! The platform's GitHub workflows that `--via-github` dispatches, and EXACTLY the inputs each
//! one declares. This is the one place frontends take workflow and input names from; the
//! workflow files (`.github/workflows/provision.yml`, `destroy.yml`) must declare the same
//! inputs under both `workflow_dispatch` and `workflow_call`:
//!
//! | workflow | input | required | meaning |
//! |---|---|---|---|
//! | `provision.yml` | `environment_name` | yes | the environment (an `EnvName`) |
//! | `provision.yml` | `template` | no | the template; empty: the repository's `.idp/config.yml` |
//! | `provision.yml` | `ttl` | no | e.g. `2d`; empty: the config's TTL |
//! | `destroy.yml` | `environment_name` | yes | the environment |
//!
//! The GitHub user who dispatches the run owns what it creates (there is no `owner` input).
//!
//! `idp extend NAME --ttl T --via-github` dispatches `provision.yml` with `environment_name` and
//! `ttl` only: provisioning an existing environment redeploys it and moves its expiry.

use std::collections::BTreeMap;

use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::ttl::Ttl;

/// The workflow that creates, redeploys or extends an environment.
pub const PROVISION_WORKFLOW: &str = "provision.yml";
/// The workflow that destroys an environment.
pub const DESTROY_WORKFLOW: &str = "destroy.yml";

pub use crate::domain::decide::dispatch::{INPUT_ENVIRONMENT_NAME, INPUT_TEMPLATE, INPUT_TTL};

/// Every input `provision.yml` declares.
pub const PROVISION_INPUTS: [&str; 3] = [INPUT_ENVIRONMENT_NAME, INPUT_TEMPLATE, INPUT_TTL];
/// Every input `destroy.yml` declares.
pub const DESTROY_INPUTS: [&str; 1] = [INPUT_ENVIRONMENT_NAME];

/// A workflow to dispatch with its inputs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dispatch {
    /// The workflow file name.
    pub workflow: &'static str,
    /// The inputs (only ones the workflow declares).
    pub inputs: BTreeMap<String, String>,
}

/// `provision.yml` for a new environment.
pub fn provision(name: &EnvName, template: Option<&TemplateName>, ttl: Option<Ttl>) -> Dispatch {
    let mut inputs = BTreeMap::from([(INPUT_ENVIRONMENT_NAME.to_owned(), name.to_string())]);
    if let Some(t) = template {
        inputs.insert(INPUT_TEMPLATE.to_owned(), t.to_string());
    }
    if let Some(t) = ttl {
        inputs.insert(INPUT_TTL.to_owned(), t.to_string());
    }
    Dispatch {
        workflow: PROVISION_WORKFLOW,
        inputs,
    }
}

/// `provision.yml` to extend an existing environment by `ttl`.
pub fn extend(name: &EnvName, ttl: Ttl) -> Dispatch {
    provision(name, None, Some(ttl))
}

/// `destroy.yml`.
pub fn destroy(name: &EnvName) -> Dispatch {
    Dispatch {
        workflow: DESTROY_WORKFLOW,
        inputs: BTreeMap::from([(INPUT_ENVIRONMENT_NAME.to_owned(), name.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dispatch_uses_only_inputs_its_workflow_declares() {
        let name = EnvName::parse("demo").unwrap();
        let ttl = Ttl::parse("2d").unwrap();
        let all = [
            provision(&name, Some(&TemplateName::default_template()), Some(ttl)),
            extend(&name, ttl),
            destroy(&name),
        ];
        for d in all {
            let declared: &[&str] = if d.workflow == PROVISION_WORKFLOW {
                &PROVISION_INPUTS
            } else {
                &DESTROY_INPUTS
            };
            assert!(
                d.inputs.keys().all(|k| declared.contains(&k.as_str())),
                "{d:?}"
            );
            assert_eq!(
                d.inputs.get(INPUT_ENVIRONMENT_NAME).map(String::as_str),
                Some("demo")
            );
        }
    }

    #[test]
    fn extend_sends_the_name_and_the_ttl_only() {
        let d = extend(&EnvName::parse("demo").unwrap(), Ttl::parse("2d").unwrap());
        assert_eq!(
            d.inputs.keys().collect::<Vec<_>>(),
            [INPUT_ENVIRONMENT_NAME, INPUT_TTL]
        );
    }
}
