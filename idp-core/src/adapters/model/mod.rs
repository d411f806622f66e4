//! The in-process models of the ports that the memory adapters hold in memory and the local
//! adapters keep in files: one implementation of each port's rules, so the two backends cannot
//! drift apart.

pub(crate) mod commands;
pub(crate) mod deployer;
pub(crate) mod locks;
pub(crate) mod logs;
pub(crate) mod registry;
pub(crate) mod site;
