//! Signing in with GitHub: the OAuth client against the stateful fake (the web flow, who the
//! user is, their role), and against wiremock stand-ins for hostile answers (pages without end,
//! secrets echoed back). No error ever shows the client secret, the code or the token.

use std::collections::BTreeMap;

use idp_core::adapters::github::oauth::{
    DEFAULT_API_URL, DEFAULT_WEB_URL, GithubOAuth, OAuthError,
};
use idp_core::domain::access::{Role, RoleRules};
use idp_core::error::ErrorKind;
use idp_core::secret::Secret;
use idp_test_support::github_fake::{GitHubFake, bodies};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
const CLIENT_SECRET: &str = "1e6f8c2d9b0a4f7e3c5d8a1b2c3d4e5f6a7b8c9d";
const CALLBACK: &str = "http://127.0.0.1:8080/auth/github/callback?next=/environments";

fn client(fake: &GitHubFake, secret: &str) -> GithubOAuth {
    GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(secret.to_owned()),
        &fake.uri(),
        &fake.uri(),
    )
    .expect("a client")
}

async fn fake() -> GitHubFake {
    let fake = GitHubFake::start().await;
    fake.add_oauth_app(CLIENT_ID, CLIENT_SECRET);
    fake
}

/// The query parameters of `url`.
fn query(url: &str) -> BTreeMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decoded = percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            (k.to_owned(), decoded)
        })
        .collect()
}

/// Signs in through the fake's authorization page: the code and state it redirects back with.
async fn sign_in(fake: &GitHubFake, oauth: &GithubOAuth, state: &str) -> (String, String) {
    let back = fake.visit(&oauth.authorize_url(CALLBACK, state)).await;
    assert!(
        back.starts_with("http://127.0.0.1:8080/auth/github/callback?"),
        "{back}"
    );
    let params = query(&back);
    assert_eq!(
        params["next"], "/environments",
        "the callback's own query stays"
    );
    (params["code"].clone(), params["state"].clone())
}

/// Every way `error` is shown.
fn shown(error: &OAuthError) -> String {
    format!("{error} | {error:?}")
}

fn assert_hides(error: &OAuthError, secrets: &[&str]) {
    let text = shown(error);
    for secret in secrets {
        assert!(!text.contains(secret), "`{secret}` shown in: {text}");
    }
}

#[test]
fn the_authorize_url_asks_for_read_org_and_encodes_every_parameter() {
    let oauth = GithubOAuth::new(
        "Iv1.a b&c".to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        DEFAULT_WEB_URL,
        DEFAULT_API_URL,
    )
    .expect("a client");
    assert_eq!(
        oauth.authorize_url("https://idp.example.com/auth/callback?x=1&y=2", "s/t=a+te"),
        "https://github.com/login/oauth/authorize?client_id=Iv1.a%20b%26c\
         &redirect_uri=https%3A%2F%2Fidp.example.com%2Fauth%2Fcallback%3Fx%3D1%26y%3D2\
         &scope=read%3Aorg&state=s%2Ft%3Da%2Bte&allow_signup=false"
    );
    let debug = format!("{oauth:?}");
    assert!(!debug.contains(CLIENT_SECRET), "{debug}");
    assert!(debug.contains("Iv1.a b&c"), "{debug}");
}

#[test]
fn urls_that_are_not_http_base_addresses_are_refused() {
    for (web, api) in [
        ("github.com", DEFAULT_API_URL),
        (DEFAULT_WEB_URL, "ftp://api.github.com"),
        (DEFAULT_WEB_URL, "https://api.github.com?x=1"),
        ("https://user:hunter2@github.com", DEFAULT_API_URL),
    ] {
        let error = GithubOAuth::new(
            CLIENT_ID.to_owned(),
            Secret::new(CLIENT_SECRET.to_owned()),
            web,
            api,
        )
        .expect_err("an invalid URL");
        assert!(matches!(error, OAuthError::InvalidUrl { .. }), "{error:?}");
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_hides(&error, &["hunter2"]);
    }
    let ghe = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        "https://ghe.example.com/",
        "https://ghe.example.com/api/v3/",
    )
    .expect("GitHub Enterprise Server");
    assert!(
        ghe.authorize_url(CALLBACK, "s")
            .starts_with("https://ghe.example.com/login/oauth/authorize?")
    );
}

