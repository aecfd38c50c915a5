//! Nodes and kubelet settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;
use crate::scenario::quantity::Memory;
use serde_saphyr::Spanned;

/// A group of identical nodes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeGroup {
    /// Node name, or prefix when `count` > 1 (`worker-0`, `worker-1`, …).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Number of nodes.
    #[serde(default = "one")]
    #[schemars(with = "u32")]
    pub count: Spanned<u32>,
    /// Memory capacity.
    #[schemars(with = "Memory")]
    pub capacity: Spanned<Memory>,
    /// Memory allocatable to pods (defaults to capacity).
    #[serde(default)]
    #[schemars(with = "Option<Memory>")]
    pub allocatable: Option<Spanned<Memory>>,
    /// Pods meshmem does not simulate, on each node of the group.
    #[serde(default)]
    pub background: Option<Background>,
}

/// Neighbour and system pods on a node.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Background {
    /// Their memory requests (what `kubectl describe node` lists as allocated).
    #[schemars(with = "Memory")]
    pub requested: Spanned<Memory>,
    /// Their working set.
    #[schemars(with = "Memory")]
    pub usage: Spanned<Memory>,
}

fn one() -> Spanned<u32> {
    super::unplaced(1)
}

/// Kubelet configuration.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kubelet {
    /// `crashLoopBackOff` in KubeletConfiguration.
    #[serde(default)]
    pub crash_loop_back_off: CrashLoopBackOff,
    /// Feature gates that change the model.
    #[serde(default)]
    pub feature_gates: FeatureGates,
    /// Hard eviction thresholds.
    #[serde(default)]
    pub eviction_hard: EvictionHard,
}

/// KubeletConfiguration's `evictionHard`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvictionHard {
    /// `memory.available` threshold (default 100Mi).
    #[serde(rename = "memory.available", default)]
    #[schemars(with = "Option<Memory>")]
    pub memory_available: Option<Spanned<Memory>>,
}

/// KubeletConfiguration's `crashLoopBackOff` (feature `KubeletCrashLoopBackOffMax`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrashLoopBackOff {
    /// Cap of the restart back-off (default 300 s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub max_container_restart_period: Option<Spanned<Duration>>,
}

/// Kubelet feature gates the model knows.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureGates {
    /// Back-off 1 s → 60 s instead of 10 s → 300 s (alpha in 1.33, off by default).
    #[serde(rename = "ReduceDefaultCrashLoopBackOffDecay", default)]
    pub reduce_default_crash_loop_back_off_decay: bool,
}
