//! What a scenario would cost, estimated before anything runs, and the limits past which
//! `check` refuses it: a run that would take days, fill a disk or exhaust memory is
//! stopped in milliseconds with the estimate in the message.
//!
//! The estimate counts what drives the engine's work, per run: scrapes and traffic
//! buckets (every scrape interval), each service's noise grid (every resample, 10 s by
//! default; the containers follow the rate without events of their own), each node's
//! eviction check (every 10 s), and one event per request in the per-request fidelity.
//! The busiest moments of fluid steps are drawn in closed form and cost no events;
//! Envoy's stats flush costs two events a flush while it takes the workers' CPU and
//! none while it is drawn in closed form, which depends on the load against the proxy's
//! CPU: a quarter of each proxy's flushes are counted. It is good to a small factor (a test holds it to the events the
//! model counts for the shipped scenarios); the limits are far enough above any real
//! study that the factor does not matter. Output bytes count the files whose size is
//! known beforehand (time series, traffic, chart buckets, summaries); events.csv grows
//! with what happens and is not counted.
//!
//! Structural limits come from Kubernetes' scalability thresholds (5 000 nodes, 150 000
//! pods per cluster); rates from the busiest real services (10 million requests per
//! second). `--allow-large` raises every limit a hundredfold, never past what the
//! machine's memory and the engine's arithmetic can hold.

use serde_saphyr::Location;

use super::error::{Place, Problem};
use super::quantity::MAX_MEMORY;
use super::yaml;

/// The limits `check` enforces.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Limits {
    /// Runs in one invocation (variants × replicas of the shard).
    pub runs: u64,
    /// Baseline, variants and sweep points.
    pub variants: u64,
    /// Simulated events in one run.
    pub run_events: f64,
    /// Simulated events in one invocation.
    pub events: f64,
    /// Bytes of output whose size is known beforehand.
    pub output_bytes: f64,
    /// Nodes.
    pub nodes: u64,
    /// Pods at the start (workload replicas, istiod).
    pub pods: u64,
    /// Peak requests per second of one service.
    pub rps: f64,
}

impl Limits {
    /// Sane limits: any study of a real mesh fits, with room.
    pub const DEFAULT: Limits = Limits {
        runs: 100_000,
        variants: 10_000,
        run_events: 1e8,
        events: 1e10,
        output_bytes: 10.0 * GIB,
        nodes: 5_000,
        pods: 150_000,
        rps: 1e7,
    };

    /// `--allow-large`: every limit a hundredfold.
    pub const LARGE: Limits = Limits {
        runs: 10_000_000,
        variants: 1_000_000,
        run_events: 1e10,
        events: 1e12,
        output_bytes: 1000.0 * GIB,
        nodes: 500_000,
        pods: 15_000_000,
        rps: 1e9,
    };

    /// The default limits, or the raised ones.
    pub fn new(allow_large: bool) -> Limits {
        if allow_large {
            Limits::LARGE
        } else {
            Limits::DEFAULT
        }
    }

