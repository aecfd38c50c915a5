//! `baseline`: the idle process's resident memory, reached by a linear start-up ramp.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::{Duration, Memory, Problem};
use super::{Law, LawYaml, MemoryLaw};
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

/// `baseline:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Baseline")]
pub struct BaselineYaml {
    /// Resident size once started.
    pub size: Memory,
    /// Linear ramp from start (default 0s).
    #[serde(default)]
    pub ramp: Option<Duration>,
}

impl LawYaml for BaselineYaml {
    type Spec = BaselineSpec;
    fn build(&self) -> Result<BaselineSpec, Problem> {
        Ok(BaselineSpec {
            size: self.size.0,
            ramp: self.ramp.map_or(SimDuration::ZERO, |d| d.0),
        })
    }
}

/// The law's state: bytes now and the ramp's slope until it ends.
#[derive(Clone, Debug)]
pub(crate) struct Baseline {
    spec: BaselineSpec,
    bytes: f64,
    slope: f64,
    ramp_end: SimTime,
}

impl Law for Baseline {
    type Spec = BaselineSpec;
    const NAME: &'static str = "baseline";
    fn from_spec(spec: &BaselineSpec) -> Self {
        Baseline::new(*spec)
    }
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
