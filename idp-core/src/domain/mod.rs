//! The domain: every rule of idp as pure, synchronous functions.
//!
//! Nothing in here reads the clock, the environment or the disk (enforced by `clippy.toml`):
//! callers pass `now`, file contents and paths in, and get values or typed errors back.

pub mod access;
pub mod approval;
pub mod config;
pub mod cost;
pub mod decide;
pub mod event;
pub mod index;
pub mod ingress;
pub mod kubernetes;
pub mod layout;
pub mod legacy;
pub mod lifecycle;
pub mod naming;
pub mod orders;
pub mod policy;
pub mod redact;
pub mod render;
pub mod secret_access;
pub mod tags;
pub mod template;
pub mod text;
pub mod tfvars;
pub mod ttl;
