//! The `LogSource` contract: a time window, oldest first, filter patterns, pagination.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use idp_core::ports::{LogError, LogQuery, LogSource};

use crate::adapters::{Caps, Seed};

fn at(caps: &Caps, seconds: i64) -> DateTime<Utc> {
    caps.now - TimeDelta::hours(1) + TimeDelta::seconds(seconds)
}

async fn seed_two_streams(seed: &dyn Seed, caps: &Caps) {
    let web = [
        (0, "GET /health 200"),
        (20, "ERROR db timeout"),
        (40, "GET /api 500 ERROR"),
    ];
    let worker = [(10, "job started"), (30, "ERROR job failed: db")];
    seed.log_events(
        "/ecs/preview-a",
        "web",
        &web.map(|(s, m)| (at(caps, s), m.to_owned())),
    )
    .await;
    seed.log_events(
        "/ecs/preview-a",
        "worker",
        &worker.map(|(s, m)| (at(caps, s), m.to_owned())),
    )
    .await;
}

fn messages(page: &idp_core::ports::LogPage) -> Vec<&str> {
    page.events.iter().map(|e| e.message.as_str()).collect()
}

pub(crate) async fn unknown_group_is_not_found(
    logs: Arc<dyn LogSource>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    seed_two_streams(&*seed, caps).await;
    let result = logs
        .events(&LogQuery::new("/ecs/preview-b", at(caps, 0)))
        .await;
    assert!(
        matches!(&result, Err(LogError::NotFound { group }) if group == "/ecs/preview-b"),
        "{result:?}"
    );
}

pub(crate) async fn events_come_oldest_first_within_the_window(
    logs: Arc<dyn LogSource>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    seed_two_streams(&*seed, caps).await;
    let all = logs
        .events(&LogQuery::new("/ecs/preview-a", at(caps, 0)))
        .await
        .expect("events");
    assert_eq!(
        messages(&all),
        [
            "GET /health 200",
            "job started",
            "ERROR db timeout",
            "ERROR job failed: db",
            "GET /api 500 ERROR"
        ]
    );
    assert_eq!(all.events[1].stream, "worker");
    assert_eq!(all.events[1].timestamp, at(caps, 10));
    let window = LogQuery {
        until: Some(at(caps, 30)),
        ..LogQuery::new("/ecs/preview-a", at(caps, 10))
    };
    let page = logs.events(&window).await.expect("events");
    assert_eq!(
        messages(&page),
        ["job started", "ERROR db timeout"],
        "since is inclusive, until exclusive"
    );
}

pub(crate) async fn filter_pattern_terms_must_all_appear(
    logs: Arc<dyn LogSource>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    seed_two_streams(&*seed, caps).await;
    let query = |pattern: &str| LogQuery {
        filter_pattern: Some(pattern.to_owned()),
        ..LogQuery::new("/ecs/preview-a", at(caps, 0))
    };
    let page = logs.events(&query("ERROR db")).await.expect("events");
    assert_eq!(
        messages(&page),
        ["ERROR db timeout", "ERROR job failed: db"]
    );
    let page = logs.events(&query("\"db timeout\"")).await.expect("events");
    assert_eq!(messages(&page), ["ERROR db timeout"]);
    let page = logs.events(&query("error")).await.expect("events");
    assert!(page.events.is_empty(), "terms are case-sensitive");
}

pub(crate) async fn limited_pages_return_every_event_once(
    logs: Arc<dyn LogSource>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    seed_two_streams(&*seed, caps).await;
    let mut seen = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let query = LogQuery {
            limit: Some(2),
            next_token: token.clone(),
            ..LogQuery::new("/ecs/preview-a", at(caps, 0))
        };
        let page = logs.events(&query).await.expect("events");
        assert!(page.events.len() <= 2);
        seen.extend(page.events.into_iter().map(|e| e.message));
        token = page.next;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(token, None, "pagination ends");
    assert_eq!(
        seen,
        [
            "GET /health 200",
            "job started",
            "ERROR db timeout",
            "ERROR job failed: db",
            "GET /api 500 ERROR"
        ]
    );
}
