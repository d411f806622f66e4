//! The ports: async traits for everything the use cases need from the world.
//!
//! The use cases in `platform` decide; the ports only move bytes, leases and events. Each port is a
//! dyn-safe `#[async_trait]` trait, `Debug + Send + Sync + 'static`, used as `Arc<dyn Port>`, because
//! the backend (memory, local directory or AWS) is chosen at run time. Every method documents what
//! it guarantees and which error it MUST return on a conflict; `tests/conformance` holds the one
//! suite per port that every adapter passes.
//!
//! Each port has its own error enum of *outcome classes* (`NotFound`, `AlreadyExists`,
//! `PreconditionFailed`, `Held`, `Unavailable`, `Backend`), `#[non_exhaustive]`, with the
//! backend's own error kept whole in `source`. Adapters convert their private errors at the seam.

pub mod billing;
pub mod budgets;
pub mod clock;
pub mod deployer;
pub mod executor;
pub mod forge;
pub mod image_registry;
pub mod lock_table;
pub mod log_source;
pub mod object_store;
pub mod provisioner;
pub mod secret_source;

pub use billing::{Billing, BillingError, DailyCost, ENVIRONMENT_TAG};
pub use budgets::{BudgetError, BudgetInfo, BudgetSpec, Budgets, NoBudgets, Subscription};
pub use clock::{Clock, FixedClock, SystemClock};
pub use deployer::{
    AlarmState, AlarmStatus, DeployError, Deployer, DeploymentInfo, ExecOutcome, ExecTarget,
    RolloutState, ServiceHealth, ServiceStatus, SitePublish, SitePublished, TargetGroupHealth,
};
pub use executor::{ExecError, ExecHandle, ExecRequest, ExecResult, Executor};
pub use forge::{
    CommentRef, CommitState, CommitStatus, DispatchRef, Forge, ForgeError, NoForge, PrRef,
    RunState, WorkflowRunStatus,
};
pub use image_registry::{DeleteFailure, DeleteReport, ImageRef, ImageRegistry, RegistryError};
pub use lock_table::{
    Lease, LeaseInfo, LeaseRequest, LockError, LockTable, TfLockInfo, TfLockRemoval,
};
pub use log_source::{FilterPattern, LogError, LogEvent, LogPage, LogQuery, LogSource};
pub use object_store::{Etag, ListPage, Object, ObjectMeta, ObjectStore, PutMode, StoreError};
pub use provisioner::{Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth};
pub use secret_source::{NoSecretSource, SecretSource, SecretSourceError, SourcedValue};

/// The error of a backend, kept whole (with its own `source` chain) inside a port error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn io_error() -> BoxError {
        Box::new(std::io::Error::other("connection reset"))
    }

    #[test]
    fn error_messages_name_the_value_and_the_fix() {
        let expires_at = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 30, 0)
            .single()
            .unwrap_or_default();
        let messages = [
            StoreError::NotFound {
                key: "environments/a/metadata.json".into(),
            }
            .to_string(),
            StoreError::AlreadyExists {
                key: "environments/a/metadata.json".into(),
            }
            .to_string(),
            StoreError::PreconditionFailed {
                key: "environments/a/metadata.json".into(),
            }
            .to_string(),
            StoreError::InvalidKey {
                key: "../x".into(),
                reason: "keys cannot contain `.` or `..` segments".into(),
            }
            .to_string(),
            StoreError::Unavailable {
                backend: "s3",
                retryable: true,
                source: io_error(),
            }
            .to_string(),
            StoreError::Backend {
                backend: "s3",
                source: io_error(),
            }
            .to_string(),
            LockError::Held {
                key: "environments/a".into(),
                owner: "alice@laptop".into(),
                expires_at,
            }
            .to_string(),
            LockError::NotFound {
                key: "environments/a".into(),
            }
            .to_string(),
            LockError::Malformed {
                key: "b/k".into(),
                reason: "its `Info` is not a lock".into(),
            }
            .to_string(),
            DeployError::NotFound {
                cluster: "previews".into(),
                service: "preview-a".into(),
            }
            .to_string(),
            LogError::NotFound {
                group: "/ecs/preview-a".into(),
            }
            .to_string(),
            LogError::InvalidPattern {
                pattern: "\"open".into(),
                reason: "a quote is not closed".into(),
            }
            .to_string(),
            RegistryError::NotFound {
                repository: "previews".into(),
            }
            .to_string(),
        ];
        insta::assert_snapshot!(messages.join("\n"));
    }

    #[test]
    fn only_retryable_unavailability_is_retryable() {
        assert!(
            StoreError::Unavailable {
                backend: "s3",
                retryable: true,
                source: io_error()
            }
            .is_retryable()
        );
        assert!(
            !StoreError::Unavailable {
                backend: "s3",
                retryable: false,
                source: io_error()
            }
            .is_retryable()
        );
        assert!(
            !StoreError::Backend {
                backend: "s3",
                source: io_error()
            }
            .is_retryable()
        );
        assert!(
            LockError::Unavailable {
                backend: "dynamodb",
                retryable: true,
                source: io_error()
            }
            .is_retryable()
        );
        assert!(!LockError::NotFound { key: "k".into() }.is_retryable());
    }

    #[test]
    fn backend_errors_keep_their_source_chain() {
        let error = StoreError::Backend {
            backend: "s3",
            source: io_error(),
        };
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection reset"));
    }
}
