//! API tokens in the state store: one record per token at `access/tokens/{id}.json`
//! ([`layout::token_key`]).
//!
//! A record holds the token's id, role, owner, description, creation and expiry times, and the
//! SHA-256 of its secret. The secret itself is returned once, by [`create`], and stored nowhere.
//! Records are written create-only, so two tokens never share an id; revoking deletes the record,
//! after which the token no longer authenticates.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{corrupt, create_record};
use crate::domain::access::{self, Principal, Role};
use crate::domain::layout;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::secret::Secret;

/// What a new token may do and for whom.
#[derive(Debug, Clone)]
pub struct CreateTokenRequest {
    pub role: Role,
    /// Recorded as the owner of what the token creates (1–64 of `A-Z a-z 0-9 . _ @ -`).
    pub owner: String,
    /// How long the token is valid from now; `None`: until revoked.
    pub expires_in: Option<TimeDelta>,
    /// What the token is for (at most 200 characters, one line); empty counts as none.
    pub description: Option<String>,
}

/// A token as listed: everything but its secret and the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The public id (12 lowercase hex digits), the middle of the token text.
    pub id: String,
    pub role: Role,
    pub owner: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it stops authenticating; `None`: never (until revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token just created: its record and, this once, its text (`idp_<id>_<secret>`).
#[derive(Debug)]
pub struct CreatedToken {
    pub info: TokenInfo,
    /// The whole token text to hand to the client; it cannot be shown again.
    pub token: Secret<String>,
}

/// Why a token did not authenticate. No message contains the token text.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Not of the form `idp_<12 hex>_<64 hex>`.
    #[error("the API token is not of the form `idp_<12 hex digits>_<64 hex digits>`")]
    Malformed,
    /// No such token, or a wrong secret (the two are not told apart).
    #[error("the API token is not known: it was revoked, or never issued by this platform")]
    Unknown,
    /// The token's expiry has passed.
    #[error("the API token has expired; ask an admin for a new one")]
    Expired,
    /// The state store could not be read, or the record is corrupt.
    #[error("cannot check the API token: {0}")]
    Backend(#[source] Error),
}

/// The stored record. `deny_unknown_fields` so a record written by a newer version with fields
/// this one would ignore (a scope, say) is refused rather than half understood.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRecord {
    id: String,
    role: Role,
    owner: String,
    #[serde(default)]
    description: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    /// `access::hash_secret` of the secret.
    secret_sha256: String,
}

