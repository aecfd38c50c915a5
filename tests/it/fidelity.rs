//! Two fidelities, one answer: fluid rates and one event per request give the same
//! time-to-first-OOM distribution on a small scenario.

use crate::support::{inline, run, secs};

/// 25 rps with ±20 % slow noise; each request leaks 1Ki, half are traced (1Ki spans,
/// exporter 8 spans/s) and holds 64Ki for 40 ms. OOM after ~20 minutes.
const SMALL: &str = r#"
name: small
duration: 90m
seed: 7
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 64Mi}}
        memory:
          baseline: {size: 32Mi}
          inFlight: {latency: 40ms, perRequest: 64Ki}
          leak: {perRequest: 1Ki}
          traceBuffer: {sampling: 50, spanSize: 1Ki, exportRate: 8, flushInterval: 5s}
traffic:
  - service: app
    rps: 25
    noise: {sd: 0.2, correlation: 10m}
"#;

const RUNS: u32 = 120;

fn first_ooms(yaml: &str) -> Vec<f64> {
    let s = inline(yaml);
    (0..RUNS)
        .map(|r| secs(run(&s, 0, r).0.first_oom().expect("every run OOMs")))
        .collect()
}

/// Two-sample Kolmogorov–Smirnov statistic.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[test]
fn fluid_and_per_request_agree_on_time_to_first_oom() {
    let fluid = first_ooms(SMALL);
    let exact = first_ooms(&SMALL.replace("seed: 7", "seed: 7\nfidelity: per-request"));
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let (mf, me) = (mean(&fluid), mean(&exact));
    assert!((900.0..1800.0).contains(&mf), "fluid mean {mf}");
    assert!(
        (mf - me).abs() / me < 0.02,
        "means differ: fluid {mf}, per-request {me}"
    );
    // KS critical value at α = 0.01 for two samples of 120: 1.628·√(2/120) = 0.210.
    let d = ks(&fluid, &exact);
    assert!(d < 0.21, "KS distance {d}");
    // The spread comes from the traffic noise, common to both (same streams).
    let paired = fluid
        .iter()
        .zip(&exact)
        .map(|(f, e)| ((f - e) / e).abs())
        .fold(0.0, f64::max);
    assert!(paired < 0.05, "largest paired difference {paired}");
}
