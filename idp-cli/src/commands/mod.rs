//! One module per command: convert arguments, call idp-core, render the result.

pub(crate) mod completions;
pub(crate) mod name;
pub(crate) mod schema;
pub(crate) mod validate;
