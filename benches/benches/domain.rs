//! Throughput of the domain's hot paths: branch → name, config parse + validate.
//! Run with `cargo bench -p idp-benches` (never part of the test run).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use idp_core::domain::config::Config;
use idp_core::domain::naming::EnvName;
use std::hint::black_box;

const CONFIG: &str = include_str!("../../examples/consumer/.idp/config.yml");

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

criterion_group!(benches, naming, config);
criterion_main!(benches);
