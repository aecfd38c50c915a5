//! The Envoy sidecar's mechanisms: Istio's sizing, what a short stats-flush interval
//! costs under a CPU quota and its threshold, connection memory with and without mTLS,
//! and 503 flags.

use meshmem::model::EventKind;
use meshmem::model::routing::ResponseFlag;

use crate::support::{inline, run, run_sampled, secs};

/// One pod with Istio's defaults; traffic steps from nothing to 1000 rps at 10m.
const DEFAULTS: &str = r#"
name: sizing
duration: 20m
nodes: [{name: n, capacity: 16Gi}]
mesh: {}
workloads:
  - name: app
    containers: [{name: app}]
traffic:
  - service: app
    rps: 0
    steps: [{at: 10m, rps: 1000}]
"#;

#[test]
fn a_default_sidecar_at_1000_rps_sits_40_to_60_mb_above_idle() {
    let (_, rec) = run_sampled(&inline(DEFAULTS), 0, 0);
    let proxy_at = |t: f64| {
        rec.samples
            .iter()
            .find(|(time, _, c, _, _)| c == "istio-proxy" && secs(*time) == t)
            .map(|s| s.3 as f64)
            .unwrap()
    };
    // Istio's published sizing (REFERENCE.md): ~60 MB per 1000 rps on the 1.24 page,
    // 40 MB on earlier ones.
    let above_idle_mb = (proxy_at(900.0) - proxy_at(300.0)) / 1e6;
    assert!((40.0..=60.0).contains(&above_idle_mb), "{above_idle_mb} MB");
}

/// A 400-service mesh; one pod under a steady load; the flush interval and the CPU
/// limit vary.
fn spiral(flush: &str, cpu_limit: &str, rps: u32) -> String {
    format!(
        r#"
name: spiral
duration: 30m
nodes: [{{name: n, capacity: 16Gi}}]
mesh: {{services: 400, endpointsPerService: 5}}
workloads:
  - name: api
    annotations:
      sidecar.istio.io/proxyCPULimit: {cpu_limit}
      sidecar.istio.io/proxyMemoryLimit: 512Mi
      sidecar.istio.io/statsFlushInterval: {flush}
    containers: [{{name: api}}]
traffic:
  - service: api
    rps: {rps}
"#
    )
}

fn proxy_kills(yaml: &str) -> u32 {
    let (outcome, _) = run(&inline(yaml), 0, 0);
    outcome.container("api", "istio-proxy").unwrap().oom_kills
}

// The threshold, from the CPU split (src/model/cpu.rs). 500m quota, 2 workers, 200 µs
// per request: 2500 rps without a flush. A flush (60 500 stats × 1.4 µs = 85 ms of
// work) makes the main thread a third runnable thread: the workers keep 1/3 of a core
// (1667 rps) for the 0.51 s it lasts. Averaged over a cycle of interval + flush, the
// proxy serves 2219 rps with a 1 s interval and 2460 rps with 10 s.

#[test]
fn under_the_same_load_a_1s_flush_overloads_the_proxy_and_a_10s_flush_does_not() {
    assert!(proxy_kills(&spiral("1s", "500m", 2350)) > 0);
    assert_eq!(proxy_kills(&spiral("10s", "500m", 2350)), 0);
    // Below the 1 s threshold the backlog of each flush drains before the next.
    assert_eq!(proxy_kills(&spiral("1s", "500m", 2100)), 0);
}

#[test]
fn raising_the_cpu_limit_alone_moves_the_threshold() {
    assert_eq!(proxy_kills(&spiral("1s", "1000m", 2350)), 0);
    // With a full core the threshold sits near 4660 rps.
    assert_eq!(proxy_kills(&spiral("1s", "1000m", 4400)), 0);
    assert!(proxy_kills(&spiral("1s", "1000m", 4900)) > 0);
}

#[test]
fn flushes_never_queue_the_proxy_dies_of_the_requests_it_holds() {
    let yaml = spiral("1s", "500m", 2350);
    let s = inline(&yaml);
    let (_, rec) = run(&s, 0, 0);
    let kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert!(
        kill.message.contains("largest component inFlight"),
        "{}",
        kill.message
    );
    // Envoy re-arms its flush timer when a flush ends: no flush is ever dropped, and a
    // flush under the saturated quota takes about 0.51 s.
    let mut w = meshmem::runner::world(&s, 0, 0, crate::support::Collect::default());
    w.run_until(meshmem::engine::SimTime::from_secs(20));
    let snap = w.snapshot();
    let proxy = snap.pods[0]
        .containers
        .iter()
        .find(|c| c.name == "istio-proxy")
        .and_then(|c| c.proxy.clone())
        .unwrap();
    assert_eq!(proxy.dropped_stat_flushes, 0);
    let took = proxy.stats_flush_duration.unwrap().as_secs_f64();
    assert!((0.45..0.56).contains(&took), "a flush took {took} s");
}

