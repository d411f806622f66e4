//! Python bindings of idp: the module `idp._idp`, re-exported by the `idp` package.
//!
//! Conversion only: every rule lives in idp-core.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(idp, IdpError, PyException, "Base class of every idp error.");
create_exception!(idp, InvalidName, IdpError, "A branch or environment name is invalid.");

/// The environment name of a git branch, e.g. `env_name("feature/payment-api")` is
/// `"preview-payment-api"`. Raises `idp.InvalidName` when the branch gives no valid name.
#[pyfunction]
fn env_name(branch: &str) -> PyResult<String> {
    idp_core::domain::naming::EnvName::from_branch(branch)
        .map(|n| n.to_string())
        .map_err(|e| InvalidName::new_err(e.to_string()))
}

/// Validate an environment name typed by a user; returns it, or raises `ValueError`.
#[pyfunction]
fn check_env_name(name: &str) -> PyResult<String> {
    idp_core::domain::naming::EnvName::parse(name)
        .map(|n| n.to_string())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The native module.
#[pymodule]
fn _idp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(env_name, m)?)?;
    m.add_function(wrap_pyfunction!(check_env_name, m)?)?;
    m.add("IdpError", m.py().get_type::<IdpError>())?;
    m.add("InvalidName", m.py().get_type::<InvalidName>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
