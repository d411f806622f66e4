//! The adapters: implementations of the [`ports`](crate::ports) for each backend.
//!
//! - [`memory`]: real, in-process implementations with S3/DynamoDB/ECS semantics, public so that
//!   users can test their own code against them.
//! - [`local`]: the embedded default backend, a directory laid out like the state bucket, with
//!   lock files that are safe across processes.
//! - `aws` (feature `aws`): S3, DynamoDB, ECS, CloudWatch Logs and ECR.
//! - `github` (feature `github`): the GitHub forge (comments, statuses, workflow runs) and
//!   signing in with GitHub (`github::oauth`, an OAuth App's web flow).
//! - `kubernetes` (feature `kubernetes`): the `k8s-namespace` provisioner, server-side apply of
//!   a preview's namespace and its Argo CD application.
//! - [`routing`]: one provisioner per kind of template (OpenTofu or local, and Kubernetes).

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "github")]
pub mod github;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod local;
pub mod memory;
mod model;
pub mod routing;
pub mod tofu;
