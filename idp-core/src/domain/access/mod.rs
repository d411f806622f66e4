//! Who may do what: the roles of the REST API, the shape of its tokens, and the checks of what
//! arrives from outside (GitHub webhook signatures, the job runner's HS256 JWTs).
//!
//! Everything here is a function of values: the caller passes the token text, the stored hash,
//! the request body and `now`, and gets a decision or a typed error back. Errors never carry a
//! token, a secret or a signature, so they can be logged and returned to the client as they are.
//!
//! Roles are ordered (`viewer` < `developer` < `admin`) and each action needs one of them:
//!
//! | action | needs |
//! |---|---|
//! | read anything | `viewer` |
//! | create an environment, submit a run, resume or cancel a run | `developer` |
//! | extend or destroy an environment whose owner is the token's owner | `developer` |
//! | extend or destroy another owner's environment, or one with no owner | `admin` |
//! | unlock, manage tokens | `admin` |

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod rules;
#[cfg(test)]
mod tests;

pub use rules::*;

// === Roles and decisions ===

/// What a token may do; each role may do everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Also creates environments, extends and destroys its own, submits and manages runs.
    Developer,
    /// Everything, including other owners' environments, unlocking and tokens.
    Admin,
}

impl Role {
    /// Every role, from least to most allowed.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Developer, Role::Admin];

    /// The snake_case name (`viewer`, `developer`, `admin`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name; the error names the three roles.
    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "role `{}` is not known: use `viewer`, `developer` or `admin`",
                    text.escape_debug()
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking: an authenticated token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The token's public id (never its secret).
    pub token_id: String,
    pub role: Role,
    /// The name recorded as the owner of what this principal creates; a developer may change
    /// only environments whose owner equals it.
    pub owner: String,
}

/// What a principal asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Read anything: environments, runs, logs, costs.
    Read,
    /// Create an environment.
    CreateEnvironment {
        /// The owner it is created for; `None`: the principal's own.
        owner: Option<&'a str>,
    },
    /// Extend or destroy an environment whose recorded owner is `owner` (`None`: no owner
    /// recorded, which only an admin may change).
    ChangeEnvironment {
        /// The environment's recorded owner.
        owner: Option<&'a str>,
    },
    /// Submit an infrastructure run.
    SubmitRun,
    /// Resume or cancel an infrastructure run.
    ManageRun,
    /// Remove an environment's lock.
    Unlock,
    /// Create, list or revoke API tokens.
    ManageTokens,
    /// Approve an environment whose template needs approval.
    Approve,
}

/// Why an action was refused: the role it needs and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denied {
    /// The least role that may do it.
    pub needed: Role,
    /// One sentence naming the action, the role it needs and the token's role.
    pub reason: String,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Denied {}

/// The least role that may do `action` as `principal` (ownership matters only for
/// [`Action::ChangeEnvironment`]; an empty recorded owner counts as none).
fn needed_role(principal: &Principal, action: Action<'_>) -> Role {
    match action {
        Action::Read => Role::Viewer,
        Action::CreateEnvironment { owner: Some(owner) } if owner != principal.owner => Role::Admin,
        Action::CreateEnvironment { .. } | Action::SubmitRun | Action::ManageRun => Role::Developer,
        Action::ChangeEnvironment { owner: Some(owner) }
            if !owner.is_empty() && owner == principal.owner =>
        {
            Role::Developer
        }
        Action::ChangeEnvironment { .. }
        | Action::Unlock
        | Action::ManageTokens
        | Action::Approve => Role::Admin,
    }
}

fn describe(action: Action<'_>) -> String {
    match action {
        Action::Read => "reading".to_owned(),
        Action::CreateEnvironment { owner: None } => "creating an environment".to_owned(),
        Action::CreateEnvironment { owner: Some(owner) } => {
            format!("creating an environment for `{}`", owner.escape_debug())
        }
        Action::ChangeEnvironment { owner } => match owner.filter(|o| !o.is_empty()) {
            Some(owner) => format!(
                "extending or destroying an environment owned by `{}`",
                owner.escape_debug()
            ),
            None => "extending or destroying an environment with no recorded owner".to_owned(),
        },
        Action::SubmitRun => "submitting an infrastructure run".to_owned(),
        Action::ManageRun => "resuming or cancelling an infrastructure run".to_owned(),
        Action::Unlock => "unlocking an environment".to_owned(),
        Action::ManageTokens => "managing API tokens".to_owned(),
        Action::Approve => "approving an environment".to_owned(),
    }
}

