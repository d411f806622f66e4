//! The results Python receives: frozen objects with typed attributes and `to_dict()`.
//!
//! Each class mirrors one report of idp-core (`CoreChangeReport`, `CoreStatusReport`, …) field by field;
//! times are timezone-aware `datetime`s in UTC, enums are their stable snake_case (or, for
//! outcomes, kebab-case) codes as the CLI prints them under `--output json`. Free-form values
//! (template outputs, runtime health) are plain dicts decoded from the core's JSON.

use chrono::{DateTime, Utc};
use idp_core::domain::lifecycle::Metadata;
use idp_core::environments::list::Unreadable as CoreUnreadable;
use idp_core::environments::logs::LogsReport as CoreLogsReport;
use idp_core::environments::status::StatusReport as CoreStatusReport;
use idp_core::environments::sweep::{
    SweepAction as CoreSweepAction, SweepError as CoreSweepError, SweepReport as CoreSweepReport,
};
use idp_core::environments::unlock::UnlockReport as CoreUnlockReport;
use idp_core::ports::{LeaseInfo, LogEvent as CoreLogEvent, TfLockInfo};
use idp_core::support::report::{ChangeReport as CoreChangeReport, Cleanup as CoreCleanup};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::Serialize;

/// A value as it appears in `to_dict()`: nested results become dicts, lists stay lists.
pub(crate) trait DictValue {
    /// The Python value.
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! plain_dict_value {
    ($($ty:ty),*) => {$(
        impl DictValue for $ty {
            fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.clone().into_bound_py_any(py)
            }
        }
    )*};
}
plain_dict_value!(String, bool, u64, usize, DateTime<Utc>);

impl<T: DictValue> DictValue for Option<T> {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.dict_value(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: DictValue> DictValue for Vec<T> {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for item in self {
            list.append(item.dict_value(py)?)?;
        }
        Ok(list.into_any())
    }
}

/// A free-form JSON value, handed to Python as a fresh `dict`/`list`/scalar on every access
/// (so a frozen result cannot be changed through it).
#[derive(Debug, Clone)]
pub(crate) struct Json(pub(crate) serde_json::Value);

impl Json {
    fn of<T: Serialize>(value: &T) -> Self {
        Self(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
    }
}

/// Decode JSON text with Python's `json` module.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

impl DictValue for Json {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.0)
    }
}

impl<'py> IntoPyObject<'py> for &Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.0)
    }
}

/// The serde code of an enum (`active`, `no-op`, `expired`, …).
fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A frozen result class with `to_dict()` and a readable `repr()`.
macro_rules! record {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[pyclass(frozen, get_all, module = "idp")]
        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            $($(#[$fmeta])* pub(crate) $field: $ty,)*
        }

        #[pymethods]
        impl $name {
            /// The attributes as a plain dict (nested results become dicts too).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let dict = PyDict::new(py);
                $(dict.set_item(stringify!($field), DictValue::dict_value(&self.$field, py)?)?;)*
                Ok(dict)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let mut parts = Vec::new();
                $(parts.push(format!(
                    "{}={}",
                    stringify!($field),
                    DictValue::dict_value(&self.$field, py)?.repr()?
                ));)*
                Ok(format!("{}({})", stringify!($name), parts.join(", ")))
            }
        }

        impl DictValue for $name {
            fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.to_dict(py)?.into_any())
            }
        }
    };
}

record! {
    /// One environment's record (`metadata.json`).
    Environment {
        /// The environment name, e.g. `preview-payment-api`.
        name: String,
        /// The template it was created from.
        template: String,
        /// `provisioning`, `active`, `updating`, `failed`, `destroying` or `destroyed`.
        status: String,
        /// Who created it.
        owner: String,
        /// The branch of a preview (`None` for environments created by hand).
        branch: Option<String>,
        /// `owner/repo` of a preview.
        repository: Option<String>,
        /// The pull request of a preview.
        pr_number: Option<u64>,
        /// The commit last deployed.
        commit: Option<String>,
        /// The image last deployed.
        image: Option<String>,
        /// The AWS region (`None`: the platform's default).
        region: Option<String>,
        /// The URL it answers on, once known.
        endpoint: Option<String>,
        /// When it was created (never changed by `extend`).
        created_at: DateTime<Utc>,
        /// When it expires.
        expires_at: DateTime<Utc>,
        /// When the record last changed.
        updated_at: DateTime<Utc>,
        /// When the status last changed.
        status_changed_at: DateTime<Utc>,
        /// Whether the record is still in the original platform's layout (`idp migrate`
        /// converts it); idp reads and acts on it like its own.
        legacy: bool,
    }
}

