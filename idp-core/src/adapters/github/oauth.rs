//! Signing in with GitHub: the web flow of a GitHub OAuth App, and who the signed-in user is.
//!
//! 1. The browser is sent to [`GithubOAuth::authorize_url`] (GitHub asks the user to approve the
//!    app, scope `read:org`, then redirects to `redirect_uri?code=…&state=…`).
//! 2. [`GithubOAuth::exchange_code`] trades the one-time code for the user's access token.
//! 3. [`GithubOAuth::identity`] asks the REST API who the token's user is, with their teams and
//!    organizations, for [`RoleRules::role_for`](crate::domain::access::RoleRules::role_for).
//!
//! Works with github.com and GitHub Enterprise Server (web `https://ghe.example.com`, API
//! `https://ghe.example.com/api/v3`). Requests go through octocrab's HTTP client (its TLS,
//! timeouts and `User-Agent`), built without credentials: the access token is sent only to the
//! API URL, and listings follow `Link` pages only on that host, at most [`MAX_PAGES`] of them.
//!
//! The client secret, the code and the access token never appear in an [`OAuthError`] or in
//! `Debug`: messages built from GitHub's answers have them masked as `****`.

use std::fmt;
use std::sync::Arc;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use octocrab::Octocrab;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use super::request::next_link;
use super::{CONNECT_TIMEOUT, PER_PAGE, READ_TIMEOUT, seg};
use crate::domain::access::GithubIdentity;
use crate::error::ErrorKind;
use crate::secret::Secret;

pub use super::DEFAULT_API_URL;

/// github.com's web address, where users sign in.
pub const DEFAULT_WEB_URL: &str = "https://github.com";
/// The scope asked for: `read:org` lets `GET /user/teams` and `GET /user/orgs` list private
/// memberships too. It grants no write access.
pub const SCOPE: &str = "read:org";
/// The most pages read from one listing (teams or organizations): 1,000 items.
pub const MAX_PAGES: u32 = 10;
/// The REST API version asked for.
const API_VERSION: &str = "2022-11-28";
/// The longest text taken from one of GitHub's error answers.
const MESSAGE_MAX: usize = 300;

/// Why signing in with GitHub failed. No message contains the client secret, the code or the
/// access token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The web or API URL given is not an `http(s)://host[/path]` URL.
    #[error("the GitHub {what} is not valid: {reason}")]
    InvalidUrl {
        /// `web URL` or `API URL`.
        what: &'static str,
        reason: String,
    },
    /// GitHub refused the code (`bad_verification_code`): it is wrong, used already, or expired
    /// (codes live 10 minutes). Signing in again gets a new one.
    #[error("GitHub refused the sign-in code (sign in again): {description}")]
    BadCode { description: String },
    /// GitHub refused the OAuth App's client id or secret (`incorrect_client_credentials`).
    #[error("GitHub refused the OAuth App's client id or secret: {description}")]
    ClientCredentials { description: String },
    /// The `redirect_uri` is not the one the code was issued for, or not under the OAuth App's
    /// callback URL (`redirect_uri_mismatch`).
    #[error("GitHub refused the redirect URI: {description}")]
    RedirectMismatch { description: String },
    /// Any other refusal of the token exchange, with GitHub's error code.
    #[error("GitHub refused the sign-in (`{error}`): {description}")]
    Refused { error: String, description: String },
    /// The API answered 401 to the access token (revoked, expired or never valid).
    #[error("GitHub refused the access token")]
    TokenRefused,
    /// GitHub could not be reached (connection refused, TLS, timeout).
    #[error("could not reach GitHub at `{host}`: {reason}")]
    Unreachable { host: String, reason: String },
    /// GitHub answered with an unexpected HTTP status.
    #[error("GitHub answered `{request}` with HTTP {status}: {message}")]
    Http {
        /// The request, as `METHOD /path`.
        request: String,
        status: u16,
        /// GitHub's message, if it sent one.
        message: String,
    },
    /// GitHub's answer is not what its documentation describes.
    #[error("GitHub's answer to `{request}` is not what was expected: {reason}")]
    Malformed { request: String, reason: String },
    /// A listing has more than [`MAX_PAGES`] pages.
    #[error("GitHub lists more than {MAX_PAGES} pages for `{request}`; idp reads no more")]
    TooManyPages { request: String },
}