/// Whether `principal` may do `action`; [`Denied`] says which role it needs, in a sentence
/// such as "extending or destroying an environment owned by `alice` needs role `admin`; token
/// `abc123` has `developer` (owner `bob`)".
pub fn authorize(principal: &Principal, action: Action<'_>) -> Result<(), Denied> {
    let needed = needed_role(principal, action);
    if principal.role >= needed {
        return Ok(());
    }
    let mut reason = format!(
        "{} needs role `{needed}`; token `{}` has `{}`",
        describe(action),
        principal.token_id.escape_debug(),
        principal.role,
    );
    if matches!(action, Action::ChangeEnvironment { .. }) && principal.role >= Role::Developer {
        reason.push_str(&format!(
            " and changes only environments owned by `{}`",
            principal.owner.escape_debug()
        ));
    }
    Err(Denied { needed, reason })
}

// === API tokens ===

/// What every token's text starts with.
pub const TOKEN_PREFIX: &str = "idp_";
/// Length of a token id: 12 lowercase hex digits.
pub const TOKEN_ID_LEN: usize = 12;
/// Length of a token secret: 64 lowercase hex digits.
pub const TOKEN_SECRET_LEN: usize = 64;

/// Whether `text` is exactly `len` lowercase hex digits.
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `id` has the shape of a token id (12 lowercase hex digits), so it is safe in a key.
pub fn is_token_id(id: &str) -> bool {
    is_lower_hex(id, TOKEN_ID_LEN)
}

/// The text a client sends: `idp_<id>_<secret>`.
pub fn token_text(id: &str, secret: &str) -> String {
    format!("{TOKEN_PREFIX}{id}_{secret}")
}

/// The id and secret of a token's text, or `None` unless it is exactly `idp_`, 12 lowercase hex
/// digits, `_` and 64 lowercase hex digits.
pub fn parse_token(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (is_token_id(id) && is_lower_hex(secret, TOKEN_SECRET_LEN)).then_some((id, secret))
}

/// The SHA-256 of a token secret, as lowercase hex: what is stored instead of the secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether two hashes are equal, in time that depends only on their lengths (every byte is
/// compared, with no early exit).
pub fn same_hash(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The longest token owner name.
pub const OWNER_MAX: usize = 64;
/// The longest token description, in characters.
pub const DESCRIPTION_MAX: usize = 200;

/// Checks a token's owner: 1 to [`OWNER_MAX`] of `A-Z a-z 0-9 . _ @ -` (a user or team name, an
/// email address). The error is a sentence naming the value.
pub fn check_owner(owner: &str) -> Result<(), String> {
    let ok = (1..=OWNER_MAX).contains(&owner.len())
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        let shown: String = owner.chars().take(OWNER_MAX + 1).collect();
        Err(format!(
            "owner `{}` is not valid: use 1 to {OWNER_MAX} of A-Z a-z 0-9 . _ @ -",
            shown.escape_debug()
        ))
    }
}

/// Checks a token's description: at most [`DESCRIPTION_MAX`] characters, none of them a control
/// character (so it prints on one line).
pub fn check_description(description: &str) -> Result<(), String> {
    let length = description.chars().count();
    if length > DESCRIPTION_MAX {
        return Err(format!(
            "the description is {length} characters long; the limit is {DESCRIPTION_MAX}"
        ));
    }
    match description.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "the description contains the control character `{}`; use one line of text",
            c.escape_unicode()
        )),
        None => Ok(()),
    }
}

// === GitHub webhook signatures ===

/// Why a webhook's `X-Hub-Signature-256` was refused. No message contains the secret or the
/// signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header.
    #[error(
        "the request has no `X-Hub-Signature-256` header; GitHub sends one when the webhook has a secret"
    )]
    Missing,
    /// A header that is not `sha256=` and 64 hex digits.
    #[error("the `X-Hub-Signature-256` header is not `sha256=` followed by 64 hex digits")]
    Malformed,
    /// A well-formed signature of some other body or secret.
    #[error(
        "the `X-Hub-Signature-256` signature does not match the body; check the webhook secret"
    )]
    Mismatch,
}

