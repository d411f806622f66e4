//! Portal sessions in the state store: one record per signed-in browser at
//! `access/sessions/{id}.json` ([`layout::session_key`]).
//!
//! A session is opened by signing in with an API token or with GitHub. The browser keeps the
//! cookie value `<id>.<secret>` ([`OpenedSession::cookie`]); the record keeps the SHA-256 of the
//! secret, the principal the session acts as, its CSRF token and its expiry. Sessions opened
//! with a token end with the token: [`authenticate`] checks that the token still authenticates.
//! Records are written create-only; signing out deletes the record; an expired record is deleted
//! by the first request that presents it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{corrupt, create_record, random_hex};
use crate::access::tokens;
use crate::domain::access::{self, Principal};
use crate::domain::layout;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::secret::Secret;

/// Length of a session id: 16 lowercase hex digits.
pub const SESSION_ID_LEN: usize = 16;
/// Length of a session secret and of a CSRF token: 64 lowercase hex digits.
pub const SESSION_SECRET_LEN: usize = 64;

/// How a session was signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignIn {
    /// With API token `token_id`; the session ends when the token stops authenticating.
    Token {
        /// The token's public id.
        token_id: String,
    },
    /// With GitHub as `login`.
    Github {
        /// The GitHub login.
        login: String,
    },
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session id (the public half of the cookie).
    pub id: String,
    /// Who the session acts as.
    pub principal: Principal,
    /// How it was signed in.
    pub sign_in: SignIn,
    /// The token every state-changing form of this session must carry.
    pub csrf: Secret<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A session just opened, with the cookie value to hand to the browser this once.
#[derive(Debug)]
pub struct OpenedSession {
    pub session: Session,
    /// `<id>.<secret>`: the cookie's value.
    pub cookie: Secret<String>,
}

/// Why a cookie did not authenticate. No message contains the cookie.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Not of the form `<16 hex>.<64 hex>`, no such session, or a wrong secret.
    #[error("the session is not known: sign in again")]
    Unknown,
    /// The session (or the token it was opened with) has expired or was revoked.
    #[error("the session has ended: sign in again")]
    Ended,
    /// The state store could not be read, or the record is corrupt.
    #[error("cannot check the session: {0}")]
    Backend(#[source] Error),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRecord {
    id: String,
    principal: StoredPrincipal,
    sign_in: SignIn,
    csrf: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    secret_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPrincipal {
    token_id: String,
    role: access::Role,
    owner: String,
}

impl SessionRecord {
    fn session(&self) -> Session {
        Session {
            id: self.id.clone(),
            principal: Principal {
                token_id: self.principal.token_id.clone(),
                role: self.principal.role,
                owner: self.principal.owner.clone(),
            },
            sign_in: self.sign_in.clone(),
            csrf: Secret::new(self.csrf.clone()),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// Splits a cookie value into id and secret, if it has the shape of one.
fn parse_cookie(text: &str) -> Option<(&str, &str)> {
    let (id, secret) = text.split_once('.')?;
    (access::is_lower_hex(id, SESSION_ID_LEN) && access::is_lower_hex(secret, SESSION_SECRET_LEN))
        .then_some((id, secret))
}

async fn load(platform: &Platform, id: &str) -> Result<Option<SessionRecord>> {
    let key = layout::session_key(id);
    let object = match platform.backend.store.get(&key).await {
        Ok(object) => object,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let record: SessionRecord =
        serde_json::from_slice(&object.bytes).map_err(|e| corrupt(&key, e))?;
    if record.id != id {
        return Err(corrupt(&key, "it holds another session"));
    }
    Ok(Some(record))
}

/// Opens a session for `principal`, signed in by `sign_in`, valid for `lifetime`.
pub async fn open(
    platform: &Platform,
    principal: Principal,
    sign_in: SignIn,
    lifetime: TimeDelta,
) -> Result<OpenedSession> {
    let now = platform.backend.clock.now();
    let expires_at = now
        .checked_add_signed(lifetime.max(TimeDelta::minutes(1)))
        .ok_or_else(|| Error::Refused {
            reason: "invalid_session_lifetime".to_owned(),
            message: format!("a session lifetime of `{lifetime}` is out of range"),
        })?;
    let (id, secret, record) = create_record(
        platform,
        SESSION_ID_LEN,
        SESSION_SECRET_LEN,
        |id, secret| {
            let record = SessionRecord {
                id: id.to_owned(),
                principal: StoredPrincipal {
                    token_id: principal.token_id.clone(),
                    role: principal.role,
                    owner: principal.owner.clone(),
                },
                sign_in: sign_in.clone(),
                csrf: random_hex(SESSION_SECRET_LEN),
                created_at: now,
                expires_at,
                secret_sha256: access::hash_secret(secret),
            };
            (layout::session_key(id), record)
        },
    )
    .await?;
    Ok(OpenedSession {
        session: record.session(),
        cookie: Secret::new(format!("{id}.{secret}")),
    })
}

/// The session a cookie value belongs to.
///
/// The secret's hash is compared in constant time first; an expired session is deleted and
/// [`SessionError::Ended`], as is one whose token was revoked or has expired.
pub async fn authenticate(
    platform: &Platform,
    cookie: &str,
) -> std::result::Result<Session, SessionError> {
    let (id, secret) = parse_cookie(cookie).ok_or(SessionError::Unknown)?;
    let record = load(platform, id)
        .await
        .map_err(SessionError::Backend)?
        .ok_or(SessionError::Unknown)?;
    if !access::same_hash(&access::hash_secret(secret), &record.secret_sha256) {
        return Err(SessionError::Unknown);
    }
    if platform.backend.clock.now() >= record.expires_at {
        let _ = platform
            .backend
            .store
            .delete(&layout::session_key(id))
            .await;
        return Err(SessionError::Ended);
    }
    if let SignIn::Token { token_id } = &record.sign_in
        && !tokens::still_valid(platform, token_id)
            .await
            .map_err(SessionError::Backend)?
    {
        return Err(SessionError::Ended);
    }
    Ok(record.session())
}

/// Signs out: deletes the session of `cookie` (after checking its secret). Signing out of a
/// session that is already gone succeeds.
pub async fn close(platform: &Platform, cookie: &str) -> Result<()> {
    match authenticate(platform, cookie).await {
        Ok(session) => {
            platform
                .backend
                .store
                .delete(&layout::session_key(&session.id))
                .await?;
            Ok(())
        }
        Err(SessionError::Backend(e)) => Err(e),
        Err(SessionError::Unknown | SessionError::Ended) => Ok(()),
    }
}

/// Whether `form` is the CSRF token of `session` (constant time).
pub fn csrf_matches(session: &Session, form: &str) -> bool {
    access::same_hash(session.csrf.expose(), form)
}
