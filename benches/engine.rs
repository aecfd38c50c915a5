//! The event loop against the practical limit: a bare `std` binary heap.
//!
//! Both run the classic "hold" model: N events pending; take the earliest, schedule one
//! new event a random increment later. Increments are precomputed so that only queue
//! work is measured. Throughput is reported in events per second.

// A benchmark that cannot set up fails by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use meshmem::engine::{EventQueue, RngStreams, SimDuration, SimTime};
use rand::RngExt;

const PENDING: usize = 1_000;
const STEPS: usize = 100_000;

fn increments() -> Vec<u64> {
    let mut rng = RngStreams::new(1, 0).stream("bench");
    (0..STEPS)
        .map(|_| rng.random_range(1..2_000_000_000u64))
        .collect()
}

fn engine_hold(inc: &[u64]) -> u64 {
    let mut q = EventQueue::new();
    for (i, &d) in inc.iter().take(PENDING).enumerate() {
        q.schedule(SimTime::from_nanos(d), i as u32);
    }
    let mut sum = 0u64;
    for &d in inc {
        let (t, e) = q.pop().expect("never empty");
        sum = sum.wrapping_add(u64::from(e));
        q.schedule(t + SimDuration::from_nanos(d), e);
    }
    sum
}

fn bare_heap_hold(inc: &[u64]) -> u64 {
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    for (i, &d) in inc.iter().take(PENDING).enumerate() {
        heap.push(Reverse((d, seq, i as u32)));
        seq += 1;
    }
    let mut sum = 0u64;
    for &d in inc {
        let Reverse((t, _, e)) = heap.pop().expect("never empty");
        sum = sum.wrapping_add(u64::from(e));
        heap.push(Reverse((t + d, seq, e)));
        seq += 1;
    }
    sum
}

/// The engine with a cancellation per step, as when a predicted crossing moves.
fn engine_hold_with_reschedule(inc: &[u64]) -> u64 {
    let mut q = EventQueue::new();
    let mut keys = Vec::with_capacity(PENDING);
    for (i, &d) in inc.iter().take(PENDING).enumerate() {
        keys.push(Some(q.schedule(SimTime::from_nanos(d), i as u32)));
    }
    let mut sum = 0u64;
    for &d in inc {
        let (t, e) = q.pop().expect("never empty");
        sum = sum.wrapping_add(u64::from(e));
        let i = e as usize;
        keys[i] = Some(q.schedule(t + SimDuration::from_nanos(d), e));
        let j = (i + 1) % PENDING;
        let at = t + SimDuration::from_nanos(d / 2 + 1);
        q.reschedule(&mut keys[j], at, j as u32);
    }
    sum
}

fn hold(c: &mut Criterion) {
    let inc = increments();
    let mut g = c.benchmark_group("hold");
    g.throughput(Throughput::Elements(STEPS as u64));
    g.bench_function("bare_binary_heap", |b| {
        b.iter(|| bare_heap_hold(black_box(&inc)))
    });
    g.bench_function("engine_event_queue", |b| {
        b.iter(|| engine_hold(black_box(&inc)))
    });
    g.bench_function("engine_with_reschedule", |b| {
        b.iter(|| engine_hold_with_reschedule(black_box(&inc)))
    });
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
