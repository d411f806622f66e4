//! What idp's test suites share, in one crate instead of files included by path:
//!
//! - [`moto`]: the moto endpoint the AWS suites run against (skip loudly outside CI, fail in
//!   CI), a fresh moto account per fixture, and SDK clients reaching it;
//! - [`bins`]: the workspace's binaries (`idp`, `idp-action`) for end-to-end suites;
//! - [`fake_tofu`]: a recorded stand-in for the OpenTofu CLI, for the provisioner's contract;
//! - [`github_fake`]: a stateful GitHub on loopback answering whole GitHub objects;
//! - [`kube_fake`]: a Kubernetes API server on loopback (discovery, server-side apply, get,
//!   list, delete with finalizers) that also plays the Argo CD controller;
//! - [`tfvars_contract`]: the tfvars every frontend must hand the provisioner for one set of
//!   inputs;
//! - [`terraform`]: Terraform against moto for the stack suite (the harness's environment, the
//!   slow resources of a run, what a stack left behind);
//! - [`runner`]: a GitHub Actions runner that runs the platform's workflow files on this machine;
//! - [`webhook_examples`]: the `@octokit/webhooks-examples` payloads.

pub mod bins;
pub mod fake_tofu;
pub mod github_fake;
pub mod kube_fake;
pub mod moto;
pub mod runner;
pub mod terraform;
pub mod tfvars_contract;
pub mod webhook_examples;

pub use idp_core;
