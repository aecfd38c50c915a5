//! CPU under a CFS quota: how request handling and background work share a limit.
//!
//! A container's CPU limit becomes a CFS quota: at most `limit` cores of CPU time per
//! period, for all its threads together. Request handling needs `per_request` CPU time
//! per request (Istio's sizing: 0.2 vCPU per 1000 rps for a sidecar, REFERENCE.md), on at
//! most `threads` worker threads. When that demand exceeds the quota (or the workers),
//! requests queue: each takes `demand / capacity` times longer, which raises the memory
//! held by requests in flight. The main thread (Envoy's stats flush) gets what the
//! workers leave of the quota, at most one core: under a spike it starves first.
//!
//! The split "workers first" is a modelling choice: the quota is consumed by whichever
//! threads run, and a busy proxy has many runnable worker threads against one main
//! thread. The scheduler still runs the main thread now and then, so it keeps at least
//! `main_thread_min_share` of the quota however busy the workers are.

use crate::engine::SimDuration;

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
    /// Requests per second routed to the pod.
    pub rps: f64,
    /// `true` when request-driven memory follows `rps` as a rate (fluid fidelity);
    /// `false` when requests arrive one by one (per-request fidelity).
    pub fluid: bool,
    /// Cores left over for the main thread (at most 1).
    pub spare_cores: f64,
    /// Factor by which request latency is stretched by CPU throttling (≥ 1).
    pub stretch: f64,
}

impl Load {
    /// No traffic, a whole core to spare.
    pub const IDLE: Load = Load {
        rps: 0.0,
        fluid: true,
        spare_cores: 1.0,
        stretch: 1.0,
    };

    /// The load of a container with CPU needs `cpu` and limit `limit_cores` (None: no
    /// limit) serving `rps`.
    pub fn new(cpu: &CpuSpec, limit_cores: Option<f64>, rps: f64, fluid: bool) -> Load {
        let quota = limit_cores.unwrap_or(f64::INFINITY);
        let workers = cpu.threads.map_or(f64::INFINITY, f64::from).min(quota);
        let demand = cpu.per_request.as_secs_f64() * rps;
        let (used, stretch) = if demand > workers && workers > 0.0 {
            (workers, demand / workers)
        } else {
            (demand, 1.0)
        };
        let floor = if quota.is_finite() {
            quota * cpu.main_thread_min_share
        } else {
            0.0
        };
        Load {
            rps,
            fluid,
            spare_cores: (quota - used).max(floor).clamp(0.0, 1.0),
            stretch,
        }
    }
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
    fn workers_take_their_share_first_and_the_main_thread_gets_the_rest() {
        let l = Load::new(&sidecar(), Some(0.5), 1000.0, true);
        assert!((l.spare_cores - 0.3).abs() < 1e-12);
        assert_eq!(l.stretch, 1.0);
    }

    #[test]
    fn demand_beyond_the_quota_stretches_requests_and_starves_the_main_thread() {
        let l = Load::new(&sidecar(), Some(0.5), 5000.0, true);
        assert!((l.spare_cores - 0.025).abs() < 1e-12);
        assert!((l.stretch - 2.0).abs() < 1e-12);
    }

    #[test]
    fn without_a_limit_the_main_thread_has_a_core() {
        let l = Load::new(&sidecar(), None, 1000.0, true);
        assert_eq!(l.spare_cores, 1.0);
    }
}