impl From<&Metadata> for Environment {
    fn from(m: &Metadata) -> Self {
        Self {
            name: m.name.to_string(),
            template: m.template.to_string(),
            status: m.status.as_str().to_owned(),
            owner: m.owner.clone(),
            branch: m.branch.clone(),
            repository: m.repository.clone(),
            pr_number: m.pr_number,
            commit: m.commit.clone(),
            image: m.image.clone(),
            region: m.region.clone(),
            endpoint: m.endpoint.clone(),
            created_at: m.created_at,
            expires_at: m.expires_at,
            updated_at: m.updated_at,
            status_changed_at: m.status_changed_at,
            legacy: m.is_legacy(),
        }
    }
}

record! {
    /// What a destroy removed besides the infrastructure.
    Cleanup {
        /// State objects deleted (state, outputs, tfvars).
        state_objects_deleted: usize,
        /// Image tags deleted from the registry.
        images_deleted: Vec<String>,
        /// Image tags that could not be deleted, with the reason.
        image_failures: Vec<String>,
        /// Whether an OpenTofu lock item was removed.
        terraform_lock_removed: bool,
        /// Whether the OpenTofu state digest item was removed.
        terraform_digest_removed: bool,
    }
}

impl From<&CoreCleanup> for Cleanup {
    fn from(c: &CoreCleanup) -> Self {
        Self {
            state_objects_deleted: c.state_objects_deleted,
            images_deleted: c.images_deleted.clone(),
            image_failures: c.image_failures.clone(),
            terraform_lock_removed: c.terraform_lock_removed,
            terraform_digest_removed: c.terraform_digest_removed,
        }
    }
}

record! {
    /// What `create`, `extend`, `destroy` or `preview` did.
    ChangeReport {
        /// `created`, `redeployed`, `extended`, `destroyed` or `no-op`.
        outcome: String,
        /// The environment (`None` for a trigger that concerns no environment).
        name: Option<String>,
        /// Why nothing was done (for `no-op`).
        reason: Option<String>,
        /// The environment's record after the change (the tombstone after a destroy).
        environment: Option<Environment>,
        /// Where the environment answers.
        endpoint: Option<String>,
        /// What a destroy cleaned up.
        cleanup: Option<Cleanup>,
    }
}

impl From<&CoreChangeReport> for ChangeReport {
    fn from(r: &CoreChangeReport) -> Self {
        Self {
            outcome: code(&r.outcome),
            name: r.name.clone(),
            reason: r.reason.clone(),
            environment: r.environment.as_ref().map(Environment::from),
            endpoint: r.endpoint.clone(),
            cleanup: r.cleanup.as_ref().map(Cleanup::from),
        }
    }
}

record! {
    /// An environment's record plus its live health.
    StatusReport {
        /// The record.
        environment: Environment,
        /// "expires in 2d 3h" / "expired 3h ago".
        expires: String,
        /// The template's outputs, as last recorded (a dict).
        outputs: Json,
        /// What the runtime says (local backend: the process), as a dict.
        runtime: Option<Json>,
        /// What the container service says (AWS backend: ECS), as a dict.
        service: Option<Json>,
        /// The environment's alarms (AWS backend: CloudWatch), each a dict of `name`, `state`
        /// (`OK`, `ALARM`, `INSUFFICIENT_DATA`), `reason` and `since` when known.
        alarms: Vec<Json>,
        /// Problems met while asking for live health.
        warnings: Vec<String>,
    }
}

impl From<&CoreStatusReport> for StatusReport {
    fn from(r: &CoreStatusReport) -> Self {
        Self {
            environment: Environment::from(&r.environment),
            expires: r.expires.clone(),
            outputs: Json(r.outputs.clone()),
            runtime: r.runtime.as_ref().map(Json::of),
            service: r.service.as_ref().map(Json::of),
            alarms: r.alarms.iter().map(Json::of).collect(),
            warnings: r.warnings.clone(),
        }
    }
}

record! {
    /// One environment a sweep acts on (or would).
    SweepAction {
        /// The environment.
        name: String,
        /// `expired` or `stuck_destroying`.
        reason: String,
        /// `destroyed` or `no-op`; `None` in a dry run.
        outcome: Option<String>,
    }
}

impl From<&CoreSweepAction> for SweepAction {
    fn from(a: &CoreSweepAction) -> Self {
        Self {
            name: a.name.clone(),
            reason: code(&a.reason),
            outcome: a.outcome.as_ref().map(code),
        }
    }
}

record! {
    /// A destroy the sweep could not finish.
    SweepFailure {
        /// The environment.
        name: String,
        /// The error's kind code (as `IdpError.kind`).
        kind: String,
        /// The error.
        message: String,
    }
}

impl From<&CoreSweepError> for SweepFailure {
    fn from(e: &CoreSweepError) -> Self {
        Self {
            name: e.name.clone(),
            kind: e.kind.to_owned(),
            message: e.message.clone(),
        }
    }
}

