//! The GitHub web site's half of an OAuth App's web flow, and the users it signs in.
//!
//! - `GET /login/oauth/authorize?client_id&redirect_uri&scope&state`: the real GitHub shows the
//!   user a sign-in and consent page first; the fake approves at once and answers 302 to
//!   `redirect_uri?code=…&state=…` with the next queued sign-in's code. An unknown client id,
//!   or no sign-in queued, is a 404 (GitHub shows an error page).
//! - `POST /login/oauth/access_token` (parameters as a form, JSON or the query, like GitHub):
//!   checks the client id and secret, that the code exists, belongs to the app and was not used
//!   yet, and that `redirect_uri` (when sent) is the one the code was handed out for. GitHub
//!   answers refusals with HTTP 200 and `{"error", "error_description", "error_uri"}`, and so
//!   does the fake. With `Accept: application/json` the answer is JSON, otherwise a form, as
//!   GitHub does.
//! - `GET /user`, `GET /user/teams`, `GET /user/orgs` with an issued token: the user, their
//!   teams (`team-full`) and organizations (`organization-simple`), in pages of the fake's size.
//!   `GitHubFake::revoke` makes a token 401.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::Request;

use super::State;
use super::bodies;
use super::routes::{Answer, listing};

/// One team membership: organization login and team slug.
pub(super) type TeamRef = (String, String);

/// What a user is a member of.
#[derive(Debug, Default, Clone)]
pub(super) struct Member {
    pub(super) teams: Vec<TeamRef>,
    pub(super) orgs: Vec<String>,
}

/// A code: whose it is and, once `/login/oauth/authorize` handed it out, for which app and
/// redirect URI.
#[derive(Debug)]
struct Grant {
    code: String,
    login: String,
    handed_out: Option<(String, String, String)>,
    used: bool,
}

/// The fake's OAuth state.
#[derive(Debug, Default)]
pub(super) struct OAuth {
    /// Client id → client secret.
    pub(super) apps: BTreeMap<String, String>,
    pub(super) users: BTreeMap<String, Member>,
    grants: Vec<Grant>,
    /// Access token → login.
    tokens: BTreeMap<String, String>,
    issued: u64,
}

impl OAuth {
    pub(super) fn add_user(
        &mut self,
        login: &str,
        teams: &[(&str, &str)],
        orgs: &[&str],
    ) -> String {
        self.users.insert(
            login.to_owned(),
            Member {
                teams: teams
                    .iter()
                    .map(|(o, t)| ((*o).to_owned(), (*t).to_owned()))
                    .collect(),
                orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
            },
        );
        self.issued += 1;
        // GitHub's codes are 20 hex digits.
        let code = format!("{:020x}", 0x5eed_c0de_0000_u64 + self.issued);
        self.grants.push(Grant {
            code: code.clone(),
            login: login.to_owned(),
            handed_out: None,
            used: false,
        });
        code
    }

    /// The login of an access token this fake issued.
    pub(super) fn login_of(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }

    /// `GET /login/oauth/authorize`.
    pub(super) fn authorize(&mut self, req: &Request) -> Answer {
        let params = params(req);
        let get = |key: &str| params.get(key).cloned().unwrap_or_default();
        let client_id = get("client_id");
        if !self.apps.contains_key(&client_id) {
            return Answer::web(404, Some(json!({"message": "Not Found"})));
        }
        let Ok(mut back) = req.url.join(&get("redirect_uri")) else {
            return Answer::web(404, Some(json!({"message": "Not Found"})));
        };
        if !matches!(back.scheme(), "http" | "https") || get("redirect_uri").is_empty() {
            return Answer::web(404, Some(json!({"message": "Not Found"})));
        }
        let Some(grant) = self
            .grants
            .iter_mut()
            .find(|g| g.handed_out.is_none() && !g.used)
        else {
            return Answer::web(404, Some(json!({"message": "no sign-in is queued"})));
        };
        grant.handed_out = Some((client_id, get("redirect_uri"), get("scope")));
        back.query_pairs_mut()
            .append_pair("code", &grant.code)
            .append_pair("state", &get("state"));
        Answer::redirect(back.to_string())
    }

