//! Fluid and per-request fidelity agree law by law, with traffic noise off.
//!
//! With a constant rate the only randomness left is the arrivals themselves, so each
//! test measures whether fluid fidelity carries the variance of the counting process it
//! replaces. Each law gets a scenario where that law alone drives the container to its
//! limit (or, where it cannot accumulate, to its peak), run 200 times at each fidelity:
//! means within 2 %, SD ratio within [0.8, 1.25], two-sample KS not rejected at 1 %.
//!
//! The statistic distinguishes: before fluid fidelity drew its arrivals, a leak of 64Ki
//! per request at 1 rps filled 1,024 requests' worth at exactly 1,024.0 s in every run (SD
//! 0, ratio 0 — and KS D = 0.5 at least, p < 1e-20), where the Poisson process gives
//! SD √1024 / 1 = 32 s.

use meshmem::scenario::Scenario;

use crate::support::{inline, run, secs};
use crate::twosample::Agreement;

/// Replicas per fidelity. Each run is ~1,000–3,000 events, so 200 stay cheap in the
/// unoptimised profile too.
fn replicas() -> u32 {
    200
}

fn both(yaml: &str) -> (Scenario, Scenario) {
    let fluid = inline(yaml);
    let exact = inline(&yaml.replace("name: law", "name: law\nfidelity: per-request"));
    (fluid, exact)
}

fn first_ooms(s: &Scenario) -> Vec<f64> {
    (0..replicas())
        .map(|r| secs(run(s, 0, r).0.first_oom().expect("every run OOMs")))
        .collect()
}

fn compare(what: &str, yaml: &str, measure: fn(&Scenario) -> Vec<f64>) -> Agreement {
    let (fluid, exact) = both(yaml);
    let a = Agreement::of(&measure(&fluid), &measure(&exact));
    eprintln!(
        "{what}: fluid mean {:.1} sd {:.2} | per-request mean {:.1} sd {:.2} | gap {:.4} ratio {:.3} KS D {:.3} p {:.3}",
        a.fluid.0,
        a.fluid.1,
        a.exact.0,
        a.exact.1,
        a.mean_gap(),
        a.sd_ratio(),
        a.ks_d,
        a.ks_p
    );
    a
}

/// 64Ki leaked per request at 1 rps; 96Mi limit on a 32Mi baseline: 1,024 requests to
/// fill, so the first OOM is the 1,024th arrival — Gamma(1024, 1): mean 1,024 s, SD 32 s.
const LEAK: &str = r#"
name: law
duration: 40m
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 96Mi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 64Ki}
traffic:
  - service: app
    rps: 1
"#;

#[test]
fn leak_per_request() {
    let a = compare("leak", LEAK, first_ooms);
    // The mechanism's numbers: Gamma(1024, 1).
    assert!(
        (a.exact.0 - 1024.0).abs() < 3.0 * 32.0 / 14.1 + 1.0,
        "{a:?}"
    );
    assert!((24.0..40.0).contains(&a.exact.1), "{a:?}");
    a.assert_agree("leak");
}

/// A CPU-bound container: 1 s of CPU per request under a 1-core limit serves 1 rps; 2 rps
/// arrive, so the backlog grows by N(t) − t, each waiting request holding 64Ki. 1,024
/// held requests fill the limit at about 1,024 s; SD ≈ √(2 × 1024) / 1 ≈ 45 s.
const BACKLOG: &str = r#"
name: law
duration: 40m
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 96Mi, cpu: 1}}
        cpu: {perRequest: 1s}
        memory:
          baseline: {size: 32Mi}
          inFlight: {latency: 1s, perRequest: 64Ki}
traffic:
  - service: app
    rps: 2
"#;

#[test]
fn in_flight_backlog() {
    let a = compare("backlog", BACKLOG, first_ooms);
    assert!((30.0..60.0).contains(&a.exact.1), "{a:?}");
    a.assert_agree("backlog");
}

/// A cache over 10M uniformly popular keys, 64Ki an entry, one lookup per request at
/// 1 rps: almost every lookup misses (at most 1e-4 of the keys are cached), so 1,024
/// insertions fill the limit, as for the leak.
const CACHE: &str = r#"
name: law
duration: 40m
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 96Mi}}
        memory:
          baseline: {size: 32Mi}
          cache: {keys: 10000000, entrySize: 64Ki}
