//! The HorizontalPodAutoscaler: its formula, its rate limits and its scale-down
//! stabilisation, and what a memory HPA does to a leaking workload.

use meshmem::model::EventKind;

use crate::support::{Ev, inline, run, secs};

fn rescales(events: &[Ev]) -> Vec<(f64, u32)> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Rescaled)
        .map(|e| {
            let size = e.message.split("New size: ").nth(1).unwrap();
            let n: u32 = size.split(';').next().unwrap().parse().unwrap();
            (secs(e.time), n)
        })
        .collect()
}

/// 2 pods, each 100m of CPU requested and 1 ms of CPU per request: 100 rps per pod is
/// 100 % of the request. Load `rps` until 30m, then 40 rps.
fn cpu(rps: u32) -> String {
    format!(
        r#"
name: hpa
duration: 1h
nodes: [{{name: n, count: 4, capacity: 64Gi}}]
workloads:
  - name: api
    replicas: 2
    containers:
      - name: api
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
        cpu: {{perRequest: 1ms}}
        memory: {{baseline: {{size: 32Mi}}}}
traffic:
  - service: api
    rps: {rps}
    steps: [{{at: 30m, rps: 40}}]
hpa:
  - {{workload: api, minReplicas: 1, maxReplicas: 20, resource: cpu, averageUtilization: 50}}
"#
    )
}

#[test]
fn the_hpa_follows_its_formula_and_rate_limit() {
    // 300 rps on 2 pods: 150 % of requests against a 50 % target, ratio 3 →
    // ⌈3 × 2⌉ = 6, but at most max(2 + 4, 2 × 2) = 6 in the first 15 s; then the
    // 6 pods run at 50 %: within the tolerance, no further change.
    let s = inline(&cpu(300));
    let (_, rec) = run(&s, 0, 0);
    let r = rescales(&rec.events);
    assert_eq!(r[0], (15.0, 6), "{r:?}");
    assert!(r.iter().all(|&(t, _)| t > 1800.0 || t == 15.0), "{r:?}");
    let first = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::Rescaled)
        .unwrap();
    assert!(
        first
            .message
            .contains("cpu resource utilization (percentage of request) above target"),
        "{}",
        first.message
    );
}

#[test]
fn scale_up_is_rate_limited_to_double_or_four_pods_per_period() {
    // 1000 rps: ratio 10 → 20 pods wanted; 2 → 6 → 12 → 20 every 15 s.
    let s = inline(&cpu(1000));
    let (_, rec) = run(&s, 0, 0);
    let r = rescales(&rec.events);
    assert_eq!(&r[..3], &[(15.0, 6), (30.0, 12), (45.0, 20)], "{r:?}");
}

#[test]
fn scale_down_waits_for_the_five_minute_stabilisation_window() {
    // At 30m the load drops to 40 rps: 6 pods at ~13 %. The HPA keeps the highest
    // recommendation of the last 300 s, so it scales down only 5 minutes later.
    let s = inline(&cpu(300));
    let (_, rec) = run(&s, 0, 0);
    let down = rescales(&rec.events)
        .into_iter()
        .find(|&(t, _)| t > 1800.0)
        .unwrap();
    assert!((2085.0..=2115.0).contains(&down.0), "{down:?}");
    // 6 pods at 6 % against 50 %: ⌈0.13 × 6⌉ = 1, and down may go 100 % per period.
    assert_eq!(down.1, 1);
}

#[test]
fn a_memory_hpa_scales_a_leaking_workload_out_and_every_replica_still_leaks() {
    let yaml = r#"
name: leak
duration: 3h
nodes: [{name: n, count: 4, capacity: 64Gi}]
workloads:
  - name: api
    replicas: 1
    containers:
      - name: api
        resources: {requests: {memory: 64Mi}, limits: {memory: 128Mi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 1Ki}
traffic:
  - service: api
    rps: 100
hpa:
  - {workload: api, minReplicas: 1, maxReplicas: 4, resource: memory, averageUtilization: 80}
"#;
    let s = inline(yaml);
    let (o, rec) = run(&s, 0, 0);
    let r = rescales(&rec.events);
    assert_eq!(
        r.iter().map(|x| x.1).max(),
        Some(4),
        "scaled out to maxReplicas: {r:?}"
    );
    assert!(r[0].1 == 2, "the first step is one more pod: {r:?}");
    // Spreading the load slows each replica's leak, but it still reaches the limit:
    // the kills go on in every replica.
    let killed: std::collections::BTreeSet<&str> = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::OomKilled)
        .map(|e| e.pod.as_str())
        .collect();
    assert!(killed.len() >= 4, "{killed:?}");
    assert!(o.oom_kills() > 4);
}
