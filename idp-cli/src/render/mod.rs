//! Everything the CLI shows: [`print`] (stdout, stderr, JSON, errors), [`reports`] and
//! [`tables`] and [`teams`] (the use cases' reports), [`prompts`] (questions on a terminal) and [`progress`]
//! (spinners and live runs).

mod budgets;
mod print;
mod progress;
mod prompts;
mod reports;
mod serve;
mod tables;
mod teams;

pub(crate) use budgets::*;
pub(crate) use print::*;
pub(crate) use progress::*;
pub(crate) use prompts::*;
pub(crate) use reports::*;
pub(crate) use serve::*;
pub(crate) use tables::*;
pub(crate) use teams::*;