traffic:
  - service: app
    rps: 1
"#;

#[test]
fn cache_insertions() {
    let a = compare("cache", CACHE, first_ooms);
    assert!((24.0..40.0).contains(&a.exact.1), "{a:?}");
    a.assert_agree("cache");
}

/// Zipkin's reporter: 100 rps all sampled, a collector slower than that, so each report
/// of 5 spans waits out the 5 s timeout: about 500 spans (1Mi each) held, no OOM under
/// 4Gi. The tracer is bounded (docs/reference.md#envoy-zipkin-tracer): it does not
/// accumulate arrivals, it holds what arrived in the last 5 s. Per-request fidelity
/// fluctuates around that level (the number of reports in flight: SD ≈ 5 spans ×
/// √(100 / 5) ≈ 22 spans), and its peak over 10 minutes sits ~4 SD above the level. What
/// kills a tracer near its limit is that peak, so fluid fidelity draws each step's
/// busiest moment (`model/memory/busiest.rs`) and the two must agree on the peak's
/// distribution as well as on the level (the working set's time average, scraped every
/// 15 s).
///
/// Before the busiest moments, fluid's peak was its level: 532.1 MiB with SD 0.26 against
/// per-request's 609.7 MiB, SD 9.35 — a container limit between the two was safe at
/// fluid fidelity and killed at per-request.
const TRACE: &str = r#"
name: law
duration: 10m
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 4Gi}}
        memory:
          baseline: {size: 32Mi}
          traceBuffer: {sampling: 100, spanSize: 1Mi, exportRate: 50}
traffic:
  - service: app
    rps: 100
"#;

/// Per run: the mean working set over the scrapes after the first minute, and the peak
/// (MiB).
fn level_and_peak(s: &Scenario) -> (Vec<f64>, Vec<f64>) {
    (0..replicas())
        .map(|r| {
            let (o, rec) = crate::support::run_sampled(s, 0, r);
            let w: Vec<f64> = rec
                .samples
                .iter()
                .filter(|x| secs(x.0) >= 60.0)
                .map(|x| x.3 as f64 / 1048576.0)
                .collect();
            (
                w.iter().sum::<f64>() / w.len() as f64,
                o.containers[0].peak_bytes / 1048576.0,
            )
        })
        .unzip()
}

/// The level and the peak of a law that holds the last few seconds' arrivals.
fn compare_level_and_peak(what: &str, yaml: &str) -> (Agreement, Agreement) {
    let (fluid, exact) = both(yaml);
    let (fl, fp) = level_and_peak(&fluid);
    let (el, ep) = level_and_peak(&exact);
    let (level, peak) = (Agreement::of(&fl, &el), Agreement::of(&fp, &ep));
    eprintln!(
        "{what} level (MiB): fluid {:.1} sd {:.2} | per-request {:.1} sd {:.2}; peak (MiB): fluid {:.1} sd {:.2} | per-request {:.1} sd {:.2} | ratio {:.3} KS D {:.3} p {:.3}",
        level.fluid.0,
        level.fluid.1,
        level.exact.0,
        level.exact.1,
        peak.fluid.0,
        peak.fluid.1,
        peak.exact.0,
        peak.exact.1,
        peak.sd_ratio(),
        peak.ks_d,
        peak.ks_p
    );
    assert!(level.mean_gap() < 0.02, "{what}: levels differ: {level:?}");
    peak.assert_agree(what);
    (level, peak)
}

#[test]
fn trace_buffer_level_and_peak() {
    let (level, peak) = compare_level_and_peak("trace buffer", TRACE);
    // 32Mi + 500 spans + ~2 spans buffered; the peak ~4 SD (~85 spans) above.
    assert!((525.0..540.0).contains(&level.exact.0), "{level:?}");
    assert!((590.0..630.0).contains(&peak.exact.0), "{peak:?}");
}

/// Requests in flight without a CPU limit: 100 rps each held 500 ms, 1Mi each — 50 in
/// flight on average (Little's law), one instant's count Poisson(50), SD 7. Per-request
/// fidelity peaks ~4 SD above over 10 minutes; fluid holds the mean and draws each step's
/// busiest moment.
const IN_FLIGHT: &str = r#"
name: law
duration: 10m
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 4Gi}}
        memory:
          baseline: {size: 32Mi}
          inFlight: {latency: 500ms, perRequest: 1Mi}
