//! The raw, serde-level shape of `.idp/config.yml` and its JSON Schema.