impl OAuthError {
    /// The error's stable class: a bad URL, code or token is `invalid_input`, an unreachable
    /// or failing (5xx) GitHub `backend_unavailable`, anything else `backend`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            OAuthError::InvalidUrl { .. }
            | OAuthError::BadCode { .. }
            | OAuthError::RedirectMismatch { .. }
            | OAuthError::TokenRefused => ErrorKind::InvalidInput,
            OAuthError::Unreachable { .. } => ErrorKind::BackendUnavailable,
            OAuthError::Http { status, .. } if *status >= 500 => ErrorKind::BackendUnavailable,
            OAuthError::ClientCredentials { .. }
            | OAuthError::Refused { .. }
            | OAuthError::Http { .. }
            | OAuthError::Malformed { .. }
            | OAuthError::TooManyPages { .. } => ErrorKind::Backend,
        }
    }
}

/// A GitHub OAuth App: its credentials and where GitHub is.
#[derive(Clone)]
pub struct GithubOAuth {
    /// Built on first use, inside the Tokio runtime that uses it (octocrab needs one), and shared
    /// by clones.
    client: Arc<OnceCell<Octocrab>>,
    client_id: String,
    client_secret: Secret<String>,
    web_url: String,
    api_url: String,
}

impl fmt::Debug for GithubOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubOAuth")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("web_url", &self.web_url)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// `url` without its trailing `/`, if it is an `http(s)://host[:port][/path]` URL with no
/// credentials, query or fragment.
fn base_url(url: &str, what: &'static str) -> Result<String, OAuthError> {
    let url = url.trim().trim_end_matches('/');
    let invalid = |reason: String| OAuthError::InvalidUrl { what, reason };
    let shown = || format!("`{}`", url.escape_debug());
    // Credentials in a URL are never repeated in a message.
    if url.contains('@') {
        return Err(invalid(
            "it contains `@`; give the address without credentials".to_owned(),
        ));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|_| invalid(format!("{} is not a URL", shown())))?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) {
        return Err(invalid(format!(
            "{} does not start with `https://` (or `http://`)",
            shown()
        )));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid(format!("{} has no host", shown())));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(invalid(format!(
            "{} has a query or a fragment; give the base address only",
            shown()
        )));
    }
    Ok(url.to_owned())
}

/// The host (and port) of `url`, for messages.
fn host_of(url: &str) -> String {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_else(|| "an unknown host".to_owned())
}

/// `text` with every secret of `secrets` (those of 4 characters or more) replaced by `****`,
/// cut to [`MESSAGE_MAX`] characters and escaped to one line.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret, "****");
    }
    let mut shown: String = text.chars().take(MESSAGE_MAX).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown.escape_debug().to_string()
}

/// The `message` (API) or `error_description` (token exchange) of an error answer.
fn message_of(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ["message", "error_description"]
        .into_iter()
        .find_map(|key| value.get(key)?.as_str().map(str::to_owned))
}

/// What the token exchange answers, success or refusal, both with HTTP 200.
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
    id: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Org {
    login: String,
}

#[derive(Deserialize)]
struct Team {
    slug: String,
    organization: Org,
}

/// An answer's status, `Link` next page and body.
struct Answer {
    status: u16,
    next: Option<String>,
    body: String,
}

impl GithubOAuth {
    /// The OAuth App `client_id` on the GitHub at `web_url` ([`DEFAULT_WEB_URL`]) whose REST API
    /// is at `api_url` ([`DEFAULT_API_URL`]). Only the URLs are checked: nothing is sent (and no
    /// Tokio runtime is needed) yet, so wrong credentials show on the first
    /// [`exchange_code`](Self::exchange_code) as [`OAuthError::ClientCredentials`].
    pub fn new(
        client_id: String,
        client_secret: Secret<String>,
        web_url: &str,
        api_url: &str,
    ) -> Result<Self, OAuthError> {
        let web_url = base_url(web_url, "web URL")?;
        let api_url = base_url(api_url, "API URL")?;
        Ok(Self {
            client: Arc::new(OnceCell::new()),
            client_id,
            client_secret,
            web_url,
            api_url,
        })
    }

    /// The HTTP client, built the first time it is needed.
    async fn client(&self) -> Result<&Octocrab, OAuthError> {
        self.client
            .get_or_try_init(|| async {
                Octocrab::builder()
                    .base_uri(self.api_url.as_str())
                    .and_then(|b| {
                        b.set_connect_timeout(Some(CONNECT_TIMEOUT))
                            .set_read_timeout(Some(READ_TIMEOUT))
                            .build()
                    })
                    .map_err(|e| OAuthError::Unreachable {
                        host: host_of(&self.api_url),
                        reason: scrub(&e.to_string(), &[]),
                    })
            })
            .await
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where to send the browser to sign in: GitHub's authorization page for this app, scope
    /// `read:org`, no sign-ups offered, coming back to `redirect_uri` with `state` (which the
    /// caller makes unguessable and checks on the way back).
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        format!(
            "{}/login/oauth/authorize?client_id={}&redirect_uri={}&scope={}&state={}&allow_signup=false",
            self.web_url,
            seg(&self.client_id),
            seg(redirect_uri),
            seg(SCOPE),
            seg(state)
        )
    }

