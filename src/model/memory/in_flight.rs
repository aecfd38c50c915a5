//! `inFlight`: buffers held by requests being served.
//!
//! Fluid fidelity uses Little's law: in flight = rps × latency, each holding a fixed
//! number of bytes, so a spike shows at once. Per-request fidelity keeps each request
//! until it completes `latency` later (a FIFO, since latency is fixed). CPU throttling
//! stretches the latency (see `cpu.rs`), so a starved container holds more requests.
//! Time spent waiting on the services a request calls (`routing::calls`) adds to the
//! latency the same way: a slow dependency makes the caller hold its requests longer.

use std::collections::VecDeque;

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Per-request buffers and how long a request holds them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct InFlightSpec {
    /// Time a request is in flight.
    pub latency: SimDuration,
    /// Bytes a request holds while in flight.
    pub per_request: Bytes,
}

#[derive(Clone, Debug)]
pub(crate) struct InFlight {
    spec: InFlightSpec,
    /// Requests per second held as a rate (fluid fidelity).
    rps: f64,
    /// Latency stretch from CPU throttling.
    stretch: f64,
    /// Seconds a request waits on the services it calls (fluid fidelity).
    wait: f64,
    departures: VecDeque<SimTime>,
}

impl InFlight {
    pub(crate) fn new(spec: InFlightSpec) -> Self {
        InFlight {
            spec,
            rps: 0.0,
            stretch: 1.0,
            wait: 0.0,
            departures: VecDeque::new(),
        }
    }
}

impl InFlight {
    /// Requests now also wait `secs` on the services they call.
    pub(crate) fn set_wait(&mut self, secs: f64) {
        self.wait = secs.max(0.0);
    }
}

impl MemoryLaw for InFlight {
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.departures.clear();
    }
    fn bytes(&self) -> f64 {
        let fluid = self.rps * (self.spec.latency.as_secs_f64() * self.stretch + self.wait);
        (fluid + self.departures.len() as f64) * self.spec.per_request.as_f64()
    }
    fn next_change(&self, _now: SimTime) -> SimTime {
        self.departures.front().copied().unwrap_or(SimTime::NEVER)
    }
    fn on_change(&mut self, now: SimTime) {
        while self.departures.front().is_some_and(|&t| t <= now) {
            self.departures.pop_front();
        }
    }
    fn set_load(&mut self, load: &Load) {
        self.rps = if load.fluid { load.rps } else { 0.0 };
        self.stretch = load.stretch;
    }
    fn on_request(&mut self, now: SimTime, _rng: &mut SimRng) {
        let latency = SimDuration::from_secs_f64_ceil(
            self.spec.latency.as_secs_f64() * self.stretch + self.wait,
        );
        self.departures.push_back(now + latency);
    }
}
