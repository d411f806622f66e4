//! The one tokio runtime every call into idp-core runs on, and the guard against `fork()`.
//!
//! Python code calls synchronously; idp-core is async. A single multi-threaded runtime is built
//! on first use and shared by every thread (8 threads calling `Platform.list()` at once each
//! `block_on` it). Each call releases the GIL while it waits, so other Python threads run.
//!
//! While a call waits, the signal handlers still run every 200 ms: Ctrl-C in the main thread
//! raises `KeyboardInterrupt` instead of blocking until a long create finishes. While OpenTofu
//! runs, the first Ctrl-C first stops it cleanly, as in the CLI (it saves its state and releases
//! its lock; see `idp_core::interrupt`), and `KeyboardInterrupt` is raised once it has; a second
//! Ctrl-C drops the call at once.
//!
//! A forked child inherits the runtime's memory but none of its threads: using it would hang
//! forever. The pid is recorded when the runtime is built, and a call from another pid raises a
//! clear `IdpError` instead.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors;

/// The runtime and the process that built it.
struct Shared {
    runtime: Runtime,
    pid: u32,
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

fn runtime(py: Python<'_>) -> PyResult<&'static Runtime> {
    let shared = SHARED.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("idp-runtime")
            .build()
            .map(|runtime| Shared {
                runtime,
                pid: std::process::id(),
            })
            .map_err(|e| e.to_string())
    });
    match shared {
        Ok(shared) if shared.pid == std::process::id() => Ok(&shared.runtime),
        Ok(_) => Err(errors::forked(py)),
        Err(message) => Err(errors::runtime_failed(py, message)),
    }
}

/// How often a waiting call lets Python run its signal handlers.
const SIGNAL_CHECK_EVERY: Duration = Duration::from_millis(200);

/// Run `future` to completion on the shared runtime with the GIL released, and turn an
/// idp-core error into its Python exception. A pending signal whose handler raises (Ctrl-C)
/// abandons the call and raises that exception.
pub(crate) fn block_on<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = idp_core::error::Result<T>> + Send,
    T: Send,
{
    let runtime = runtime(py)?;
    let outcome = py.detach(move || {
        runtime.block_on(async move {
            tokio::pin!(future);
            let mut tick = tokio::time::interval(SIGNAL_CHECK_EVERY);
            let mut interrupted: Option<PyErr> = None;
            loop {
                tokio::select! {
                    done = &mut future => {
                        return match interrupted {
                            Some(signal) => {
                                idp_core::interrupt::clear();
                                Err(signal)
                            }
                            None => Ok(done),
                        };
                    }
                    _ = tick.tick() => {
                        if let Err(signal) = Python::attach(|py| py.check_signals()) {
                            if interrupted.is_some() || !idp_core::interrupt::is_shielded() {
                                idp_core::interrupt::clear();
                                return Err(signal);
                            }
                            idp_core::interrupt::request();
                            interrupted = Some(signal);
                        }
                    }
                }
            }
        })
    });
    match outcome {
        Ok(done) => done.map_err(|e| errors::to_py(py, &e)),
        Err(interrupted) => Err(interrupted),
    }
}
