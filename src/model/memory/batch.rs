//! `batch`: work that holds memory for a while — a start-up job, a periodic batch.
//!
//! Seed 002's service processes "a batch of 1000 transactions" at start and then
//! periodically: each batch allocates `size` over `ramp`, holds it for `hold`, then frees
//! it. The first batch runs `after_start` after the process starts (or at a random phase
//! of `every` if there is no start-up batch), the next ones every `every` after it. A
//! process that was already running when the run begins is past its start-up batch if it
//! is older than `after_start`: its next batch is the next of the period.

use super::{MemoryLaw, first_tick};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::units::Bytes;

/// Batch parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BatchSpec {
    /// Memory a batch holds at its peak.
    pub size: Bytes,
    /// First batch this long after start, if any.
    pub after_start: Option<SimDuration>,
    /// Period of later batches, if any.
    pub every: Option<SimDuration>,
    /// Time to allocate.
    pub ramp: SimDuration,
    /// Time held after allocation.
    pub hold: SimDuration,
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    Ramping,
    Holding,
}

#[derive(Clone, Debug)]
pub(crate) struct Batch {
    spec: BatchSpec,
    phase: Phase,
    bytes: f64,
    /// End of the current phase (or start of the next batch when idle).
    until: SimTime,
    /// Start of the current or last batch.
    began: SimTime,
}

impl Batch {
    pub(crate) fn new(spec: BatchSpec) -> Self {
        Batch {
            spec,
            phase: Phase::Idle,
            bytes: 0.0,
            until: SimTime::NEVER,
            began: SimTime::ZERO,
        }
    }

    fn begin(&mut self, now: SimTime) {
        self.began = now;
        if self.spec.ramp.is_zero() {
            self.bytes = self.spec.size.as_f64();
            self.phase = Phase::Holding;
            self.until = now + self.spec.hold;
        } else {
            self.phase = Phase::Ramping;
            self.until = now + self.spec.ramp;
        }
    }
}

impl MemoryLaw for Batch {
    fn start(&mut self, now: SimTime, warm: Option<SimDuration>, rng: &mut SimRng) {
        self.bytes = 0.0;
        self.phase = Phase::Idle;
        let age = warm.unwrap_or(SimDuration::ZERO);
        self.until = match (self.spec.after_start, self.spec.every) {
            (Some(after), _) if age <= after => {
                now + SimDuration::from_nanos(after.as_nanos() - age.as_nanos())
            }
            // The start-up batch is behind it: the period's next batch.
            (Some(after), Some(every)) => {
                let since = age.as_nanos() - after.as_nanos();
                let period = every.as_nanos().max(1);
                now + SimDuration::from_nanos(since.div_ceil(period) * period - since)
            }
            (Some(_), None) => SimTime::NEVER,
            (None, Some(every)) => now + first_tick(every, rng),
            (None, None) => SimTime::NEVER,
        };
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
    fn slope(&self) -> f64 {
        match self.phase {
            Phase::Ramping => self.spec.size.as_f64() / self.spec.ramp.as_secs_f64(),
            _ => 0.0,
        }
    }
    fn advance(&mut self, dt: f64) {
        self.bytes += self.slope() * dt;
    }
    fn next_change(&self, _now: SimTime) -> SimTime {
        self.until
    }
    fn on_change(&mut self, now: SimTime) {
        if now < self.until {
            return;
        }
        match self.phase {
            Phase::Idle => self.begin(now),
            Phase::Ramping => {
                self.bytes = self.spec.size.as_f64();
                self.phase = Phase::Holding;
                self.until = now + self.spec.hold;
            }
            Phase::Holding => {
                self.bytes = 0.0;
                self.phase = Phase::Idle;
                self.until = self
                    .spec
                    .every
                    .map_or(SimTime::NEVER, |e| (self.began + e).max(now));
            }
        }
    }
}
