//! Whole scenarios: the seed-001 incident scaled to a 100-pod mesh for 24 h.
//!
//! Throughput is in events per second of the engine; the time per iteration is the
//! wall time of one replica.

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

criterion_group!(benches, scaled);
criterion_main!(benches);
