//! Fuzz `.idp/config.yml` parsing: any UTF-8 text gives a `Config` or located errors, never a
//! panic, and a parsed config survives `to_yaml` and back.
#![no_main]

use idp_core::domain::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match Config::from_yaml(text, ".idp/config.yml") {
        Ok(config) => {
            let again = Config::from_yaml(&config.to_yaml(), ".idp/config.yml");
            assert_eq!(again.as_ref(), Ok(&config), "round trip of {text:?}");
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let _ = errors.to_string();
        }
    }
});
