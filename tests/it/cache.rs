//! The cache law: an unbounded cache grows toward its key universe; a bound or a TTL
//! levels it off where the mechanism says.

use crate::support::{inline, run_sampled, secs};

/// 10 000 equally popular keys, 1Ki each, 10 lookups per second.
fn cache(extra: &str) -> String {
    format!(
        r#"
name: cache
duration: 10h
scrapeInterval: 1m
nodes: [{{name: n, capacity: 4Gi}}]
workloads:
  - name: app
    containers:
      - name: app
        memory:
          cache: {{keys: 10000, entrySize: 1Ki{extra}}}
traffic:
  - service: app
    rps: 10
"#
    )
}

fn entries_at(yaml: &str, t: f64) -> f64 {
    let (_, rec) = run_sampled(&inline(yaml), 0, 0);
    let s = rec.samples.iter().find(|s| secs(s.0) == t).unwrap();
    s.3 as f64 / 1024.0
}

#[test]
fn an_unbounded_cache_fills_its_key_universe_exponentially() {
    let yaml = cache("");
    // Uniform keys: entries = K (1 − e^(−λt/K)); λt/K = 1 after 1000 s.
    let expected = 10_000.0 * (1.0 - (-1.0f64).exp());
    assert!((entries_at(&yaml, 1020.0) - 10_000.0 * (1.0 - (-1.02f64).exp())).abs() < 30.0);
    assert!(
        (entries_at(&yaml, 960.0) - 10_000.0 * (1.0 - (-0.96f64).exp())).abs() < 30.0,
        "{expected}"
    );
    assert!(entries_at(&yaml, 36_000.0) > 9_999.0);
}

#[test]
fn an_lru_bound_levels_the_cache_off() {
    let yaml = cache(", maxEntries: 2000");
    assert!((entries_at(&yaml, 36_000.0) - 2000.0).abs() < 1.0);
}

#[test]
fn a_ttl_holds_each_key_for_its_share_of_time() {
    // Per key 0.001 lookups/s and a 1000 s TTL: cached a·T / (1 + a·T) = 1/2 of the time.
    let yaml = cache(", ttl: 1000s");
    assert!((entries_at(&yaml, 36_000.0) - 5000.0).abs() < 10.0);
}
