//! Workloads, containers and resources (each memory law's block lives with the law,
//! in `model::memory`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::memory::{ConnectionsYaml, MemoryLaws, StatsYaml};
use crate::scenario::duration::Duration;
use crate::scenario::quantity::{Cpu, Memory};
use serde_saphyr::Spanned;

/// A Deployment and its Service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Workload {
    /// Name of the Deployment and Service.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Replicas.
    #[serde(default = "one")]
    pub replicas: u32,
    /// How long its pods have been running when the scenario begins (default 0): caches
    /// and leaks start with that much history.
    #[serde(default)]
    pub age: Option<Duration>,
    /// Pod template annotations (Istio's `sidecar.istio.io/*` and
    /// `proxy.istio.io/config` are understood).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: BTreeMap<String, Spanned<String>>,
    /// Application containers.
    pub containers: Vec<Container>,
    /// Overrides for this workload's injected `istio-proxy`.
    #[serde(default)]
    pub proxy: Proxy,
    /// Pod-level resources (`spec.resources`): a memory limit for the pod's cgroup.
    #[serde(default)]
    pub resources: Option<PodResources>,
    /// Its pods run Redis (one shard each): `maxmemory`, policy, fragmentation.
    #[serde(default)]
    pub redis: Option<super::RedisServer>,
    /// Its pods run CoreDNS, the cluster's DNS.
    #[serde(default)]
    pub coredns: Option<super::CoreDnsServer>,
    /// Calls each request makes to other services, in order.
    #[serde(default)]
    pub calls: Vec<super::Call>,
    /// TTL of the client's cache of resolved names (default: none, as glibc).
    #[serde(default)]
    pub dns_cache: Option<crate::scenario::duration::Duration>,
    /// `spec.strategy.rollingUpdate` (default: 25 % surge, 25 % unavailable).
    #[serde(default)]
    pub rolling_update: Option<RollingUpdate>,
}

/// A Deployment's rolling-update strategy: counts (`1`) or percentages (`"25%"`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdate {
    /// Pods above the desired count during a rollout.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_surge: Option<Spanned<String>>,
    /// Desired pods that may be unavailable during a rollout.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_unavailable: Option<Spanned<String>>,
}

/// A readiness probe's timing.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// `initialDelaySeconds`.
    #[serde(default)]
    pub initial_delay: Option<Duration>,
    /// `periodSeconds`.
    #[serde(default)]
    pub period: Option<Duration>,
}

/// Pod-level resources.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodResources {
    /// Limits (memory only).
    pub limits: ResourceList,
}

fn one() -> u32 {
    1
}

/// A container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    /// Container name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Requests and limits.
    #[serde(default)]
    pub resources: Resources,
    /// Memory laws.
    #[serde(default)]
    pub memory: MemoryLaws,
    /// Time from start until the process would pass its readiness probe (default 0s).
    #[serde(default)]
    pub readiness_delay: Option<Duration>,
    /// Its readiness probe (default: Kubernetes' `initialDelay: 0s`, `period: 10s`).
    #[serde(default)]
    pub readiness_probe: Option<Probe>,
    /// CPU needs (default: none modelled).
    #[serde(default)]
    pub cpu: Option<CpuDemand>,
    /// The process is a HotSpot JVM: its memory laws are on the heap.
    #[serde(default)]
    #[schemars(with = "Option<Jvm>")]
    pub jvm: Option<Spanned<Jvm>>,
}

/// A HotSpot JVM's memory settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Jvm {
    /// `-Xmx` (default: `maxRamPercentage` of the container's limit).
    #[serde(default)]
    pub max_heap: Option<Memory>,
    /// `-XX:MaxRAMPercentage` (default 25).
    #[serde(default)]
    pub max_ram_percentage: Option<f64>,
    /// `-Xms` (default 0).
    #[serde(default)]
    pub initial_heap: Option<Memory>,
    /// Resident memory outside the heap: metaspace, code cache, thread stacks.
    #[serde(default)]
    pub non_heap: Option<Memory>,
}

/// CPU needs of a process.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CpuDemand {
    /// CPU time per request (e.g. `200us`).
    pub per_request: Duration,
    /// Worker threads (default: not limited by threads).
    #[serde(default)]
    pub threads: Option<u32>,
    /// Fraction of the CPU limit a background (main) thread keeps when workers
    /// saturate it (istio-proxy default 0.05).
    #[serde(default)]
    pub main_thread_min_share: Option<f64>,
}

/// An Istio `Sidecar` resource's egress scope.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scope {
    /// Services the proxy sees (egress hosts).
    #[schemars(with = "u32")]
    pub services: Spanned<u32>,
}

/// The `istio-proxy` container's settings (mesh defaults or per-workload overrides).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proxy {
    /// Requests and limits; per workload, this is what `kubectl set resources -c
    /// istio-proxy` changes, and it wins over the `sidecar.istio.io/proxy*` annotations.
    #[serde(default)]
    pub resources: Resources,
    /// Memory laws other than the trace buffer (which `mesh.tracing` configures).
    #[serde(default)]
    pub memory: MemoryLaws,
    /// Time from start until ready (Istio's injected probe: 1s).
    #[serde(default)]
    pub readiness_delay: Option<Duration>,
    /// CPU per request (default 200us: Istio's 0.2 vCPU per 1000 rps); worker threads
    /// come from `concurrency` in `proxy.istio.io/config` (default 2).
    #[serde(default)]
    pub cpu: Option<CpuDemand>,
    /// Stats and their flush.
    #[serde(default)]
    pub stats: StatsYaml,
    /// Connection memory.
    #[serde(default)]
    pub connections: ConnectionsYaml,
    /// A `Sidecar` resource narrowing what the proxy sees.
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// `resources:` as in a container spec.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// Requests.
    #[serde(default)]
    pub requests: ResourceList,
    /// Limits.
    #[serde(default)]
    pub limits: ResourceList,
}

/// `requests:` or `limits:`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    /// Memory.
    #[serde(default)]
    #[schemars(with = "Option<Memory>")]
    pub memory: Option<Spanned<Memory>>,
    /// CPU.
    #[serde(default)]
    #[schemars(with = "Option<Cpu>")]
    pub cpu: Option<Spanned<Cpu>>,
}