/// Checks GitHub's `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the body>`) in
/// constant time. An empty secret verifies nothing: every signature is a [`SignatureError::Mismatch`].
pub fn verify_github_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let digits = header
        .trim()
        .strip_prefix("sha256=")
        .filter(|d| d.len() == 64)
        .ok_or(SignatureError::Malformed)?;
    let signature = hex::decode(digits).map_err(|_| SignatureError::Malformed)?;
    if secret.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

// === HS256 JWTs ===

/// The claims of a verified JWT.
///
/// `Debug` prints the names of the other claims but not their values (they may hold AWS
/// credentials).
#[derive(Clone, PartialEq, Deserialize)]
pub struct JwtClaims {
    /// Who the token is for, when it says.
    #[serde(default)]
    pub sub: Option<String>,
    /// The role it grants, when it says.
    #[serde(default)]
    pub role: Option<Role>,
    /// When it expires, in seconds since the Unix epoch.
    pub exp: i64,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for JwtClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtClaims")
            .field("sub", &self.sub)
            .field("role", &self.role)
            .field("exp", &self.exp)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a JWT was refused. No message contains the token, its claims or the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts with a JSON header and JSON claims of the right types.
    #[error("the bearer token is not a well-formed JWT (header.claims.signature, base64url JSON)")]
    Malformed,
    /// Signed with another secret, or altered.
    #[error(
        "the bearer token's signature does not match; it was signed with another secret or altered"
    )]
    BadSignature,
    /// `exp` is not after `now`.
    #[error("the bearer token has expired; ask for a new one")]
    Expired,
    /// No `exp` claim (a token that never expires is refused).
    #[error("the bearer token has no `exp` claim; tokens must expire")]
    MissingExp,
    /// Not HS256 (`none` included).
    #[error("the bearer token is not signed with HS256, the only algorithm accepted")]
    WrongAlgorithm,
}

/// The longest JWT accepted; longer input is [`JwtError::Malformed`] without being decoded.
pub const JWT_MAX_LEN: usize = 16 * 1024;

/// The `alg` of a JWT's header, read before anything else so `none` and other algorithms are
/// refused as such.
fn header_alg(token: &str) -> Result<String, JwtError> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwtError::Malformed)?;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or(JwtError::Malformed)
}

/// Verifies an HS256 JWT signed with `secret` and returns its claims.
///
/// Only HS256 is accepted. `exp` is required and the token is expired once `now` reaches it (no
/// leeway); `aud`, `iss` and `nbf` are not checked. An empty secret verifies nothing
/// ([`JwtError::BadSignature`]).
pub fn verify_jwt(token: &str, secret: &[u8], now: DateTime<Utc>) -> Result<JwtClaims, JwtError> {
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    if token.len() > JWT_MAX_LEN {
        return Err(JwtError::Malformed);
    }
    if header_alg(token)? != "HS256" {
        return Err(JwtError::WrongAlgorithm);
    }
    if secret.is_empty() {
        return Err(JwtError::BadSignature);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // The crate would read the clock; `exp` is checked against `now` below instead.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp"]);
    let decoded = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => JwtError::BadSignature,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => JwtError::WrongAlgorithm,
        ErrorKind::MissingRequiredClaim(_) => JwtError::MissingExp,
        _ => JwtError::Malformed,
    })?;
    let claims = decoded.claims;
    let exp = claims
        .get("exp")
        .ok_or(JwtError::MissingExp)?
        .as_i64()
        .ok_or(JwtError::Malformed)?;
    if now.timestamp() >= exp {
        return Err(JwtError::Expired);
    }
    serde_json::from_value(serde_json::Value::Object(claims)).map_err(|_| JwtError::Malformed)
}

/// The AWS credential claims a job runner's token carries.
pub const AWS_CREDENTIAL_CLAIMS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// The string values of the [`AWS_CREDENTIAL_CLAIMS`] present in `claims`, by claim name.
/// Claims that are absent or not strings are left out.
pub fn aws_credentials(claims: &JwtClaims) -> BTreeMap<String, String> {
    AWS_CREDENTIAL_CLAIMS
        .into_iter()
        .filter_map(|name| {
            let value = claims.extra.get(name)?.as_str()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}
