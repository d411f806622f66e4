//! Who is calling: `Authorization: Bearer <idp token | HS256 JWT>`, what their role allows, and
//! the per-credential rate limit.
//!
//! idp tokens (`idp_<id>_<secret>`) are checked against their hashed record in the state store
//! (`idp_core::access::tokens`); a successful check is remembered for [`CACHE_FOR`], so a
//! revoked token stops working within that time. JWTs are the job runner clients' credential:
//! HS256 with the server's JWT secret, `exp` required; `sub` is the caller's name and an optional
//! `role` claim its role (default `developer`).
//!
//! A request without `Authorization` may carry the portal's session cookie instead (its script
//! calls the API that way); a request that changes anything then also needs the session's CSRF
//! token in `X-CSRF-Token` (`crate::portal::session::api_principal`).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use idp_core::access::tokens::{self, AuthError};
use idp_core::domain::access::{self, Action, Principal, Role};
use idp_core::secret::Secret;
use sha2::{Digest, Sha256};

use crate::ServeOptions;
use crate::problem::Problem;
use crate::state::AppState;

/// How long a verified idp token is trusted without reading its record again.
pub(crate) const CACHE_FOR: Duration = Duration::from_secs(10);

/// Verifies credentials and applies the rate limit.
pub(crate) struct Authenticator {
    cache: Mutex<HashMap<String, (Principal, Instant)>>,
    limiter: DefaultKeyedRateLimiter<String>,
    jwt_secret: Option<Secret<String>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    pub(crate) fn new(options: &ServeOptions) -> Self {
        let per_minute = NonZeroU32::new(options.rate_limit_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            cache: Mutex::new(HashMap::new()),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            jwt_secret: options.jwt_secret.clone(),
        }
    }

    /// Verify a JWT with the server's secret (also `/init`'s `credentials_token`).
    pub(crate) fn jwt(
        &self,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<access::JwtClaims, Problem> {
        let Some(secret) = &self.jwt_secret else {
            return Err(Problem::unauthorized(
                "JWTs are not accepted: the server has no JWT secret",
            )
            .hint("start the server with `IDP_JWT_SECRET` set, or use an idp token"));
        };
        access::verify_jwt(token, secret.expose().as_bytes(), now)
            .map_err(|e| Problem::unauthorized(format!("the JWT is not accepted: {e}")))
    }

    async fn principal(&self, state: &AppState, text: &str) -> Result<Principal, Problem> {
        if text.starts_with("idp_") {
            let key = hex_sha256(text);
            if let Some((p, at)) = self.cache_get(&key)
                && at.elapsed() < CACHE_FOR
            {
                return Ok(p);
            }
            return match tokens::authenticate(&state.platform, text).await {
                Ok(p) => {
                    #[allow(
                        clippy::disallowed_methods,
                        reason = "the cache's age is this process's monotonic time, not domain time"
                    )]
                    if let Ok(mut cache) = self.cache.lock() {
                        if cache.len() > 10_000 {
                            cache.clear();
                        }
                        cache.insert(key, (p.clone(), Instant::now()));
                    }
                    Ok(p)
                }
                Err(AuthError::Backend(e)) => Err(Problem::from(e)),
                Err(e) => Err(Problem::unauthorized(e.to_string())),
            };
        }
        if text.matches('.').count() == 2 {
            let claims = self.jwt(text, state.platform.backend.clock.now())?;
            let owner = claims.sub.clone().unwrap_or_else(|| "jwt".to_owned());
            return Ok(Principal {
                token_id: format!("jwt:{owner}"),
                role: claims.role.unwrap_or(Role::Developer),
                owner,
            });
        }
        Err(Problem::unauthorized(
            "the bearer credential is neither an idp token nor a JWT",
        ))
    }

    fn cache_get(&self, key: &str) -> Option<(Principal, Instant)> {
        self.cache.lock().ok()?.get(key).cloned()
    }

    fn limit(&self, principal: &Principal) -> Result<(), Problem> {
        match self.limiter.check_key(&principal.token_id) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("credential `{}` sent too many requests", principal.token_id),
                );
                p.retry_after = Some(wait.as_secs().max(1));
                Err(p)
            }
        }
    }
}

fn hex_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Principal);

impl Caller {
    /// Allow the request if the caller's role permits `action`, else 403 naming the role needed.
    pub(crate) fn may(&self, action: Action<'_>) -> Result<(), Problem> {
        access::authorize(&self.0, action).map_err(|denied| {
            let mut p = Problem::new(StatusCode::FORBIDDEN, "forbidden", denied.reason);
            p.needed_role = Some(denied.needed.as_str().to_owned());
            p
        })
    }

    /// The owner recorded on what the caller creates.
    pub(crate) fn owner(&self) -> &str {
        &self.0.owner
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            // The portal's script calls the API with the session cookie (and, to change
            // anything, the session's CSRF token).
            if let Some(found) = crate::portal::session::api_principal(state, parts).await {
                let principal = found?;
                state.auth.limit(&principal)?;
                parts.extensions.insert(principal.clone());
                return Ok(Caller(principal));
            }
            return Err(Problem::unauthorized(
                "no credential: the request has no `Authorization` header",
            ));
        };
        let text = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::unauthorized("the `Authorization` header is not `Bearer <token>`")
            })?;
        let principal = state.auth.principal(state, text).await?;
        state.auth.limit(&principal)?;
        parts.extensions.insert(principal.clone());
        Ok(Caller(principal))
    }
}
