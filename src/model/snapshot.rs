//! What the cluster looks like at one instant, as plain data: the evidence a drill shows
//! (`kubectl get pods`, `describe`, `top`, `istioctl proxy-config`) and nothing more.
//!
//! A snapshot is taken from a running [`World`](crate::model::World) between events
//! ([`World::snapshot`](crate::model::World::snapshot)); it never changes the run. Names,
//! ages and counts are those of the simulated cluster at that instant.

use crate::engine::{SimDuration, SimTime};
use crate::model::qos::QosClass;
use crate::model::resources::Resources;
use crate::model::units::Bytes;

/// The cluster at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSnapshot {
    /// The instant.
    pub time: SimTime,
    /// Nodes, in scenario order.
    pub nodes: Vec<NodeSnapshot>,
    /// Deployments, in scenario order.
    pub workloads: Vec<WorkloadSnapshot>,
    /// Live pods (including pending and terminating ones), in creation order.
    pub pods: Vec<PodSnapshot>,
}

/// A node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSnapshot {
    /// Node name.
    pub name: String,
    /// Memory capacity.
    pub capacity: Bytes,
    /// Allocatable memory.
    pub allocatable: Bytes,
    /// Memory requested by the pods placed on it (and background pods).
    pub requested: Bytes,
    /// Working set of everything on it (background included), bytes.
    pub working_set: u64,
    /// Under the `MemoryPressure` condition.
    pub memory_pressure: bool,
}

/// A Deployment, as `kubectl get deploy` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSnapshot {
    /// Deployment name.
    pub name: String,
    /// Desired replicas (`spec.replicas`).
    pub desired: u32,
    /// Pods (not terminating).
    pub current: u32,
    /// Ready pods.
    pub ready: u32,
    /// Pods of the current revision.
    pub up_to_date: u32,
    /// Current revision.
    pub revision: u32,
    /// How long the Deployment has existed.
    pub age: SimDuration,
}

/// A pod.
#[derive(Clone, Debug, PartialEq)]
pub struct PodSnapshot {
    /// Pod name.
    pub name: String,
    /// Its Deployment.
    pub workload: String,
    /// The node it runs on; `None` while pending.
    pub node: Option<String>,
    /// How long the pod has existed.
    pub age: SimDuration,
    /// In the endpoints (all containers ready).
    pub ready: bool,
    /// Being deleted.
    pub terminating: bool,
    /// QoS class.
    pub qos: QosClass,
    /// Pod-level memory limit, if any.
    pub memory_limit: Option<Bytes>,
    /// Requests per second routed to it now.
    pub rps: f64,
    /// Containers, in template order.
    pub containers: Vec<ContainerSnapshot>,
}

/// A container, as `kubectl describe pod` and `kubectl top --containers` show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSnapshot {
    /// Container name.
    pub name: String,
    /// Requests and limits as applied (after a VPA, if any).
    pub resources: Resources,
    /// `state`.
    pub state: ContainerStatus,
    /// `lastState`: its previous termination, if any.
    pub last_state: Option<Terminated>,
    /// `restartCount`.
    pub restart_count: u32,
    /// Working set now, bytes (0 while not running).
    pub working_set: u64,
    /// The memory laws' shares of it: (law name, bytes), largest first.
    pub components: Vec<(&'static str, u64)>,
    /// `oom_score_adj` the kubelet set.
    pub oom_score_adj: i32,
    /// CPU in use now, cores (request handling and background work, within the limit).
    pub cpu_cores: f64,
    /// Envoy's view, for an Envoy process (`istio-proxy`, gateways).
    pub proxy: Option<ProxySnapshot>,
}

/// `state` of a container.
#[derive(Clone, Debug, PartialEq)]
pub enum ContainerStatus {
    /// Not running: `reason` is `ContainerCreating`, `PodInitializing` or
    /// `CrashLoopBackOff` (waiting out the kubelet's back-off).
    Waiting {
        /// Why it waits.
        reason: &'static str,
        /// For a back-off: when the kubelet will start it again.
        until: Option<SimTime>,
    },
    /// Running.
    Running {
        /// When it started.
        started: SimTime,
        /// Its readiness probe passes.
        ready: bool,
    },
}

/// A container's termination (`lastState.terminated`).
#[derive(Clone, Debug, PartialEq)]
pub struct Terminated {
    /// `OOMKilled`, `Error`, …
    pub reason: &'static str,
    /// Exit code (137 for an OOM kill).
    pub exit_code: i32,
    /// When it started.
    pub started: SimTime,
    /// When it stopped.
    pub finished: SimTime,
}

/// What Envoy's admin endpoint and `istioctl proxy-config` would say of a proxy.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxySnapshot {
    /// `stats_flush_interval` in the bootstrap.
    pub stats_flush_interval: Option<SimDuration>,
    /// Wall time the last stats flush took on the main thread (CPU-quota stretched).
    pub stats_flush_duration: Option<SimDuration>,
    /// `server.dropped_stat_flushes`.
    pub dropped_stat_flushes: u64,
    /// Trace sampling, percent.
    pub trace_sampling: Option<f64>,
    /// Spans waiting for the exporter.
    pub buffered_spans: u64,
    /// Clusters in its configuration.
    pub clusters: Option<u32>,
    /// Endpoints (hosts) in its configuration.
    pub hosts: Option<u32>,
    /// Worker threads (`concurrency`).
    pub concurrency: Option<u32>,
}
