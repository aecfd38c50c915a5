//! `connections`: buffers of the proxy's open connections.
//!
//! Connections scale with traffic: keep-alive pools hold about `per_rps` connections for
//! each request per second (inbound from clients and outbound to upstreams). Each holds
//! `tls_bytes` with mutual TLS (TLS records buffered both ways, session state) or
//! `plain_bytes` without. REFERENCE.md gives Istio's sizing — a sidecar needs about
//! 40–60 MB per 1000 rps — which the defaults reproduce; the split into connections ×
//! bytes is UNCONFIRMED.
//!
//! The pool follows the request rate at both fidelities — it does not move with each
//! arrival — so fluid and per-request fidelity agree on it by construction. Left out:
//! Envoy opens an upstream connection when every pooled one is busy and closes it after
//! `common_http_protocol_options.idle_timeout` (1 h by default, envoy
//! `api/envoy/config/core/v3/protocol.proto`), so a real pool tracks the peak
//! concurrency of the last hour rather than the mean rate; a spike's connections
//! outlive the spike.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::Memory;
use super::{Law, MemoryLaw};
use crate::engine::SimTime;
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Connections per rps and memory per connection, with and without mTLS. Together they
/// put a sidecar at 1000 rps ~50 MB above idle, inside Istio's published 40–60 MB per
/// 1000 rps (REFERENCE.md); the split itself is UNCONFIRMED.
const CONNECTIONS_PER_RPS: f64 = 1.0;
const TLS_BYTES_PER_CONNECTION: Bytes = Bytes(48 << 10);
const PLAIN_BYTES_PER_CONNECTION: Bytes = Bytes(16 << 10);

/// Connection memory.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Connections")]
pub struct ConnectionsYaml {
    /// Open connections per request per second.
    #[serde(default)]
    pub per_rps: Option<f64>,
    /// Memory per connection with mTLS.
    #[serde(default)]
    pub tls_bytes: Option<Memory>,
    /// Memory per plain-text connection.
    #[serde(default)]
    pub plain_bytes: Option<Memory>,
}

impl ConnectionsYaml {
    /// A proxy's connections: `own` (the workload's block) over `mesh` (the mesh's) over
    /// the defaults; `mtls` says whether mutual TLS is on at start.
    pub fn build(own: &ConnectionsYaml, mesh: &ConnectionsYaml, mtls: bool) -> ConnectionsSpec {
        ConnectionsSpec {
            per_rps: own.per_rps.or(mesh.per_rps).unwrap_or(CONNECTIONS_PER_RPS),
            tls_bytes: own
                .tls_bytes
                .or(mesh.tls_bytes)
                .map_or(TLS_BYTES_PER_CONNECTION, |m| m.0),
            plain_bytes: own
                .plain_bytes
                .or(mesh.plain_bytes)
                .map_or(PLAIN_BYTES_PER_CONNECTION, |m| m.0),
            mtls,
        }
    }
}

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

/// The law's state: the request rate and whether mTLS is on.
#[derive(Clone, Debug)]
pub(crate) struct Connections {
    spec: ConnectionsSpec,
    rps: f64,
    mtls: bool,
}

impl Law for Connections {
    type Spec = ConnectionsSpec;
    const NAME: &'static str = "connections";
    fn from_spec(spec: &ConnectionsSpec) -> Self {
        Connections::new(*spec)
    }
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
    fn set_load(&mut self, _now: SimTime, load: &Load) {
        self.rps = load.rps;
    }
}
