//! Fuzz GitHub event parsing: the first byte picks the event name, the rest is the payload.
//! Every input must give a trigger or a typed error with a one-line message, never a panic.
#![no_main]

use idp_core::domain::event::parse_event;
use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 5] = ["push", "delete", "pull_request", "schedule", "workflow_dispatch"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let event = EVENTS[usize::from(selector) % EVENTS.len()];
    match parse_event(event, payload) {
        Ok(trigger) => {
            if let Some(branch) = trigger.branch() {
                assert!(idp_core::domain::event::check_ref_name(branch.as_str()).is_ok());
            }
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
});
