//! Stepping a run and looking at the cluster between events: what a drill shows.

use meshmem::engine::SimTime;
use meshmem::model::snapshot::ContainerStatus;
use meshmem::model::{Action, EventKind};
use meshmem::runner;

use crate::support::{Collect, inline, run};

const LEAK: &str = r#"
name: leak
duration: 2h
nodes: [{name: node-a, capacity: 8Gi}]
workloads:
  - name: api
    replicas: 2
    containers:
      - name: api
        resources: {requests: {memory: 48Mi}, limits: {memory: 64Mi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 1Ki}
traffic:
  - service: api
    rps: 200
"#;

#[test]
fn stepping_in_pieces_gives_the_same_run_as_running_through() {
    let s = inline(LEAK);
    let (whole, rec) = run(&s, 0, 0);
    let mut w = runner::world(&s, 0, 0, Collect::default());
    for minutes in [1, 7, 7, 30, 61] {
        w.run_until(SimTime::from_secs(minutes * 60));
        let _ = w.snapshot();
    }
    let (stepped, rec2) = w.run();
    assert_eq!(whole, stepped);
    assert_eq!(rec.events.len(), rec2.events.len());
}

#[test]
fn a_snapshot_after_an_oom_kill_shows_what_kubectl_describe_shows() {
    // 32Mi of headroom at 100 rps per pod × 1Ki: killed about 327.7 s in (Poisson
    // arrivals: ±1.8 s each), restarted at once.
    let s = inline(LEAK);
    let mut w = runner::world(&s, 0, 0, Collect::default());
    let t = w.step_until(SimTime::from_secs(3600), |rec| {
        rec.events.iter().any(|e| e.kind == EventKind::OomKilled)
    });
    assert!((318.0..336.0).contains(&t.as_secs_f64()), "{t:?}");
    let snap = w.snapshot();
    assert_eq!(snap.time, t);
    let killed = snap
        .pods
        .iter()
        .flat_map(|p| &p.containers)
        .find(|c| c.last_state.is_some())
        .expect("a container with a last state");
    let last = killed.last_state.as_ref().unwrap();
    assert_eq!((last.reason, last.exit_code), ("OOMKilled", 137));
    assert_eq!(last.finished, t);
    assert_eq!(killed.restart_count, 1, "the first restart is immediate");
    assert!(matches!(killed.state, ContainerStatus::Running { .. }));
    assert_eq!(snap.workloads[0].desired, 2);
}

#[test]
fn an_injected_action_applies_at_its_time() {
    let s = inline(LEAK);
    let mut w = runner::world(&s, 0, 0, Collect::default());
    w.run_until(SimTime::from_secs(100));
    w.inject(
        SimTime::from_secs(100),
        "scale-down",
        Action::Scale {
            workload: 0,
            replicas: 0,
        },
    );
    let (outcome, rec) = w.run();
    assert_eq!(outcome.oom_kills(), 0, "no pod left to leak");
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::Action && e.reason == "scale-down")
    );
}
