//! `redis` / `coredns`: memory whose size a subsystem of the model computes — a Redis
//! instance's resident memory from its keyspace, a CoreDNS pod's cache and pending
//! queries. The owner sets bytes and a slope whenever its own state changes course;
//! between those instants the law is linear, so the kernel still predicts the exact
//! instant the container reaches its limit.
//!
//! The law has no `memory:` block: a workload's `redis:` or `coredns:` section gives its
//! first container this law (`scenario::compile::template`), and the owning subsystem
//! drives it through `laws.get_mut::<External>()`. What it follows and leaves out is
//! the owner's: `model::redis` (redis 7.4.1, docs/reference.md) and `model::dns`.

use super::{Law, MemoryLaw};
use crate::engine::{SimDuration, SimRng, SimTime};

/// Which subsystem sizes the law (also its name in messages and charts). It is the law's
/// whole spec: the owner supplies every figure at run time.
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

/// The law's state: the bytes and slope its owner last set.
#[derive(Clone, Debug)]
pub(crate) struct External {
    kind: ExternalKind,
    bytes: f64,
    slope: f64,
}

impl External {
    /// The owner's current figure: `bytes` now, growing at `slope` bytes per second.
    pub(crate) fn set(&mut self, bytes: f64, slope: f64) {
        self.bytes = bytes.max(0.0);
        self.slope = slope;
    }
}

impl Law for External {
    type Spec = ExternalKind;
    const NAME: &'static str = "external";
    fn from_spec(kind: &ExternalKind) -> Self {
        External {
            kind: *kind,
            bytes: 0.0,
            slope: 0.0,
        }
    }
    fn name(&self) -> &'static str {
        self.kind.name()
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
    /// Shrinking memory stops at zero: a change, so that the container's sums and its
    /// readings between updates never go below it.
    fn next_change(&self, now: SimTime) -> SimTime {
        if self.bytes > 0.0 && self.slope < 0.0 {
            now + SimDuration::from_secs_f64_ceil(self.bytes / -self.slope)
        } else {
            SimTime::NEVER
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_linearly_from_what_the_owner_set() {
        let mut law = External::from_spec(&ExternalKind::Redis);
        law.set(1000.0, 10.0);
        law.advance(5.0);
        assert_eq!(law.bytes(), 1050.0);
    }

    #[test]
    fn shrinking_stops_at_zero() {
        let mut law = External::from_spec(&ExternalKind::CoreDns);
        law.set(100.0, -50.0);
        // Announced as a change: the law is linear only until then.
        assert_eq!(law.next_change(SimTime::ZERO), SimTime::from_secs(2));
        law.advance(10.0);
        assert_eq!(law.bytes(), 0.0);
        assert_eq!(law.slope(), 0.0);
        assert_eq!(law.next_change(SimTime::ZERO), SimTime::NEVER);
    }

    #[test]
    fn is_named_for_its_owner() {
        let law = External::from_spec(&ExternalKind::CoreDns);
        assert_eq!(Law::name(&law), "coredns");
    }
}
