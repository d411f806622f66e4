//! Exit codes: the table shared with the other frontend lives in idp-core
//! ([`idp_core::error::ExitCode`]); `idp` names it `Code`.

pub(crate) use idp_core::error::ExitCode as Code;
