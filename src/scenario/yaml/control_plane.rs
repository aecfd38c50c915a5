//! `controlPlane:` — istiod and the proxies connected to it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::workload::Resources;
use crate::scenario::duration::Duration;
use crate::scenario::quantity::Memory;
use serde_saphyr::Spanned;

/// The Istio control plane.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlPlane {
    /// istiod.
    pub istiod: Istiod,
    /// Proxies connected to istiod (the whole mesh).
    #[schemars(with = "u32")]
    pub proxies: Spanned<u32>,
    /// Proxies that reconnect and are pushed together (default 100).
    #[serde(default)]
    pub cohort_size: Option<u32>,
    /// Requests per second through the mesh's proxies (gateways); they fail 503 NR when
    /// the proxy lacks the destination's cluster.
    #[serde(default)]
    pub gateway_rps: Option<f64>,
    /// Envoy's xDS reconnect back-off.
    #[serde(default)]
    pub reconnect: Option<Reconnect>,
    /// kube-proxy's delay in applying endpoint changes.
    #[serde(default)]
    pub kube_proxy: Option<KubeProxy>,
}

/// istiod's deployment and push pipeline.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Istiod {
    /// Workload name (default `istiod`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// Replicas.
    pub replicas: u32,
    /// Resources of the `discovery` container.
    pub resources: Resources,
    /// Resident memory with no proxies and no push.
    pub baseline: Memory,
    /// Time from start until its readiness probe passes.
    #[serde(default)]
    pub readiness_delay: Option<Duration>,
    /// Memory per connected proxy.
    pub per_connection: Memory,
    /// Memory of one push context.
    pub push_context: Memory,
    /// Generated config of one proxy, held while it is sent.
    pub config_per_proxy: Memory,
    /// Config of one proxy for an endpoints-only push (default 1/50 of the full one).
    #[serde(default)]
    pub eds_per_proxy: Option<Memory>,
    /// Bytes per second one send goes at.
    pub send_rate: Memory,
    /// Time to build a push context.
    pub context_build: Duration,
    /// Time from container start to the xDS port listening (default 1s).
    #[serde(default)]
    pub process_start: Option<Duration>,
    /// Time for the informers to sync, from the process start.
    pub informer_sync: Duration,
    /// Debounce (`PILOT_DEBOUNCE_AFTER`, `PILOT_DEBOUNCE_MAX`, `PILOT_ENABLE_EDS_DEBOUNCE`).
    #[serde(default)]
    pub debounce: Option<Debounce>,
    /// `PILOT_PUSH_THROTTLE` (default 100).
    #[serde(default)]
    pub push_throttle: Option<u32>,
    /// Serve xDS only once synced (Istio ≥ 1.8), waiting at most `maxWait`.
    #[serde(default)]
    pub sync_gate: Option<SyncGate>,
}

/// Debounce settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Debounce {
    /// Quiet time before a push (default 100ms).
    #[serde(default)]
    pub after: Option<Duration>,
    /// Longest wait (default 10s).
    #[serde(default)]
    pub max: Option<Duration>,
    /// Debounce endpoint-only events too (default true).
    #[serde(default)]
    pub eds: Option<bool>,
}

/// The sync gate.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncGate {
    /// Longest a process refuses streams while syncing (Istio: 60s).
    pub max_wait: Duration,
}

/// Envoy's xDS reconnect back-off.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Reconnect {
    /// First delay (default 500ms).
    pub initial: Duration,
    /// Cap (default 30s).
    pub max: Duration,
}

/// kube-proxy's lag.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxy {
    /// Delay before an endpoint change is in iptables.
    pub lag: Duration,
    /// Extra random delay, up to (default 0).
    #[serde(default)]
    pub jitter: Option<Duration>,
}

/// `configChurn:` timeline action.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Churn {
    /// Config events in the burst.
    pub events: u32,
    /// Over how long.
    pub over: Duration,
    /// Share that need a full push (default 0.1; the rest are endpoint-only).
    #[serde(default)]
    pub full_share: Option<f64>,
}