#[tokio::test]
async fn a_user_signs_in_and_gets_the_highest_role_of_their_teams_and_organizations() {
    let fake = fake().await;
    fake.set_page_size(2);
    let code = fake.add_oauth_user(
        "Alice",
        &[("Acme", "Platform"), ("acme", "design"), ("other", "ops")],
        &["Acme", "other", "third"],
    );
    let oauth = client(&fake, CLIENT_SECRET);

    let (returned, state) = sign_in(&fake, &oauth, "st@te/1").await;
    assert_eq!(returned, code, "the queued sign-in's code");
    assert_eq!(state, "st@te/1", "the state comes back as sent");

    let token = oauth.exchange_code(&code, CALLBACK).await.expect("a token");
    assert!(token.expose().starts_with("gho_"));
    let identity = oauth.identity(&token).await.expect("an identity");
    assert_eq!(identity.login, "Alice");
    assert_eq!(identity.id, bodies::user_id("Alice"));
    assert_eq!(identity.name.as_deref(), Some("Alice"));
    assert_eq!(
        identity.teams,
        ["acme/design", "acme/platform", "other/ops"],
        "every page, lowercase"
    );
    assert_eq!(identity.orgs, ["acme", "other", "third"]);
    assert_eq!(fake.requests("GET", "/user/teams").await, 2, "two pages");
    assert_eq!(fake.requests("GET", "/user/orgs").await, 2, "two pages");

    let items = |items: &[&str]| -> Vec<String> { items.iter().map(|s| (*s).to_owned()).collect() };
    let rules = RoleRules::parse(&items(&[
        "viewer=acme/*",
        "developer=ACME/platform",
        "admin=bob",
    ]))
    .expect("rules");
    assert_eq!(rules.role_for(&identity), Some(Role::Developer));
    let admin = RoleRules::parse(&items(&["viewer=other/*", "admin=alice"])).expect("rules");
    assert_eq!(admin.role_for(&identity), Some(Role::Admin));
    let strangers = RoleRules::parse(&items(&["admin=bob", "viewer=evil/*"])).expect("rules");
    assert_eq!(strangers.role_for(&identity), None);

    // What GitHub requires of API requests, on every one of them.
    let received = fake.server.received_requests().await.expect("recorded");
    let api: Vec<_> = received
        .iter()
        .filter(|r| r.url.path().starts_with("/user"))
        .collect();
    assert_eq!(api.len(), 5);
    for request in api {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            header("authorization"),
            format!("Bearer {}", token.expose())
        );
        assert_eq!(header("accept"), "application/vnd.github+json");
        assert_eq!(header("x-github-api-version"), "2022-11-28");
        assert!(!header("user-agent").is_empty());
    }
    let exchange = received
        .iter()
        .find(|r| r.url.path() == "/login/oauth/access_token")
        .expect("the exchange");
    assert_eq!(exchange.method.as_str(), "POST");
    assert!(
        exchange.url.query().is_none(),
        "the secret and the code travel in the body, not the URL"
    );
}

#[tokio::test]
async fn a_user_in_no_team_or_organization_has_empty_lists() {
    let fake = fake().await;
    let code = fake.add_oauth_user("loner", &[], &[]);
    let oauth = client(&fake, CLIENT_SECRET);
    let token = oauth.exchange_code(&code, CALLBACK).await.expect("a token");
    let identity = oauth.identity(&token).await.expect("an identity");
    assert_eq!((identity.teams.len(), identity.orgs.len()), (0, 0));
}

#[tokio::test]
async fn a_wrong_code_is_refused_with_githubs_description() {
    let fake = fake().await;
    fake.add_oauth_user("alice", &[], &[]);
    let oauth = client(&fake, CLIENT_SECRET);
    let wrong = "0123456789abcdef0123";
    let error = oauth
        .exchange_code(wrong, CALLBACK)
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        OAuthError::BadCode {
            description: "The code passed is incorrect or expired.".to_owned()
        }
    );
    assert_eq!(
        error.to_string(),
        "GitHub refused the sign-in code (sign in again): The code passed is incorrect or expired."
    );
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_hides(&error, &[wrong, CLIENT_SECRET]);
}

