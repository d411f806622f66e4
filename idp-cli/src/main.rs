//! The `idp` binary.
fn main() {}
