//! Signing in and out: `/login` with an API token, `/login/github` with GitHub (the OAuth
//! authorization-code flow), `POST /logout`.
//!
//! The sign-in form carries a CSRF token too: a random value the login page sets in a
//! short-lived cookie and repeats in the form, so another site cannot sign a browser in as
//! someone else. The GitHub flow's `state` is kept the same way for the round trip to GitHub.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::TimeDelta;
use idp_core::access::sessions::{self, SignIn};
use idp_core::access::tokens::{self, AuthError};
use idp_core::domain::access::{Principal, same_hash};
use maud::html;
use serde::Deserialize;

use super::session::{
    MaybeSigned, OAUTH_STATE_COOKIE, SESSION_COOKIE, Signed, clear_cookie, cookie_value, safe_next,
    set_cookie,
};
use super::views::{Section, page, problem_page, respond};
use super::{Fields, see_other};
use crate::problem::Problem;
use crate::state::AppState;

/// The cookie of the sign-in form's CSRF token.
const LOGIN_CSRF_COOKIE: &str = "idp_login_csrf";
/// How long a sign-in form or a trip to GitHub may take.
const SIGN_IN_WINDOW_SECS: i64 = 600;

fn random_hex() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The query of `/login`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginParams {
    next: Option<String>,
}

fn next_of(next: Option<&str>) -> String {
    next.and_then(safe_next)
        .filter(|n| !n.starts_with("/login") && !n.starts_with("/logout"))
        .unwrap_or("/environments")
        .to_owned()
}

fn with_cookie(mut res: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn login_page(state: &AppState, next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let csrf = random_hex();
    let github = state.options.github.is_some();
    let main = html! {
        h1 { "Sign in" }
        @if let Some(e) = error { p role="alert" { (e) } }
        @if github {
            p { a.button href={ "/login/github?" (serde_urlencoded::to_string([("next", next)]).unwrap_or_default()) } { "Sign in with GitHub" } }
            p.meta { "Or with an API token:" }
        }
        form method="post" action="/login/token" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            div.field {
                label for="token" { "API token" }
                input type="password" id="token" name="token" autocomplete="off" required aria-describedby="token-help";
                p.hint id="token-help" { "A token from " code { "idp serve token create" } " (it starts with " code { "idp_" } "). It is not stored in the browser: the session is." }
            }
            button type="submit" { "Sign in" }
        }
    };
    let res = respond(status, page("Sign in", Section::None, None, main));
    with_cookie(
        res,
        &set_cookie(
            LOGIN_CSRF_COOKIE,
            &csrf,
            SIGN_IN_WINDOW_SECS,
            state.secure_cookies(),
        ),
    )
}

/// `GET /login`: the sign-in page (a signed-in visitor goes straight on).
pub(crate) async fn form(
    State(state): State<Arc<AppState>>,
    who: MaybeSigned,
    Query(params): Query<LoginParams>,
) -> Response {
    let next = next_of(params.next.as_deref());
    if who.0.is_some() {
        return see_other(&next);
    }
    login_page(&state, &next, None, StatusCode::OK)
}

/// Opens a session for `principal` and sends the browser on to `next` with its cookie.
async fn signed_in(
    state: &AppState,
    principal: Principal,
    sign_in: SignIn,
    next: &str,
) -> Response {
    let lifetime = TimeDelta::from_std(state.options.session_lifetime)
        .unwrap_or_else(|_| TimeDelta::hours(12));
    match sessions::open(&state.platform, principal, sign_in, lifetime).await {
        Ok(opened) => {
            let secure = state.secure_cookies();
            let res = see_other(next);
            let res = with_cookie(
                res,
                &set_cookie(
                    SESSION_COOKIE,
                    opened.cookie.expose(),
                    lifetime.num_seconds(),
                    secure,
                ),
            );
            let res = with_cookie(res, &clear_cookie(LOGIN_CSRF_COOKIE, secure));
            with_cookie(res, &clear_cookie(OAUTH_STATE_COOKIE, secure))
        }
        Err(e) => problem_page(&Problem::from(e), None),
    }
}