traffic:
  - service: app
    rps: 100
"#;

#[test]
fn in_flight_level_and_peak() {
    let (level, peak) = compare_level_and_peak("in flight", IN_FLIGHT);
    assert!((80.0..84.0).contains(&level.exact.0), "{level:?}");
    assert!((110.0..125.0).contains(&peak.exact.0), "{peak:?}");
}

/// The same requests in flight under a limit between their level (82Mi) and their median
/// peak (~113Mi): fluid fidelity must kill as often as per-request fidelity does. Fluid
/// holds the mean and reaches this limit only at a step's busiest moment, which it holds
/// in closed form (`model/memory/pulse.rs`): the limit's instant must read it, or fluid
/// would never kill here.
#[test]
fn in_flight_kills_at_its_busiest_moment() {
    let yaml = IN_FLIGHT.replace("limits: {memory: 4Gi}", "limits: {memory: 113Mi}");
    let (fluid, exact) = both(&yaml);
    let killed = |s: &Scenario| {
        let n = (0..replicas())
            .filter(|&r| run(s, 0, r).0.first_oom().is_some())
            .count();
        n as f64 / f64::from(replicas())
    };
    let (f, e) = (killed(&fluid), killed(&exact));
    eprintln!("in flight under 113Mi: P(OOM within 10 min) fluid {f:.3}, per-request {e:.3}");
    assert!((0.2..0.8).contains(&e), "per-request {e}");
    // Two proportions of 200 runs near one half: SD of the gap 0.05.
    assert!((f - e).abs() < 0.15, "fluid {f}, per-request {e}");
}

/// `meshmem plan` on the leak: the smallest limit with P(OOM within 30 min) ≤ 1 %, in
/// steps of 2Mi. The fill after 30 minutes is N(1800) requests, SD √1800 ≈ 42 (2.6Mi),
/// so the answer sits about three SDs above the mean fill: 32Mi + 64Ki × ~1,930 ≈ 153Mi.
/// A fidelity without arrival variance fills exactly 1,800 requests (144.5Mi) and would
/// answer 146Mi, four steps lower: the planner's "one step below fails" line drawn on an
/// artefact.
#[test]
fn plan_gives_the_same_limit_at_both_fidelities() {
    use meshmem::engine::SimDuration;
    use meshmem::model::Bytes;
    use meshmem::runner::plan::{PlanRequest, Verdict, plan};
    let (fluid, exact) = both(LEAK);
    let limit = |s: &Scenario| {
        let req = PlanRequest {
            config: s.variants[0].config.clone(),
            seed: s.seed,
            workload: "app".into(),
            container: "app".into(),
            risk: 0.01,
            within: SimDuration::from_secs(1800),
            step: Bytes::mib(2),
            min_runs: 100,
            max_runs: 800,
            search_only: false,
        };
        let p = plan(&req).unwrap();
        let l = p.limit.expect("a limit");
        assert_eq!(l.verdict, Verdict::Pass);
        l.limit.0 as f64 / 1048576.0
    };
    let (f, e) = (limit(&fluid), limit(&exact));
    eprintln!("plan: fluid {f}Mi, per-request {e}Mi");
    assert!((f - e).abs() <= 2.0, "fluid {f}Mi, per-request {e}Mi");
    // Both well above the no-variance answer (146Mi): the tail is Poisson's.
    for l in [f, e] {
        assert!((150.0..=158.0).contains(&l), "{l}Mi");
    }
}

/// Envoy's stats flush with nothing else moving: a proxy that leaks 16Ki a second and
/// holds a 10,000 × 1Ki snapshot (~9.8Mi) for each 0.2 s flush, every 1 s after the
/// last one ended. Without the snapshot the proxy would reach its 64Mi limit after the
/// run; with it, the kill comes at the first flush that starts once the trend is within
/// one snapshot of the limit. Fluid fidelity draws the flush as a ripple in closed form,
/// per-request fidelity as events: the kill is the same instant in every run (to a few
/// nanoseconds of float rounding), and so is the peak.
const STATS_FLUSH: &str = r#"
name: law
duration: 20m
nodes: [{name: n, capacity: 4Gi}]
mesh:
  proxy:
    memory:
      baseline: {size: 40Mi}
      leak: {perSecond: 16Ki}
    stats: {base: 10000, perCluster: 0, bytesPerStat: 100, snapshotBytesPerStat: 1Ki, cpuPerStat: 20us}
