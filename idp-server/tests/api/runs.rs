//! Runs: submit, list, read, order logs (with SSE), cancel; and the job runner's `/init`.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::Server;

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

/// Waits until run `id` has ended; its record.
async fn until_ended(s: &Server, id: &str) -> Value {
    for _ in 0..500 {
        let a = s.get(&format!("/v1/runs/{id}"), &s.tokens.viewer).await;
        if a.status == StatusCode::OK && a.body["status"] != "running" {
            return a.body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("run {id} did not end within 10 s");
}

pub(crate) async fn submit_and_read(s: &Server) {
    let job = json!({
        "timeout": "60s",
        "orders": [
            { "name": "plan", "cmds": ["echo planning", "echo 'Plan: 1 to add'"], "timeout": "30s" },
            { "name": "apply", "depends_on": ["plan"], "cmds": ["echo applied"], "timeout": "30s" },
            { "name": "lint", "cmds": ["exit 3"], "must_succeed": false, "timeout": "30s" }
        ]
    });
    let a = s
        .post(
            "/v1/runs",
            &s.tokens.alice,
            json!({ "job": job, "run_id": "api-run-1" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let op = s.wait(a.body["id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["result"]["status"], "succeeded", "{op}");
    let progress: Vec<&str> = op["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        progress.contains(&"order_finished plan succeeded"),
        "{progress:?}"
    );
    assert_eq!(
        progress.last(),
        Some(&"run_finished succeeded"),
        "{progress:?}"
    );
    let run = s.get("/v1/runs/api-run-1", &s.tokens.viewer).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    let states: Vec<(&str, &str)> = run.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("plan", "succeeded"),
            ("apply", "succeeded"),
            ("lint", "failed")
        ]
    );
    let listed = s.get("/v1/runs", &s.tokens.viewer).await;
    assert!(
        listed.body["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["run_id"] == "api-run-1"),
        "{}",
        listed.text
    );
    let events = s.get("/v1/runs/api-run-1/events", &s.tokens.viewer).await;
    assert_eq!(events.status, StatusCode::OK);
    assert!(events.text.contains("run_finished"), "{}", events.text);
    let log = s
        .get("/v1/runs/api-run-1/orders/plan/logs", &s.tokens.viewer)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert!(log.text.contains("Plan: 1 to add"), "{}", log.text);
    // Followed over SSE: an ended order's output, then the stream ends.
    let req = axum::http::Request::builder()
        .uri("/v1/runs/api-run-1/orders/plan/logs?follow=true")
        .header("authorization", format!("Bearer {}", s.tokens.viewer))
        .body(axum::body::Body::empty())
        .unwrap();
    let sse = s.send(req).await;
    assert_eq!(sse.status, StatusCode::OK);
    assert!(sse.text.contains("Plan: 1 to add"), "{}", sse.text);
    let missing = s
        .get("/v1/runs/api-run-1/orders/nope/logs", &s.tokens.viewer)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    // The same id again is refused; an invalid job gets every problem.
    let again = s
        .post(
            "/v1/runs",
            &s.tokens.alice,
            json!({ "job": job, "run_id": "api-run-1" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let bad = s
        .post(
            "/v1/runs",
            &s.tokens.alice,
            json!({ "job": { "timeout": "1m", "orders": [
                { "name": "a", "cmds": [], "depends_on": ["ghost"] },
                { "name": "a", "cmds": ["true"] }
            ] } }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(
        bad.body["errors"].as_array().unwrap().len() >= 2,
        "{}",
        bad.text
    );
}

pub(crate) async fn cancel(s: &Server) {
    let job = json!({
        "timeout": "5m",
        "orders": [
            { "name": "slow", "cmds": ["sleep 30"], "timeout": "1m" },
            { "name": "after", "depends_on": ["slow"], "cmds": ["echo never"], "timeout": "1m" }
        ]
    });
    let a = s
        .post(
            "/v1/runs",
            &s.tokens.alice,
            json!({ "job": job, "run_id": "api-cancel-1" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    // Wait for the order to start.
    for _ in 0..250 {
        let r = s.get("/v1/runs/api-cancel-1", &s.tokens.viewer).await;
        if r.body["orders"][0]["status"] == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = std::time::Instant::now();
    let c = s
        .post("/v1/runs/api-cancel-1/cancel", &s.tokens.alice, json!(null))
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(c.body["outcome"], "requested", "{}", c.text);
    let run = until_ended(s, "api-cancel-1").await;
    // Well before the order's own 30 s: the cancel stopped it (moto, shared by every suite of
    // a CI run, makes each look slower than on the other backends).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the cancel took effect: {:?}",
        started.elapsed()
    );
    assert_eq!(run["status"], "cancelled", "{run}");
    assert_eq!(run["orders"][0]["status"], "cancelled", "{run}");
    assert_eq!(run["orders"][1]["status"], "skipped", "{run}");
    let op = s.wait(a.body["id"].as_str().unwrap()).await;
    assert_eq!(op["result"]["status"], "cancelled", "{op}");
    // Cancelling an ended run changes nothing.
    let again = s
        .post("/v1/runs/api-cancel-1/cancel", &s.tokens.alice, json!(null))
        .await;
    assert_eq!(again.body["outcome"], "finished", "{}", again.text);
    let unknown = s
        .post(
            "/v1/runs/0123456789abcdef0123456789abcdef/cancel",
            &s.tokens.alice,
            json!(null),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
}

pub(crate) async fn init_envelope(s: &Server) {
    let job = json!({
        "username": "ci-bot",
        "flow_label": "plan",
        "job_timeout": 120,
        "orders": [
            { "cmds": ["echo init"], "timeout": 30, "queue_id": 1 },
            { "cmds": ["echo \"plan for $STAGE\""], "timeout": 30, "order_name": "plan",
              "dependencies": [1], "env_vars": { "STAGE": "preview" } }
        ]
    });
    let a = s
        .post(
            "/init",
            &s.tokens.alice,
            json!({ "job_parameters_b64": b64(&job), "trace_id": "trace-abc" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "ok");
    assert_eq!(a.body["trace_id"], "trace-abc");
    assert_eq!(a.body["flow_id"], "ci-bot:trace-abc-plan");
    let run_id = a.body["run_id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["done_endpt"], format!("/v1/runs/{run_id}"));
    let run = until_ended(s, &run_id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["orders"][0]["name"], "order-0001");
    let log = s
        .get(
            &format!("/v1/runs/{run_id}/orders/plan/logs"),
            &s.tokens.viewer,
        )
        .await;
    assert!(log.text.contains("plan for preview"), "{}", log.text);
    // The same run id again is refused before anything runs.
    let again = s
        .post(
            "/init",
            &s.tokens.alice,
            json!({ "job_parameters_b64": b64(&job), "run_id": run_id }),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);
    assert_eq!(again.body["status"], "error");
    assert!(again.text.contains("already exists"), "{}", again.text);
}

pub(crate) async fn init_rejections(s: &Server) {
    let job = json!({
        "username": "ci-bot",
        "job_timeout": 0,
        "orders": [
            { "cmds": ["true"], "timeout": 30, "order_name": "a", "dependencies": ["ghost"] },
            { "cmds": ["true"], "timeout": 30, "order_name": "a" },
            { "cmds": ["true"], "timeout": 30, "ssm_paths": ["prod/"] }
        ]
    });
    let a = s
        .post(
            "/init",
            &s.tokens.alice,
            json!({ "job_parameters_b64": b64(&job), "trace_id": "t-1" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert_eq!(a.body["status"], "error");
    assert_eq!(a.body["trace_id"], "t-1");
    let errors: Vec<&str> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for needle in ["job_timeout", "ghost", "ssm_paths", "orders[1]"] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "no error mentions `{needle}`: {errors:#?}"
        );
    }
    let not_b64 = s
        .post(
            "/init",
            &s.tokens.alice,
            json!({ "job_parameters_b64": "%%%" }),
        )
        .await;
    assert_eq!(not_b64.status, StatusCode::BAD_REQUEST, "{}", not_b64.text);
    assert_eq!(not_b64.body["status"], "error");
    let listed = s.get("/v1/runs", &s.tokens.viewer).await;
    assert_eq!(
        listed.body["runs"].as_array().unwrap().len(),
        0,
        "nothing ran"
    );
}
