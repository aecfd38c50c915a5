//! The scenario file format: serde structs mirroring the YAML, keys in camelCase as in
//! Kubernetes manifests. Unknown keys are errors. Values that later checks need to point
//! at are kept with their source location (`Spanned`).
//!
//! These structs also serialise, so that a variant can patch a scenario by value path and
//! read it back (see `variant.rs`).

mod cluster;
mod control_plane;
mod data_tier;
mod drill;
mod mesh;
mod ordered;
mod timeline;
mod traffic;
mod workload;

/// A container's `memory:` block: each law's shape lives with the law (`model::memory`).
pub use crate::model::memory::MemoryLaws;
pub use cluster::{Background, CrashLoopBackOff, EvictionHard, FeatureGates, Kubelet, NodeGroup};
pub use control_plane::{Churn, ControlPlane, Debounce, Istiod, KubeProxy, Reconnect, SyncGate};
pub use data_tier::{
    Call, CoreDnsServer, Database, Dns, DnsUpstream, Hpa, HpaResource, Keys, OnMiss, OtherClients,
    Policy, RedisConfigSet, RedisMemory, RedisServer, Upstream, WriteErrors,
};
pub use drill::{BurnRate, Decision, Drill, DrillAction, DrillOption, Page, Scoring, Weights};
pub use mesh::{Mesh, PeerAuthMode, Tracing};
pub use ordered::OrderedMap;
pub use timeline::{
    PeerAuthentication, Scale, SetResources, TemplateChange, TimelineEntry, Trigger, WorkloadRef,
};
pub use traffic::{Diurnal, Noise, Ramp, Spike, Step, Traffic};
pub use workload::{
    Container, CpuDemand, Jvm, PodResources, Probe, Proxy, ResourceList, Resources, RollingUpdate,
    Scope, Workload,
};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Location;
pub use serde_saphyr::Spanned;

use super::duration::Duration;
use crate::engine::SimDuration;

/// A value with no known place (defaults, values set by a variant).
pub fn unplaced<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// How traffic drives the model.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Fidelity {
    /// Rates with noise (default).
    #[default]
    Fluid,
    /// One event per request.
    PerRequest,
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioFile {
    /// Name; also the output folder's name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What the scenario shows, for people.
    #[serde(default)]
    pub description: String,
    /// Simulated time per run.
    #[schemars(with = "Duration")]
    pub duration: Spanned<Duration>,
    /// Seed of every random stream.
    #[serde(default)]
    pub seed: u64,
    /// Monte Carlo runs per variant.
    #[serde(default = "default_replicas")]
    #[schemars(with = "u32")]
    pub replicas: Spanned<u32>,
    /// Interval between scrapes.
    #[serde(default = "default_scrape_interval")]
    #[schemars(with = "Duration")]
    pub scrape_interval: Spanned<Duration>,
    /// Traffic fidelity.
    #[serde(default)]
    pub fidelity: Fidelity,
    /// Fluid fidelity: arrivals are drawn at most this long at a time, and up to the
    /// traffic noise's next resample (default 30s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub fluid_step: Option<Spanned<Duration>>,
    /// Kubelet settings shared by all nodes.
    #[serde(default)]
    pub kubelet: Kubelet,
    /// Node groups.
    pub nodes: Vec<NodeGroup>,
    /// Istio mesh settings; when present, workloads get an `istio-proxy` sidecar.
    #[serde(default)]
    pub mesh: Option<Mesh>,
    /// Deployments (each with a Service of the same name).
    pub workloads: Vec<Workload>,
    /// Load per service.
    #[serde(default)]
    pub traffic: Vec<Traffic>,
    /// Changes during the run.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Named patches compared against the baseline on the same random streams.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Grids over scenario values; each point runs like a variant.
    #[serde(default)]
    pub sweeps: Vec<Sweep>,
    /// Availability objective for error-budget burn.
    #[serde(default)]
    pub slo: Slo,
    /// Instant from which the summary's `*_after` figures count (e.g. once a
    /// mitigation has rolled out); default 0.
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub evaluate_after: Option<Spanned<Duration>>,
    /// "After" figures count from the first time this happens instead (not before
    /// `evaluateAfter`).
    #[serde(default)]
    pub evaluate_on: Option<Trigger>,
    /// The Istio control plane (istiod) and the proxies connected to it.
    #[serde(default)]
    pub control_plane: Option<ControlPlane>,
    /// Vertical pod autoscalers.
    #[serde(default)]
    pub vpa: Vec<Vpa>,
    /// Horizontal pod autoscalers.
    #[serde(default)]
    pub hpa: Vec<Hpa>,
    /// Databases behind the caches.
    #[serde(default)]
    pub databases: Vec<Database>,
    /// How pods resolve names through cluster DNS (a workload with `coredns:` serves it).
    #[serde(default)]
    pub dns: Option<Dns>,
    /// Prometheus-style alert rules.
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// Output settings.
    #[serde(default)]
    pub output: Output,
    /// An incident drill set in this scenario (`meshmem drill`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<Drill>,
}

