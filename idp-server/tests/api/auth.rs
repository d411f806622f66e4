//! Who may do what: every role on every route, expiry and revocation, JWTs, the rate limit.

use axum::http::{Method, StatusCode};
use chrono::TimeDelta;
use idp_core::access::{self, CreateTokenRequest};
use idp_core::domain::access::Role;
use serde_json::{Value, json};

use crate::support::{JWT_SECRET, Server};

/// A quick job: one order that succeeds.
pub(crate) fn quick_job() -> Value {
    json!({ "timeout": "60s", "orders": [{ "name": "hello", "cmds": ["echo hello"], "timeout": "30s" }] })
}

/// An HS256 JWT with `claims`.
pub(crate) fn jwt(claims: Value, secret: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let head = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = b64(claims.to_string().as_bytes());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", b64(&mac.finalize().into_bytes()))
}

pub(crate) async fn matrix(s: &Server) {
    s.create("matrix-env", &s.tokens.alice).await;
    let run = s
        .post("/v1/runs", &s.tokens.admin, json!({ "job": quick_job() }))
        .await;
    assert_eq!(run.status, StatusCode::ACCEPTED, "{}", run.text);
    let op = s.wait(run.body["id"].as_str().unwrap()).await;
    let run_id = op["result"]["run_id"].as_str().unwrap().to_owned();
    let env = "/v1/environments/matrix-env";
    let r = format!("/v1/runs/{run_id}");
    let op_uri = format!("/v1/operations/{}", op["id"].as_str().unwrap());
    let envelope = json!({ "job_parameters_b64": base64_of(&json!({
        "username": "ci", "orders": [{ "cmds": ["true"], "timeout": 30 }]
    })) });
    // (method, uri, body, least role for alice's environment: "owner" = alice or admin)
    let routes: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::GET, "/v1/templates".into(), None, "viewer"),
        (Method::GET, "/v1/environments".into(), None, "viewer"),
        (Method::GET, env.into(), None, "viewer"),
        (Method::GET, format!("{env}/status"), None, "viewer"),
        (Method::GET, format!("{env}/logs"), None, "viewer"),
        (Method::GET, format!("{env}/cost"), None, "viewer"),
        (Method::GET, "/v1/runs".into(), None, "viewer"),
        (Method::GET, r.clone(), None, "viewer"),
        (Method::GET, format!("{r}/events"), None, "viewer"),
        (
            Method::GET,
            format!("{r}/orders/hello/logs"),
            None,
            "viewer",
        ),
        (Method::GET, "/v1/operations".into(), None, "viewer"),
        (Method::GET, op_uri, None, "viewer"),
        (
            Method::POST,
            "/v1/environments".into(),
            Some(json!({ "name": "matrix-new", "ttl": "1h" })),
            "developer",
        ),
        (
            Method::POST,
            "/v1/runs".into(),
            Some(json!({ "job": quick_job() })),
            "developer",
        ),
        (Method::POST, "/init".into(), Some(envelope), "developer"),
        (Method::POST, format!("{r}/resume"), None, "developer"),
        (Method::POST, format!("{r}/cancel"), None, "developer"),
        (
            Method::POST,
            format!("{env}/extend"),
            Some(json!({ "ttl": "1h" })),
            "owner",
        ),
        (Method::POST, format!("{env}/unlock"), None, "admin"),
        (
            Method::POST,
            format!("{env}/approval"),
            Some(json!({ "reason": "matrix" })),
            "admin",
        ),
        (Method::DELETE, env.into(), None, "owner"),
    ];
    let t = &s.tokens;
    for (method, uri, body, least) in routes {
        let anonymous = s.call(method.clone(), &uri, None, body.clone()).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without a token"
        );
        assert_eq!(anonymous.body["kind"], "unauthorized");
        let bad = s
            .call(
                method.clone(),
                &uri,
                Some("idp_000000000000_0000"),
                body.clone(),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} with a bad token"
        );
        // (who, allowed, the role a 403 names)
        let cases: [(&str, &String, bool, &str); 4] = match least {
            "viewer" => [
                ("viewer", &t.viewer, true, ""),
                ("bob", &t.bob, true, ""),
                ("alice", &t.alice, true, ""),
                ("admin", &t.admin, true, ""),
            ],
            "developer" => [
                ("viewer", &t.viewer, false, "developer"),
                ("bob", &t.bob, true, ""),
                ("alice", &t.alice, true, ""),
                ("admin", &t.admin, true, ""),
            ],
            "owner" => [
                ("viewer", &t.viewer, false, "admin"),
                ("bob", &t.bob, false, "admin"),
                ("alice", &t.alice, true, ""),
                ("admin", &t.admin, true, ""),
            ],
            _ => [
                ("viewer", &t.viewer, false, "admin"),
                ("bob", &t.bob, false, "admin"),
                ("alice", &t.alice, false, "admin"),
                ("admin", &t.admin, true, ""),
            ],
        };
        for (who, token, allowed, needed) in cases {
            let a = s
                .call(method.clone(), &uri, Some(token), body.clone())
                .await;
            if allowed {
                assert!(
                    a.status != StatusCode::UNAUTHORIZED && a.status != StatusCode::FORBIDDEN,
                    "{who} may {method} {uri}, got {}: {}",
                    a.status,
                    a.text
                );
                assert!(
                    !a.status.is_server_error(),
                    "{who} {method} {uri}: {}",
                    a.text
                );
            } else {
                assert_eq!(
                    a.status,
                    StatusCode::FORBIDDEN,
                    "{who} may not {method} {uri}: {}",
                    a.text
                );
                assert_eq!(
                    a.body["needed_role"], needed,
                    "{who} {method} {uri}: {}",
                    a.text
                );
                assert!(a.body["detail"].as_str().unwrap().contains(needed));
            }
            for secret in [&t.admin, &t.alice, &t.bob, &t.viewer] {
                assert!(
                    !a.text.contains(secret.as_str()),
                    "a token appears in {method} {uri}"
                );
            }
        }
    }
}