workloads:
  - name: app
    annotations:
      sidecar.istio.io/proxyMemory: 32Mi
      sidecar.istio.io/proxyMemoryLimit: 64Mi
      sidecar.istio.io/statsFlushInterval: 1s
    containers:
      - name: app
        resources: {limits: {memory: 64Mi}}
        memory: {baseline: {size: 10Mi}}
"#;

#[test]
fn stats_flush_kills_at_the_same_instant_as_events() {
    let (fluid, exact) = both(STATS_FLUSH);
    let proxy = |o: &meshmem::model::outcome::RunOutcome| {
        o.containers
            .iter()
            .find(|c| c.container == "istio-proxy")
            .expect("a sidecar")
            .clone()
    };
    for r in 0..20 {
        let (f, e) = (run(&fluid, 0, r).0, run(&exact, 0, r).0);
        let (fp, ep) = (proxy(&f), proxy(&e));
        let (ft, et) = (
            secs(fp.first_oom.expect("fluid: the snapshot kills")),
            secs(ep.first_oom.expect("per request: the snapshot kills")),
        );
        assert!(
            (ft - et).abs() < 1e-6,
            "replica {r}: fluid {ft} s, events {et} s"
        );
        // Between the trend reaching limit − snapshot and one flush cycle later.
        assert!((600.0..1200.0).contains(&ft), "replica {r}: {ft} s");
        assert_eq!(fp.oom_kills, ep.oom_kills, "replica {r}");
        assert!(
            (fp.peak_bytes - ep.peak_bytes).abs() < 1.0,
            "replica {r}: peaks {} vs {}",
            fp.peak_bytes,
            ep.peak_bytes
        );
    }
    // Under a limit it never reaches, the peak is the last flush's: ~70Mi.
    let (fluid, exact) =
        both(&STATS_FLUSH.replace("proxyMemoryLimit: 64Mi", "proxyMemoryLimit: 256Mi"));
    for r in 0..5 {
        let (fp, ep) = (proxy(&run(&fluid, 0, r).0), proxy(&run(&exact, 0, r).0));
        assert_eq!((fp.oom_kills, ep.oom_kills), (0, 0));
        let mib = fp.peak_bytes / 1048576.0;
        assert!((68.0..72.0).contains(&mib), "replica {r}: peak {mib:.2}Mi");
        assert!(
            (fp.peak_bytes - ep.peak_bytes).abs() < 1.0,
            "replica {r}: peaks {} vs {}",
            fp.peak_bytes,
            ep.peak_bytes
        );
    }
}

/// Per request, a request in flight gives its bytes back when it leaves, and the
/// container does not wake for that (`MemoryLaw::released`: a fall can neither reach a
/// limit nor make a peak of its own). Under a leak that grows meanwhile, the highest
/// point is just before a request leaves: 64Mi held for 2 s while 1Mi/s leaks. The peak
/// must be at least every scrape (read at its exact instant, 10 ms apart), and at most a
/// scrape interval's growth above the highest one: counting a request after it left
/// would add 64Mi (so would two requests in flight together for less than 10 ms, which
/// these streams never have). Noting peaks only at arrivals and wake-ups would miss up
/// to 2Mi in most runs.
#[test]
fn per_request_peak_is_reached_just_before_a_request_leaves() {
    let s = inline(
        r#"
name: law
fidelity: per-request
duration: 1m
scrapeInterval: 10ms
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 4Gi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perSecond: 1Mi}
          inFlight: {latency: 2s, perRequest: 64Mi}
traffic:
  - service: app
    rps: 0.2
"#,
    );
    for replica in 0..20 {
        let (outcome, rec) = crate::support::run_sampled(&s, 0, replica);
        let scraped = rec
            .samples
            .iter()
            .filter(|(_, _, c, _, _)| c == "app")
            .map(|&(_, _, _, ws, _)| ws as f64)
            .fold(0.0, f64::max);
        let peak = outcome.containers[0].peak_bytes;
        let mi = f64::from(1 << 20);
        assert!(
            peak >= scraped && peak <= scraped + mi / 100.0 + 1.0,
            "replica {replica}: peak {:.3}Mi, highest scrape {:.3}Mi",
            peak / mi,
            scraped / mi
        );
    }
}
