//! Alert rules fire as Prometheus would; the summary gives their lead over the first OOM.

use meshmem::model::EventKind;

use crate::support::{inline, run, shipped};

#[test]
fn memory_near_limit_fires_five_minutes_after_crossing_80_percent() {
    // 10Ki/s under a 100Mi limit: 80 % at 8192 s, the limit at 10 240 s. Scrapes every
    // 15 s: the condition is first seen at 8205 s, fires at 8505 s — 1735 s of lead.
    let s = inline(
        r#"
name: lead
duration: 4h
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 100Mi}}
        memory: {leak: {perSecond: 10Ki}}
alerts:
  - {name: PodMemoryNearLimit, memoryNearLimit: {ratio: 0.8}, for: 5m}
  - {name: PodOOMKilled, lastTerminatedReason: OOMKilled}
"#,
    );
    let (outcome, rec) = run(&s, 0, 0);
    let (at, name) = outcome.first_alert.clone().unwrap();
    assert_eq!(name, "PodMemoryNearLimit");
    assert_eq!(at.as_secs_f64(), 8505.0);
    assert!((outcome.alert_lead().unwrap() - 1735.0).abs() < 1e-3);
    let oom_alert = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::AlertFiring && e.reason == "PodOOMKilled")
        .unwrap();
    assert_eq!(oom_alert.time.as_secs_f64(), 10245.0);
}

#[test]
fn the_seeds_restart_rate_rule_never_fires_because_rate_is_per_second() {
    let s = shipped("cache-crashloop.yaml");
    let (outcome, rec) = run(&s, 0, 0);
    assert!(outcome.restarts() > 100);
    assert!(!rec.events.iter().any(|e| e.reason == "HighPodRestartRate"));
    // Its other rules fire only once pods have already been killed.
    assert!(outcome.alert_lead().unwrap() <= 0.0);
}
