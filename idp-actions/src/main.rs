//! The `idp-action` binary.
fn main() {}