impl TokenRecord {
    fn info(&self) -> TokenInfo {
        TokenInfo {
            id: self.id.clone(),
            role: self.role,
            owner: self.owner.clone(),
            description: self.description.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

fn refused(reason: &str, message: String) -> Error {
    Error::Refused {
        reason: reason.to_owned(),
        message,
    }
}

/// Reads the record of `id`; `None` when there is none.
async fn load(platform: &Platform, id: &str) -> Result<Option<TokenRecord>> {
    let key = layout::token_key(id);
    let object = match platform.backend.store.get(&key).await {
        Ok(object) => object,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let record: TokenRecord =
        serde_json::from_slice(&object.bytes).map_err(|e| corrupt(&key, e))?;
    if record.id != id {
        return Err(corrupt(
            &key,
            format!("it holds token `{}`, not `{id}`", record.id.escape_debug()),
        ));
    }
    Ok(Some(record))
}

/// An id as shown in an error: at most its first 16 characters, so a whole token text pasted
/// where an id belongs never shows its secret.
fn shown_id(id: &str) -> String {
    let head: String = id.chars().take(16).collect();
    if head.len() < id.len() {
        format!("{}…", head.escape_debug())
    } else {
        head.escape_debug().to_string()
    }
}

/// Issues a token: validates the request, writes its record create-only and returns the token
/// text once.
///
/// An invalid owner, description or expiry is [`Error::Refused`] (`invalid_token_owner`,
/// `invalid_token_description`, `invalid_token_expiry`).
pub async fn create(platform: &Platform, req: CreateTokenRequest) -> Result<CreatedToken> {
    access::check_owner(&req.owner).map_err(|m| refused("invalid_token_owner", m))?;
    let description = req.description.filter(|d| !d.is_empty());
    if let Some(description) = &description {
        access::check_description(description)
            .map_err(|m| refused("invalid_token_description", m))?;
    }
    let now = platform.backend.clock.now();
    let expires_at = match req.expires_in {
        None => None,
        Some(delta) if delta <= TimeDelta::zero() => {
            return Err(refused(
                "invalid_token_expiry",
                format!("a token must expire in the future, not in `{delta}`"),
            ));
        }
        Some(delta) => Some(now.checked_add_signed(delta).ok_or_else(|| {
            refused(
                "invalid_token_expiry",
                format!("an expiry `{delta}` from now is out of range"),
            )
        })?),
    };
    let (id, secret, record) = create_record(
        platform,
        access::TOKEN_ID_LEN,
        access::TOKEN_SECRET_LEN,
        |id, secret| {
            let record = TokenRecord {
                id: id.to_owned(),
                role: req.role,
                owner: req.owner.clone(),
                description: description.clone(),
                created_at: now,
                expires_at,
                secret_sha256: access::hash_secret(secret),
            };
            (layout::token_key(id), record)
        },
    )
    .await?;
    Ok(CreatedToken {
        info: record.info(),
        token: Secret::new(access::token_text(&id, &secret)),
    })
}

/// Every token, oldest first (then by id). A record that cannot be read is
/// [`Error::CorruptState`] naming its key, never skipped.
pub async fn list(platform: &Platform) -> Result<Vec<TokenInfo>> {
    let listed = platform
        .backend
        .store
        .list_all(layout::TOKENS_PREFIX)
        .await?;
    let mut tokens = Vec::with_capacity(listed.len());
    for object in listed {
        let id = object
            .key
            .strip_prefix(layout::TOKENS_PREFIX)
            .and_then(|rest| rest.strip_suffix(".json"))
            .filter(|id| access::is_token_id(id))
            .ok_or_else(|| corrupt(&object.key, "it is not the record of a token id"))?;
        // `None`: revoked between the listing and the read.
        if let Some(record) = load(platform, id).await? {
            tokens.push(record.info());
        }
    }
    tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(tokens)
}

/// Deletes token `id` and returns what it was; from then on it does not authenticate. An unknown
/// id is [`Error::TokenNotFound`].
pub async fn revoke(platform: &Platform, id: &str) -> Result<TokenInfo> {
    let not_found = || Error::TokenNotFound { id: shown_id(id) };
    if !access::is_token_id(id) {
        return Err(not_found());
    }
    let record = load(platform, id).await?.ok_or_else(not_found)?;
    platform
        .backend
        .store
        .delete(&layout::token_key(id))
        .await?;
    Ok(record.info())
}

/// The principal a token text (`idp_<id>_<secret>`) acts as.
///
/// The secret's hash is compared in constant time before the expiry is looked at, so a wrong
/// secret is [`AuthError::Unknown`] whatever the token's state.
pub async fn authenticate(
    platform: &Platform,
    text: &str,
) -> std::result::Result<Principal, AuthError> {
    let (id, secret) = access::parse_token(text).ok_or(AuthError::Malformed)?;
    let record = load(platform, id)
        .await
        .map_err(AuthError::Backend)?
        .ok_or(AuthError::Unknown)?;
    if !access::same_hash(&access::hash_secret(secret), &record.secret_sha256) {
        return Err(AuthError::Unknown);
    }
    if record
        .expires_at
        .is_some_and(|at| platform.backend.clock.now() >= at)
    {
        return Err(AuthError::Expired);
    }
    Ok(Principal {
        token_id: record.id,
        role: record.role,
        owner: record.owner,
    })
}

/// Whether token `id` still authenticates (its record exists and has not expired): a portal
/// session opened with a token ends when the token is revoked or expires.
pub(crate) async fn still_valid(platform: &Platform, id: &str) -> Result<bool> {
    if !access::is_token_id(id) {
        return Ok(false);
    }
    Ok(load(platform, id).await?.is_some_and(|record| {
        record
            .expires_at
            .is_none_or(|at| platform.backend.clock.now() < at)
    }))
}
