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
//! Per-stat memory and CPU figures are not published (UNCONFIRMED); the shipped seed-000
//! scenario fits the CPU per stat to the seed's 280 ms flush.

use super::MemoryLaw;
use super::first_tick;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

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
    /// Flushes completed since the process started.
    flushes: u64,
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
        }
    }

    /// `true` while a flush runs on the main thread.
    pub(crate) fn flushing(&self) -> bool {
        self.flushing.is_some()
    }

    /// Wall time of the last completed flush.
    pub(crate) fn last_duration(&self) -> Option<SimDuration> {
        self.last_duration
    }
}

impl MemoryLaw for Stats {
    fn start(&mut self, now: SimTime, _warm: Option<SimDuration>, rng: &mut SimRng) {
        self.flushing = None;
        self.progress = 0.0;
        self.flushes = 0;
        // The timer's phase depends on when the process happened to start.
        self.next_flush = now + first_tick(self.spec.flush_interval, rng);
    }
    fn bytes(&self) -> f64 {
        let snapshot = if self.flushing() {
            self.spec.snapshot_bytes_per_stat.as_f64()
        } else {
            0.0
        };
        self.spec.count as f64 * (self.spec.bytes_per_stat.as_f64() + snapshot)
    }
    fn advance(&mut self, dt: f64) {
        if self.flushing() {
            self.progress += self.cores * dt;
        }
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        if self.flushing() {
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
    fn set_load(&mut self, load: &Load) {
        self.cores = load.spare_cores;
    }
    fn main_thread_busy(&self) -> bool {
        self.flushing()
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
}
