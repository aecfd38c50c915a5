//! OOM kills at the exact instant usage reaches the limit, and what scrapes see.

use meshmem::model::EventKind;

use crate::support::{inline, run, run_sampled, secs};

#[test]
fn kill_happens_at_the_computed_crossing_and_moves_when_the_rate_changes() {
    // 20Mi baseline, 100Mi limit, leak 1Ki per request: 81 920 requests fill it. At
    // 10 rps that is 8192 s; a step to 20 rps at 1000 s leaves 71 920 requests at
    // 20/s, so the kill comes at 4596 s on average, not 8192 s. Arrivals are Poisson:
    // the time of the 81 920th has a spread of about √81 920 / 20 ≈ 14 s (plus ~5 s
    // from the first 1000 s), in fluid fidelity as in per-request fidelity.
    let s = inline(
        r#"
name: moving-crossing
duration: 3h
replicas: 40
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
    let kills: Vec<f64> = (0..40)
        .map(|r| {
            let (_, rec) = run(&s, 0, r);
            let kill = rec
                .events
                .iter()
                .find(|e| e.kind == EventKind::OomKilled)
                .unwrap();
            assert!(
                kill.message.contains("largest component leak"),
                "{}",
                kill.message
            );
            secs(kill.time)
        })
        .collect();
    let mean = kills.iter().sum::<f64>() / 40.0;
    let sd = (kills.iter().map(|k| (k - mean).powi(2)).sum::<f64>() / 39.0).sqrt();
    assert!((mean - 4596.0).abs() < 10.0, "mean kill at {mean} s");
    assert!((8.0..25.0).contains(&sd), "spread {sd} s");
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

/// Regression: a container whose idle size alone is above its pod's limit started above
/// the pod cgroup's limit — containers.csv gave a 200Mi peak and the kill message "pod
/// cgroup out of memory (200Mi of 100Mi)". The kernel refuses the charge that would
/// cross the pod's limit: the pod holds 100Mi when the OOM killer picks its victim, and
/// no container's working set is ever above it.
#[test]
fn a_container_larger_than_its_pod_limit_is_killed_at_the_pod_limit() {
    let s = inline(
        r#"
name: above-pod-limit
duration: 5m
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    resources: {limits: {memory: 100Mi}}
    containers:
      - name: app
        memory:
          baseline: {size: 200Mi}
traffic:
  - service: app
    rps: 1
"#,
    );
    let (out, rec) = run(&s, 0, 0);
    let mib = 1048576.0;
    assert_eq!(out.containers[0].peak_bytes, 100.0 * mib);
    let kills: Vec<_> = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::OomKilled)
        .collect();
    assert!(kills.len() > 1, "killed and restarted, then killed again");
    for k in kills {
        assert!(
            k.message.contains("(100Mi of 100Mi)") && k.message.contains("(100Mi resident"),
            "{}",
            k.message
        );
    }
}