    fn raise_hint(&self) -> &'static str {
        if *self == Limits::LARGE {
            "a smaller scenario (these limits are already raised by --allow-large)"
        } else {
            "a smaller scenario, or --allow-large to raise the limits a hundredfold"
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A figure for people: `3.2e9`, `120`.
fn big(x: f64) -> String {
    if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

/// Bytes for people.
fn bytes(x: f64) -> String {
    const TIB: f64 = 1024.0 * GIB;
    match x {
        x if x >= 1024.0 * 1024.0 * TIB => format!("{:.1e} bytes", x),
        x if x >= 1024.0 * TIB => format!("{:.1} PiB", x / 1024.0 / TIB),
        x if x >= TIB => format!("{:.1} TiB", x / TIB),
        x if x >= GIB => format!("{:.1} GiB", x / GIB),
        x => format!("{:.0} MiB", x / 1024.0 / 1024.0),
    }
}

fn place(at: Location) -> Option<Place> {
    (at.line() > 0).then(|| at.into())
}

/// Nodes, pods and peak rates of one (patched) scenario, checked before anything is built
/// from them.
pub fn check_structure(spec: &yaml::ScenarioFile, limits: &Limits) -> Result<(), Problem> {
    let nodes: u64 = spec.nodes.iter().map(|g| u64::from(g.count.value)).sum();
    if nodes > limits.nodes {
        let at = spec
            .nodes
            .iter()
            .max_by_key(|g| g.count.value)
            .map_or(Location::UNKNOWN, |g| g.count.referenced);
        return Err(Problem::new(
            at,
            format!(
                "{nodes} nodes: more than {} (Kubernetes supports 5000)",
                limits.nodes
            ),
            limits.raise_hint(),
        ));
    }
    // istiod's pods, and the proxies it serves (each a pod of the mesh).
    let istiod = spec.control_plane.as_ref().map_or(0, |c| {
        u64::from(c.istiod.replicas) + u64::from(c.proxies.value)
    });
    let pods: u64 = spec
        .workloads
        .iter()
        .map(|w| u64::from(w.replicas))
        .sum::<u64>()
        + istiod;
    if pods > limits.pods {
        let at = spec
            .workloads
            .iter()
            .max_by_key(|w| w.replicas)
            .map_or(Location::UNKNOWN, |w| w.name.referenced);
        return Err(Problem::new(
            at,
            format!(
                "{pods} pods: more than {} (Kubernetes supports 150000)",
                limits.pods
            ),
            limits.raise_hint(),
        ));
    }
    for t in &spec.traffic {
        let peak = check_rates(t, limits)?;
        if let Some(w) = spec
            .workloads
            .iter()
            .find(|w| w.name.value == t.service.value)
        {
            check_in_flight(spec, w, peak)?;
        }
    }
    if let Some(g) = spec.control_plane.as_ref().and_then(|c| c.gateway_rps)
        && !(g.is_finite() && g <= limits.rps)
    {
        return Err(Problem::new(
            Location::UNKNOWN,
            format!("gatewayRps {g} is more requests per second than meshmem simulates"),
            format!("at most {} requests per second", big(limits.rps)),
        ));
    }
    Ok(())
}

/// The highest rate a service's profile can reach, bounded so that every figure the
/// model derives from it (requests, bytes in flight, spans) stays finite.
fn check_rates(t: &yaml::Traffic, limits: &Limits) -> Result<f64, Problem> {
    let too_fast = |at: Location, peak: f64| {
        Problem::new(
            at,
            format!(
                "`{}` would reach {} requests per second; meshmem simulates at most {}",
                t.service.value,
                big(peak),
                big(limits.rps)
            ),
            format!(
                "rates and spike factors whose product stays below {} requests per second",
                big(limits.rps)
            ),
        )
    };
    let mut levels = vec![(t.rps.value, t.rps.referenced)];
    levels.extend(t.steps.iter().map(|s| (s.rps.value, s.rps.referenced)));
    levels.extend(t.ramps.iter().map(|r| (r.rps.value, r.rps.referenced)));
    let mut level = 0.0f64;
    for &(rps, at) in &levels {
        if !(rps.is_finite() && rps <= limits.rps) {
            return Err(too_fast(at, rps));
        }
        level = level.max(rps);
    }
    let swing = 1.0 + t.diurnal.as_ref().map_or(0.0, |d| d.amplitude.value.abs());
    let mut peak = level * swing;
    // Spikes may overlap: the peak is bounded by the product of every factor above 1.
    for s in &t.spikes {
        let f = s.factor.value;
        if !f.is_finite() || (f > 1.0 && peak * f > limits.rps) {
            return Err(too_fast(s.factor.referenced, peak * f));
        }
        peak *= f.max(1.0);
    }
    Ok(peak)
}

/// Bytes the requests in flight of workload `w` hold at its service's `peak` rate (rate ×
/// latency × bytes per request, Little's law) stay within what a scenario's memory may
/// be: past it the working set would not fit the model's byte counts.
fn check_in_flight(
    spec: &yaml::ScenarioFile,
    w: &yaml::Workload,
    peak: f64,
) -> Result<(), Problem> {
    let mesh = spec
        .mesh
        .as_ref()
        .filter(|_| super::istio::injected(spec.mesh.as_ref(), w));
    let laws = w
        .containers
        .iter()
        .map(|c| &c.memory)
        .chain(mesh.map(|m| &m.proxy.memory))
        .chain(mesh.map(|_| &w.proxy.memory));
    let max = MAX_MEMORY.0 as f64;
    for f in laws.filter_map(|m| m.in_flight.as_ref()) {
        let held = peak * f.value.latency.0.as_secs_f64() * f.value.per_request.0.0 as f64;
        if held > max {
            return Err(Problem::new(
                w.name.referenced,
                format!(
                    "`{}` would hold ~{} in requests in flight (rate × latency × bytes per request), past {MAX_MEMORY}",
                    w.name.value,
                    bytes(held)
                ),
                "a latency and bytes per request whose product with the peak rate stays below 8Pi",
            ));
        }
    }
    Ok(())
}

/// Points a sweep's grid would have, computed without building them.
pub fn sweep_points(s: &yaml::Sweep) -> u128 {
    s.grid
        .values()
        .map(|v| v.value.len() as u128)
        .fold(1, u128::saturating_mul)
}

/// Checks that `more` variants can be added to `so_far`.
pub fn check_variants(
    so_far: usize,
    more: u128,
    at: Location,
    what: &str,
    limits: &Limits,
) -> Result<(), Problem> {
    let total = so_far as u128 + more;
    if total > u128::from(limits.variants) {
        return Err(Problem::new(
            at,
            format!(
                "{what}: {total} variants and sweep points in all, more than {}",
                limits.variants
            ),
            limits.raise_hint(),
        ));
    }
    Ok(())
}

/// The estimated cost of one run of a (patched) scenario.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct RunCost {
    /// Simulated events.
    pub events: f64,
    /// Share of the events that are scrapes (the scrape interval's doing).
    pub scrape_share: f64,
    /// Bytes of time series and traffic rows per replica that keeps them.
    pub series_bytes: f64,
    /// Bytes of chart buckets, summary and container rows per replica.
    pub replica_bytes: f64,
}

/// Engine constants the estimate mirrors: the kubelet's eviction check (10 s), the
/// traffic noise grid (10 s), the chart buckets per run (300); and the share of stats
/// flushes counted as events (see the module's text).
const FLUSHES_AS_EVENTS: f64 = 0.25;
const EVICTION_S: f64 = 10.0;
const RESAMPLE_S: f64 = 10.0;
const CHART_BUCKETS: f64 = 300.0;

/// Estimates one run of `spec`.
pub fn run_cost(spec: &yaml::ScenarioFile) -> RunCost {
    let secs = spec.duration.value.0.as_secs_f64();
    let scrape = spec.scrape_interval.value.0.as_secs_f64().max(1e-9);
    let mesh = spec.mesh.as_ref();
    let mut containers = 0.0;
    let mut kinds = 0.0;
    let mut flushes = 0.0;
    for w in &spec.workloads {
        let injected = super::istio::injected(mesh, w);
        let per_pod = w.containers.len() as f64 + f64::from(u8::from(injected));
        containers += f64::from(w.replicas) * per_pod;
        kinds += per_pod;
        if injected {
            let interval = super::istio::stats_flush_interval(&w.annotations)
                .unwrap_or(super::istio::ENVOY_STATS_FLUSH_INTERVAL)
                .as_secs_f64()
                .max(1e-3);
            flushes += f64::from(w.replicas) * 2.0 * FLUSHES_AS_EVENTS / interval;
        }
    }
    let nodes: f64 = spec.nodes.iter().map(|g| f64::from(g.count.value)).sum();
    let mut traffic = 0.0;
    let mut requests = 0.0;
    for t in &spec.traffic {
        let resample = t
            .noise
            .resample
            .as_ref()
            .map_or(RESAMPLE_S, |r| r.value.0.as_secs_f64().max(1e-9));
        // A grid point: every pod's containers follow the rate at once, without events
        // of their own.
        traffic += 1.0 / resample;
        requests += t.rps.value;
    }
    let scrapes = 2.0 / scrape;
    let mut per_s = scrapes + traffic + nodes / EVICTION_S + flushes;
    if spec.fidelity == yaml::Fidelity::PerRequest {
        per_s += requests;
    }
    // Config churn: each event of a burst reaches istiod on its own.
    let churn: f64 = spec
        .timeline
        .iter()
        .filter_map(|e| e.config_churn.as_ref())
        .map(|c| f64::from(c.events))
        .sum();
    let ts_rows = secs / scrape + 1.0;
    // timeseries.csv: a row per workload and container; pod-timeseries.csv, when asked
    // for, a row per container.
    let pod_rows = if spec.output.pod_timeseries == Some(true) {
        containers
    } else {
        0.0
    };
    RunCost {
        events: per_s * secs + churn,
        scrape_share: scrapes / per_s,
        series_bytes: ts_rows * ((kinds + pod_rows) * 90.0 + 110.0),
        replica_bytes: CHART_BUCKETS.min(ts_rows) * kinds * 80.0 + 400.0 + kinds * 100.0,
    }
}

/// Refuses a run past the per-run event limit, at the value that makes it long.
pub fn check_run(
    spec: &yaml::ScenarioFile,
    cost: &RunCost,
    limits: &Limits,
) -> Result<(), Problem> {
    if cost.events > limits.run_events {
        return Err(Problem::new(
            cost_place(spec, cost.scrape_share),
            format!(
                "one run would simulate ~{} events (more than {}) and write ~{} of output: this long a run, this often scraped",
                big(cost.events),
                big(limits.run_events),
                bytes(cost.series_bytes + cost.replica_bytes)
            ),
            limits.raise_hint(),
        ));
    }
    Ok(())
}

/// The scrape interval when scrapes dominate and it is written, else the duration.
fn cost_place(spec: &yaml::ScenarioFile, scrape_share: f64) -> Place {
    let scrape = place(spec.scrape_interval.referenced);
    match scrape {
        Some(p) if scrape_share > 0.5 => p,
        _ => place(spec.duration.referenced).unwrap_or(Place::UNKNOWN),
    }
}

/// What one invocation would do: runs, events and bytes over every variant.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Runs.
    pub runs: u64,
    /// Simulated events.
    pub events: f64,
    /// Bytes of output whose size is known beforehand.
    pub output_bytes: f64,
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} runs, ~{} events, ~{} of output",
            self.runs,
            big(self.events),
            bytes(self.output_bytes)
        )
    }
}

