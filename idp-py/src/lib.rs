//! Python bindings of idp: the native module `idp._idp`, re-exported by the `idp` package.
//!
//! Conversion only: every rule lives in idp-core. [`errors`] maps the core's error kinds onto
//! one exception class each, [`runtime`] runs the async core with the GIL released,
//! [`platform`] and [`config`] wrap the use cases and the configuration, and [`reports`] turns
//! their reports into frozen Python objects.

mod config;
mod errors;
mod platform;
mod reports;
mod runtime;

use chrono::TimeDelta;
use idp_core::domain::naming::EnvName;
use idp_core::domain::ttl::Ttl;
use idp_core::error::Error;
use pyo3::prelude::*;

/// The environment name of a git branch, e.g. `env_name("feature/payment-api")` is
/// `"preview-payment-api"`. Raises `idp.InvalidName` when the branch gives no valid name.
#[pyfunction]
fn env_name(py: Python<'_>, branch: &str) -> PyResult<String> {
    EnvName::from_branch(branch)
        .map(|n| n.to_string())
        .map_err(|e| errors::to_py(py, &Error::from(e)))
}

/// Check an environment name typed by a user (2–40 characters of `a-z`, `0-9`, `-`, starting
/// with a letter, no `--`); returns it, or raises `idp.InvalidName`.
#[pyfunction]
fn check_env_name(py: Python<'_>, name: &str) -> PyResult<String> {
    EnvName::parse(name)
        .map(|n| n.to_string())
        .map_err(|e| errors::to_py(py, &Error::from(e)))
}

/// Parse a TTL (`"30m"`, `"12h"`, `"7d"`, `"2w"`) into a `datetime.timedelta`. Raises
/// `idp.InvalidTtl`.
#[pyfunction]
fn parse_ttl(py: Python<'_>, ttl: &str) -> PyResult<TimeDelta> {
    Ttl::parse(ttl)
        .map(Ttl::duration)
        .map_err(|e| errors::to_py(py, &Error::from(e)))
}

/// The JSON Schema of `.idp/config.yml`, as a dict (for editors and validators).
#[pyfunction]
fn json_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    reports::json_to_py(py, &idp_core::domain::config::json_schema())
}

/// The native module.
#[pymodule]
fn _idp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(env_name, m)?)?;
    m.add_function(wrap_pyfunction!(check_env_name, m)?)?;
    m.add_function(wrap_pyfunction!(parse_ttl, m)?)?;
    m.add_function(wrap_pyfunction!(json_schema, m)?)?;
    m.add_class::<config::Config>()?;
    m.add_class::<platform::Platform>()?;
    m.add_class::<reports::Environment>()?;
    m.add_class::<reports::Cleanup>()?;
    m.add_class::<reports::ChangeReport>()?;
    m.add_class::<reports::StatusReport>()?;
    m.add_class::<reports::SweepAction>()?;
    m.add_class::<reports::SweepFailure>()?;
    m.add_class::<reports::SweepReport>()?;
    m.add_class::<reports::UnreadableRecordInfo>()?;
    m.add_class::<reports::LogEvent>()?;
    m.add_class::<reports::LogsReport>()?;
    m.add_class::<reports::Lease>()?;
    m.add_class::<reports::TerraformLock>()?;
    m.add_class::<reports::UnlockReport>()?;
    m.add_class::<reports::RunReport>()?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
