//! `stats`: Envoy's stats and their periodic flush, as Envoy runs it.
//!
//! The proxy holds `count` stats (they grow with the clusters it sees), each taking
//! `bytes_per_stat`. Envoy's flush timer (`stats_flush_interval`, 5 s by default) fires
//! once and is re-armed only when a flush has finished (envoy `source/server/server.cc`,
//! `flushStats` / `flushStatsInternal`; docs/reference.md "Envoy stats flush"): flushes
//! never overlap and never queue, so one starts every interval *plus* the time the last
//! one took. `server.dropped_stat_flushes` counts only flushes asked for while one runs
//! (admin-triggered ones), so with the timer it stays 0.
//!
//! A flush merges every worker's histograms and latches a snapshot for the sinks on the
//! main thread: it needs `count × cpu_per_stat` of CPU there, and holds the snapshot —
//! a reference and a latched value per stat, `snapshot_bytes_per_stat` — until it ends.
//! The main thread gets its CPU from the same quota as the workers (see `cpu.rs`): while
//! it flushes, the workers can do less, and a starved flush lasts longer. That — CPU,
//! not memory — is what a 1 s flush interval costs a busy proxy; the memory follows from
//! the requests held longer (`inFlight`).
//!
//! When the workers keep up with the arrivals even while a flush runs (fluid fidelity:
//! `Load::background_in_closed_form`), a flush changes levels — its snapshot, and the
//! requests held a little longer (`InFlight::busy_extra`) — but no slope: the timer
//! then runs as a [`Ripple`], the same flush instants to the nanosecond drawn in closed
//! form until the load changes, instead of two wake-ups a flush. Otherwise each start
//! and end is an event and the CPU split follows it (a backlog builds during flushes).
//!
//! Per-stat memory and CPU figures are not published (UNCONFIRMED); the shipped seed-000
//! scenario fits the CPU per stat to the seed's 280 ms flush.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::{Duration, Memory};
use super::{Law, MemoryLaw, Ripple, first_tick};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Stats per cluster (upstream_rq_*, circuit breakers, Istio's standard metrics per
/// peer). UNCONFIRMED.
const STATS_PER_CLUSTER: u32 = 150;
/// Stats not tied to clusters (server, listeners, runtime). UNCONFIRMED.
const STATS_BASE: u32 = 500;
/// Memory per stat and per stat of a flush snapshot. UNCONFIRMED.
const BYTES_PER_STAT: Bytes = Bytes(100);
const SNAPSHOT_BYTES_PER_STAT: Bytes = Bytes(100);
/// Main-thread CPU per stat per flush. UNCONFIRMED: fitted to seed 000, where a flush
/// of a 400-service proxy took 280 ms at 1000 rps under a 500m limit.
const CPU_PER_STAT: SimDuration = SimDuration::from_nanos(1_400);

/// Envoy stats and their flush.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Stats")]
pub struct StatsYaml {
    /// Stats per cluster the proxy sees.
    #[serde(default)]
    pub per_cluster: Option<u32>,
    /// Stats independent of clusters (server, listeners).
    #[serde(default)]
    pub base: Option<u32>,
    /// Memory per stat.
    #[serde(default)]
    pub bytes_per_stat: Option<Memory>,
    /// Memory per stat of a flush snapshot.
    #[serde(default)]
    pub snapshot_bytes_per_stat: Option<Memory>,
    /// CPU time per stat per flush (e.g. `1400ns`).
    #[serde(default)]
    pub cpu_per_stat: Option<Duration>,
}

impl StatsYaml {
    /// A proxy's stats: `own` (the workload's block) over `mesh` (the mesh's) over the
    /// defaults, for a proxy that sees `clusters` clusters and flushes every
    /// `flush_interval`.
    pub fn build(
        own: &StatsYaml,
        mesh: &StatsYaml,
        clusters: u32,
        flush_interval: SimDuration,
    ) -> StatsSpec {
        let per_cluster = own
            .per_cluster
            .or(mesh.per_cluster)
            .unwrap_or(STATS_PER_CLUSTER);
        let base = own.base.or(mesh.base).unwrap_or(STATS_BASE);
        StatsSpec {
            count: u64::from(base) + u64::from(per_cluster) * u64::from(clusters),
            bytes_per_stat: own
                .bytes_per_stat
                .or(mesh.bytes_per_stat)
                .map_or(BYTES_PER_STAT, |m| m.0),
            snapshot_bytes_per_stat: own
                .snapshot_bytes_per_stat
                .or(mesh.snapshot_bytes_per_stat)
                .map_or(SNAPSHOT_BYTES_PER_STAT, |m| m.0),
            cpu_per_stat: own
                .cpu_per_stat
                .or(mesh.cpu_per_stat)
                .map_or(CPU_PER_STAT, |d| d.0),
            flush_interval,
        }
    }
}

/// Stats and flush parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct StatsSpec {
    /// Number of stats the proxy holds.
    pub count: u64,
    /// Memory per stat.
    pub bytes_per_stat: Bytes,
    /// Memory per stat of a flush snapshot, held while that flush runs.
    pub snapshot_bytes_per_stat: Bytes,
    /// Main-thread CPU time per stat per flush.
    pub cpu_per_stat: SimDuration,
    /// Time from the end of one flush to the start of the next (`stats_flush_interval`).
    pub flush_interval: SimDuration,
}