/// Adds up `costs` (one per variant, with whether it is a sweep point) over `replicas`
/// runs each, `series` of which keep their time series.
pub fn estimate(costs: &[(RunCost, bool)], replicas: u64, series: u64) -> Estimate {
    let mut e = Estimate {
        runs: costs.len() as u64 * replicas,
        ..Estimate::default()
    };
    for (c, sweep_point) in costs {
        let r = replicas as f64;
        e.events += c.events * r;
        e.output_bytes += if *sweep_point {
            r * 500.0
        } else {
            c.replica_bytes * r + c.series_bytes * series.min(replicas) as f64
        };
    }
    e
}

/// Refuses an invocation past the limits, at `replicas` (runs) or where the cost comes
/// from (events, bytes).
pub fn check_total(
    spec: &yaml::ScenarioFile,
    e: &Estimate,
    scrape_share: f64,
    limits: &Limits,
) -> Result<(), Problem> {
    let over = |what: String, at: Place| {
        Err(Problem::new(
            at,
            format!("too much work: {e}; {what}"),
            limits.raise_hint(),
        ))
    };
    if e.runs > limits.runs {
        let at = place(spec.replicas.referenced).unwrap_or(Place::UNKNOWN);
        return over(format!("more than {} runs", limits.runs), at);
    }
    if e.output_bytes > limits.output_bytes {
        return over(
            format!("more than {} bytes of output", bytes(limits.output_bytes)),
            cost_place(spec, 1.0),
        );
    }
    if e.events > limits.events {
        return over(
            format!("more than {} events", big(limits.events)),
            cost_place(spec, scrape_share),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(big(120.0), "120");
        assert_eq!(big(3.2e9), "3.2e9");
        assert_eq!(bytes(10.0 * GIB), "10.0 GiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * GIB), "3.0 PiB");
    }

    #[test]
    fn sweep_points_multiply_without_overflow() {
        let s: yaml::Sweep =
            serde_saphyr::from_str("name: s\ngrid:\n  a: [1, 2, 3]\n  b: [1, 2]\n").unwrap();
        assert_eq!(sweep_points(&s), 6);
    }
}
