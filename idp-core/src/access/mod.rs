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

/// `count` lowercase hex digits of fresh v4 UUIDs (122 random bits in each 32 digits; the first
/// 12 digits of each are all random): token ids and secrets, session ids, secrets and CSRF
/// tokens.
pub(crate) fn random_hex(count: usize) -> String {
    let mut hex = String::with_capacity(count + 32);
    while hex.len() < count {
        hex.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    hex.truncate(count);
    hex
}

/// A record under `access/` that cannot be read.
pub(crate) fn corrupt(key: &str, message: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::CorruptState {
        key: key.to_owned(),
        message: message.to_string(),
    }
}
