//! End-to-end suites across idp's crates, one test target each (see `Cargo.toml`): they run the
//! binaries the workspace builds, as a user or a CI job runs them. The helpers they share are in
//! `tests/support` (crate `idp-test-support`).