impl StatsSpec {
    /// CPU time (core-seconds) of one flush.
    pub fn flush_work(&self) -> f64 {
        self.count as f64 * self.cpu_per_stat.as_secs_f64()
    }

    /// Wall time of one flush with `cores` of CPU (infinite with none).
    pub fn flush_time(&self, cores: f64) -> f64 {
        self.flush_work() / cores
    }
}

/// The law's state: the running flush, if any, and when the next one starts.
#[derive(Clone, Debug)]
pub(crate) struct Stats {
    spec: StatsSpec,
    /// A flush is running (its snapshot held); since when.
    flushing: Option<SimTime>,
    /// CPU time (core-seconds) done on the running flush.
    progress: f64,
    /// Cores the main thread gets now.
    cores: f64,
    /// When the flush timer fires next (NEVER while a flush runs).
    next_flush: SimTime,
    /// Wall time of the last completed flush.
    last_duration: Option<SimDuration>,
    /// Flushes completed since the process started (events only).
    flushes: u64,
    /// The timer in closed form, while the flush steals nothing from the workers (then
    /// `flushing` and `next_flush` are as of when it was drawn).
    cycle: Option<Ripple>,
    /// Cores a flush gets in the cycle.
    cycle_cores: f64,
}

impl Law for Stats {
    type Spec = StatsSpec;
    const NAME: &'static str = "stats";
    fn from_spec(spec: &StatsSpec) -> Self {
        Stats::new(*spec)
    }
}

impl Stats {
    pub(crate) fn new(spec: StatsSpec) -> Self {
        Stats {
            spec,
            flushing: None,
            progress: 0.0,
            cores: 1.0,
            next_flush: SimTime::NEVER,
            last_duration: None,
            flushes: 0,
            cycle: None,
            cycle_cores: 1.0,
        }
    }

    /// Memory of the stats themselves, without a snapshot.
    fn stat_bytes(&self) -> f64 {
        self.spec.count as f64 * self.spec.bytes_per_stat.as_f64()
    }

    /// Memory of a flush's snapshot.
    fn snapshot_bytes(&self) -> f64 {
        self.spec.count as f64 * self.spec.snapshot_bytes_per_stat.as_f64()
    }

    /// Leaves the cycle at `now`: the timer's state there, as events.
    fn leave_cycle(&mut self, now: SimTime) {
        let Some(r) = self.cycle.take() else {
            return;
        };
        self.last_duration = r.last_closed(now).or(self.last_duration);
        if let Some(since) = r.open_since(now) {
            self.flushing = Some(since);
            self.progress = (now - since).as_secs_f64() * self.cycle_cores;
            self.next_flush = SimTime::NEVER;
        } else {
            self.flushing = None;
            self.progress = 0.0;
            self.next_flush = r.next_high(now);
        }
    }

    /// Draws the timer as a cycle from `now`, flushes getting `cores`; `None` when a
    /// flush would never end.
    fn cycle_from(&self, now: SimTime, cores: f64) -> Option<Ripple> {
        let work = self.spec.flush_work();
        if cores <= 0.0 || work <= 0.0 || self.spec.flush_interval.is_zero() {
            return None;
        }
        let high = SimDuration::from_secs_f64_ceil(work / cores);
        let (open, first) = match self.flushing {
            Some(since) => {
                let left = (work - self.progress).max(0.0);
                let until = now + SimDuration::from_secs_f64_ceil(left / cores);
                (Some((since, until)), until + self.spec.flush_interval)
            }
            None => (None, self.next_flush),
        };
        Some(Ripple {
            height: self.snapshot_bytes(),
            open,
            first,
            high,
            period: high + self.spec.flush_interval,
        })
    }