#[tokio::test]
async fn a_code_is_used_once() {
    let fake = fake().await;
    let code = fake.add_oauth_user("alice", &[], &[]);
    let oauth = client(&fake, CLIENT_SECRET);
    let (code_back, _) = sign_in(&fake, &oauth, "s").await;
    assert_eq!(code_back, code);
    let first = oauth.exchange_code(&code, CALLBACK).await.expect("a token");
    let again = oauth
        .exchange_code(&code, CALLBACK)
        .await
        .expect_err("used");
    assert!(matches!(again, OAuthError::BadCode { .. }), "{again:?}");
    assert_hides(&again, &[&code, CLIENT_SECRET, first.expose()]);
    // The first token still works.
    assert_eq!(oauth.identity(&first).await.expect("who").login, "alice");
}

#[tokio::test]
async fn a_wrong_client_secret_or_id_is_refused() {
    let fake = fake().await;
    let code = fake.add_oauth_user("alice", &[], &[]);
    let wrong_secret = "ffffffffffffffffffffffffffffffffffffffff";
    let error = client(&fake, wrong_secret)
        .exchange_code(&code, CALLBACK)
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        OAuthError::ClientCredentials {
            description: "The client_id and/or client_secret passed are incorrect.".to_owned()
        }
    );
    assert_eq!(error.kind(), ErrorKind::Backend);
    assert_hides(&error, &[wrong_secret, CLIENT_SECRET, &code]);

    let other_app = GithubOAuth::new(
        "Iv1.0000000000000000".to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &fake.uri(),
        &fake.uri(),
    )
    .expect("a client");
    let error = other_app
        .exchange_code(&code, CALLBACK)
        .await
        .expect_err("refused");
    assert!(
        matches!(error, OAuthError::ClientCredentials { .. }),
        "{error:?}"
    );
    // The code was not spent by the refused attempts.
    client(&fake, CLIENT_SECRET)
        .exchange_code(&code, CALLBACK)
        .await
        .expect("a token");
}

#[tokio::test]
async fn a_code_exchanged_for_another_redirect_uri_is_refused() {
    let fake = fake().await;
    let code = fake.add_oauth_user("alice", &[], &[]);
    let oauth = client(&fake, CLIENT_SECRET);
    sign_in(&fake, &oauth, "s").await;
    let error = oauth
        .exchange_code(&code, "http://127.0.0.1:8080/elsewhere")
        .await
        .expect_err("refused");
    assert!(
        matches!(error, OAuthError::RedirectMismatch { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("redirect_uri MUST match"),
        "{error}"
    );
    assert_hides(&error, &[&code, CLIENT_SECRET]);
}

#[tokio::test]
async fn a_revoked_or_unknown_token_is_refused_by_the_api() {
    let fake = fake().await;
    let code = fake.add_oauth_user("alice", &[("acme", "platform")], &["acme"]);
    let oauth = client(&fake, CLIENT_SECRET);
    let token = oauth.exchange_code(&code, CALLBACK).await.expect("a token");
    fake.revoke(token.expose());
    let error = oauth.identity(&token).await.expect_err("revoked");
    assert_eq!(error, OAuthError::TokenRefused);
    assert_eq!(error.to_string(), "GitHub refused the access token");
    assert_hides(&error, &[token.expose()]);
    let made_up = Secret::new("gho_madeUpToken000000000000000000000000".to_owned());
    let error = oauth.identity(&made_up).await.expect_err("unknown");
    assert_eq!(error, OAuthError::TokenRefused);
}

#[tokio::test]
async fn an_unreachable_github_is_named_by_its_host() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let oauth = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &url,
        &url,
    )
    .expect("a client");
    let code = "abcdef0123456789abcd";
    let error = oauth.exchange_code(code, CALLBACK).await.expect_err("down");
    assert!(
        matches!(&error, OAuthError::Unreachable { host, .. } if *host == format!("127.0.0.1:{port}")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("could not reach GitHub at `127.0.0.1:{port}`"))
    );
    assert_eq!(error.kind(), ErrorKind::BackendUnavailable);
    assert_hides(&error, &[code, CLIENT_SECRET]);
    let token = Secret::new("gho_unreachable0000000000000000000000000".to_owned());
    let error = oauth.identity(&token).await.expect_err("down");
    assert!(matches!(error, OAuthError::Unreachable { .. }), "{error:?}");
    assert_hides(&error, &[token.expose()]);
}

