//! GitHub webhooks through `POST /v1/webhooks/github`: signatures, push → preview, redelivery,
//! delete and closed pull requests, forks, and the whole example corpus.

use std::path::Path;

use axum::http::StatusCode;
use idp_core::adapters::memory::ProvisionOp;
use idp_core::domain::naming::EnvName;
use serde_json::Value;

use crate::support::{Server, WEBHOOK_SECRET, delivery, sign};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../idp-core/tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn signed(event: &str, id: &str, body: &[u8]) -> axum::http::Request<axum::body::Body> {
    delivery(event, id, body, Some(&sign(WEBHOOK_SECRET, body)))
}

fn applies(s: &Server) -> usize {
    s.provisioner
        .calls()
        .iter()
        .filter(|c| c.op == ProvisionOp::Apply)
        .count()
}

async fn claimed(s: &Server) -> usize {
    s.platform()
        .backend
        .store
        .list_all(idp_core::domain::layout::DELIVERIES_PREFIX)
        .await
        .unwrap()
        .len()
}

pub(crate) async fn signatures(s: &Server) {
    // GitHub's documented test vector, at the endpoint (a ping: answered, nothing acts).
    let body = b"Hello, World!";
    let vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(sign(WEBHOOK_SECRET, body), vector);
    let pong = s.send(delivery("ping", "d-ping", body, Some(vector))).await;
    assert_eq!(pong.status, StatusCode::OK, "{}", pong.text);
    assert_eq!(pong.body["outcome"], "pong");

    let push = fixture("push.feature-branch.json");
    let wrong = sign("another secret", &push);
    let other_body = sign(WEBHOOK_SECRET, b"{}");
    for (what, sig) in [
        ("no signature", None),
        ("a wrong secret", Some(wrong.as_str())),
        ("another body's signature", Some(other_body.as_str())),
        (
            "sha1",
            Some("sha1=0000000000000000000000000000000000000000"),
        ),
        ("not hex", Some("sha256=zz")),
    ] {
        let a = s.send(delivery("push", "d-bad", &push, sig)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}: {}", a.text);
        assert_eq!(a.body["kind"], "bad_signature", "{what}");
        assert!(!a.text.contains(WEBHOOK_SECRET));
    }
    assert_eq!(applies(s), 0, "nothing acted");
    assert_eq!(claimed(s).await, 0, "no delivery was claimed");
    // A signed delivery without an id, or with a hostile one, is refused before acting.
    let no_id = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/webhooks/github")
        .header("x-github-event", "push")
        .header("x-hub-signature-256", sign(WEBHOOK_SECRET, &push))
        .body(axum::body::Body::from(push.clone()))
        .unwrap();
    assert_eq!(s.send(no_id).await.status, StatusCode::BAD_REQUEST);
    let hostile = s.send(signed("push", "../../etc/passwd", &push)).await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST, "{}", hostile.text);
    assert_eq!(applies(s), 0);
    // Unknown events are acknowledged and ignored.
    let star = s.send(signed("star", "d-star", b"{}")).await;
    assert_eq!(star.status, StatusCode::OK);
    assert_eq!(star.body["outcome"], "ignored");
}

