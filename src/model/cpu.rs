//! CPU under a CFS quota: how request handling and the main thread's background work
//! share a container's limit, and what that does to requests.
//!
//! A container's CPU limit becomes a CFS quota: at most `limit` cores of CPU time per
//! period for all its threads together. Inside the cgroup the scheduler is fair between
//! runnable threads. Request handling needs `per_request` CPU time per request (Istio's
//! sizing, docs/reference.md "Istio sidecar injection"), on at most `threads` worker
//! threads (Envoy `concurrency`). Envoy's main thread has its own periodic job — the
//! stats flush (docs/reference.md "Envoy stats flush": merge histograms, latch a
//! snapshot, hand it to the sinks). While it runs, the main thread is one more runnable
//! thread: when the workers would take the whole quota, each runnable thread gets a fair
//! `limit / (threads + 1)`, so the workers lose a share of the quota for as long as the
//! flush lasts — and a flush that gets less CPU lasts longer.
//!
//! Requests are served at most at `capacity / per_request` per second. Below it they
//! share the CPU like a processor-sharing queue: a request's CPU time is stretched by
//! `1 / (1 − ρ)` (ρ = demand / capacity). Above it the excess waits: the backlog grows by
//! `rps − capacity / per_request` each second (see `memory/in_flight.rs`).
//!
//! Left out: CPU bursts within a CFS period (the quota is treated as a rate), and the CPU
//! mutual TLS adds per request (not separated from `per_request`: UNCONFIRMED).

use crate::engine::SimDuration;

/// The highest utilisation at which the processor-sharing stretch is applied; at and
/// above 1 requests queue instead (a backlog) and are not stretched.
const MAX_STABLE_UTILISATION: f64 = 0.99;

/// CPU needs of a container's process.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct CpuSpec {
    /// CPU time per request handled.
    pub per_request: SimDuration,
    /// Worker threads (Envoy `concurrency`); None: not limited by threads.
    pub threads: Option<u32>,
    /// Smallest fraction of the quota the main thread gets when workers saturate it.
    pub main_thread_min_share: f64,
}

/// What a container's laws see of its load.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Load {
    /// Requests per second routed to the pod (the mean rate).
    pub rps: f64,
    /// Requests per second arriving over the current fluid step: the mean rate in
    /// per-request fidelity (where requests come one by one), a draw of the counting
    /// process in fluid fidelity (see `Container`).
    pub arrivals: f64,
    /// `true` when request-driven memory follows rates (fluid fidelity); `false` when
    /// requests arrive one by one (per-request fidelity).
    pub fluid: bool,
    /// Cores the main thread gets for its background work now (at most 1).
    pub spare_cores: f64,
    /// Cores the main thread gets while its background work runs (at most 1): what
    /// `spare_cores` is during that work.
    pub busy_cores: f64,
    /// `capacity` while the main thread's background work runs.
    pub busy_capacity: f64,
    /// `stretch` while the main thread's background work runs.
    pub busy_stretch: f64,
    /// `true` when the container draws the main thread's periodic work in closed form
    /// (a ripple, `memory/ripple.rs`) rather than as events: fluid fidelity, and the
    /// arrivals fit the capacity left while it runs, so it changes levels, not slopes.
    /// Set by the container.
    pub background_in_closed_form: bool,
    /// Requests per second the workers can complete now (infinite without a CPU need).
    pub capacity: f64,
    /// Factor by which a request's CPU time is stretched by sharing (≥ 1).
    pub stretch: f64,
    /// CPU time per request, seconds.
    pub per_request: f64,
}

impl Load {
    /// No traffic, a whole core to spare.
    pub const IDLE: Load = Load {
        rps: 0.0,
        arrivals: 0.0,
        fluid: true,
        spare_cores: 1.0,
        busy_cores: 1.0,
        busy_capacity: f64::INFINITY,
        busy_stretch: 1.0,
        background_in_closed_form: false,
        capacity: f64::INFINITY,
        stretch: 1.0,
        per_request: 0.0,
    };

