//! `leak`: memory that is allocated and never freed until the process dies.
//!
//! Per second of uptime, and per request served. In fluid fidelity the requests of each
//! step are drawn from the counting process (see `Container`), so a leak per request has
//! the spread of real arrivals: the time to fill `n` requests' worth has a standard
//! deviation of about √n / rps, as in per-request fidelity.

use rand_distr::{Binomial, Distribution};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::{Memory, Problem};
use super::{Law, LawYaml, MemoryLaw};
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

/// `leak:`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Leak")]
pub struct LeakYaml {
    /// Bytes kept per request.
    #[serde(default)]
    pub per_request: Option<Memory>,
    /// Bytes kept per second.
    #[serde(default)]
    pub per_second: Option<Memory>,
}

impl LawYaml for LeakYaml {
    type Spec = LeakSpec;
    fn build(&self) -> Result<LeakSpec, Problem> {
        Ok(LeakSpec {
            per_request: self.per_request.map_or(Bytes(0), |m| m.0),
            per_second: self.per_second.map_or(Bytes(0), |m| m.0),
        })
    }
}

/// The law's state: bytes kept so far and the arrivals of the current step.
#[derive(Clone, Debug)]
pub(crate) struct Leak {
    spec: LeakSpec,
    bytes: f64,
    /// Requests per second over the current step (fluid).
    arrivals: f64,
    /// Requests drawn for the current step (fluid).
    step_arrivals: u64,
    /// Seconds of history still to apply (a warm start), at the first load.
    history: f64,
}

impl Law for Leak {
    type Spec = LeakSpec;
    const NAME: &'static str = "leak";
    fn from_spec(spec: &LeakSpec) -> Self {
        Leak::new(*spec)
    }
}

impl Leak {
    pub(crate) fn new(spec: LeakSpec) -> Self {
        Leak {
            spec,
            bytes: 0.0,
            arrivals: 0.0,
            step_arrivals: 0,
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
        self.spec.per_second.as_f64() + self.spec.per_request.as_f64() * self.arrivals
    }
    fn advance(&mut self, dt: f64) {
        self.bytes += self.slope() * dt;
    }
    fn set_load(&mut self, _now: SimTime, load: &Load) {
        self.arrivals = if load.fluid { load.arrivals } else { 0.0 };
        // A warm start: what leaked while the pod ran before the scenario (its mean).
        self.bytes += (self.spec.per_second.as_f64() + self.spec.per_request.as_f64() * load.rps)
            * std::mem::take(&mut self.history);
    }
    fn on_arrivals(&mut self, _now: SimTime, count: u64, _dt: f64, _rng: &mut SimRng) {
        self.step_arrivals = count;
    }
    fn on_step_cut(&mut self, fraction: f64, rng: &mut SimRng) {
        let n = self.step_arrivals;
        if n == 0 || self.spec.per_request.0 == 0 {
            return;
        }
        let arrived = Binomial::new(n, fraction.clamp(0.0, 1.0)).map_or(0, |b| b.sample(rng));
        let missed = arrived as f64 - n as f64 * fraction;
        self.bytes = (self.bytes + missed * self.spec.per_request.as_f64()).max(0.0);
    }
    fn uses_arrivals(&self) -> bool {
        self.spec.per_request.0 > 0
    }
    fn on_request(&mut self, _now: SimTime, _rng: &mut SimRng) -> Option<f64> {
        self.bytes += self.spec.per_request.as_f64();
        Some(self.spec.per_request.as_f64())
    }
}
