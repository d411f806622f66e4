//! The portal's pages and forms, in process: sign-in with a token, the session cookie's flags,
//! CSRF on every form, roles (a viewer sees no action and a forged one is refused), create with
//! a validation error first, extend, destroy with the typed confirmation, sign-out, and the 404
//! page. The same flows in a real browser are `tests/browser/`.
//!
//! Long because the scenarios share one in-process browser (a cookie jar over the router) and
//! each follows a whole journey through the forms.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

use crate::support::{Answer, Server};

/// A browser's cookie jar over the in-process server.
pub(crate) struct Browser<'a> {
    server: &'a Server,
    pub(crate) cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` header seen, as sent.
    pub(crate) set_cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(server: &'a Server) -> Self {
        Self {
            server,
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    async fn request(
        &mut self,
        method: Method,
        uri: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("accept", "text/html");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        let body = match form {
            Some(fields) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(fields).unwrap())
            }
            None => Body::empty(),
        };
        let a = self.server.send(req.body(body).unwrap()).await;
        for v in a.headers.get_all("set-cookie") {
            let text = v.to_str().unwrap().to_owned();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
            self.set_cookies.push(text);
        }
        a
    }

    pub(crate) async fn get(&mut self, uri: &str) -> Answer {
        self.request(Method::GET, uri, None).await
    }

    pub(crate) async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Answer {
        self.request(Method::POST, uri, Some(form)).await
    }

    /// Signs in with `token` through the login form.
    pub(crate) async fn sign_in(&mut self, token: &str) -> Answer {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let csrf = csrf_of(&page.text);
        self.post(
            "/login/token",
            &[("csrf", &csrf), ("token", token), ("next", "/environments")],
        )
        .await
    }
}

/// The first CSRF token of a page's forms.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn location(a: &Answer) -> String {
    a.headers["location"].to_str().unwrap().to_owned()
}

fn is_html(a: &Answer) -> bool {
    a.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html")
}

pub(crate) async fn sign_in_pages_and_not_found(s: &Server) {
    let mut b = Browser::new(s);
    // Not signed in: every page sends to the login page, keeping where it was.
    let a = b.get("/environments?owner=alice").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&a), "/login?next=%2Fenvironments%3Fowner%3Dalice");

    // The login form's CSRF token is checked.
    let page = b.get("/login").await;
    assert!(
        page.text.contains("<label for=\"token\">API token</label>"),
        "{}",
        page.text
    );
    let a = b
        .post(
            "/login/token",
            &[("csrf", "nope"), ("token", &s.tokens.admin)],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text.contains("CSRF"), "{}", a.text);
    assert!(!b.cookies.contains_key("idp_session"));

    // A wrong token: the form again, with why.
    let csrf = csrf_of(&b.get("/login").await.text);
    let a = b
        .post(
            "/login/token",
            &[("csrf", &csrf), ("token", "idp_000000000000_0000")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.text.contains("role=\"alert\""), "{}", a.text);
    assert!(
        !a.text.contains("idp_000000000000_0000"),
        "the token is echoed: {}",
        a.text
    );

    // The right one: a session cookie, HttpOnly and SameSite=Lax, not Secure over plain HTTP.
    let a = b.sign_in(&s.tokens.admin).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(location(&a), "/environments");
    let cookie = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("idp_session=") && !c.contains("Max-Age=0"))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains(&s.tokens.admin), "{cookie}");

    for path in [
        "/environments",
        "/catalog",
        "/runs",
        "/catalog/api-service/new",
    ] {
        let a = b.get(path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
        assert!(is_html(&a), "{path}");
        assert!(a.text.contains("action=\"/logout\""), "{path}");
        let csp = a.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(a.headers["cache-control"], "no-store");
    }
    let catalog = b.get("/catalog").await;
    assert!(
        catalog.text.contains("data-template=\"api-service\""),
        "{}",
        catalog.text
    );
    assert!(catalog.text.contains("href=\"/catalog/api-service/new\""));

    // A page that does not exist: a 404 page that helps, for a browser; a problem for the API.
    let a = b.get("/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(is_html(&a));
    assert!(a.text.contains("<h1>Not found</h1>"), "{}", a.text);
    assert!(a.text.contains("href=\"/catalog\""));
    let a = b.get("/v1/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.body["kind"], "not_found", "{}", a.text);
    let a = b.get("/environments/Not_A_Name").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(is_html(&a));

    // The assets are served, without any other host.
    let css = b.get("/static/portal.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.text.contains("prefers-color-scheme"));
    let js = b.get("/static/portal.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(!js.text.contains("http://") && !js.text.contains("https://"));

    // Signing out ends the session: its record is gone, the cookie removed.
    let page = b.get("/environments").await;
    let csrf = csrf_of(&page.text);
    let cookie = b.cookies["idp_session"].clone();
    let a = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&a), "/login");
    assert!(!b.cookies.contains_key("idp_session"));
    b.cookies.insert("idp_session".into(), cookie);
    let a = b.get("/environments").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "an old cookie still works");
}

fn form_of(html: &str) -> Vec<(String, String)> {
    // The create form's prefilled text inputs, as a browser would send them.
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<input type=\"text\"") {
        let tag_end = rest[at..].find('>').unwrap() + at;
        let tag = &rest[at..tag_end];
        rest = &rest[tag_end..];
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            tag.find(&key).map(|i| {
                let v = &tag[i + key.len()..];
                v[..v.find('"').unwrap()].to_owned()
            })
        };
        if let Some(name) = attr("name") {
            fields.push((
                name,
                attr("value").unwrap_or_default().replace("&quot;", "\""),
            ));
        }
    }
    fields
}

pub(crate) async fn create_extend_destroy_through_forms(s: &Server) {
    let mut b = Browser::new(s);
    b.sign_in(&s.tokens.alice).await;
    let page = b.get("/catalog/api-service/new").await;
    let csrf = csrf_of(&page.text);
    let mut fields = form_of(&page.text);
    assert!(
        fields.iter().any(|(k, _)| k == "container_port"),
        "{fields:?}"
    );
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
        fields.retain(|(key, _)| key != k);
        fields.push((k.to_owned(), v.to_owned()));
    };

    // A deliberate mistake first: nothing is created, each message is next to its field.
    set(&mut fields, "name", "Bad Name!");
    set(&mut fields, "container_port", "99999");
    set(&mut fields, "csrf", &csrf);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let a = b.post("/catalog/api-service", &pairs).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.text.contains("id=\"error-container_port\""), "{}", a.text);
    assert!(a.text.contains("id=\"error-name\""), "{}", a.text);
    assert!(a.text.contains("aria-invalid=\"true\""));
    assert!(
        a.text.contains("value=\"99999\""),
        "the entered value is kept"
    );
    let listed = s.get("/v1/environments", &s.tokens.admin).await;
    assert_eq!(
        listed.body["environments"],
        Value::Array(vec![]),
        "{}",
        listed.text
    );

    // Fixed: created in the background, followed on the environment's page.
    set(&mut fields, "name", "portal-made");
    set(&mut fields, "container_port", "8080");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let a = b.post("/catalog/api-service", &pairs).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let to = location(&a);
    assert!(
        to.starts_with("/environments/portal-made?done=created&operation="),
        "{to}"
    );
    let op = to.rsplit('=').next().unwrap();
    let finished = s.wait(op).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    let page = b.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("status-active"), "{}", page.text);
    assert!(page.text.contains("<label for=\"ttl\">Extend by</label>"));
    let record = s.get("/v1/environments/portal-made", &s.tokens.admin).await;
    assert_eq!(record.body["owner"], "alice", "{}", record.text);
    let before = record.body["expires_at"].clone();

    // Extend.
    let csrf = csrf_of(&page.text);
    let a = b
        .post(
            "/environments/portal-made/extend",
            &[("csrf", &csrf), ("ttl", "3d")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(location(&a), "/environments/portal-made?done=extended");
    let after = s.get("/v1/environments/portal-made", &s.tokens.admin).await;
    assert_ne!(after.body["expires_at"], before);
    let page = b.get("/environments/portal-made?done=extended").await;
    assert!(page.text.contains("Extended."), "{}", page.text);
    assert!(
        page.text.contains("<strong>extended</strong>"),
        "the history shows it: {}",
        page.text
    );
    // Beyond the TTL policy: the message next to the picker.
    let a = b
        .post(
            "/environments/portal-made/extend",
            &[("csrf", &csrf), ("ttl", "999d")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.text.contains("id=\"error-ttl\""), "{}", a.text);

    // Destroy: the typed name must match.
    let a = b
        .post(
            "/environments/portal-made/destroy",
            &[("csrf", &csrf), ("confirm", "portal")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.text.contains("id=\"error-confirm\""), "{}", a.text);
    assert_eq!(
        s.get("/v1/environments/portal-made", &s.tokens.admin)
            .await
            .body["status"],
        "active"
    );
    let a = b
        .post(
            "/environments/portal-made/destroy",
            &[("csrf", &csrf), ("confirm", "portal-made")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let to = location(&a);
    let op = to.rsplit('=').next().unwrap();
    assert_eq!(s.wait(op).await["status"], "succeeded");
    let page = b.get("/environments/portal-made").await;
    assert!(page.text.contains("status-destroyed"), "{}", page.text);
    assert!(
        !page.text.contains(">Destroy</button>"),
        "a destroyed environment offers no destroy"
    );

    // The environments page lists what exists, with the shared table.
    s.create("listed-one", &s.tokens.bob).await;
    let page = b.get("/environments").await;
    assert!(
        page.text.contains("data-name=\"listed-one\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("data-col=\"cost\""));
    let page = b.get("/environments?q=nothing-like-it").await;
    assert!(!page.text.contains("data-name=\"listed-one\""));
    assert!(page.text.contains("No environment matches these filters"));
    let page = b.get("/environments?owner=bob&sort=expires&dir=desc").await;
    assert!(page.text.contains("data-name=\"listed-one\""));
    assert!(
        page.text.contains("aria-sort=\"descending\""),
        "{}",
        page.text
    );
}

pub(crate) async fn roles_and_csrf_guard_every_change(s: &Server) {
    s.create("guarded", &s.tokens.alice).await;

    // A viewer sees no action, and a forged request with a valid CSRF token is refused.
    let mut viewer = Browser::new(s);
    viewer.sign_in(&s.tokens.viewer).await;
    let page = viewer.get("/environments/guarded").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(">Extend</button>"), "{}", page.text);
    assert!(!page.text.contains(">Destroy</button>"));
    let catalog = viewer.get("/catalog").await;
    assert!(!catalog.text.contains("/catalog/api-service/new"));
    let csrf = csrf_of(&page.text);
    let a = viewer
        .post(
            "/environments/guarded/extend",
            &[("csrf", &csrf), ("ttl", "1d")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert!(a.text.contains("<h1>Forbidden</h1>"), "{}", a.text);
    let a = viewer
        .post(
            "/environments/guarded/destroy",
            &[("csrf", &csrf), ("confirm", "guarded")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = viewer
        .post(
            "/catalog/api-service",
            &[("csrf", &csrf), ("name", "viewer-made")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Another developer may not change alice's environment either.
    let mut bob = Browser::new(s);
    bob.sign_in(&s.tokens.bob).await;
    let page = bob.get("/environments/guarded").await;
    assert!(!page.text.contains(">Destroy</button>"));

    // The owner: without the CSRF token (or with another session's) nothing changes.
    let mut alice = Browser::new(s);
    alice.sign_in(&s.tokens.alice).await;
    let page = alice.get("/environments/guarded").await;
    assert!(page.text.contains(">Destroy</button>"), "{}", page.text);
    let a = alice
        .post("/environments/guarded/extend", &[("ttl", "1d")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text.contains("CSRF"), "{}", a.text);
    let a = alice
        .post(
            "/environments/guarded/destroy",
            &[("csrf", &csrf), ("confirm", "guarded")],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "another session's CSRF token is refused"
    );
    assert_eq!(
        s.get("/v1/environments/guarded", &s.tokens.admin)
            .await
            .body["status"],
        "active"
    );

    // The API with the session cookie: reads work; a change needs X-CSRF-Token.
    let jar = format!("idp_session={}", alice.cookies["idp_session"]);
    let read = s
        .send(
            Request::get("/v1/environments/guarded")
                .header("cookie", &jar)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let change = |csrf: Option<&str>| {
        let mut req = Request::post("/v1/environments/guarded/extend")
            .header("cookie", &jar)
            .header("content-type", "application/json");
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.body(Body::from(r#"{"ttl":"1d"}"#)).unwrap()
    };
    let a = s.send(change(None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.body["kind"], "csrf");
    let own = csrf_of(&alice.get("/environments/guarded").await.text);
    let a = s.send(change(Some(&own))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // A session opened with a token ends when the token is revoked (a session not yet in the
    // server's cache, which trusts a checked cookie for 10 s like a token).
    let mut later = Browser::new(s);
    later.sign_in(&s.tokens.viewer).await;
    let id = s.tokens.viewer.split('_').nth(1).unwrap();
    idp_core::access::revoke(s.platform(), id).await.unwrap();
    let a = later.get("/environments").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert!(location(&a).starts_with("/login?next="));
    assert!(
        !later.cookies.contains_key("idp_session"),
        "the ended session's cookie is removed"
    );
}

/// Signing in with GitHub against the GitHub fake (GitHub's OAuth web flow and its REST API,
/// with GitHub's response shapes): the `state` round trip, the code exchange, the role from the
/// rules, `Secure` cookies behind an HTTPS public URL, and every refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_in_with_github_maps_teams_to_roles_and_checks_the_state() {
    use idp_core::adapters::github::oauth::GithubOAuth;
    use idp_core::domain::access::RoleRules;
    use idp_core::secret::Secret;
    use idp_test_support::github_fake::GitHubFake;

    let fake = GitHubFake::start().await;
    fake.add_oauth_app("Iv1.portal", "portal-secret");
    let oauth = GithubOAuth::new(
        "Iv1.portal".to_owned(),
        Secret::new("portal-secret".to_owned()),
        &fake.uri(),
        &fake.uri(),
    )
    .unwrap();
    let roles = RoleRules::parse(&[
        "admin=octocat".to_owned(),
        "developer=acme/platform".to_owned(),
    ])
    .unwrap();
    let (backend, _) = idp_core::backend::Backend::memory_at(crate::support::t0());
    let s = Server::with_options(
        backend,
        None,
        idp_server::ServeOptions {
            public_url: Some("https://idp.example.com".to_owned()),
            github: Some(idp_server::GithubLogin {
                oauth: std::sync::Arc::new(oauth),
                roles,
            }),
            ..idp_server::ServeOptions::default()
        },
    )
    .await;

    let mut b = Browser::new(&s);
    let page = b.get("/login?next=/catalog").await;
    assert!(page.text.contains("Sign in with GitHub"), "{}", page.text);
    let a = b.get("/login/github?next=/catalog").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let authorize = location(&a);
    assert!(
        authorize.starts_with(&format!("{}/login/oauth/authorize?", fake.uri())),
        "{authorize}"
    );
    assert!(
        authorize
            .contains("redirect_uri=https%3A%2F%2Fidp.example.com%2Flogin%2Fgithub%2Fcallback"),
        "{authorize}"
    );
    let state_cookie = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("idp_oauth_state="))
        .unwrap();
    assert!(
        state_cookie.contains("Secure") && state_cookie.contains("HttpOnly"),
        "{state_cookie}"
    );

    // A member of acme/platform: a developer, sent on to where they were going.
    fake.add_oauth_user("hubot", &[("acme", "platform")], &["acme"]);
    let back = fake.visit(&authorize).await;
    let path = back
        .strip_prefix("https://idp.example.com")
        .expect("sent back to the portal");
    let a = b.get(path).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(location(&a), "/catalog");
    let session = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("idp_session=") && !c.contains("Max-Age=0"))
        .unwrap();
    assert!(session.contains("Secure"), "{session}");
    let page = b.get("/environments").await;
    assert!(page.text.contains("hubot · developer"), "{}", page.text);
    // The code was used: the same callback again is refused.
    let mut again = Browser::new(&s);
    again.get("/login/github").await;
    let a = again.get(path).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert!(!again.cookies.contains_key("idp_session"));

    // A `state` that is not the one this browser was given is refused before any exchange.
    let mut forged = Browser::new(&s);
    let a = forged.get("/login/github").await;
    let authorize = location(&a);
    fake.add_oauth_user("octocat", &[], &[]);
    let back = fake.visit(&authorize).await;
    let path = back.strip_prefix("https://idp.example.com").unwrap();
    let tampered = path.replace("state=", "state=0");
    let a = forged.get(&tampered).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text.contains("state does not match"), "{}", a.text);
    // Without the state cookie (another browser) too.
    let mut other = Browser::new(&s);
    let a = other.get(path).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The right browser with the right state: octocat is an admin.
    let a = forged.get(path).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert!(
        forged
            .get("/environments")
            .await
            .text
            .contains("octocat · admin")
    );

    // Someone no rule names cannot sign in.
    let mut stranger = Browser::new(&s);
    let a = stranger.get("/login/github").await;
    fake.add_oauth_user("stranger", &[("elsewhere", "team")], &["elsewhere"]);
    let back = fake.visit(&location(&a)).await;
    let a = stranger
        .get(back.strip_prefix("https://idp.example.com").unwrap())
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text.contains("has no role"), "{}", a.text);
    assert!(!stranger.cookies.contains_key("idp_session"));

    // GitHub's own refusal (the user pressed Cancel) is said plainly.
    let a = stranger
        .get("/login/github/callback?error=access_denied&error_description=The+user+has+denied+your+application+access.")
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text.contains("denied"), "{}", a.text);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
    // The client secret never reaches a page.
    assert!(!a.text.contains("portal-secret"));
}
