//! Working through GitHub Actions: the platform's workflows and the inputs each declares
//! ([`workflows`]), dispatching one instead of acting directly ([`dispatch`]), and following the
//! dispatched run until it finishes ([`wait`]).

pub mod dispatch;
pub mod wait;
pub mod workflows;
