//! `xdsServer`: istiod's xDS state — connected proxies, push contexts, config being
//! sent. Its size is set by the control-plane model as the push pipeline moves; between
//! changes it is constant.

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;

#[derive(Clone, Debug, Default)]
pub(crate) struct XdsServer {
    bytes: f64,
}

impl XdsServer {
    /// The control plane's current accounting of this istiod's xDS memory.
    pub(crate) fn set(&mut self, bytes: f64) {
        self.bytes = bytes;
    }
}

impl MemoryLaw for XdsServer {
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.bytes = 0.0;
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
    fn slope(&self) -> f64 {
        0.0
    }
    fn advance(&mut self, _dt: f64) {}
    fn next_change(&self, _now: SimTime) -> SimTime {
        SimTime::NEVER
    }
    fn on_change(&mut self, _now: SimTime) {}
    fn set_load(&mut self, _load: &Load) {}
    fn on_request(&mut self, _now: SimTime, _rng: &mut SimRng) {}
}