fn base64_of(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

pub(crate) async fn expiry_and_revocation(s: &Server) {
    let created = access::create(
        s.platform(),
        CreateTokenRequest {
            role: Role::Viewer,
            owner: "temp".into(),
            expires_in: Some(TimeDelta::hours(1)),
            description: None,
        },
    )
    .await
    .unwrap();
    let token = created.token.expose().clone();
    assert_eq!(
        s.get("/v1/environments", &token).await.status,
        StatusCode::OK
    );
    // Past its expiry (and past the cache), it no longer authenticates.
    s.clock.advance(TimeDelta::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let other = access::create(
        s.platform(),
        CreateTokenRequest {
            role: Role::Viewer,
            owner: "temp".into(),
            expires_in: None,
            description: None,
        },
    )
    .await
    .unwrap();
    let other_text = other.token.expose().clone();
    assert_eq!(
        s.get("/v1/environments", &other_text).await.status,
        StatusCode::OK
    );
    access::revoke(s.platform(), &other.info.id).await.unwrap();
    // A revoked token stops at the latest when the cache forgets it; a fresh server (no cache)
    // refuses it at once.
    let fresh = idp_server::router(std::sync::Arc::new(idp_server::AppState::new(
        s.platform().clone(),
        s.state.options.clone(),
    )))
    .unwrap();
    let req = axum::http::Request::builder()
        .uri("/v1/environments")
        .header("authorization", format!("Bearer {other_text}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(fresh.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let req = axum::http::Request::builder()
        .uri("/v1/environments")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(fresh, req).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "an expired token is refused"
    );
}

pub(crate) async fn jwts(s: &Server) {
    let now = s.clock_now().timestamp();
    let good = jwt(json!({ "sub": "ci-bot", "exp": now + 600 }), JWT_SECRET);
    let a = s.get("/v1/environments", &good).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // A JWT is a developer unless it says otherwise: it may not unlock.
    let unlock = s
        .call(
            Method::POST,
            "/v1/environments/some-env/unlock",
            Some(&good),
            None,
        )
        .await;
    assert_eq!(unlock.status, StatusCode::FORBIDDEN);
    for (what, token) in [
        (
            "expired",
            jwt(json!({ "sub": "ci-bot", "exp": now - 10 }), JWT_SECRET),
        ),
        (
            "wrong secret",
            jwt(
                json!({ "sub": "ci-bot", "exp": now + 600 }),
                "another secret",
            ),
        ),
        ("no exp", jwt(json!({ "sub": "ci-bot" }), JWT_SECRET)),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let a = s.get("/v1/environments", &token).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}: {}", a.text);
        assert!(!a.text.contains(JWT_SECRET));
    }
}

pub(crate) async fn rate_limit() {
    let (backend, _) = idp_core::backend::Backend::memory_at(crate::support::t0());
    let s = Server::with_options(
        backend,
        None,
        idp_server::ServeOptions {
            rate_limit_per_minute: 5,
            ..idp_server::ServeOptions::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(s.get("/v1/environments", &s.tokens.viewer).await);
    }
    assert!(statuses[..5].iter().all(|a| a.status == StatusCode::OK));
    let limited = &statuses[6];
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.body["kind"], "rate_limited");
    let after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(after >= 1);
    // Another token has its own budget.
    assert_eq!(
        s.get("/v1/environments", &s.tokens.admin).await.status,
        StatusCode::OK
    );
}
