//! The environment use cases: what `idp create`, `idp destroy`, `idp sweep` … do.
//!
//! Each is one function taking the [`Platform`](crate::platform::Platform) and a request and
//! returning a serializable report that every frontend renders as it likes. The rules they
//! follow live in [`crate::domain`]; these add the I/O around them: every metadata write is a
//! compare-and-swap ([`crate::support::state`]), and work on one environment runs under a lease
//! ([`crate::support::lease`]).

pub mod approve;
mod chargeback;
pub mod cost;
pub mod create;
pub mod dashboard;
pub mod destroy;
pub mod exec;
pub mod extend;
pub mod list;
pub mod logs;
pub mod migrate;
pub mod status;
pub mod sweep;
pub mod unlock;
