//! Meta routes, the catalog and environments: create → follow → extend → destroy, listing,
//! logs, concurrent deletes, and what bad requests get.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use futures::StreamExt;
use idp_core::domain::layout;
use idp_core::domain::naming::EnvName;
use idp_core::ports::LogEvent;
use serde_json::{Value, json};

use crate::support::{Server, t0};

pub(crate) async fn meta_routes(s: &Server) {
    let health = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    let ready = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert!(ready.headers.contains_key("x-request-id"));
    let doc = s.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/environments",
        "/v1/runs/{run_id}/cancel",
        "/init",
        "/v1/webhooks/github",
    ] {
        assert!(
            doc.body["paths"][path].is_object(),
            "{path} is not documented"
        );
    }
    // After one authenticated request, the metrics count it by route template.
    s.get("/v1/environments/missing-env", &s.tokens.viewer)
        .await;
    let metrics = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.text.contains("route=\"/v1/environments/{name}\""),
        "{}",
        metrics.text
    );
    assert!(
        !metrics.text.contains("missing-env"),
        "concrete paths are not labels"
    );
    for token in [&s.tokens.admin, &s.tokens.viewer] {
        assert!(!metrics.text.contains(token.as_str()));
    }
}

pub(crate) async fn templates(s: &Server) {
    let a = s.get("/v1/templates", &s.tokens.viewer).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let names: Vec<&str> = a.body["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"api-service"), "{names:?}");
    let ecs = a.body["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "api-service")
        .unwrap();
    assert!(ecs["hourly_cost_usd"].as_f64().unwrap() > 0.0, "{ecs}");
}

pub(crate) async fn lifecycle(s: &Server) {
    let a = s
        .post(
            "/v1/environments",
            &s.tokens.alice,
            json!({ "name": "api-demo", "ttl": "2h" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.headers["location"].to_str().unwrap(),
        format!("/v1/operations/{id}")
    );
    assert_eq!(a.body["kind"], "create");
    let op = s.wait(&id).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["result"]["outcome"], "created", "{op}");
    assert_eq!(
        op["progress"][0], "creating `api-demo` from template `api-service`",
        "{op}"
    );

    let env = s.get("/v1/environments/api-demo", &s.tokens.viewer).await;
    assert_eq!(env.status, StatusCode::OK, "{}", env.text);
    assert_eq!(env.body["status"], "active");
    assert_eq!(env.body["owner"], "alice");
    assert_eq!(env.body["expires_at"], "2026-03-01T14:00:00Z");
    let status = s
        .get("/v1/environments/api-demo/status", &s.tokens.viewer)
        .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.body["environment"]["name"], "api-demo");
    let events: Vec<&str> = status.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["provisioning", "active"], "{}", status.text);
    let cost = s
        .get("/v1/environments/api-demo/cost", &s.tokens.viewer)
        .await;
    assert_eq!(cost.status, StatusCode::OK, "{}", cost.text);

    // Bob may not create for Alice.
    let for_alice = s
        .post(
            "/v1/environments",
            &s.tokens.bob,
            json!({ "name": "for-alice", "owner": "alice" }),
        )
        .await;
    assert_eq!(
        for_alice.status,
        StatusCode::FORBIDDEN,
        "{}",
        for_alice.text
    );
    assert_eq!(for_alice.body["needed_role"], "admin");

    // Bob may not extend or destroy Alice's environment; an admin may.
    let denied = s
        .post(
            "/v1/environments/api-demo/extend",
            &s.tokens.bob,
            json!({ "ttl": "1h" }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert_eq!(denied.body["needed_role"], "admin");
    let extended = s
        .post(
            "/v1/environments/api-demo/extend",
            &s.tokens.alice,
            json!({ "ttl": "1h" }),
        )
        .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.text);
    assert_eq!(extended.body["outcome"], "extended");
    assert_eq!(
        extended.body["environment"]["expires_at"],
        "2026-03-01T15:00:00Z"
    );

    let gone = s
        .call(
            Method::DELETE,
            "/v1/environments/api-demo",
            Some(&s.tokens.admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::ACCEPTED, "{}", gone.text);
    let op = s.wait(gone.body["id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["result"]["outcome"], "destroyed", "{op}");
    let name = EnvName::parse("api-demo").unwrap();
    assert!(!s.provisioner.is_applied(&name));
    let listed = s
        .get("/v1/environments?status=destroyed", &s.tokens.viewer)
        .await;
    assert_eq!(
        listed.body["environments"][0]["name"], "api-demo",
        "{}",
        listed.text
    );
}

pub(crate) async fn list_filters_and_pages(s: &Server) {
    for (name, token) in [
        ("list-a1", &s.tokens.alice),
        ("list-a2", &s.tokens.alice),
        ("list-b1", &s.tokens.bob),
        ("list-b2", &s.tokens.bob),
        ("list-b3", &s.tokens.bob),
    ] {
        s.create(name, token).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/v1/environments?limit=2".to_owned();
    loop {
        let page = s.get(&uri, &s.tokens.viewer).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let envs = page.body["environments"].as_array().unwrap();
        assert!(envs.len() <= 2);
        seen.extend(envs.iter().map(|e| e["name"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/environments?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["list-a1", "list-a2", "list-b1", "list-b2", "list-b3"]
    );
    let bobs = s.get("/v1/environments?owner=bob", &s.tokens.viewer).await;
    assert_eq!(bobs.body["environments"].as_array().unwrap().len(), 3);
    let soon = s
        .get(
            "/v1/environments?expiring_before=2026-03-01T13:00:00Z",
            &s.tokens.viewer,
        )
        .await;
    assert_eq!(
        soon.body["environments"].as_array().unwrap().len(),
        0,
        "{}",
        soon.text
    );
    let later = s
        .get(
            "/v1/environments?expiring_before=2026-03-01T15:00:00Z&template=api-service&status=active",
            &s.tokens.viewer,
        )
        .await;
    assert_eq!(
        later.body["environments"].as_array().unwrap().len(),
        5,
        "{}",
        later.text
    );
    let bad = s.get("/v1/environments?limit=0", &s.tokens.viewer).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["kind"], "invalid_input");
}

pub(crate) async fn logs_and_sse(s: &Server) {
    s.create("logs-demo", &s.tokens.alice).await;
    let name = EnvName::parse("logs-demo").unwrap();
    let group = layout::log_group(&name);
    let event = |secs: i64, message: &str| LogEvent {
        timestamp: t0() + chrono::TimeDelta::seconds(secs),
        stream: "app/1".into(),
        message: message.into(),
    };
    s.logs.push(&group, event(-60, "listening on 8080"));
    let page = s
        .get(
            "/v1/environments/logs-demo/logs?since=10m",
            &s.tokens.viewer,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.body["events"][0]["message"], "listening on 8080");

    // Followed: the first page, then an event logged after the stream opened.
    let req = axum::http::Request::builder()
        .uri("/v1/environments/logs-demo/logs?since=10m&follow=true")
        .header("authorization", format!("Bearer {}", s.tokens.viewer))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(s.app.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = res.into_body().into_data_stream();
    let mut text = String::new();
    let mut pushed = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains("GET /health 200") {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("the stream sends the new event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        if !pushed && text.contains("listening on 8080") {
            s.logs.push(&group, event(1, "GET /health 200"));
            pushed = true;
        }
    }
    assert!(text.starts_with("event: log\ndata: {"), "{text}");
    let unknown = s
        .get(
            "/v1/environments/logs-demo/logs?since=yesterday",
            &s.tokens.viewer,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

pub(crate) async fn concurrent_deletes(s: &Server) {
    s.create("race-demo", &s.tokens.alice).await;
    let answers = futures::future::join_all((0..16).map(|_| {
        s.call(
            Method::DELETE,
            "/v1/environments/race-demo",
            Some(&s.tokens.alice),
            None,
        )
    }))
    .await;
    let mut ops = Vec::new();
    for a in &answers {
        match a.status {
            StatusCode::ACCEPTED => ops.push(a.body["id"].as_str().unwrap().to_owned()),
            StatusCode::CONFLICT => {
                assert_eq!(a.body["kind"], "conflict", "{}", a.text);
                assert!(a.body["operation"].is_string(), "{}", a.text);
            }
            other => panic!("a concurrent DELETE got {other}: {}", a.text),
        }
    }
    assert!(!ops.is_empty());
    let mut destroyed = 0;
    for id in &ops {
        let op = s.wait(id).await;
        if op["status"] == "succeeded" && op["result"]["outcome"] == "destroyed" {
            destroyed += 1;
        }
    }
    assert_eq!(destroyed, 1, "exactly one DELETE destroys");
    let name = EnvName::parse("race-demo").unwrap();
    assert_eq!(
        s.provisioner
            .envs_called(idp_core::adapters::memory::ProvisionOp::Destroy)
            .iter()
            .filter(|n| **n == name)
            .count(),
        1,
        "the provisioner destroyed once"
    );
}

pub(crate) async fn bad_requests(s: &Server) {
    let token = &s.tokens.admin;
    let cases: Vec<(Method, &str, Option<Value>, StatusCode, &str)> = vec![
        (
            Method::GET,
            "/v1/environments/Not_A_Name",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_name",
        ),
        (
            Method::GET,
            "/v1/environments/no-such-env",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            "/v1/environments",
            Some(json!({ "name": "x y" })),
            StatusCode::BAD_REQUEST,
            "invalid_name",
        ),
        (
            Method::POST,
            "/v1/environments",
            Some(json!({ "name": "ok-name", "ttl": "99y" })),
            StatusCode::BAD_REQUEST,
            "invalid_ttl",
        ),
        (
            Method::POST,
            "/v1/environments",
            Some(json!({ "name": "ok-name", "surprise": 1 })),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            Method::POST,
            "/v1/environments",
            Some(json!({ "name": "ok-name", "config": "cpu: [" })),
            StatusCode::BAD_REQUEST,
            "invalid_config",
        ),
        (
            Method::GET,
            "/v1/runs/not%20a%20run",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            Method::GET,
            "/v1/runs/0123456789abcdef0123456789abcdef",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::GET,
            "/v1/operations/nope",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::GET,
            "/v2/anything",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::PUT,
            "/v1/environments",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (method, uri, body, status, kind) in cases {
        let a = s.call(method.clone(), uri, Some(token), body).await;
        assert_eq!(a.status, status, "{method} {uri}: {}", a.text);
        assert_eq!(a.body["kind"], kind, "{method} {uri}: {}", a.text);
        assert_eq!(
            a.headers["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{method} {uri}"
        );
        assert_eq!(a.body["status"], status.as_u16());
    }
    // Not JSON at all.
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/v1/environments")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"name\": "))
        .unwrap();
    let a = s.send(req).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert!(s.provisioner.calls().is_empty(), "nothing was applied");
}

/// `POST /v1/environments` whose config references a secret outside the platform's allow-list
/// answers 403 `secret_not_allowed` at once (an environment made through the API has no
/// repository, so the default `idp/{owner}/{repo}/*` patterns allow it none); nothing is created
/// or applied.
pub(crate) async fn secret_refused(s: &Server) {
    let config = "template: api-service\nsecrets:\n  STRIPE_KEY: \"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/stripe-AbCdEf\"\n";
    let refused = s
        .post(
            "/v1/environments",
            &s.tokens.alice,
            json!({ "name": "leaky", "config": config }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        refused.body["kind"], "secret_not_allowed",
        "{}",
        refused.text
    );
    assert!(refused.text.contains("STRIPE_KEY"), "{}", refused.text);
    let missing = s.get("/v1/environments/leaky", &s.tokens.alice).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert!(
        !s.provisioner
            .calls()
            .iter()
            .any(|c| format!("{c:?}").contains("leaky")),
        "nothing was applied"
    );
}

/// `POST /v1/environments` of a template that needs approval answers 403 `approval_required`
/// at once, nothing created; a developer may not approve, an admin may
/// (`POST /v1/environments/{name}/approval`), and the same create then succeeds with the
/// approval in the record.
pub(crate) async fn approval(s: &Server) {
    let body = json!({ "name": "costly", "template": "api-database", "ttl": "7d" });
    let refused = s
        .post("/v1/environments", &s.tokens.alice, body.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        refused.body["kind"], "approval_required",
        "{}",
        refused.text
    );
    let missing = s.get("/v1/environments/costly", &s.tokens.alice).await;
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "nothing created: {}",
        missing.text
    );

    let by_alice = s
        .post(
            "/v1/environments/costly/approval",
            &s.tokens.alice,
            json!({}),
        )
        .await;
    assert_eq!(by_alice.status, StatusCode::FORBIDDEN, "{}", by_alice.text);
    assert_eq!(by_alice.body["needed_role"], "admin");
    let nothing = s
        .post(
            "/v1/environments/unknown/approval",
            &s.tokens.admin,
            json!({}),
        )
        .await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND, "{}", nothing.text);
    let approved = s
        .post(
            "/v1/environments/costly/approval",
            &s.tokens.admin,
            json!({ "reason": "quarter-end load test" }),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["request"]["approval"]["how"], "admin");
    assert_eq!(approved.body["request"]["approval"]["by"], "root");

    let a = s.post("/v1/environments", &s.tokens.alice, body).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let op = s.wait(a.body["id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let env = s.get("/v1/environments/costly", &s.tokens.alice).await;
    assert_eq!(env.status, StatusCode::OK, "{}", env.text);
    assert_eq!(env.body["approval"]["how"], "admin", "{}", env.text);
    assert_eq!(env.body["approval"]["reason"], "quarter-end load test");
}