pub(crate) async fn push_and_redelivery(s: &Server) {
    let push = fixture("push.feature-branch.json");
    let a = s.send(signed("push", "d-push-1", &push)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_eq!(a.body["outcome"], "accepted");
    let op = s.wait(a.body["operation"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["result"]["outcome"], "created", "{op}");
    let name = EnvName::parse("preview-payment-api").unwrap();
    assert!(s.provisioner.is_applied(&name));
    assert_eq!(applies(s), 1);
    // GitHub redelivers the same delivery: it acts once.
    for _ in 0..3 {
        let again = s.send(signed("push", "d-push-1", &push)).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.body["outcome"], "duplicate");
    }
    assert_eq!(applies(s), 1, "a redelivery does nothing");
    let env = s
        .get("/v1/environments/preview-payment-api", &s.tokens.viewer)
        .await;
    assert_eq!(env.body["branch"], "feature/payment-api", "{}", env.text);
    // The branch is deleted: the preview goes.
    let del = s
        .send(signed("delete", "d-del-1", &fixture("delete.branch.json")))
        .await;
    assert_eq!(del.status, StatusCode::ACCEPTED, "{}", del.text);
    let op = s.wait(del.body["operation"].as_str().unwrap()).await;
    assert_eq!(op["result"]["outcome"], "destroyed", "{op}");
    assert!(!s.provisioner.is_applied(&name));
}

pub(crate) async fn pr_closed(s: &Server) {
    // A fork's pull request is never built.
    let fork = s
        .send(signed(
            "pull_request",
            "d-fork",
            &fixture("pull_request.opened.fork.json"),
        ))
        .await;
    assert!(fork.status.is_success(), "{}", fork.text);
    if let Some(op) = fork.body["operation"].as_str() {
        let op = s.wait(op).await;
        assert_ne!(op["result"]["outcome"], "created", "{op}");
    }
    assert_eq!(applies(s), 0, "a fork is not provisioned");
    // The branch `changes` is pushed: its preview exists, then the pull request is merged.
    let mut push: Value = serde_json::from_slice(&fixture("push.feature-branch.json")).unwrap();
    push["ref"] = "refs/heads/changes".into();
    let push = serde_json::to_vec(&push).unwrap();
    let pushed = s.send(signed("push", "d-push-changes", &push)).await;
    assert_eq!(pushed.status, StatusCode::ACCEPTED, "{}", pushed.text);
    let op = s.wait(pushed.body["operation"].as_str().unwrap()).await;
    assert_eq!(op["result"]["outcome"], "created", "{op}");
    s.forge.add_repo("Codertocat/Hello-World");
    s.forge.open_pr(
        "Codertocat/Hello-World",
        2,
        "changes",
        "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    );
    let closed = s
        .send(signed(
            "pull_request",
            "d-closed",
            &fixture("pull_request.closed.merged.json"),
        ))
        .await;
    assert_eq!(closed.status, StatusCode::ACCEPTED, "{}", closed.text);
    let op = s.wait(closed.body["operation"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["result"]["outcome"], "destroyed", "{op}");
    // The pull request's comment says so.
    let comments = s.forge.comments("Codertocat/Hello-World", 2);
    assert!(!comments.is_empty(), "the pull request has idp's comment");
}

pub(crate) async fn corpus(s: &Server) {
    let Some(examples) = idp_test_support::webhook_examples::all() else {
        return;
    };
    let mut sent = Vec::new();
    for (event, payloads) in &examples {
        if !["push", "delete", "pull_request"].contains(&event.as_str()) {
            continue;
        }
        for (i, payload) in payloads.iter().enumerate() {
            let body = serde_json::to_vec(payload).unwrap();
            let id = format!("corpus-{event}-{i}");
            let a = s.send(signed(event, &id, &body)).await;
            assert!(
                a.status.is_success() || a.status.is_client_error(),
                "{event} #{i} got {}: {}",
                a.status,
                a.text
            );
            assert_ne!(a.status, StatusCode::UNAUTHORIZED, "{event} #{i}");
            if let Some(op) = a.body["operation"].as_str() {
                let op = s.wait(op).await;
                assert!(
                    op["status"] == "succeeded"
                        || op["error"]["status"].as_u64().is_some_and(|c| c < 500),
                    "{event} #{i}: {op}"
                );
            }
            sent.push((event.clone(), id, body));
        }
    }
    assert!(sent.len() >= 20, "the corpus has {} deliveries", sent.len());
    let before = s.provisioner.calls().len();
    for (event, id, body) in &sent {
        let a = s.send(signed(event, id, body)).await;
        assert!(
            a.status.is_success() || a.status.is_client_error(),
            "{event} {id} again: {}",
            a.text
        );
        assert_ne!(a.body["outcome"], "accepted", "{event} {id} acted twice");
    }
    assert_eq!(
        s.provisioner.calls().len(),
        before,
        "redeliveries did nothing"
    );
}
