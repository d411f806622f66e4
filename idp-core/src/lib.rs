//! # idp-core
//!
//! Preview environments and infrastructure runs for AWS teams, as one library with thin frontends
//! (the `idp` CLI, the `idp` Python module and the `idp-action` GitHub Actions binary).
//!
//! The crate is layered; each layer only depends on the ones above it:
//!
//! - [`domain`]: pure, synchronous rules with no I/O: the `.idp/config.yml` schema and validation,
//!   branch → environment naming, TTL arithmetic, the state layout, the environment status
//!   machine, GitHub event parsing, the preview decision, tfvars, tags, cost estimates and the
//!   rendered PR comment / dashboard. `now` is always a parameter.
//! - [`ports`]: the async traits the use cases need from the world (object store, lock table,
//!   deployer, log source, image registry, clock).
//! - `adapters`: implementations of the ports: `memory` (real, for tests), `local` (the embedded
//!   default) and `aws` (feature `aws`).
//!
//! Everything that decides anything lives here, so that every frontend behaves the same.

pub mod access;
pub mod adapters;
pub mod backend;
pub mod budgets;
pub mod domain;
pub mod environments;
pub mod error;
pub mod github;
pub mod gitops;
pub mod interrupt;
pub mod platform;
pub mod ports;
pub mod repo;
pub mod runs;
pub mod secret;
pub mod setup;
pub mod support;
pub mod teams;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
