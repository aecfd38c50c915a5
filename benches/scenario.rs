//! Whole scenarios: the seed-001 incident scaled to a 100-pod mesh for 24 h.
//!
//! Throughput is in events per second of the engine; the time per iteration is the
//! wall time of one replica.

// A benchmark that cannot set up fails by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use meshmem::model::Discard;
use meshmem::runner;
use meshmem::scenario::{self, Scenario};

/// Seed 001 with 100 payment-service pods at 50 rps each (5000 rps), 24 h.
fn seed_001_at_100_pods() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-sampling-leak.yaml");
    let text = std::fs::read_to_string(&path).expect("shipped scenario");
    let text = text
        .replace("    replicas: 3\n", "    replicas: 100\n")
        .replace("    rps: 150 ", "    rps: 5000 ")
        .replace("    count: 3\n", "    count: 20\n");
    let s = scenario::parse(&path, &text).expect("valid");
    let config = &s.variants[0].config;
    assert_eq!(config.workloads[0].replicas, 100);
    assert_eq!(config.traffic[0].profile.base, 5000.0);
    s
}

fn scaled(c: &mut Criterion) {
    let s = seed_001_at_100_pods();
    let (outcome, _) = runner::run_one(&s, 0, 0, Discard);
    let mut g = c.benchmark_group("seed_001_100_pods_24h");
    g.sample_size(10);
    g.throughput(Throughput::Elements(outcome.events_processed));
    g.bench_function("fluid_one_replica", |b| {
        b.iter(|| {
            runner::run_one(black_box(&s), 0, 0, Discard)
                .0
                .events_processed
        })
    });
    g.finish();
}

/// Seed 001 as shipped (3 pods, 24 h), 100 replicas of the baseline, on 1 and 2 threads.
fn replicas(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-sampling-leak.yaml");
    let mut s = scenario::load(&path).expect("valid");
    s.replicas = 100;
    s.variants.truncate(1);
    let mut g = c.benchmark_group("seed_001_100_replicas");
    g.sample_size(10);
    for threads in [1, 2] {
        let options = runner::RunOptions {
            threads: Some(threads),
            ..runner::RunOptions::default()
        };
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                runner::run_scenario(black_box(&s), &runner::DiscardSinks, &options)
                    .unwrap()
                    .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, scaled, replicas);
criterion_main!(benches);
