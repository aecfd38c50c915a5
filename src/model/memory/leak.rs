//! `leak`: memory that is allocated and never freed until the process dies.

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Leak rates.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct LeakSpec {
    /// Bytes kept per request served.
    pub per_request: Bytes,
    /// Bytes kept per second of uptime.
    pub per_second: Bytes,
}

#[derive(Clone, Debug)]
pub(crate) struct Leak {
    spec: LeakSpec,
    bytes: f64,
    rps: f64,
    /// Seconds of history still to apply (a warm start), at the first load.
    history: f64,
}

impl Leak {
    pub(crate) fn new(spec: LeakSpec) -> Self {
        Leak {
            spec,
            bytes: 0.0,
            rps: 0.0,
            history: 0.0,
        }
    }
}

impl MemoryLaw for Leak {
    fn start(&mut self, _now: SimTime, warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.bytes = 0.0;
        self.history = warm.map_or(0.0, |age| age.as_secs_f64());
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
    fn slope(&self) -> f64 {
        self.spec.per_second.as_f64() + self.spec.per_request.as_f64() * self.rps
    }
    fn advance(&mut self, dt: f64) {
        self.bytes += self.slope() * dt;
    }
    fn set_load(&mut self, load: &Load) {
        self.rps = if load.fluid { load.rps } else { 0.0 };
        // A warm start: what leaked while the pod ran before the scenario.
        self.bytes += (self.spec.per_second.as_f64() + self.spec.per_request.as_f64() * load.rps)
            * std::mem::take(&mut self.history);
    }
    fn on_request(&mut self, _now: SimTime, _rng: &mut SimRng) {
        self.bytes += self.spec.per_request.as_f64();
    }
}
