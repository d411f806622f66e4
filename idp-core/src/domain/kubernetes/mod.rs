//! Kubernetes tenancy: the objects of a namespace-per-environment preview (`k8s-namespace`) and
//! the teams' Argo CD ApplicationSets, rendered as plain API objects.
//!
//! Everything here is data: the provisioner applies what [`namespace::render`] returns, `idp
//! teams render` prints what [`teams`] renders, and the CI checks validate both against the
//! upstream Kubernetes and Argo CD schemas.

pub mod manifest;
pub mod namespace;
pub mod teams;

pub use manifest::Manifest;
