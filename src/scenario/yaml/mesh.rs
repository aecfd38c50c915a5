//! Istio mesh-wide settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::workload::Proxy;
use crate::scenario::duration::Duration;
use crate::scenario::quantity::Memory;
use serde_saphyr::Spanned;

/// Mesh-wide Istio settings (istiod Helm values and MeshConfig).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mesh {
    /// Trace sampling in percent (`PILOT_TRACE_SAMPLING`, Helm `pilot.traceSampling`);
    /// default 1.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub trace_sampling: Option<Spanned<f64>>,
    /// The tracer and its collector.
    #[serde(default)]
    pub tracing: Tracing,
    /// Defaults of every injected `istio-proxy` (Helm `global.proxy`).
    #[serde(default)]
    pub proxy: Proxy,
    /// Services in the mesh, simulated or not (default: the scenario's workloads). Every
    /// proxy holds a cluster per service unless a Sidecar scope narrows it.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub services: Option<Spanned<u32>>,
    /// Endpoints per service of the mesh (default: the scenario's mean replicas).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub endpoints_per_service: Option<Spanned<u32>>,
    /// Time for an endpoint change to reach the proxies (default 1s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub endpoint_propagation: Option<Spanned<Duration>>,
    /// Mutual TLS between sidecars (default true: Istio's auto-mTLS).
    #[serde(default)]
    pub mtls: Option<bool>,
}

/// PeerAuthentication modes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PeerAuthMode {
    /// mTLS required.
    Strict,
    /// mTLS accepted and used between sidecars.
    Permissive,
    /// Plain text.
    Disable,
}

/// The proxies' tracer (Zipkin) and the collector behind it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tracing {
    /// Memory per span held until the collector has it.
    #[serde(default)]
    #[schemars(with = "Option<Memory>")]
    pub span_size: Option<Spanned<Memory>>,
    /// Spans per second the collector accepts from one proxy.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub collector_capacity: Option<Spanned<f64>>,
    /// Exporter flush interval (Zipkin `flush_interval_ms`, default 5 s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub flush_interval: Option<Spanned<Duration>>,
    /// Spans held at once beyond which new ones are dropped (default: Envoy's circuit
    /// breaker, 1024 reports of 5 spans).
    #[serde(default)]
    pub max_spans: Option<u64>,
    /// Memory the proxy keeps for good per sampled span. Envoy's tracer does not do this
    /// (its buffer is bounded); set it only to reproduce an account of unexplained
    /// growth under tracing, such as seed 001's (default 0).
    #[serde(default)]
    #[schemars(with = "Option<Memory>")]
    pub retained_per_span: Option<Spanned<Memory>>,
}
