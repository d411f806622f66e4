//! What idp's test suites share, in one crate instead of files included by path:
//!
//! - [`moto`]: the moto endpoint the AWS suites run against (skip loudly outside CI, fail in
//!   CI), a fresh moto account per fixture, and SDK clients reaching it;
//! - [`bins`]: the workspace's binaries (`idp`, `idp-action`) for end-to-end suites.

pub mod bins;
pub mod moto;

pub use idp_core;
