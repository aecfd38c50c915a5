//! `inFlight`: buffers held by requests being served.
//!
//! Fluid fidelity uses Little's law: in flight = rps × latency, each holding a fixed
//! number of bytes, so a spike shows at once. Per-request fidelity keeps each request
//! until it completes `latency` later (a FIFO, since latency is fixed).

use std::collections::VecDeque;

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};
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
    rps: f64,
    departures: VecDeque<SimTime>,
}

impl InFlight {
    pub(crate) fn new(spec: InFlightSpec) -> Self {
        InFlight {
            spec,
            rps: 0.0,
            departures: VecDeque::new(),
        }
    }
}

impl MemoryLaw for InFlight {
    fn start(&mut self, _now: SimTime, _warm: bool) {
        self.departures.clear();
    }
    fn bytes(&self) -> f64 {
        let fluid = self.rps * self.spec.latency.as_secs_f64();
        (fluid + self.departures.len() as f64) * self.spec.per_request.as_f64()
    }
    fn slope(&self) -> f64 {
        0.0
    }
    fn advance(&mut self, _dt: f64) {}
    fn next_change(&self, _now: SimTime) -> SimTime {
        self.departures.front().copied().unwrap_or(SimTime::NEVER)
    }
    fn on_change(&mut self, now: SimTime) {
        while self.departures.front().is_some_and(|&t| t <= now) {
            self.departures.pop_front();
        }
    }
    fn set_rps(&mut self, rps: f64) {
        self.rps = rps;
    }
    fn on_request(&mut self, now: SimTime, _rng: &mut SimRng) {
        self.departures.push_back(now + self.spec.latency);
    }
}