#[test]
fn turning_mtls_off_saves_connection_memory_and_is_a_policy_violation() {
    let yaml = DEFAULTS.replace(
        "traffic:",
        "timeline:\n  - {at: 15m, peerAuthentication: {mode: DISABLE}}\ntraffic:",
    );
    let (outcome, rec) = run_sampled(&inline(&yaml), 0, 0);
    let at = |t: f64| {
        rec.samples
            .iter()
            .find(|(time, _, c, _, _)| c == "istio-proxy" && secs(*time) == t)
            .map(|s| s.3 as f64)
            .unwrap()
    };
    // 1000 connections × (48Ki − 16Ki).
    let saved = at(870.0) - at(930.0);
    assert!(
        (saved - 1000.0 * 32.0 * 1024.0).abs() < 0.5e6,
        "saved {saved} B"
    );
    assert_eq!(outcome.policy_violations, 1);
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::PolicyViolation)
    );
}

/// Two pods that leak until killed every few minutes and take 5 s to be ready again
/// (probed every second, so readiness follows at once).
const ONE_LEAKY_POD: &str = r#"
name: leaky
duration: 1h
nodes: [{name: n, capacity: 16Gi}]
workloads:
  - name: api
    replicas: 2
    containers:
      - name: api
        resources: {limits: {memory: 64Mi}}
        readinessDelay: 5s
        readinessProbe: {period: 1s}
        memory:
          baseline: {size: 32Mi}
          inFlight: {latency: 50ms, perRequest: 1Ki}
          leak: {perRequest: 1Ki}
traffic:
  - service: api
    rps: 400
"#;

#[test]
fn requests_to_a_dead_endpoint_fail_uf_until_clients_learn_and_in_flight_ones_uc() {
    let s = inline(ONE_LEAKY_POD);
    let (outcome, _) = run(&s, 0, 0);
    let kills = f64::from(outcome.oom_kills());
    assert!(kills > 2.0);
    let r = &outcome.requests;
    // Each kill: the pod's 200 rps keep arriving for the 1 s propagation → ~200 UF, or
    // 400 when the other pod is still restarting and the dead one had all the load;
    // its 200 rps × 50 ms = 10 requests in flight (20 with the other pod's share) are
    // reset → UC.
    let uf_per_kill = r.errors(ResponseFlag::Uf) / kills;
    let uc_per_kill = r.errors(ResponseFlag::Uc) / kills;
    assert!(
        (150.0..=400.0).contains(&uf_per_kill),
        "UF per kill {uf_per_kill}"
    );
    assert!(
        (8.0..=20.0).contains(&uc_per_kill),
        "UC per kill {uc_per_kill}"
    );
    assert_eq!(r.errors(ResponseFlag::Nr), 0.0);
    let flags: f64 = ResponseFlag::ALL.iter().map(|&f| r.errors(f)).sum();
    assert!((flags - r.total_503()).abs() < 1e-6);
}

#[test]
fn without_propagation_delay_clients_never_hit_a_dead_endpoint() {
    let yaml = ONE_LEAKY_POD.replace("workloads:", "mesh: {endpointPropagation: 0s}\nworkloads:");
    // The mesh adds sidecars; only the propagation matters here.
    let (outcome, _) = run(&inline(&yaml), 0, 0);
    assert_eq!(outcome.requests.errors(ResponseFlag::Uf), 0.0);
}

#[test]
fn a_sidecar_scope_narrows_the_config_a_proxy_holds() {
    let mesh = |scope: &str| {
        format!(
            "name: scope\nduration: 1m\nnodes: [{{name: n, capacity: 16Gi}}]\n\
             mesh: {{services: 400, endpointsPerService: 5}}\n\
             workloads:\n  - name: api\n    containers: [{{name: api}}]\n{scope}"
        )
    };
    let proxy_bytes = |yaml: String| {
        let (_, rec) = run_sampled(&inline(&yaml), 0, 0);
        rec.samples.iter().find(|s| s.2 == "istio-proxy").unwrap().3 as f64
    };
    let whole = proxy_bytes(mesh(""));
    let scoped = proxy_bytes(mesh("    proxy: {scope: {services: 20}}\n"));
    // 380 clusters fewer: 37 KB each, 5 hosts × 1.4 KB each, 150 stats × 100 B each.
    let expected = 380.0 * (37_000.0 + 5.0 * 1_400.0 + 150.0 * 100.0);
    assert!(
        (whole - scoped - expected).abs() < 1.0,
        "{}",
        whole - scoped
    );
}
