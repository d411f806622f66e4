//! The Python exception tree and the one table that maps idp-core's error kinds onto it.
//!
//! Python callers catch errors by kind (`except idp.NotFound`), never by message text, so every
//! [`ErrorKind`] has its own class under `idp.IdpError`, and the classes that mean "bad input"
//! or "missing" also derive from the matching builtin (`ValueError`, `LookupError`, `OSError`)
//! so generic handlers keep working. Every raised exception carries `.kind` (the stable code
//! the CLI prints as `error.kind`) and `.hints` (how to fix it).

use idp_core::error::{Error, ErrorKind};
use idp_core::ports::LockError;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyLookupError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

create_exception!(
    idp,
    IdpError,
    PyException,
    "Base class of every idp error; `.kind` is a stable code and `.hints` says how to fix it."
);

/// A builtin exception a class also derives from, so `except ValueError` still catches it.
#[derive(Debug, Clone, Copy)]
enum Builtin {
    None,
    Value,
    Lookup,
    Os,
}

/// One exception class: its name, its idp parent (`None`: `IdpError`), its builtin and its
/// docstring.
#[derive(Debug, Clone, Copy)]
struct Class {
    name: &'static str,
    parent: Option<ErrorKind>,
    builtin: Builtin,
    doc: &'static str,
}

/// THE mapping table: error kind → exception class. Exhaustive, so a new kind in idp-core does
/// not compile until it has a class here.
fn class_of(kind: ErrorKind) -> Class {
    let class = |name, parent, builtin, doc| Class {
        name,
        parent,
        builtin,
        doc,
    };
    match kind {
        ErrorKind::InvalidConfig => class(
            "ConfigError",
            None,
            Builtin::Value,
            "`.idp/config.yml` (or the configuration arguments) is invalid; `.file`, `.line`, \
             `.column`, `.key` locate the first problem, `.errors` lists them all.",
        ),
        ErrorKind::InvalidName => class(
            "InvalidName",
            None,
            Builtin::Value,
            "A branch or environment name is invalid.",
        ),
        ErrorKind::InvalidTtl => class(
            "InvalidTtl",
            None,
            Builtin::Value,
            "A TTL is malformed or outside the platform's bounds.",
        ),
        ErrorKind::InvalidEvent => class(
            "InvalidEvent",
            None,
            Builtin::Value,
            "A GitHub event payload is invalid.",
        ),
        ErrorKind::InvalidInput => class(
            "InvalidInput",
            None,
            Builtin::Value,
            "Some other argument is invalid, or the trigger must not be acted on.",
        ),
        ErrorKind::NotFound => class(
            "NotFound",
            None,
            Builtin::Lookup,
            "The environment (or file) does not exist.",
        ),
        ErrorKind::Conflict => class(
            "Conflict",
            None,
            Builtin::None,
            "The environment's state does not allow this, or a concurrent change won.",
        ),
        ErrorKind::LockHeld => class(
            "LockHeld",
            None,
            Builtin::None,
            "Someone else holds the environment's lease; `.owner` and `.expires_at` say who and \
             until when.",
        ),
        ErrorKind::BranchCollision => class(
            "BranchCollision",
            Some(ErrorKind::Conflict),
            Builtin::None,
            "Two branches map to one environment name; the existing one is never overwritten.",
        ),
        ErrorKind::Io => class(
            "IoError",
            None,
            Builtin::Os,
            "A local file could not be read or written.",
        ),
        ErrorKind::BackendUnavailable => class(
            "BackendUnavailable",
            None,
            Builtin::None,
            "A backend is throttled, down or timed out; retrying later may work.",
        ),
        ErrorKind::Backend => class(
            "BackendError",
            None,
            Builtin::None,
            "A backend (AWS, the local runtime, OpenTofu) failed.",
        ),
        ErrorKind::BudgetExceeded => class(
            "BudgetExceeded",
            None,
            Builtin::None,
            "A new environment would pass its team's (or owner's) monthly budget; nothing was \
             provisioned. The message gives spent, estimate and limit.",
        ),
        ErrorKind::UnreadableRecord => class(
            "UnreadableRecord",
            None,
            Builtin::None,
            "An environment's record exists but cannot be read; `idp migrate --dry-run` says \
             why, field by field.",
        ),
        ErrorKind::ApprovalRequired => class(
            "ApprovalRequired",
            None,
            Builtin::None,
            "The environment's template needs approval before it is provisioned; an admin \
             approves it (`idp approve`), then the call is made again.",
        ),
        ErrorKind::SecretNotAllowed => class(
            "SecretNotAllowed",
            None,
            Builtin::None,
            "The configuration references a Secrets Manager secret outside the allow-list of \
             the environment's repository (`aws.secretPatterns`); nothing was provisioned.",
        ),
    }
}