record! {
    /// What a sweep did (or, in a dry run, would do).
    SweepReport {
        /// Whether nothing was changed.
        dry_run: bool,
        /// How many environments were looked at.
        examined: usize,
        /// One entry per environment acted on.
        actions: Vec<SweepAction>,
        /// Environments whose destroy failed.
        errors: Vec<SweepFailure>,
        /// Records that cannot be read, so the sweep cannot tell whether they are due.
        unreadable: Vec<UnreadableRecordInfo>,
    }
}

record! {
    /// A record idp cannot read.
    UnreadableRecordInfo {
        /// The environment (the key's folder).
        name: String,
        /// The object.
        key: String,
        /// Why it cannot be read, naming every field at fault.
        reason: String,
    }
}

impl From<&CoreUnreadable> for UnreadableRecordInfo {
    fn from(u: &CoreUnreadable) -> Self {
        Self {
            name: u.name.clone(),
            key: u.key.clone(),
            reason: u.reason.clone(),
        }
    }
}

impl From<&CoreSweepReport> for SweepReport {
    fn from(r: &CoreSweepReport) -> Self {
        Self {
            dry_run: r.dry_run,
            examined: r.examined,
            actions: r.actions.iter().map(SweepAction::from).collect(),
            errors: r.errors.iter().map(SweepFailure::from).collect(),
            unreadable: r
                .unreadable
                .iter()
                .map(UnreadableRecordInfo::from)
                .collect(),
        }
    }
}

record! {
    /// One log line.
    LogEvent {
        /// When it was logged.
        timestamp: DateTime<Utc>,
        /// The stream it belongs to (a task or process).
        stream: String,
        /// The message, without a trailing newline.
        message: String,
    }
}

impl From<&CoreLogEvent> for LogEvent {
    fn from(e: &CoreLogEvent) -> Self {
        Self {
            timestamp: e.timestamp,
            stream: e.stream.clone(),
            message: e.message.clone(),
        }
    }
}

record! {
    /// A page of an environment's log events.
    LogsReport {
        /// The log group read.
        group: String,
        /// The events, oldest first.
        events: Vec<LogEvent>,
        /// Pass to `logs(next_token=...)` for the next page.
        next_token: Option<String>,
    }
}

impl From<&CoreLogsReport> for LogsReport {
    fn from(r: &CoreLogsReport) -> Self {
        Self {
            group: r.group.clone(),
            events: r.events.iter().map(LogEvent::from).collect(),
            next_token: r.next_token.clone(),
        }
    }
}

record! {
    /// An idp lease on an environment.
    Lease {
        /// What is leased.
        key: String,
        /// Who held it.
        owner: String,
        /// When it expires.
        expires_at: DateTime<Utc>,
    }
}

record! {
    /// An OpenTofu state lock.
    TerraformLock {
        /// The lock id.
        id: String,
        /// The operation holding it, e.g. `OperationTypeApply`.
        operation: String,
        /// Who held it.
        who: String,
        /// The OpenTofu version.
        version: String,
        /// When it was taken.
        created: Option<DateTime<Utc>>,
        /// The state path.
        path: String,
        /// Free text.
        info: String,
    }
}

record! {
    /// Who held what on an environment before `unlock` broke it.
    UnlockReport {
        /// The environment.
        name: String,
        /// The idp lease that was removed.
        lease: Option<Lease>,
        /// The OpenTofu state lock that was removed.
        terraform_lock: Option<TerraformLock>,
        /// Whether anything was held.
        unlocked: bool,
    }
}

impl From<&CoreUnlockReport> for UnlockReport {
    fn from(r: &CoreUnlockReport) -> Self {
        Self {
            name: r.name.clone(),
            lease: r.lease.as_ref().map(|l: &LeaseInfo| Lease {
                key: l.key.clone(),
                owner: l.owner.clone(),
                expires_at: l.expires_at,
            }),
            terraform_lock: r
                .terraform_lock
                .as_ref()
                .map(|t: &TfLockInfo| TerraformLock {
                    id: t.id.clone(),
                    operation: t.operation.clone(),
                    who: t.who.clone(),
                    version: t.version.clone(),
                    created: t.created,
                    path: t.path.clone(),
                    info: t.info.clone(),
                }),
            unlocked: r.unlocked,
        }
    }
}

record! {
    /// The outcome of an infrastructure run (`Platform.run`): its id, its status
    /// (`succeeded`, `failed`, `timed_out`, …) and every order as a dict with `name`, `status`,
    /// `exit_code`, `duration_ms` and `log_excerpt`.
    RunReport {
        /// The run's id (`idp run status ID` reads it back).
        run_id: String,
        /// Where the run ended.
        status: String,
        /// Every order, in job order.
        orders: Json,
    }
}

impl From<&idp_core::domain::orders::RunSummary> for RunReport {
    fn from(s: &idp_core::domain::orders::RunSummary) -> Self {
        Self {
            run_id: s.run_id.to_string(),
            status: serde_json::to_value(s.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            orders: Json(serde_json::to_value(&s.orders).unwrap_or_default()),
        }
    }
}
