//! `metadata.json` in any layout on arbitrary bytes: never panics; a record it reads is one idp
//! writes back and reads again as the same record, no longer legacy, its history kept.
#![no_main]

use idp_core::domain::legacy::read_record;
use idp_core::domain::naming::EnvName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = EnvName::parse("preview-x") else {
        return;
    };
    if let Ok(meta) = read_record(data, &name, None) {
        let written = meta.for_writing();
        let again = read_record(&written.to_json(), &name, None).expect("idp reads what it writes");
        assert_eq!(again, written);
        assert!(!again.is_legacy());
        assert_eq!(again.legacy.is_some(), meta.legacy.is_some());
    }
});
