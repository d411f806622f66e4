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

/// How many fresh ids [`create_record`] tries before giving up (a collision of 48 random bits
/// is already unlikely once).
const CREATE_ATTEMPTS: usize = 4;

/// Writes a new record under a fresh random id, create-only, so two records never share an id:
/// `make(id, secret)` gives the record's key and the record for a fresh id and secret (of
/// `id_len` and `secret_len` hex digits); a taken id is tried again with fresh ones. Returns
/// the id, the secret and the record written.
pub(crate) async fn create_record<R: serde::Serialize>(
    platform: &crate::platform::Platform,
    id_len: usize,
    secret_len: usize,
    make: impl Fn(&str, &str) -> (String, R),
) -> crate::error::Result<(String, String, R)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let id = random_hex(id_len);
        let secret = random_hex(secret_len);
        let (key, record) = make(&id, &secret);
        let bytes = serde_json::to_vec_pretty(&record).map_err(|e| corrupt(&key, e))?;
        match platform
            .backend
            .store
            .put(
                &key,
                bytes::Bytes::from(bytes),
                crate::ports::PutMode::CreateOnly,
            )
            .await
        {
            Ok(_) => return Ok((id, secret, record)),
            Err(crate::ports::StoreError::AlreadyExists { .. }) if attempt < CREATE_ATTEMPTS => {}
            Err(e) => return Err(e.into()),
        }
    }
}