    /// `POST /login/oauth/access_token`.
    pub(super) fn access_token(&mut self, req: &Request) -> Answer {
        let params = params(req);
        let get = |key: &str| params.get(key).cloned().unwrap_or_default();
        let json_wanted = req
            .headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        let client_id = get("client_id");
        let app_ok = self
            .apps
            .get(&client_id)
            .is_some_and(|secret| *secret == get("client_secret"));
        if !app_ok {
            return refusal(
                json_wanted,
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
                "#incorrect-client-credentials",
            );
        }
        let code = get("code");
        let redirect_uri = params.get("redirect_uri");
        let Some(grant) = self.grants.iter_mut().find(|g| {
            g.code == code
                && !g.used
                && g.handed_out
                    .as_ref()
                    .is_none_or(|(app, _, _)| *app == client_id)
        }) else {
            return refusal(
                json_wanted,
                "bad_verification_code",
                "The code passed is incorrect or expired.",
                "#bad-verification-code",
            );
        };
        if let (Some((_, bound, _)), Some(sent)) = (&grant.handed_out, redirect_uri)
            && bound != sent
        {
            return refusal(
                json_wanted,
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
                "#redirect-uri-mismatch2",
            );
        }
        grant.used = true;
        let scope = grant
            .handed_out
            .as_ref()
            .map_or_else(|| "read:org".to_owned(), |(_, _, scope)| scope.clone());
        let login = grant.login.clone();
        self.issued += 1;
        let token = format!(
            "gho_{}{:04}",
            uuid::Uuid::new_v4().simple(),
            self.issued % 10_000
        );
        self.tokens.insert(token.clone(), login);
        let body = json!({"access_token": token, "token_type": "bearer", "scope": scope});
        if json_wanted {
            Answer::web(200, Some(body))
        } else {
            Answer::form(200, &body)
        }
    }
}

/// The login of a request's OAuth token, unless it was revoked.
pub(super) fn caller(state: &State, req: &Request) -> Option<String> {
    let token = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    let revoked = state.tokens.get(token).is_some_and(|t| t.revoked);
    let login = state.oauth.login_of(token)?;
    (!revoked).then(|| login.to_owned())
}

/// `GET /user`, `GET /user/teams`, `GET /user/orgs` for `login` (teams and organizations as
/// added with `add_oauth_user`; none for anyone else).
pub(super) fn user(state: &State, req: &Request, login: &str, segs: &[&str]) -> Answer {
    let member = state.oauth.users.get(login).cloned().unwrap_or_default();
    match segs {
        ["user"] => Answer::new(200, bodies::authenticated_user(login)),
        ["user", "teams"] => {
            let all: Vec<Value> = member
                .teams
                .iter()
                .map(|(org, slug)| bodies::team(org, slug))
                .collect();
            listing(state, req, &all, |items| json!(items))
        }
        ["user", "orgs"] => {
            let all: Vec<Value> = member
                .orgs
                .iter()
                .map(|o| bodies::organization(o))
                .collect();
            listing(state, req, &all, |items| json!(items))
        }
        _ => Answer::not_found(),
    }
}

/// GitHub's refusal of a token exchange: HTTP 200 with an `error`.
fn refusal(json_wanted: bool, error: &str, description: &str, anchor: &str) -> Answer {
    let body = json!({
        "error": error,
        "error_description": description,
        "error_uri": format!("https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/{anchor}"),
    });
    if json_wanted {
        Answer::web(200, Some(body))
    } else {
        Answer::form(200, &body)
    }
}

/// The request's parameters: the query, then a form or JSON body.
fn params(req: &Request) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) {
        for (key, value) in body {
            if let Some(value) = value.as_str() {
                params.insert(key, value.to_owned());
            }
        }
    } else {
        let body = String::from_utf8_lossy(&req.body);
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            params.insert(decode(key), decode(value));
        }
    }
    params
}

/// `body`'s string fields as a form (`application/x-www-form-urlencoded`).
pub(super) fn form_of(body: &Value) -> String {
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    body.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some(format!("{}={}", encode(k), encode(v.as_str()?))))
                .collect::<Vec<_>>()
                .join("&")
        })
        .unwrap_or_default()
}

/// A browser's `GET` of `url` (an `http://host:port/…` URL), without following redirects: the
/// status and the `Location` header.
pub(super) async fn visit(url: &str) -> (u16, Option<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// URL: {url}"));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .unwrap_or_else(|e| panic!("connecting to {host}: {e}"));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: browser\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("sending to {host}: {e}"));
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .unwrap_or_else(|e| panic!("reading from {host}: {e}"));
    let answer = String::from_utf8_lossy(&answer);
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    (status, location)
}
