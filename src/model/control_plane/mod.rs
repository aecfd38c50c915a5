//! The Istio control plane: istiod replicas, their debounce and push pipeline, the
//! proxies connected to them, and what proxies see when istiod restarts.
//!
//! istiod runs as a workload of its own (its `discovery` container has memory laws like
//! any other); this module holds what is specific to xDS. See `world/istiod.rs` for the
//! behaviour and REFERENCE.md, "istiod push pipeline", for the rules it follows.

mod debounce;

pub use debounce::{DebounceSpec, Debouncer, Step};

use crate::engine::SimDuration;
use crate::model::units::Bytes;

/// What one istiod needs to serve and how fast it works.
#[derive(Clone, Debug, PartialEq)]
pub struct IstiodSpec {
    /// Index of the istiod workload.
    pub workload: usize,
    /// Debounce settings.
    pub debounce: DebounceSpec,
    /// `PILOT_PUSH_THROTTLE`: proxies being pushed at once.
    pub push_throttle: u32,
    /// Memory per connected proxy (stream state, watched resources).
    pub per_connection: Bytes,
    /// Memory of one push context for the whole mesh.
    pub push_context: Bytes,
    /// Generated config for one proxy (all clusters and endpoints), held while sent.
    pub config_per_proxy: Bytes,
    /// Config sent for an endpoints-only push, per proxy.
    pub eds_per_proxy: Bytes,
    /// Bytes per second one send goes at.
    pub send_rate: Bytes,
    /// Time to build a push context.
    pub context_build: SimDuration,
    /// Time from container start to the xDS port listening.
    pub process_start: SimDuration,
    /// Time for the informers to sync everything, from the process start.
    pub informer_sync: SimDuration,
    /// Refuse xDS streams until synced, at most this long (Istio ≥ 1.8); None: serve at
    /// once (1.4-era behaviour).
    pub sync_gate: Option<SimDuration>,
}

/// The data plane as istiod sees it, and how it reaches istiod.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlaneSpec {
    /// istiod.
    pub istiod: IstiodSpec,
    /// Proxies connected to istiod (all of the mesh; not simulated one by one).
    pub proxies: u32,
    /// Proxies per cohort: a cohort reconnects and is pushed as one.
    pub cohort_size: u32,
    /// Requests per second through the mesh's proxies (gateways): they fail 503 NR when
    /// the proxy lacks the destination's cluster.
    pub gateway_rps: f64,
    /// Envoy's xDS reconnect back-off: first delay and cap (full jitter).
    pub reconnect_initial: SimDuration,
    /// See `reconnect_initial`.
    pub reconnect_max: SimDuration,
    /// Time kube-proxy takes to apply an endpoint change to iptables (plus up to
    /// `kube_proxy_jitter`); longer when kube-proxy is CPU-throttled.
    pub kube_proxy_lag: SimDuration,
    /// See `kube_proxy_lag`.
    pub kube_proxy_jitter: SimDuration,
}

/// A burst of config events (a rollout, a cluster-wide update).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ChurnSpec {
    /// Events in the burst.
    pub events: u32,
    /// Over how long (Poisson arrivals at events / duration).
    pub over: SimDuration,
    /// Share of events that need a full push (services, config); the rest are
    /// endpoint-only.
    pub full_share: f64,
}