/// A VerticalPodAutoscaler.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Vpa {
    /// Target workload.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// Containers it sizes (default: all).
    #[serde(default)]
    pub containers: Vec<String>,
    /// `Off`, `Initial` or `Auto`.
    pub update_mode: VpaMode,
    /// `RequestsAndLimits` (default: limits keep their ratio to requests) or
    /// `RequestsOnly` (limits stay; recommendations are capped at the limit).
    #[serde(default)]
    pub controlled_values: Option<ControlledValues>,
    /// Lowest memory it recommends (`containerPolicies[].minAllowed`).
    #[serde(default)]
    pub min_allowed: Option<ResourceList>,
    /// Highest memory it recommends (`containerPolicies[].maxAllowed`).
    #[serde(default)]
    pub max_allowed: Option<ResourceList>,
}

/// What a VPA sets on a container.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ControlledValues {
    /// Requests, and limits scaled to keep their ratio.
    RequestsAndLimits,
    /// Requests only.
    RequestsOnly,
}

/// VPA update modes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum VpaMode {
    /// Recommend only.
    Off,
    /// Apply at pod creation.
    Initial,
    /// Apply at creation and evict to apply.
    Auto,
}

/// An alert rule: a name, exactly one condition, and how long it must hold.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alert {
    /// Alert name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// `usage / limit > ratio`.
    #[serde(default)]
    pub memory_near_limit: Option<NearLimit>,
    /// `rate(restarts[window]) > above` (per second, as Prometheus' `rate`).
    #[serde(default)]
    pub restart_rate: Option<RestartRate>,
    /// `last_terminated_reason == OOMKilled` (the only reason supported).
    #[serde(default)]
    pub last_terminated_reason: Option<String>,
    /// Time the condition must hold before the alert fires (default 0).
    #[serde(default, rename = "for")]
    pub hold_for: Option<Duration>,
}

/// `memoryNearLimit:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NearLimit {
    /// Threshold ratio.
    pub ratio: f64,
}

/// `restartRate:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestartRate {
    /// Range of the rate.
    pub window: Duration,
    /// Threshold, per second.
    pub above: f64,
}

/// The availability SLO.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Slo {
    /// Target in percent (default 99.9).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub target: Option<Spanned<f64>>,
}

fn default_replicas() -> Spanned<u32> {
    unplaced(1)
}

/// Prometheus' usual scrape interval.
fn default_scrape_interval() -> Spanned<Duration> {
    unplaced(Duration(SimDuration::from_secs(15)))
}

/// A named patch of the scenario.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Variant {
    /// Variant name (not `baseline`).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What it changes, for people.
    #[serde(default)]
    pub description: String,
    /// Values to set, by path (`workloads[api].replicas: 5`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub set: BTreeMap<String, Spanned<serde_json::Value>>,
    /// Timeline entries added to the scenario's.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

/// A grid over scenario values.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sweep {
    /// Name (default `sweep-<n>`, n its position).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// Value path → values to try; every combination is a grid point. The axes keep
    /// the order written (the heatmap's x and y are the first two).
    #[schemars(with = "BTreeMap<String, Vec<serde_json::Value>>")]
    pub grid: OrderedMap<Spanned<Vec<serde_json::Value>>>,
}

/// Output settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Output {
    /// Replicas per variant whose time series are written (default 3; summaries and
    /// events cover every replica).
    #[serde(default)]
    pub timeseries_replicas: Option<u32>,
    /// Also write a row per pod and scrape to `pod-timeseries.csv` (default false:
    /// `timeseries.csv` has a row per workload and container, bounded in pods).
    #[serde(default)]
    pub pod_timeseries: Option<bool>,
}
