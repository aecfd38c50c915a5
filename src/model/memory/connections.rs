//! `connections`: buffers of the proxy's open connections.
//!
//! Connections scale with traffic: keep-alive pools hold about `per_rps` connections for
//! each request per second (inbound from clients and outbound to upstreams). Each holds
//! `tls_bytes` with mutual TLS (TLS records buffered both ways, session state) or
//! `plain_bytes` without. REFERENCE.md gives Istio's sizing — a sidecar needs about
//! 40–60 MB per 1000 rps — which the defaults reproduce; the split into connections ×
//! bytes is UNCONFIRMED.

use super::MemoryLaw;
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Connection memory parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ConnectionsSpec {
    /// Open connections per request per second.
    pub per_rps: f64,
    /// Memory per connection with mTLS.
    pub tls_bytes: Bytes,
    /// Memory per connection in plain text.
    pub plain_bytes: Bytes,
    /// Whether mutual TLS is on at start.
    pub mtls: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Connections {
    spec: ConnectionsSpec,
    rps: f64,
    mtls: bool,
}

impl Connections {
    pub(crate) fn new(spec: ConnectionsSpec) -> Self {
        Connections {
            spec,
            rps: 0.0,
            mtls: spec.mtls,
        }
    }

    /// Switches mutual TLS on or off (a PeerAuthentication change).
    pub(crate) fn set_mtls(&mut self, on: bool) {
        self.mtls = on;
    }
}

impl MemoryLaw for Connections {
    fn bytes(&self) -> f64 {
        let per = if self.mtls {
            self.spec.tls_bytes
        } else {
            self.spec.plain_bytes
        };
        self.spec.per_rps * self.rps * per.as_f64()
    }
    fn set_load(&mut self, load: &Load) {
        self.rps = load.rps;
    }
}
