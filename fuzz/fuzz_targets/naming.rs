//! Branch → environment name on arbitrary input: never panics, and every name it gives is
//! valid and fits every AWS name derived from it.
#![no_main]

use idp_core::domain::layout;
use idp_core::domain::naming::{EnvName, NameError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let branch = String::from_utf8_lossy(data);
    match EnvName::from_branch(&branch) {
        Ok(name) => {
            assert_eq!(EnvName::parse(name.as_str()).as_ref(), Ok(&name));
            assert_eq!(EnvName::from_branch(&branch).as_ref(), Ok(&name));
            for (aws, max) in [
                (layout::alb_name(&name), layout::ALB_NAME_MAX),
                (layout::target_group_name(&name), layout::ALB_NAME_MAX),
                (layout::rds_identifier(&name), layout::RDS_IDENTIFIER_MAX),
                (layout::task_execution_role(&name), layout::IAM_ROLE_MAX),
                (layout::events_role(&name), layout::IAM_ROLE_MAX),
                (layout::schedule_rule(&name), layout::EVENT_RULE_MAX),
            ] {
                assert!(aws.len() <= max, "`{aws}` is longer than {max}");
                assert!(!aws.contains("--") && !aws.ends_with('-'), "`{aws}`");
            }
        }
        Err(err @ NameError::EmptyBranch { .. }) => {
            // The message stays on one line whatever the branch holds.
            assert!(!err.to_string().contains(['\n', '\r']), "{err}");
        }
        Err(other) => panic!("unexpected error for {branch:?}: {other}"),
    }
});