/// Every kind, parents before children (the order the classes are created in).
const KINDS: [ErrorKind; 16] = [
    ErrorKind::InvalidConfig,
    ErrorKind::InvalidName,
    ErrorKind::InvalidTtl,
    ErrorKind::InvalidEvent,
    ErrorKind::InvalidInput,
    ErrorKind::NotFound,
    ErrorKind::Conflict,
    ErrorKind::LockHeld,
    ErrorKind::BranchCollision,
    ErrorKind::Io,
    ErrorKind::BackendUnavailable,
    ErrorKind::Backend,
    ErrorKind::UnreadableRecord,
    ErrorKind::BudgetExceeded,
    ErrorKind::ApprovalRequired,
    ErrorKind::SecretNotAllowed,
];

/// The attributes besides `kind` and `hints` that [`to_py`] sets for a kind.
fn detail_attributes(kind: ErrorKind) -> &'static [&'static str] {
    match kind {
        ErrorKind::InvalidConfig => &["file", "line", "column", "key"],
        ErrorKind::NotFound => &["name"],
        ErrorKind::LockHeld => &["name", "owner", "expires_at"],
        ErrorKind::BranchCollision => &[
            "branch",
            "repository",
            "existing_branch",
            "existing_repository",
        ],
        _ => &[],
    }
}

/// The `.kind` of the error raised when the module is used in a forked child.
const FORKED: &str = "forked_process";

/// The classes, created once per interpreter.
static CLASSES: PyOnceLock<Vec<(ErrorKind, Py<PyType>)>> = PyOnceLock::new();

fn classes(py: Python<'_>) -> PyResult<&Vec<(ErrorKind, Py<PyType>)>> {
    CLASSES.get_or_try_init(py, || {
        let base = py.get_type::<IdpError>();
        base.setattr("kind", "error")?;
        base.setattr("hints", PyList::empty(py))?;
        let mut made: Vec<(ErrorKind, Py<PyType>)> = Vec::with_capacity(KINDS.len());
        for kind in KINDS {
            let class = class_of(kind);
            let parent = match class.parent {
                Some(p) => made
                    .iter()
                    .find(|(k, _)| *k == p)
                    .map(|(_, t)| t.bind(py).clone())
                    .unwrap_or_else(|| base.clone()),
                None => base.clone(),
            };
            let mut bases = vec![parent];
            match class.builtin {
                Builtin::None => {}
                Builtin::Value => bases.push(py.get_type::<PyValueError>()),
                Builtin::Lookup => bases.push(py.get_type::<PyLookupError>()),
                Builtin::Os => bases.push(py.get_type::<PyOSError>()),
            }
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "idp")?;
            namespace.set_item("__doc__", class.doc)?;
            namespace.set_item("kind", kind.as_str())?;
            // The attributes `to_py` sets, so they exist (as None) on every instance.
            for attr in detail_attributes(kind) {
                namespace.set_item(*attr, py.None())?;
            }
            if kind == ErrorKind::InvalidConfig {
                namespace.set_item("errors", PyList::empty(py))?;
            }
            let created = py
                .get_type::<PyType>()
                .call1((class.name, PyTuple::new(py, bases)?, namespace))?
                .cast_into::<PyType>()?;
            made.push((kind, created.unbind()));
        }
        Ok(made)
    })
}