    /// `true` while a flush runs on the main thread.
    pub(crate) fn flushing(&self) -> bool {
        self.flushing.is_some()
    }

    /// Wall time of the last flush completed by `now` (the last update or later).
    pub(crate) fn last_duration(&self, now: SimTime) -> Option<SimDuration> {
        self.cycle
            .and_then(|r| r.last_closed(now))
            .or(self.last_duration)
    }
}

impl MemoryLaw for Stats {
    fn start(&mut self, now: SimTime, _warm: Option<SimDuration>, rng: &mut SimRng) {
        self.flushing = None;
        self.progress = 0.0;
        self.flushes = 0;
        self.cycle = None;
        // The timer's phase depends on when the process happened to start.
        self.next_flush = now + first_tick(self.spec.flush_interval, rng);
    }
    fn bytes(&self) -> f64 {
        if self.flushing() && self.cycle.is_none() {
            self.stat_bytes() + self.snapshot_bytes()
        } else {
            self.stat_bytes()
        }
    }
    fn advance(&mut self, dt: f64) {
        if self.flushing() && self.cycle.is_none() {
            self.progress += self.cores * dt;
        }
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        if self.cycle.is_some() {
            SimTime::NEVER
        } else if self.flushing() {
            if self.cores <= 0.0 {
                return SimTime::NEVER;
            }
            let left = (self.spec.flush_work() - self.progress).max(0.0);
            now + SimDuration::from_secs_f64_ceil(left / self.cores)
        } else {
            self.next_flush
        }
    }
    fn on_change(&mut self, now: SimTime) {
        if self.cycle.is_some() {
            return;
        }
        match self.flushing {
            // Relative tolerance: the completion instant is rounded up to a nanosecond.
            Some(since) if self.progress >= self.spec.flush_work() * (1.0 - 1e-9) => {
                self.flushing = None;
                self.progress = 0.0;
                self.flushes += 1;
                self.last_duration = Some(now - since);
                self.next_flush = now + self.spec.flush_interval;
            }
            Some(_) => {}
            None if now >= self.next_flush => {
                self.flushing = Some(now);
                self.next_flush = SimTime::NEVER;
            }
            None => {}
        }
    }
    fn set_load(&mut self, now: SimTime, load: &Load) {
        self.leave_cycle(now);
        self.cores = load.spare_cores;
        if load.background_in_closed_form {
            self.cycle = self.cycle_from(now, load.busy_cores);
            self.cycle_cores = load.busy_cores;
        }
    }
    fn ripple(&self) -> Option<Ripple> {
        self.cycle
    }
    fn main_thread_busy(&self) -> bool {
        self.flushing() && self.cycle.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(interval_s: u64) -> StatsSpec {
        StatsSpec {
            count: 60_000,
            bytes_per_stat: Bytes(100),
            snapshot_bytes_per_stat: Bytes(24),
            cpu_per_stat: SimDuration::from_nanos(1_400),
            flush_interval: SimDuration::from_secs(interval_s),
        }
    }

    /// Steps the law through its own changes until `end` with `cores` for the main
    /// thread; returns (flushes completed, the most bytes ever held).
    fn run(mut s: Stats, cores: f64, end: SimTime) -> (u64, f64) {
        s.start(
            SimTime::ZERO,
            Some(SimDuration::ZERO),
            &mut crate::engine::RngStreams::new(1, 0).stream("t"),
        );
        s.cores = cores;
        let (mut now, mut peak) = (SimTime::ZERO, 0.0f64);
        loop {
            let next = s.next_change(now);
            if next > end {
                return (s.flushes, peak);
            }
            s.advance((next - now).as_secs_f64());
            now = next;
            s.on_change(now);
            peak = peak.max(s.bytes());
        }
    }

    #[test]
    fn a_slow_flush_delays_the_next_one_and_never_piles_up() {
        // 84 ms of CPU at 0.06 cores: 1.4 s per flush; the timer re-arms after each, so
        // one starts every 2.4 s and only one snapshot is ever held.
        let (flushes, peak) = run(Stats::new(spec(1)), 0.06, SimTime::from_secs(600));
        assert!((248..=251).contains(&flushes), "{flushes} flushes");
        assert_eq!(peak, 60_000.0 * 124.0);
    }

    #[test]
    fn a_fast_flush_runs_about_once_an_interval() {
        // 84 ms at a whole core: a cycle of 1.084 s.
        let (flushes, _) = run(Stats::new(spec(1)), 1.0, SimTime::from_secs(600));
        assert!((552..=554).contains(&flushes), "{flushes} flushes");
    }

    /// The load of a container whose flushes get `cores` and steal nothing.
    fn cycling(cores: f64) -> Load {
        Load {
            spare_cores: cores,
            busy_cores: cores,
            background_in_closed_form: true,
            ..Load::IDLE
        }
    }

    /// The flush windows `[start, end)` the events give until `end`.
    fn windows_by_events(mut s: Stats, cores: f64, end: SimTime) -> Vec<(SimTime, SimTime)> {
        s.cores = cores;
        let (mut now, mut out, mut since) = (SimTime::ZERO, Vec::new(), None);
        loop {
            let next = s.next_change(now);
            if next > end {
                return out;
            }
            s.advance((next - now).as_secs_f64());
            now = next;
            s.on_change(now);
            match (since, s.flushing()) {
                (None, true) => since = Some(now),
                (Some(from), false) => {
                    out.push((from, now));
                    since = None;
                }
                _ => {}
            }
        }
    }

    fn started(interval_s: u64) -> Stats {
        let mut s = Stats::new(spec(interval_s));
        s.start(
            SimTime::ZERO,
            Some(SimDuration::ZERO),
            &mut crate::engine::RngStreams::new(7, 0).stream("t"),
        );
        s
    }

    #[test]
    fn the_cycle_opens_and_closes_at_the_instants_the_events_do() {
        let end = SimTime::from_secs(600);
        let before = |t: SimTime| SimTime::from_nanos(t.as_nanos() - 1);
        for cores in [1.0, 0.3, 0.06] {
            let windows = windows_by_events(started(1), cores, end);
            assert!(windows.len() > 200, "{} flushes", windows.len());
            let mut s = started(1);
            s.set_load(SimTime::ZERO, &cycling(cores));
            let r = s.ripple().expect("a cycle");
            assert_eq!(r.height, 60_000.0 * 24.0);
            assert_eq!(s.next_change(SimTime::ZERO), SimTime::NEVER);
            for &(from, to) in &windows {
                assert!(r.is_high(from) && r.is_high(before(to)), "{from:?}..{to:?}");
                assert!(
                    !r.is_high(to) && !r.is_high(before(from)),
                    "{from:?}..{to:?}"
                );
            }
        }
    }

    #[test]
    fn leaving_and_entering_the_cycle_mid_flush_keeps_the_flush() {
        // Events, then a cycle from halfway through the 9th flush, then events again from
        // halfway through the 17th: the windows are those of events all along.
        let end = SimTime::from_secs(60);
        let want = windows_by_events(started(1), 0.3, end);
        let mut s = started(1);
        s.cores = 0.3;
        let mut now = SimTime::ZERO;
        let mut high = Vec::new();
        // Each switch halfway through a flush.
        let middle =
            |(a, b): (SimTime, SimTime)| a + SimDuration::from_nanos((b - a).as_nanos() / 2);
        let switch = [(middle(want[8]), true), (middle(want[16]), false)];
        let mut switches = switch.iter().peekable();
        let step = SimDuration::from_millis(1);
        while now < end {
            let next = (now + step).min(s.next_change(now));
            if let Some(&&(at, cycle)) = switches.peek()
                && next >= at
            {
                s.advance((at - now).as_secs_f64());
                now = at;
                let load = if cycle {
                    cycling(0.3)
                } else {
                    Load {
                        spare_cores: 0.3,
                        ..Load::IDLE
                    }
                };
                s.set_load(now, &load);
                switches.next();
                continue;
            }
            s.advance((next - now).as_secs_f64());
            now = next;
            s.on_change(now);
            let flushing =
                (s.flushing() && s.cycle.is_none()) || s.ripple().is_some_and(|r| r.is_high(now));
            high.push((now, flushing));
        }
        for (t, flushing) in high {
            let expected = want.iter().any(|&(a, b)| a <= t && t < b);
            assert_eq!(flushing, expected, "at {t:?}");
        }
    }
}