/// `POST /login/token`: sign in with an API token.
pub(crate) async fn with_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    let next = next_of(form.get("next"));
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or_default();
    if expected.is_empty() || !same_hash(&expected, sent) {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the sign-in form's CSRF token is missing, wrong or older than 10 minutes",
        )
        .hint("open /login again and sign in from there");
        return problem_page(&p, None);
    }
    let token = form.get("token").unwrap_or_default().trim();
    match tokens::authenticate(&state.platform, token).await {
        Ok(principal) => {
            let token_id = principal.token_id.clone();
            signed_in(&state, principal, SignIn::Token { token_id }, &next).await
        }
        Err(AuthError::Backend(e)) => problem_page(&Problem::from(e), None),
        Err(e) => login_page(
            &state,
            &next,
            Some(&format!("Not signed in: {e}.")),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// `POST /logout`: ends the session (its record is deleted) and removes the cookie.
pub(crate) async fn logout(
    State(state): State<Arc<AppState>>,
    who: Signed,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    state.sessions.forget(&who.cookie);
    if let Err(e) = sessions::close(&state.platform, &who.cookie).await {
        return problem_page(&Problem::from(e), Some(&who));
    }
    with_cookie(
        see_other("/login"),
        &clear_cookie(SESSION_COOKIE, state.secure_cookies()),
    )
}

/// The URL GitHub sends the browser back to.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = match &state.options.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    format!("{base}/login/github/callback")
}

fn github_off() -> Response {
    problem_page(
        &Problem::not_found("signing in with GitHub is not configured on this server").hint(
            "start `idp serve` with `--github-client-id`, `IDP_GITHUB_CLIENT_SECRET` and at least one `--github-role`",
        ),
        None,
    )
}

/// `GET /login/github`: off to GitHub's authorization page, with a fresh `state`.
pub(crate) async fn github(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    let Some(gh) = &state.options.github else {
        return github_off();
    };
    let nonce = random_hex();
    let next = next_of(params.next.as_deref());
    let url = gh
        .oauth
        .authorize_url(&callback_url(&state, &headers), &nonce);
    let cookie_value = format!("{nonce}|{next}");
    with_cookie(
        Redirect::to(&url).into_response(),
        &set_cookie(
            OAUTH_STATE_COOKIE,
            &cookie_value,
            SIGN_IN_WINDOW_SECS,
            state.secure_cookies(),
        ),
    )
}

/// The query GitHub sends back.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn refused(state: &AppState, message: &str) -> Response {
    login_page(state, "/environments", Some(message), StatusCode::FORBIDDEN)
}

/// `GET /login/github/callback`: check `state`, exchange the code, ask GitHub who it is, map
/// its login, teams and organizations to a role, and open a session.
pub(crate) async fn github_callback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Some(gh) = &state.options.github else {
        return github_off();
    };
    if let Some(error) = &params.error {
        let why = params.error_description.as_deref().unwrap_or(error);
        return refused(&state, &format!("GitHub did not sign you in: {why}."));
    }
    let kept = cookie_value(&headers, OAUTH_STATE_COOKIE).unwrap_or_default();
    let (nonce, next) = kept.split_once('|').unwrap_or(("", "/environments"));
    let sent = params.state.as_deref().unwrap_or_default();
    if nonce.is_empty() || !same_hash(nonce, sent) {
        return refused(
            &state,
            "The sign-in with GitHub could not be checked (its state does not match, or it took more than 10 minutes). Try again.",
        );
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return refused(&state, "GitHub sent no authorization code. Try again.");
    };
    let redirect = callback_url(&state, &headers);
    let token = match gh.oauth.exchange_code(code, &redirect).await {
        Ok(t) => t,
        Err(e) => return refused(&state, &format!("GitHub refused the sign-in: {e}.")),
    };
    let identity = match gh.oauth.identity(&token).await {
        Ok(i) => i,
        Err(e) => return refused(&state, &format!("GitHub could not say who you are: {e}.")),
    };
    let Some(role) = gh.roles.role_for(&identity) else {
        return refused(
            &state,
            &format!(
                "GitHub user `{}` has no role on this platform: an admin gives one with `--github-role ROLE={}` (or to one of your teams).",
                identity.login, identity.login
            ),
        );
    };
    let principal = Principal {
        token_id: format!("github:{}", identity.login),
        role,
        owner: identity.login.clone(),
    };
    let next = next_of(Some(next));
    signed_in(
        &state,
        principal,
        SignIn::Github {
            login: identity.login,
        },
        &next,
    )
    .await
}
