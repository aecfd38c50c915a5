//! Each pod's arrivals have the variance real client-side balancing gives.
//!
//! 10 pods behind one service at 10 rps, each leaking 64Ki per request under a 96Mi
//! limit on a 32Mi baseline: a pod is killed at its 1,024th request. With independent
//! Poisson streams of 1 rps per pod (many clients, each with its own balancer: random
//! thinning of a Poisson process), each pod's first OOM is Gamma(1024, 1): SD 32 s, and
//! the spread (last − first) of 10 such is about 3.078 σ ≈ 98 s on average (the expected
//! range of 10 normal draws is 3.0775 σ, its SD 0.797 σ).
//!
//! A killed pod is out of the endpoints until its probe passes again, and the others take
//! its share meanwhile, which pulls the later kills in: with the default 10 s probe period
//! that shrinks the spread by ~6 s. The probe runs every second here so the spread is the
//! arrivals' alone (within ~1 s).
//!
//! Round robin from one global sequence would make pod k's 1,024th request the
//! (10,240 − 10 + k)th of the service: all 10 kills within ~10 arrivals, a spread of ~9 s
//! (≈ 0.3 σ): the test below would fail it by far.

use crate::support::{first_oom_by_pod, inline, run};

const PODS: &str = r#"
name: pods
duration: 40m
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    replicas: 10
    containers:
      - name: app
        resources: {limits: {memory: 96Mi}}
        readinessProbe: {period: 1s}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 64Ki}
traffic:
  - service: app
    rps: 10
    imbalance: 0
"#;

/// The Poisson SD of one pod's first OOM: √1024 / 1 rps.
const SIGMA: f64 = 32.0;
/// The expected range of 10 independent normal draws, in SDs, and its SD.
const RANGE_10: f64 = 3.0775;
const RANGE_10_SD: f64 = 0.797;

fn replicas() -> u32 {
    if cfg!(debug_assertions) { 40 } else { 100 }
}

/// Per run: each pod's first OOM kill (seconds).
fn first_ooms_by_pod(yaml: &str) -> Vec<Vec<f64>> {
    let s = inline(yaml);
    (0..replicas())
        .map(|r| {
            let first = first_oom_by_pod(&run(&s, 0, r).1);
            assert_eq!(first.len(), 10, "run {r}: every pod is killed");
            first.into_values().collect()
        })
        .collect()
}

fn check(what: &str, yaml: &str) {
    let runs = first_ooms_by_pod(yaml);
    let n = runs.len() as f64;
    let ranges: Vec<f64> = runs
        .iter()
        .map(|t| {
            t.iter().copied().fold(f64::MIN, f64::max) - t.iter().copied().fold(f64::MAX, f64::min)
        })
        .collect();
    let mean_range = ranges.iter().sum::<f64>() / n;
    // Pooled within-run SD of the pods' first OOMs (the run's common part removed).
    let within: f64 = runs
        .iter()
        .map(|t| {
            let m = t.iter().sum::<f64>() / t.len() as f64;
            t.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        })
        .sum::<f64>()
        / (n * 9.0);
    let within = within.sqrt();
    let expected = RANGE_10 * SIGMA;
    let se = RANGE_10_SD * SIGMA / n.sqrt();
    eprintln!(
        "{what}: mean spread {mean_range:.1} s (expected {expected:.1} ± {se:.1}), pooled per-pod SD {within:.1} s (expected {SIGMA})"
    );
    // Four standard errors either way; round robin (~9 s) is ~20 SE below.
    assert!(
        (mean_range - expected).abs() < 4.0 * se,
        "{what}: spread {mean_range:.1} s, expected {expected:.1} ± {se:.1}"
    );
    // The pooled SD over 9 n degrees of freedom: relative SE 1/√(18 n) ≈ 2.4 % at 100 runs.
    assert!(
        (within / SIGMA - 1.0).abs() < 4.0 / (18.0 * n).sqrt(),
        "{what}: per-pod SD {within:.1} s, expected {SIGMA}"
    );
}

#[test]
fn per_request_pods_spread_like_independent_poisson_streams() {
    check(
        "per-request",
        &PODS.replace("name: pods", "name: pods\nfidelity: per-request"),
    );
}

#[test]
fn fluid_pods_spread_like_independent_poisson_streams() {
    check("fluid", PODS);
}

/// Per request, an uneven service sends each pod its weighted share, as fluid does.
///
/// 10 pods at 100 rps in all, `imbalance: 0.5` (each pod's weight log-normal: shares
/// from about a third to three times the mean), each leaking 64Ki a request with no limit
/// in reach: a pod's working set at the end counts its requests. The weights come from
/// each pod's own stream, so the same replica has the same weights at either fidelity;
/// the counts differ only by Poisson noise (SD ≈ √(2 × 6,000) ≈ 110 requests a pod). A
/// draw that ignored the weights would be off by about half a pod's share, ~3,000.
#[test]
fn per_request_picks_follow_the_pods_weights() {
    let yaml = r#"
name: shares
duration: 10m
scrapeInterval: 1m
nodes: [{name: n, capacity: 64Gi}]
workloads:
  - name: app
    replicas: 10
    containers:
      - name: app
        resources: {limits: {memory: 4Gi}}
        memory:
          leak: {perRequest: 64Ki}
traffic:
  - service: app
    rps: 100
    imbalance: 0.5
"#;
    // Requests each pod served by the last scrape, by pod name.
    let counts = |yaml: &str, replica: u32| {
        let (_, rec) = crate::support::run_sampled(&inline(yaml), 0, replica);
        let last = rec.samples.iter().map(|s| s.0).max().expect("scraped");
        let mut by_pod: Vec<(String, f64)> = rec
            .samples
            .iter()
            .filter(|s| s.0 == last)
            .map(|s| (s.1.clone(), s.3 as f64 / 65536.0))
            .collect();
        by_pod.sort_by(|a, b| a.0.cmp(&b.0));
        by_pod
    };
    let per_request = yaml.replace("name: shares", "name: shares\nfidelity: per-request");
    let (mut z2, mut n, mut spread) = (0.0, 0.0, 0.0f64);
    for replica in 0..4 {
        let (f, p) = (counts(yaml, replica), counts(&per_request, replica));
        assert_eq!(f.len(), 10);
        for ((pod_f, a), (pod_p, b)) in f.iter().zip(&p) {
            assert_eq!(pod_f, pod_p);
            z2 += (a - b).powi(2) / (a + b);
            n += 1.0;
            spread = spread.max(a / 6000.0).max(6000.0 / a);
        }
    }
    // The weights are uneven (else the test would not tell), and the counts agree: a
    // chi-square of 40 degrees of freedom is below 70 in 99.7 % of draws.
    eprintln!("chi-square {z2:.1} over {n} pods; shares up to {spread:.2}× the mean");
    assert!(spread > 1.5, "shares within {spread:.2}× of the mean");
    assert!(z2 < 70.0, "chi-square {z2:.1} over {n} pods");
}
