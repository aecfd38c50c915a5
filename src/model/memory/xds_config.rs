//! `xdsConfig`: the Envoy configuration a proxy holds — clusters and their endpoints.
//!
//! Envoy's memory per cluster is about 37 KB and per host about 1.4 KB
//! (envoy `test/integration/stats_integration_test.cc`, REFERENCE.md). A proxy sees every
//! service of the mesh unless an Istio `Sidecar` resource narrows its egress, so a
//! 400-service mesh costs each proxy ~15 MB before any traffic.

use super::{Law, MemoryLaw};
use crate::model::units::Bytes;

/// Envoy's memory per cluster, bytes (REFERENCE.md: ≈ 37 KB, CI bound 42 000 B).
pub const BYTES_PER_CLUSTER: Bytes = Bytes(37_000);
/// Envoy's memory per host, bytes (REFERENCE.md: ≈ 1.4 KB, CI bound 3 000 B).
pub const BYTES_PER_HOST: Bytes = Bytes(1_400);

/// The configuration a proxy holds.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct XdsConfigSpec {
    /// Clusters (services in the proxy's scope).
    pub clusters: u32,
    /// Endpoints (hosts) over all those clusters.
    pub hosts: u32,
    /// Memory per cluster.
    pub per_cluster: Bytes,
    /// Memory per host.
    pub per_host: Bytes,
}

impl XdsConfigSpec {
    /// Bytes held for `clusters` clusters of `hosts_per_cluster` hosts each.
    pub fn bytes(&self) -> f64 {
        f64::from(self.clusters) * self.per_cluster.as_f64()
            + f64::from(self.hosts) * self.per_host.as_f64()
    }
}

/// The law's state: its parameters (the size is constant).
#[derive(Clone, Debug)]
pub(crate) struct XdsConfig {
    spec: XdsConfigSpec,
}

impl Law for XdsConfig {
    type Spec = XdsConfigSpec;
    const NAME: &'static str = "xdsConfig";
    fn from_spec(spec: &XdsConfigSpec) -> Self {
        XdsConfig::new(*spec)
    }
}

impl XdsConfig {
    pub(crate) fn new(spec: XdsConfigSpec) -> Self {
        XdsConfig { spec }
    }
}

impl MemoryLaw for XdsConfig {
    fn bytes(&self) -> f64 {
        self.spec.bytes()
    }
}
