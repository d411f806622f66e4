//! The portal's sessions in the browser: the `idp_session` cookie (HttpOnly, SameSite=Lax, Secure
//! when the portal's public URL is HTTPS), the signed-in extractor of every page, and the CSRF
//! check of every form.
//!
//! The session records are idp-core's (`idp_core::access::sessions`); a verified cookie is
//! remembered for [`crate::auth::CACHE_FOR`] like a token, and forgotten at once on sign-out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use idp_core::access::sessions::{self, Session, SessionError};
use idp_core::domain::access::Principal;
use sha2::{Digest, Sha256};

use crate::auth::CACHE_FOR;
use crate::problem::Problem;
use crate::state::AppState;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "idp_session";
/// The cookie holding the `state` of a GitHub sign-in while the browser is at GitHub.
pub(crate) const OAUTH_STATE_COOKIE: &str = "idp_oauth_state";
/// The header the portal's script sends its CSRF token in (API calls made with the cookie).
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// Verified session cookies, by the SHA-256 of the cookie.
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    entries: Mutex<HashMap<String, (Session, Instant)>>,
}

fn digest(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

impl SessionCache {
    fn get(&self, cookie: &str) -> Option<Session> {
        let entries = self.entries.lock().ok()?;
        let (session, at) = entries.get(&digest(cookie))?;
        (at.elapsed() < CACHE_FOR).then(|| session.clone())
    }

    fn put(&self, cookie: &str, session: &Session) {
        #[allow(
            clippy::disallowed_methods,
            reason = "the cache's age is this process's monotonic time, not domain time"
        )]
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.clear();
            }
            entries.insert(digest(cookie), (session.clone(), Instant::now()));
        }
    }

    pub(crate) fn forget(&self, cookie: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&digest(cookie));
        }
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| Cookie::split_parse(h.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The session of a request's cookie: `None` without one, an error for one that does not
/// authenticate (ended, unknown) or a backend failure.
pub(crate) async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<Result<(Session, String), Problem>> {
    let cookie = cookie_value(headers, SESSION_COOKIE)?;
    if let Some(session) = state.sessions.get(&cookie) {
        return Some(Ok((session, cookie)));
    }
    Some(
        match sessions::authenticate(&state.platform, &cookie).await {
            Ok(session) => {
                state.sessions.put(&cookie, &session);
                Ok((session, cookie))
            }
            Err(SessionError::Backend(e)) => Err(Problem::from(e)),
            Err(e) => Err(Problem::unauthorized(e.to_string())),
        },
    )
}

/// The principal of an API request that carries the portal's session cookie instead of a
/// bearer token. A request that changes something must also carry the session's CSRF token in
/// `X-CSRF-Token`: the cookie alone, which the browser sends by itself, never suffices.
pub(crate) async fn api_principal(
    state: &AppState,
    parts: &Parts,
) -> Option<Result<Principal, Problem>> {
    let (session, _) = match session_of(state, &parts.headers).await? {
        Ok(found) => found,
        Err(p) => return Some(Err(p)),
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !sessions::csrf_matches(&session, sent) {
            return Some(Err(Problem::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "a request made with the portal's session cookie needs its CSRF token in `X-CSRF-Token`",
            )));
        }
    }
    Some(Ok(session.principal))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure when `secure`.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs.max(0)))
        .build()
        .to_string()
}

/// A `Set-Cookie` value that removes cookie `name`.
pub(crate) fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", 0, secure)
}

/// A signed-in visitor of a page: the session and the caller it acts as. Without a session the
/// page answers with a redirect to `/login?next=<the page>`; with an ended one, the same and
/// the cookie removed.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) session: Session,
    pub(crate) cookie: String,
}

impl Signed {
    /// The caller of the API handlers the page calls.
    pub(crate) fn caller(&self) -> crate::auth::Caller {
        crate::auth::Caller(self.session.principal.clone())
    }

    /// The session's CSRF token, for the forms of the page.
    pub(crate) fn csrf(&self) -> &str {
        self.session.csrf.expose()
    }

    /// Refuses a form whose `csrf` field is not this session's token.
    pub(crate) fn check_csrf(&self, form: Option<&str>) -> Result<(), Problem> {
        if form.is_some_and(|f| sessions::csrf_matches(&self.session, f)) {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form's CSRF token is missing or wrong; nothing was changed",
            )
            .hint("reload the page and submit the form again"))
        }
    }
}

/// Where `/login` sends a visitor back to: a path of this site only (never `//host` or a URL),
/// of characters that need no quoting in a URL or a cookie value (no `;`, `,`, quotes or `\\`).
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2048
        && next.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, ';' | ',' | '"' | '\'' | '\\' | '<' | '>')
        }))
    .then_some(next)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_gone_back_to() {
        for ok in [
            "/environments",
            "/environments/a-b?owner=alice&sort=name",
            "/runs/x%2Fy",
        ] {
            assert_eq!(safe_next(ok), Some(ok));
        }
        for bad in [
            "https://evil.example.com/",
            "//evil.example.com/",
            "/\\evil.example.com",
            "environments",
            "/a b",
            "/x;Domain=evil.example.com",
            "/x,y",
            "/\"onload",
            "",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
    }
}

fn to_login(parts: &Parts, secure: bool, clear: bool) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map_or("/environments", |p| p.as_str());
    let next: String = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    let mut res = Redirect::to(&format!("/login?{next}")).into_response();
    if clear && let Ok(v) = clear_cookie(SESSION_COOKIE, secure).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let secure = state.secure_cookies();
        match session_of(state, &parts.headers).await {
            None => Err(to_login(parts, secure, false)),
            Some(Ok((session, cookie))) => Ok(Signed { session, cookie }),
            Some(Err(p)) if p.status == 401 => Err(to_login(parts, secure, true)),
            Some(Err(p)) => Err(super::views::problem_page(&p, None)),
        }
    }
}

/// The visitor's session when there is one (the login and 404 pages show who is signed in).
#[derive(Debug, Clone)]
pub(crate) struct MaybeSigned(pub(crate) Option<Signed>);

impl FromRequestParts<Arc<AppState>> for MaybeSigned {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeSigned(match session_of(state, &parts.headers).await {
            Some(Ok((session, cookie))) => Some(Signed { session, cookie }),
            _ => None,
        }))
    }
}
