//! `baseline`: the idle process's resident memory, reached by a linear start-up ramp.

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::units::Bytes;

/// Idle resident memory and the time to reach it after a start.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BaselineSpec {
    /// Resident bytes once started.
    pub size: Bytes,
    /// Time from start to full size (linear); zero means at once.
    pub ramp: SimDuration,
}

#[derive(Clone, Debug)]
pub(crate) struct Baseline {
    spec: BaselineSpec,
    bytes: f64,
    slope: f64,
    ramp_end: SimTime,
}

impl Baseline {
    pub(crate) fn new(spec: BaselineSpec) -> Self {
        Baseline {
            spec,
            bytes: 0.0,
            slope: 0.0,
            ramp_end: SimTime::NEVER,
        }
    }
}

impl MemoryLaw for Baseline {
    fn start(&mut self, now: SimTime, warm: Option<SimDuration>, _rng: &mut SimRng) {
        if warm.is_some() || self.spec.ramp.is_zero() {
            self.bytes = self.spec.size.as_f64();
            self.slope = 0.0;
            self.ramp_end = SimTime::NEVER;
        } else {
            self.bytes = 0.0;
            self.slope = self.spec.size.as_f64() / self.spec.ramp.as_secs_f64();
            self.ramp_end = now + self.spec.ramp;
        }
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
    fn slope(&self) -> f64 {
        self.slope
    }
    fn advance(&mut self, dt: f64) {
        self.bytes += self.slope * dt;
    }
    fn next_change(&self, _now: SimTime) -> SimTime {
        self.ramp_end
    }
    fn on_change(&mut self, now: SimTime) {
        if now >= self.ramp_end {
            self.bytes = self.spec.size.as_f64();
            self.slope = 0.0;
            self.ramp_end = SimTime::NEVER;
        }
    }
}
