//! Access to the REST API: issuing, listing and revoking API tokens, and turning a token a client
//! sends into the [`Principal`] it acts as.
//!
//! The rules (roles, what each may do, the token shape, hashing) are in
//! [`crate::domain::access`]; this module holds the I/O around them: token records in the state
//! store under `access/tokens/`, written create-only, holding the SHA-256 of the secret and never
//! the secret itself; and the portal's sign-in sessions under `access/sessions/`.

pub mod sessions;
pub mod tokens;

pub use crate::domain::access::{Action, Denied, Principal, Role, authorize};
pub use tokens::{
    AuthError, CreateTokenRequest, CreatedToken, TokenInfo, authenticate, create, list, revoke,
};
