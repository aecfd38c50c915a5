//! Timeline entries: changes applied during a run.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::workload::ResourceList;
use crate::scenario::duration::Duration;
use serde_saphyr::Spanned;

/// One change at one instant. Exactly one action key must be given.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimelineEntry {
    /// When, from the start of the run — or, with `on`, after that happens.
    #[schemars(with = "Duration")]
    pub at: Spanned<Duration>,
    /// Apply it `at` after this happens (a reactive mitigation), not at a fixed time.
    #[serde(default)]
    pub on: Option<Trigger>,
    /// Name shown in events; defaults to the action's key.
    #[serde(default)]
    pub name: Option<String>,
    /// `helm upgrade` changing the workload's values: a new pod template, rolled out.
    #[serde(default)]
    pub helm_upgrade: Option<TemplateChange>,
    /// `kubectl set resources`: a new pod template, rolled out.
    #[serde(default)]
    pub set_resources: Option<SetResources>,
    /// `kubectl rollout undo`: back to the previous template, rolled out.
    #[serde(default)]
    pub rollback: Option<WorkloadRef>,
    /// `kubectl scale`.
    #[serde(default)]
    pub scale: Option<Scale>,
    /// A mesh-wide PeerAuthentication change, applied in place.
    #[serde(default)]
    pub peer_authentication: Option<PeerAuthentication>,
    /// A burst of config events for istiod.
    #[serde(default)]
    pub config_churn: Option<super::control_plane::Churn>,
    /// `kubectl rollout restart deployment W`: new pods of the same template.
    #[serde(default)]
    pub rollout_restart: Option<WorkloadRef>,
    /// `redis-cli CONFIG SET maxmemory … maxmemory-policy …`.
    #[serde(default)]
    pub redis_config_set: Option<super::RedisConfigSet>,
    /// The upstream resolver stops answering (or answers again).
    #[serde(default)]
    pub dns_upstream: Option<super::DnsUpstream>,
}

/// Something during a run that an action or the evaluation window can wait for.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum Trigger {
    /// The first OOM kill of any container (`on: firstOomKill`).
    FirstOomKill,
    /// The first time an alert rule fires (`on: {alertFiring: NAME}`).
    AlertFiring(String),
}

/// A mesh-wide `PeerAuthentication`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerAuthentication {
    /// `STRICT`, `PERMISSIVE` or `DISABLE`.
    pub mode: super::mesh::PeerAuthMode,
}

/// A change to a workload's pod template.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateChange {
    /// Workload name.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// Annotations to set on the pod template (merged).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: BTreeMap<String, Spanned<String>>,
    /// Other workload values to set, by path relative to the workload
    /// (`containers[app].memory.leak.perSecond: 1Ki`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub set: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// `kubectl set resources deploy/W -c C --requests=… --limits=…`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetResources {
    /// Workload name.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// Container name (`istio-proxy` for the sidecar).
    #[schemars(with = "String")]
    pub container: Spanned<String>,
    /// Requests to set.
    #[serde(default)]
    pub requests: ResourceList,
    /// Limits to set.
    #[serde(default)]
    pub limits: ResourceList,
}

/// Names a workload.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadRef {
    /// Workload name.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
}

/// `kubectl scale deploy/W --replicas=N`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scale {
    /// Workload name.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// New replica count.
    pub replicas: u32,
}