    /// The load of a container with CPU needs `cpu` and limit `limit_cores` (None: no
    /// limit) serving `rps`; `main_busy` while its main thread runs background work.
    pub fn new(
        cpu: &CpuSpec,
        limit_cores: Option<f64>,
        rps: f64,
        fluid: bool,
        main_busy: bool,
    ) -> Load {
        let quota = limit_cores.unwrap_or(f64::INFINITY);
        let threads = cpu.threads.map_or(f64::INFINITY, f64::from);
        let per_request = cpu.per_request.as_secs_f64();
        let demand = per_request * rps;
        // Workers' capacity and stretch, and the main thread's cores, with the main
        // thread busy or not.
        let split = |busy: bool| {
            // While the main thread works, the workers can take at most what its fair
            // share leaves; it uses whatever they do not.
            let main_floor = if busy {
                main_thread_fair_share(quota, threads, cpu.main_thread_min_share)
            } else {
                0.0
            };
            let workers = threads.min(quota - main_floor).max(0.0);
            let spare = (quota - demand.min(workers))
                .max(main_floor)
                .clamp(0.0, 1.0);
            let capacity = if per_request > 0.0 {
                workers / per_request
            } else {
                f64::INFINITY
            };
            let rho = if workers > 0.0 { demand / workers } else { 1.0 };
            // At and above saturation the queue is the backlog's (`memory/in_flight.rs`):
            // a request waits there, then gets its CPU time unshared. Stretching it as
            // well counted the queue twice (≈ 99 × the workers' requests at the cap).
            let stretch = if rho >= 1.0 {
                1.0
            } else {
                1.0 / (1.0 - rho.min(MAX_STABLE_UTILISATION))
            };
            (spare, capacity, stretch)
        };
        let (spare_cores, capacity, stretch) = split(main_busy);
        let (busy_cores, busy_capacity, busy_stretch) = split(true);
        Load {
            rps,
            arrivals: rps,
            fluid,
            spare_cores,
            busy_cores,
            busy_capacity,
            busy_stretch,
            background_in_closed_form: false,
            capacity,
            stretch,
            per_request,
        }
    }

    /// `latency` while the main thread's background work runs.
    pub fn busy_latency(&self, latency: f64) -> f64 {
        latency + self.per_request * (self.busy_stretch - 1.0)
    }

    /// Time a request spends in the container: `latency` (which includes its CPU time
    /// unshared) plus what sharing the CPU adds to that CPU time.
    pub fn latency(&self, latency: f64) -> f64 {
        latency + self.per_request * (self.stretch - 1.0)
    }
}

/// The share of `quota` the main thread gets while it works if the workers would take
/// it all: one runnable thread among `threads + 1` (never less than `min_share` of the
/// quota), at most one core.
fn main_thread_fair_share(quota: f64, threads: f64, min_share: f64) -> f64 {
    if !quota.is_finite() {
        return 0.0;
    }
    (quota / (threads + 1.0)).max(quota * min_share).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sidecar() -> CpuSpec {
        CpuSpec {
            per_request: SimDuration::from_nanos(200_000),
            threads: Some(2),
            main_thread_min_share: 0.05,
        }
    }

    #[test]
    fn without_background_work_the_workers_have_the_quota() {
        let l = Load::new(&sidecar(), Some(0.5), 1000.0, true, false);
        assert!((l.capacity - 2500.0).abs() < 1e-9);
        // ρ = 0.2 / 0.5: a request's CPU time is stretched by 1 / 0.6.
        assert!((l.stretch - 1.0 / 0.6).abs() < 1e-12);
        assert!((l.spare_cores - 0.3).abs() < 1e-12);
    }

    #[test]
    fn a_flush_under_a_saturated_quota_takes_a_fair_share_from_the_workers() {
        // 2200 rps need 0.44 cores of 0.5: during a flush the main thread is a third
        // runnable thread and gets 0.5 / 3; the workers keep 1/3 of a core.
        let l = Load::new(&sidecar(), Some(0.5), 2200.0, true, true);
        assert!((l.spare_cores - 0.5 / 3.0).abs() < 1e-12);
        assert!((l.capacity - (0.5 - 0.5 / 3.0) / 200e-6).abs() < 1e-6);
        assert!(l.capacity < 2200.0, "overloaded while flushing");
        // Between flushes the same load fits.
        assert!(Load::new(&sidecar(), Some(0.5), 2200.0, true, false).capacity > 2200.0);
    }

    #[test]
    fn a_flush_beside_light_load_takes_what_the_workers_leave() {
        let l = Load::new(&sidecar(), Some(0.5), 1000.0, true, true);
        assert!((l.spare_cores - 0.3).abs() < 1e-12);
        // The workers could still take all but the main thread's fair share.
        assert!((l.capacity - (0.5 - 0.5 / 3.0) / 200e-6).abs() < 1e-6);
    }

    #[test]
    fn without_a_limit_the_main_thread_has_a_core() {
        let l = Load::new(&sidecar(), None, 1000.0, true, true);
        assert_eq!(l.spare_cores, 1.0);
        assert_eq!(l.stretch, 1.0 / (1.0 - 0.1));
        assert!((l.capacity - 2.0 / 200e-6).abs() < 1e-6);
    }
}
