//! The kubelet's restart back-off, observed through whole runs
//! (REFERENCE.md, "kubelet: restart back-off").

use meshmem::model::EventKind;

use crate::support::{inline, run, secs};

/// A container that leaks 1Mi/s under a 10Mi limit is OOM-killed 10 s after every start.
const CRASH_EVERY_10S: &str = r#"
name: crash-every-10s
duration: 1h
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 10Mi}}
        memory:
          leak: {perSecond: 1Mi}
"#;

/// Seconds between each OOM kill and the restart that follows it.
fn waits(events: &[crate::support::Ev]) -> Vec<f64> {
    let kills: Vec<f64> = events
        .iter()
        .filter(|e| e.kind == EventKind::OomKilled)
        .map(|e| secs(e.time))
        .collect();
    let restarts: Vec<f64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Restarted)
        .map(|e| secs(e.time))
        .collect();
    kills.iter().zip(&restarts).map(|(k, r)| r - k).collect()
}

#[test]
fn restart_backoff_doubles_from_zero_to_five_minutes() {
    let s = inline(CRASH_EVERY_10S);
    let (outcome, rec) = run(&s, 0, 0);
    let w = waits(&rec.events);
    assert_eq!(
        &w[..9],
        &[0.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]
    );
    // Kill instants: each start + 10 s exactly.
    let first_kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert_eq!(secs(first_kill.time), 10.0);
    assert_eq!(first_kill.exit_code, Some(137));
    assert_eq!(first_kill.reason, "OOMKilled");
    let restarted = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Restarted)
        .count();
    assert_eq!(outcome.restarts() as usize, restarted);
}

#[test]
fn backoff_messages_use_go_durations_like_the_kubelet() {
    let s = inline(CRASH_EVERY_10S);
    let (_, rec) = run(&s, 0, 0);
    let backoffs: Vec<_> = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::BackOff)
        .collect();
    let messages: Vec<&str> = backoffs.iter().map(|e| e.message.as_str()).collect();
    assert!(messages[0].ends_with(&format!("pod={}", backoffs[0].pod)));
    assert_eq!(backoffs[0].reason, "CrashLoopBackOff");
    assert!(messages[0].starts_with("back-off 10s restarting failed container=app pod=app-"));
    assert!(
        messages[4].starts_with("back-off 2m40s "),
        "{}",
        messages[4]
    );
    assert!(messages[5].starts_with("back-off 5m0s "), "{}", messages[5]);
}

/// Slow leak (1000 s to the limit) until a traffic step at 2100 s makes it 10 s.
const LONG_RUN_THEN_FAST: &str = r#"
name: long-run-then-fast
duration: 40m
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 100Mi}}
        memory:
          leak: {perRequest: 1Mi}
traffic:
  - service: app
    rps: 0.1
    steps: [{at: 2100s, rps: 10}]
"#;

#[test]
fn a_container_that_ran_over_ten_minutes_restarts_at_once_and_backoff_starts_over() {
    let s = inline(LONG_RUN_THEN_FAST);
    let (_, rec) = run(&s, 0, 0);
    let w = waits(&rec.events);
    // 1st kill: no entry yet, at once. 2nd kill after a 1000 s run: the entry expired
    // (> 600 s since the last restart), at once. Then fast crashes: 10 s, 20 s, ...
    assert_eq!(&w[..5], &[0.0, 0.0, 10.0, 20.0, 40.0], "waits {w:?}");
    let kills: Vec<f64> = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::OomKilled)
        .map(|e| secs(e.time))
        .collect();
    // 100 requests of 1Mi at 0.1 rps: about 1000 s each run (Poisson: ±100 s).
    assert!(
        (600.0..1400.0).contains(&kills[0]) && (1200.0..2100.0).contains(&kills[1]),
        "{kills:?}"
    );
}

#[test]
fn reduced_decay_feature_gate_backs_off_from_one_second_to_one_minute() {
    let yaml = CRASH_EVERY_10S.replace(
        "nodes:",
        "kubelet: {featureGates: {ReduceDefaultCrashLoopBackOffDecay: true}}\nnodes:",
    );
    let (_, rec) = run(&inline(&yaml), 0, 0);
    assert_eq!(
        &waits(&rec.events)[..9],
        &[0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    );
}

#[test]
fn a_crash_looping_pod_is_not_ready_while_its_container_is_down() {
    let s = inline(CRASH_EVERY_10S);
    let (_, rec) = run(&s, 0, 0);
    let kinds: Vec<EventKind> = rec
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::OomKilled
                    | EventKind::NotReady
                    | EventKind::Ready
                    | EventKind::Restarted
            )
        })
        .map(|e| e.kind)
        .take(6)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Ready,
            EventKind::OomKilled,
            EventKind::NotReady,
            EventKind::Restarted,
            EventKind::Ready,
            EventKind::OomKilled
        ]
    );
}
