//! `xdsServer`: istiod's xDS state — connected proxies, push contexts, config being
//! sent. Its size is set by the control-plane model as the push pipeline moves; between
//! changes it is constant.

use super::{Law, MemoryLaw};
use crate::engine::{SimDuration, SimRng, SimTime};

/// istiod's xDS state has no parameters of its own: the control plane sizes it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct XdsServerSpec;

/// The law's state: the bytes the control plane last set.
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

impl Law for XdsServer {
    type Spec = XdsServerSpec;
    const NAME: &'static str = "xdsServer";
    fn from_spec(_spec: &XdsServerSpec) -> Self {
        XdsServer::default()
    }
}

impl MemoryLaw for XdsServer {
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.bytes = 0.0;
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
}
