//! Fluid and per-request fidelity agree on the benches' mesh at the scale of the
//! benches, every mechanism on at once: 100 pods at 100 rps, 100 % trace sampling, the
//! stats flush every second (in closed form in fluid fidelity, as events per request),
//! requests in flight, and the app's cache growth as a leak — here 11Ki a request, so
//! each app fills its 392Mi of headroom after ~36,500 requests (~6 min; Poisson SD ~2 s,
//! pulled in as killed pods' traffic moves to the others).
//!
//! Each pod's first OOM kill, pooled over replicas, must have the same distribution at
//! both fidelities (means within 2 %, SD ratio within [0.8, 1.25], KS not rejected at
//! 1 %).

use crate::support::{first_oom_by_pod, inline, run};
use crate::twosample::Agreement;

const MESH: &str = r#"
name: mesh
duration: 8m
nodes: [{name: worker, count: 11, capacity: 64Gi}]
mesh:
  traceSampling: 100
  tracing: {spanSize: 1Ki, collectorCapacity: 91, flushInterval: 5s}
  proxy:
    memory:
      baseline: {size: 40Mi}
workloads:
  - name: mesh
    replicas: 100
    annotations:
      sidecar.istio.io/proxyMemoryLimit: 128Mi
      sidecar.istio.io/statsFlushInterval: 1s
    containers:
      - name: app
        resources:
          requests: {memory: 128Mi}
          limits: {memory: 512Mi}
        memory:
          baseline: {size: 120Mi}
          leak: {perRequest: 11Ki}
traffic:
  - service: mesh
    rps: 10000
"#;

/// Each pod's first OOM kill (seconds), over `replicas` runs.
fn first_ooms(yaml: &str, replicas: u32) -> Vec<f64> {
    let s = inline(yaml);
    let mut all = Vec::new();
    for r in 0..replicas {
        let first = first_oom_by_pod(&run(&s, 0, r).1);
        assert_eq!(first.len(), 100, "replica {r}: every app is killed");
        all.extend(first.into_values());
    }
    all
}

#[test]
fn the_benches_mesh_kills_each_pod_alike_at_both_fidelities() {
    let replicas = if cfg!(debug_assertions) { 1 } else { 2 };
    let fluid = first_ooms(MESH, replicas);
    let exact = first_ooms(
        &MESH.replace("duration: 8m\n", "duration: 8m\nfidelity: per-request\n"),
        replicas,
    );
    let a = Agreement::of(&fluid, &exact);
    eprintln!(
        "100 pods: fluid mean {:.1} sd {:.2} | per-request mean {:.1} sd {:.2} | ratio {:.3} KS D {:.3} p {:.3}",
        a.fluid.0,
        a.fluid.1,
        a.exact.0,
        a.exact.1,
        a.sd_ratio(),
        a.ks_d,
        a.ks_p
    );
    // The mechanism's number: ~36,500 requests at 100 rps, less what others' kills add.
    assert!((300.0..400.0).contains(&a.exact.0), "{a:?}");
    a.assert_agree("the benches' mesh, 100 pods");
}