/// Add `IdpError`, every subclass and `ERROR_CLASSES` (kind code → class) to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("IdpError", py.get_type::<IdpError>())?;
    let by_code = PyDict::new(py);
    for (kind, class) in classes(py)? {
        m.add(class_of(*kind).name, class.bind(py))?;
        by_code.set_item(kind.as_str(), class.bind(py))?;
    }
    m.add("ERROR_CLASSES", by_code)?;
    Ok(())
}

/// An exception of `kind`'s class with `message`, `.kind` and `.hints` set.
fn raise<'py>(
    py: Python<'py>,
    kind: ErrorKind,
    message: &str,
    hints: &[String],
) -> PyResult<Bound<'py, PyAny>> {
    let class = classes(py)?
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, t)| t.bind(py).clone())
        .unwrap_or_else(|| py.get_type::<IdpError>());
    let exc = class.call1((message,))?;
    exc.setattr("kind", kind.as_str())?;
    exc.setattr("hints", PyList::new(py, hints)?)?;
    Ok(exc)
}

/// An exception of `kind` raised by the bindings themselves (a bad argument), through the same
/// table as the core's errors.
pub(crate) fn new_err(py: Python<'_>, kind: ErrorKind, message: &str, hints: &[String]) -> PyErr {
    match raise(py, kind, message, hints) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// The Python exception of an idp-core error: its kind's class, plus the error's data as
/// attributes where it has any.
pub(crate) fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    let build = || -> PyResult<Bound<'_, PyAny>> {
        let exc = raise(py, err.kind(), &err.to_string(), &err.hints())?;
        match err {
            Error::Config(errors) => {
                let list = PyList::empty(py);
                for e in errors {
                    let item = PyDict::new(py);
                    item.set_item("file", &e.file)?;
                    item.set_item("line", e.line)?;
                    item.set_item("column", e.column)?;
                    item.set_item("key", &e.key)?;
                    item.set_item("value", &e.value)?;
                    item.set_item("message", &e.message)?;
                    item.set_item("fix", &e.fix)?;
                    list.append(item)?;
                }
                if let Some(first) = errors.iter().next() {
                    exc.setattr("file", &first.file)?;
                    exc.setattr("line", first.line)?;
                    exc.setattr("column", first.column)?;
                    exc.setattr("key", &first.key)?;
                }
                exc.setattr("errors", list)?;
            }
            Error::NotFound { name } => exc.setattr("name", name)?,
            Error::LockHeld {
                name,
                owner,
                expires_at,
            } => {
                exc.setattr("name", name)?;
                exc.setattr("owner", owner)?;
                exc.setattr("expires_at", expires_at)?;
            }
            Error::Lock(LockError::Held {
                key,
                owner,
                expires_at,
            }) => {
                exc.setattr("name", key)?;
                exc.setattr("owner", owner)?;
                exc.setattr("expires_at", expires_at)?;
            }
            Error::BranchCollision {
                branch,
                repository,
                existing_branch,
                existing_repository,
            } => {
                exc.setattr("branch", branch)?;
                exc.setattr("repository", repository)?;
                exc.setattr("existing_branch", existing_branch)?;
                exc.setattr("existing_repository", existing_repository)?;
            }
            _ => {}
        }
        Ok(exc)
    };
    match build() {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// The error raised when the shared runtime is used in a forked child.
pub(crate) fn forked(py: Python<'_>) -> PyErr {
    let build = || -> PyResult<Bound<'_, PyAny>> {
        let exc = py.get_type::<IdpError>().call1((
            "idp cannot be used in a forked child; create a new process with spawn \
             (multiprocessing.get_context(\"spawn\"))",
        ))?;
        exc.setattr("kind", FORKED)?;
        exc.setattr(
            "hints",
            PyList::new(
                py,
                ["start worker processes with the `spawn` or `forkserver` method"],
            )?,
        )?;
        Ok(exc)
    };
    match build() {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// The error raised when the async runtime cannot start (no threads left, …).
pub(crate) fn runtime_failed(py: Python<'_>, message: &str) -> PyErr {
    new_err(
        py,
        ErrorKind::Backend,
        &format!("idp could not start its async runtime: {message}"),
        &[],
    )
}
