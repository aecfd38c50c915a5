//! OOM kills at the exact instant usage reaches the limit, and what scrapes see.

use meshmem::model::EventKind;

use crate::support::{inline, run, run_sampled, secs};

#[test]
fn kill_happens_at_the_computed_crossing_and_moves_when_the_rate_changes() {
    // 20Mi baseline, 100Mi limit, leak 1Ki per request. 80Mi of headroom at 10 rps is
    // 8192 s; a step to 20 rps at 1000 s leaves 70Mi − (10 rps × 1000 s × 1Ki) … exact:
    // at 1000 s the leak holds 10 000Ki; the remaining 81 920Ki − 10 000Ki at 20Ki/s
    // takes 3596 s, so the kill is at 4596 s, not 8192 s.
    let s = inline(
        r#"
name: moving-crossing
duration: 3h
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 100Mi}}
        memory:
          baseline: {size: 20Mi}
          leak: {perRequest: 1Ki}
traffic:
  - service: app
    rps: 10
    steps: [{at: 1000s, rps: 20}]
"#,
    );
    let (_, rec) = run(&s, 0, 0);
    let kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert!(
        (secs(kill.time) - 4596.0).abs() < 1e-3,
        "killed at {}",
        secs(kill.time)
    );
    assert!(
        kill.message.contains("largest component leak"),
        "{}",
        kill.message
    );
}

#[test]
fn working_set_never_exceeds_the_limit_in_scrapes() {
    let s = crate::support::shipped("trace-sampling-leak.yaml");
    let (outcome, rec) = run_sampled(&s, 0, 0);
    assert!(outcome.oom_kills() > 0);
    assert!(!rec.samples.is_empty());
    for (t, pod, container, ws, limit) in &rec.samples {
        if let Some(limit) = limit {
            assert!(ws <= limit, "{pod}/{container} at {t:?}: {ws} > {limit}");
        }
    }
}

#[test]
fn scraping_does_not_change_the_outcome() {
    let s = crate::support::shipped("trace-sampling-leak.yaml");
    let (with, _) = run_sampled(&s, 0, 3);
    let (without, _) = run(&s, 0, 3);
    assert_eq!(with.containers, without.containers);
    assert_eq!(with.requests, without.requests);
}