/// A GitHub stand-in that echoes every secret it was sent back in its answers.
#[tokio::test]
async fn secrets_echoed_back_by_github_are_masked() {
    let server = MockServer::start().await;
    let code = "c0dec0dec0dec0dec0de";
    let token = "gho_echoedT0ken000000000000000000000000";
    let echo = format!("code {code} secret {CLIENT_SECRET} token {token}");
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": format!("weird_{code}"),
            "error_description": echo,
            "access_token": token,
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": echo})))
        .mount(&server)
        .await;
    let oauth = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &server.uri(),
        &server.uri(),
    )
    .expect("a client");
    let error = oauth
        .exchange_code(code, CALLBACK)
        .await
        .expect_err("refused");
    assert!(matches!(error, OAuthError::Refused { .. }), "{error:?}");
    assert!(
        shown(&error).contains("code **** secret **** token ****"),
        "{error}"
    );
    assert_hides(&error, &[code, CLIENT_SECRET, token]);

    let error = oauth
        .identity(&Secret::new(token.to_owned()))
        .await
        .expect_err("forbidden");
    assert!(
        matches!(error, OAuthError::Http { status: 403, .. }),
        "{error:?}"
    );
    assert_hides(&error, &[token]);
}

#[tokio::test]
async fn a_token_answer_that_is_not_json_is_refused_without_quoting_it() {
    let server = MockServer::start().await;
    let token = "gho_inTheBody000000000000000000000000000";
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "access_token={token}&scope=read%3Aorg&token_type=bearer"
        )))
        .mount(&server)
        .await;
    let oauth = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &server.uri(),
        &server.uri(),
    )
    .expect("a client");
    let error = oauth
        .exchange_code("c0de", CALLBACK)
        .await
        .expect_err("not JSON");
    assert!(matches!(error, OAuthError::Malformed { .. }), "{error:?}");
    assert_hides(&error, &[token, CLIENT_SECRET]);
}

#[tokio::test]
async fn a_listing_without_end_stops_after_ten_pages() {
    let server = MockServer::start().await;
    let user = bodies::authenticated_user("alice");
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user))
        .mount(&server)
        .await;
    let next = format!(
        "<{}/user/teams?per_page=100&page=2>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/user/teams"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .set_body_json(json!([bodies::team("acme", "platform")])),
        )
        .expect(10)
        .mount(&server)
        .await;
    let oauth = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &server.uri(),
        &server.uri(),
    )
    .expect("a client");
    let error = oauth
        .identity(&Secret::new(
            "gho_x000000000000000000000000000000000000".to_owned(),
        ))
        .await
        .expect_err("endless");
    assert_eq!(
        error,
        OAuthError::TooManyPages {
            request: "GET /user/teams".to_owned()
        }
    );
    server.verify().await;
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_sent_the_token() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bodies::authenticated_user("alice")))
        .mount(&server)
        .await;
    let next = format!("<{}/user/teams?page=2>; rel=\"next\"", elsewhere.uri());
    Mock::given(method("GET"))
        .and(path("/user/teams"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .set_body_json(json!([])),
        )
        .mount(&server)
        .await;
    let oauth = GithubOAuth::new(
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        &server.uri(),
        &server.uri(),
    )
    .expect("a client");
    let error = oauth
        .identity(&Secret::new(
            "gho_x000000000000000000000000000000000000".to_owned(),
        ))
        .await
        .expect_err("another host");
    assert!(matches!(error, OAuthError::Malformed { .. }), "{error:?}");
    let sent = elsewhere.received_requests().await.unwrap_or_default();
    assert!(sent.is_empty(), "the other host got {sent:?}");
}
