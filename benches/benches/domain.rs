//! Throughput of the domain's hot paths: branch → name, config parse + validate, event parse +
//! decide, metadata (de)serialization, the environment index, and the PR comment and dashboard
//! for 1,000 environments. Run with `cargo bench -p idp-benches` (never part of the test run).

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use idp_core::domain::config::Config;
use idp_core::domain::decide::{decide, env_for};
use idp_core::domain::event::parse_event;
use idp_core::domain::index::EnvIndex;
use idp_core::domain::lifecycle::{Metadata, Status};
use idp_core::domain::naming::EnvName;
use idp_core::domain::render::{
    CommentState, CommentView, dashboard_html, dashboard_markdown, pr_comment,
};
use idp_core::domain::template::TemplateName;
use std::hint::black_box;

const CONFIG: &str = include_str!("../../examples/consumer/.idp/config.yml");
const PUSH: &str = include_str!("../../idp-core/tests/fixtures/webhooks/push.feature-branch.json");

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// 1,000 environments: mostly active, some expired, some stuck destroying.
fn environments(n: usize) -> Vec<Metadata> {
    (0..n)
        .filter_map(|i| {
            let name = EnvName::parse(&format!("preview-feature-{i:05}")).ok()?;
            let mut m = Metadata::new(
                name,
                TemplateName::default(),
                "octocat".into(),
                now() - TimeDelta::days(2),
                now() + TimeDelta::days(1),
            );
            m.status = Status::Active;
            m.branch = Some(format!("feature/{i:05}"));
            m.repository = Some("acme/shop".into());
            m.commit = Some(format!("{i:07x}{}", "a".repeat(33)));
            m.endpoint = Some(format!(
                "https://preview-feature-{i:05}.preview.example.com"
            ));
            if i % 10 == 0 {
                m.expires_at = now() - TimeDelta::hours(3);
            }
            if i % 50 == 1 {
                m.status = Status::Destroying;
                m.status_changed_at = now() - TimeDelta::hours(5);
            }
            Some(m)
        })
        .collect()
}

fn naming(c: &mut Criterion) {
    let branches: Vec<String> = (0..1_000)
        .map(|i| format!("feature/JIRA-{i}_Some_Long-Branch.Name/with/slashes-and-more-{i}"))
        .collect();
    let mut g = c.benchmark_group("naming");
    g.throughput(Throughput::Elements(branches.len() as u64));
    g.bench_function("from_branch x1000", |b| {
        b.iter(|| {
            for br in &branches {
                let _ = black_box(EnvName::from_branch(black_box(br)));
            }
        });
    });
    g.finish();
}

fn config(c: &mut Criterion) {
    let mut g = c.benchmark_group("config");
    g.throughput(Throughput::Bytes(CONFIG.len() as u64));
    g.bench_function("parse + validate", |b| {
        b.iter(|| black_box(Config::from_yaml(black_box(CONFIG), ".idp/config.yml")));
    });
    g.finish();
}

fn event(c: &mut Criterion) {
    let current = environments(1).pop();
    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse push + name + decide", |b| {
        b.iter(|| {
            let Ok(trigger) = parse_event("push", black_box(PUSH.as_bytes())) else {
                return;
            };
            let _ = black_box(env_for(&trigger));
            black_box(decide(&trigger, current.as_ref(), now()));
        });
    });
    g.finish();
}

fn metadata(c: &mut Criterion) {
    let envs = environments(1_000);
    let encoded: Vec<Vec<u8>> = envs.iter().map(Metadata::to_json).collect();
    let mut g = c.benchmark_group("metadata");
    g.throughput(Throughput::Elements(envs.len() as u64));
    g.bench_function("to_json x1000", |b| {
        b.iter(|| {
            for m in &envs {
                black_box(m.to_json());
            }
        });
    });
    g.bench_function("from_json x1000", |b| {
        b.iter(|| {
            for bytes in &encoded {
                let _ = black_box(Metadata::from_json(bytes));
            }
        });
    });
    let mut index = EnvIndex::new();
    for (i, m) in envs.iter().enumerate() {
        index.set_record(m, &format!("\"etag-{i}\""));
    }
    let bytes = index.to_json();
    g.bench_function("index of 1000: parse", |b| {
        b.iter(|| black_box(EnvIndex::from_json(black_box(&bytes))));
    });
    g.bench_function("index of 1000: serialize", |b| {
        b.iter(|| black_box(index.to_json()));
    });
    let listed: Vec<(EnvName, String)> = index
        .rows
        .iter()
        .filter_map(|(n, r)| Some((EnvName::parse(n).ok()?, r.etag.clone())))
        .collect();
    g.bench_function("index of 1000: check against listing", |b| {
        b.iter(|| black_box(index.check(listed.iter().map(|(n, e)| (n, e.as_str())))));
    });
    g.finish();
}

fn render(c: &mut Criterion) {
    let envs = environments(1_000);
    let views: Vec<CommentView> = envs
        .iter()
        .map(|m| CommentView {
            env: m.name.clone(),
            state: CommentState::Updated,
            branch: m.branch.clone().unwrap_or_default(),
            url: m.endpoint.clone(),
            status: m.status,
            template: m.template.clone(),
            commit: m.commit.clone(),
            expires_at: Some(m.expires_at),
            now: now(),
            cost_estimate: Some("~$35/month".into()),
            logs: Some(format!("idp logs {} --follow", m.name)),
            detail: None,
        })
        .collect();
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements(envs.len() as u64));
    g.bench_function("pr_comment x1000", |b| {
        b.iter(|| {
            for v in &views {
                black_box(pr_comment(v));
            }
        });
    });
    g.bench_function("dashboard_markdown of 1000", |b| {
        b.iter(|| black_box(dashboard_markdown(black_box(&envs), now())));
    });
    g.bench_function("dashboard_html of 1000", |b| {
        b.iter(|| black_box(dashboard_html(black_box(&envs), now())));
    });
    g.finish();
}

criterion_group!(benches, naming, config, event, metadata, render);
criterion_main!(benches);
