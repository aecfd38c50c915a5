//! `redis` / `coredns`: memory whose size a subsystem of the model computes — a Redis
//! instance's resident memory from its keyspace, a CoreDNS pod's cache and pending
//! queries. The owner sets bytes and a slope whenever its own state changes course;
//! between those instants the law is linear, so the kernel still predicts the exact
//! instant the container reaches its limit.

use super::MemoryLaw;
use crate::engine::{SimDuration, SimRng, SimTime};

/// Which subsystem sizes the law (also its name in messages and charts).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExternalKind {
    /// A Redis server: `used_memory` × fragmentation ratio (see `model::redis`).
    Redis,
    /// A CoreDNS server: answer cache and pending forwarded queries (see `model::dns`).
    CoreDns,
}

impl ExternalKind {
    /// The law's name as messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            ExternalKind::Redis => "redis",
            ExternalKind::CoreDns => "coredns",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct External {
    kind: ExternalKind,
    bytes: f64,
    slope: f64,
}

impl External {
    pub(crate) fn new(kind: ExternalKind) -> Self {
        External {
            kind,
            bytes: 0.0,
            slope: 0.0,
        }
    }

    pub(crate) fn kind(&self) -> ExternalKind {
        self.kind
    }

    /// The owner's current figure: `bytes` now, growing at `slope` bytes per second.
    pub(crate) fn set(&mut self, bytes: f64, slope: f64) {
        self.bytes = bytes.max(0.0);
        self.slope = slope;
    }
}

impl MemoryLaw for External {
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.bytes = 0.0;
        self.slope = 0.0;
    }
    fn bytes(&self) -> f64 {
        self.bytes
    }
    fn slope(&self) -> f64 {
        if self.bytes <= 0.0 && self.slope < 0.0 {
            0.0
        } else {
            self.slope
        }
    }
    fn advance(&mut self, dt: f64) {
        self.bytes = (self.bytes + self.slope() * dt).max(0.0);
    }
}