    /// Trades the `code` GitHub sent to `redirect_uri` for the user's access token.
    ///
    /// GitHub answers a refusal with HTTP 200 and an `error`: `bad_verification_code` is
    /// [`OAuthError::BadCode`], `incorrect_client_credentials`
    /// [`OAuthError::ClientCredentials`], `redirect_uri_mismatch`
    /// [`OAuthError::RedirectMismatch`], any other [`OAuthError::Refused`].
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Secret<String>, OAuthError> {
        const REQUEST: &str = "POST /login/oauth/access_token";
        let url = format!("{}/login/oauth/access_token", self.web_url);
        let form = format!(
            "client_id={}&client_secret={}&code={}&redirect_uri={}",
            seg(&self.client_id),
            seg(self.client_secret.expose()),
            seg(code),
            seg(redirect_uri)
        );
        let secrets = [self.client_secret.expose().as_str(), code];
        let request = http::Request::post(url.as_str())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form);
        let answer = self.send(request, &url, REQUEST, &secrets).await?;
        if !(200..300).contains(&answer.status) {
            return Err(http_error(REQUEST, &answer, &secrets));
        }
        // serde's messages may quote the answer, which holds the token: none is repeated.
        let parsed: TokenAnswer =
            serde_json::from_str(&answer.body).map_err(|_| OAuthError::Malformed {
                request: REQUEST.to_owned(),
                reason: "it is not a JSON object with `access_token` or `error`".to_owned(),
            })?;
        if let Some(error) = parsed.error {
            let mut secrets = secrets.to_vec();
            secrets.extend(parsed.access_token.as_deref());
            let description = scrub(
                parsed
                    .error_description
                    .as_deref()
                    .unwrap_or("no description"),
                &secrets,
            );
            return Err(match error.as_str() {
                "bad_verification_code" => OAuthError::BadCode { description },
                "incorrect_client_credentials" => OAuthError::ClientCredentials { description },
                "redirect_uri_mismatch" => OAuthError::RedirectMismatch { description },
                _ => OAuthError::Refused {
                    error: scrub(&error, &secrets),
                    description,
                },
            });
        }
        match parsed.access_token {
            Some(token) if !token.is_empty() => Ok(Secret::new(token)),
            _ => Err(OAuthError::Malformed {
                request: REQUEST.to_owned(),
                reason: "it has neither `access_token` nor `error`".to_owned(),
            }),
        }
    }

    /// Who `token`'s user is: `GET /user` (login, id, name), `GET /user/teams` and
    /// `GET /user/orgs` (every page), with teams as `org/team-slug` and organizations by login,
    /// lowercase. A 401 is [`OAuthError::TokenRefused`].
    pub async fn identity(&self, token: &Secret<String>) -> Result<GithubIdentity, OAuthError> {
        let user: User = self.api_get(token, "/user").await?;
        let teams: Vec<Team> = self.api_list(token, "/user/teams").await?;
        let orgs: Vec<Org> = self.api_list(token, "/user/orgs").await?;
        let mut teams: Vec<String> = teams
            .into_iter()
            .map(|t| format!("{}/{}", t.organization.login, t.slug).to_ascii_lowercase())
            .collect();
        teams.sort();
        teams.dedup();
        let mut orgs: Vec<String> = orgs
            .into_iter()
            .map(|o| o.login.to_ascii_lowercase())
            .collect();
        orgs.sort();
        orgs.dedup();
        Ok(GithubIdentity {
            login: user.login,
            id: user.id,
            name: user.name.filter(|n| !n.is_empty()),
            teams,
            orgs,
        })
    }

    /// One authenticated `GET` of the API, its 2xx body parsed as `T`.
    async fn api_get<T: DeserializeOwned>(
        &self,
        token: &Secret<String>,
        path: &str,
    ) -> Result<T, OAuthError> {
        let request = format!("GET {path}");
        let url = format!("{}{path}", self.api_url);
        let answer = self.api_answer(token, &url, &request).await?;
        parse(&request, &answer.body, &[token.expose()])
    }

    /// Every item of an authenticated listing, page by page along its `Link` headers.
    async fn api_list<T: DeserializeOwned>(
        &self,
        token: &Secret<String>,
        path: &str,
    ) -> Result<Vec<T>, OAuthError> {
        let request = format!("GET {path}");
        let mut url = format!("{}{path}?per_page={PER_PAGE}", self.api_url);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.api_answer(token, &url, &request).await?;
            items.extend(parse::<Vec<T>>(&request, &answer.body, &[token.expose()])?);
            let Some(next) = answer.next else {
                return Ok(items);
            };
            // The token goes to the API host only.
            if !next.starts_with(&format!("{}/", self.api_url)) {
                return Err(OAuthError::Malformed {
                    request,
                    reason: format!(
                        "its next page is not on `{}`",
                        host_of(&self.api_url).escape_debug()
                    ),
                });
            }
            url = next;
        }
        Err(OAuthError::TooManyPages { request })
    }

    /// An authenticated `GET` of `url`; a 401 is [`OAuthError::TokenRefused`], any other
    /// non-2xx an [`OAuthError::Http`].
    async fn api_answer(
        &self,
        token: &Secret<String>,
        url: &str,
        request: &str,
    ) -> Result<Answer, OAuthError> {
        let secrets = [token.expose().as_str()];
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| OAuthError::TokenRefused)?;
        bearer.set_sensitive(true);
        let built = http::Request::get(url)
            .header(AUTHORIZATION, bearer)
            .header(ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", API_VERSION)
            .body(String::new());
        let answer = self.send(built, url, request, &secrets).await?;
        match answer.status {
            200..=299 => Ok(answer),
            401 => Err(OAuthError::TokenRefused),
            _ => Err(http_error(request, &answer, &secrets)),
        }
    }

    /// Sends `request` to `url`; the answer whatever its status, or why there is none.
    async fn send(
        &self,
        request: Result<http::Request<String>, http::Error>,
        url: &str,
        what: &str,
        secrets: &[&str],
    ) -> Result<Answer, OAuthError> {
        let request = request.map_err(|_| OAuthError::Malformed {
            request: what.to_owned(),
            reason: "the request could not be built".to_owned(),
        })?;
        let unreachable = |error: &dyn std::error::Error| {
            let mut reason = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                reason.push_str(": ");
                reason.push_str(&cause.to_string());
                source = cause.source();
            }
            OAuthError::Unreachable {
                host: host_of(url),
                reason: scrub(&reason, secrets),
            }
        };
        let client = self.client().await?;
        let response = client.execute(request).await.map_err(|e| unreachable(&e))?;
        let status = response.status().as_u16();
        let next = response
            .headers()
            .get(http::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let body = client
            .body_to_string(response)
            .await
            .map_err(|e| unreachable(&e))?;
        Ok(Answer { status, next, body })
    }
}

/// The error for a non-2xx `answer`, with GitHub's message.
fn http_error(request: &str, answer: &Answer, secrets: &[&str]) -> OAuthError {
    OAuthError::Http {
        request: request.to_owned(),
        status: answer.status,
        message: scrub(
            message_of(&answer.body).as_deref().unwrap_or("no message"),
            secrets,
        ),
    }
}

/// `body` parsed as `T`, or [`OAuthError::Malformed`] saying why.
fn parse<T: DeserializeOwned>(
    request: &str,
    body: &str,
    secrets: &[&str],
) -> Result<T, OAuthError> {
    serde_json::from_str(body).map_err(|e| OAuthError::Malformed {
        request: request.to_owned(),
        reason: scrub(&e.to_string(), secrets),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_long_messages_cut() {
        assert_eq!(
            scrub("code abcdef is bad, abcdef!", &["abcdef", "", "ab"]),
            "code **** is bad, ****!"
        );
        let long = "x".repeat(MESSAGE_MAX + 10);
        assert_eq!(scrub(&long, &[]).chars().count(), MESSAGE_MAX + 1);
        assert_eq!(scrub("two\nlines", &[]), "two\\nlines");
    }

    #[test]
    fn base_urls_are_http_hosts_without_credentials_query_or_fragment() {
        assert_eq!(
            base_url("https://ghe.example.com/api/v3/", "API URL").as_deref(),
            Ok("https://ghe.example.com/api/v3")
        );
        assert_eq!(
            base_url("http://127.0.0.1:8080", "web URL").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        for bad in [
            "",
            "github.com",
            "ftp://github.com",
            "https://",
            "https://github.com?x=1",
            "https://github.com/#top",
            "https://user:hunter2@github.com",
            "https://git hub.com",
        ] {
            let error = base_url(bad, "web URL").expect_err(bad).to_string();
            assert!(
                error.starts_with("the GitHub web URL is not valid: "),
                "{error}"
            );
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
