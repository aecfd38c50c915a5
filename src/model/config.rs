//! The validated input of one run: everything the model needs, in model units.
//!
//! The scenario layer builds it from a file (and a variant); tests and benchmarks can
//! build it directly.

use std::sync::Arc;

use super::kubelet::backoff::BackoffPolicy;
use super::node::NodeSpec;
use super::pod::PodTemplate;
use super::routing::ServiceTraffic;
use super::units::Bytes;
use crate::engine::{SimDuration, SimTime};

/// How traffic drives the model.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Fidelity {
    /// Rates with noise that change at intervals: events scale with rate changes,
    /// flushes and kills, not with requests. The default.
    #[default]
    Fluid,
    /// One event per request (Poisson arrivals): exact, slow; for validation.
    PerRequest,
}

/// A Deployment: a name, a replica count and its pod template.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSpec {
    /// Deployment (and Service) name.
    pub name: String,
    /// Desired replicas at the start.
    pub replicas: u32,
    /// Pod template at revision 1.
    pub template: Arc<PodTemplate>,
    /// How long the initial pods have been running when the run begins.
    pub age: SimDuration,
    /// `spec.strategy.rollingUpdate`.
    pub rolling_update: RollingUpdate,
}

/// A share of a Deployment's replicas or a count, as `maxSurge`/`maxUnavailable` take.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum IntOrPercent {
    /// A count of pods.
    Int(u32),
    /// A percentage of the desired replicas.
    Percent(f64),
}

/// A Deployment's rolling-update strategy.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct RollingUpdate {
    /// Pods above the desired count during a rollout (rounded up).
    pub max_surge: IntOrPercent,
    /// Desired pods that may be unavailable during a rollout (rounded down).
    pub max_unavailable: IntOrPercent,
}

impl Default for RollingUpdate {
    /// Kubernetes' defaults: 25 % and 25 % (docs/reference.md "Kubernetes probes and
    /// rollouts"; `pkg/apis/apps/v1/defaults.go`).
    fn default() -> Self {
        RollingUpdate {
            max_surge: IntOrPercent::Percent(25.0),
            max_unavailable: IntOrPercent::Percent(25.0),
        }
    }
}

impl RollingUpdate {
    /// `(maxSurge, maxUnavailable)` in pods for `desired` replicas: surge rounds up,
    /// unavailable down, and both zero becomes an unavailable of 1
    /// (`deployment_util.go` `ResolveFenceposts`).
    pub fn resolve(&self, desired: u32) -> (u32, u32) {
        let pods = |v: IntOrPercent, up: bool| match v {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let x = f64::from(desired) * p / 100.0;
                (if up { x.ceil() } else { x.floor() }) as u32
            }
        };
        let (surge, unavailable) = (
            pods(self.max_surge, true),
            pods(self.max_unavailable, false),
        );
        if surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }
}

/// A change applied at a point of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Roll the workload's pods to a new template (Helm upgrade, `kubectl set
    /// resources`, rollback) by its rolling-update strategy.
    Rollout {
        /// Workload index.
        workload: usize,
        /// The template to roll to.
        template: Arc<PodTemplate>,
        /// Revision number of that template.
        revision: u32,
    },
    /// Switch mutual TLS on or off mesh-wide (PeerAuthentication), in place. Turning it
    /// off is a security regression and counts as a policy violation.
    SetMtls {
        /// mTLS on.
        enabled: bool,
    },
    /// A burst of config events for istiod (a cluster-wide update, a rollout).
    Churn(crate::model::control_plane::ChurnSpec),
    /// Set the desired replica count.
    Scale {
        /// Workload index.
        workload: usize,
        /// New replica count.
        replicas: u32,
    },
    /// `redis-cli CONFIG SET maxmemory … / maxmemory-policy …` on every server of a Redis
    /// workload (lost when a server restarts).
    RedisConfigSet {
        /// Index into [`SimConfig::redis`].
        redis: usize,
        /// New `maxmemory`, bytes.
        maxmemory: Option<u64>,
        /// New `maxmemory-policy`.
        policy: Option<crate::model::redis::MaxmemoryPolicy>,
    },
    /// The upstream resolver CoreDNS forwards to stops answering (or answers again).
    DnsUpstream {
        /// Answering.
        available: bool,
        /// Its round trip from now on, if it changes.
        latency: Option<SimDuration>,
    },
}

/// Something that happens during a run, on which an action (a reactive mitigation) or
/// the evaluation window can start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The first OOM kill of any container.
    FirstOomKill,
    /// The first time the alert rule of this name fires.
    AlertFiring(String),
}

/// An action and when it happens.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    /// When: from the start of the run, or, with a trigger, after the trigger.
    pub at: SimTime,
    /// Applied `at` after this happens, rather than at a fixed time.
    pub trigger: Option<Trigger>,
    /// Name shown in events (`helm-upgrade`, `rollback`, …).
    pub name: String,
    /// What.
    pub action: Action,
}

/// One run's full configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Simulated time to run.
    pub duration: SimDuration,
    /// Interval between scrapes (15 s, like Prometheus).
    pub scrape_interval: SimDuration,
    /// Traffic fidelity.
    pub fidelity: Fidelity,
    /// Fluid fidelity: arrivals are drawn this many seconds at a time (see
    /// `cluster/arrivals.rs`).
    pub fluid_step: SimDuration,
    /// The kubelet's restart back-off.
    pub backoff: BackoffPolicy,
    /// Nodes.
    pub nodes: Vec<NodeSpec>,
    /// Workloads.
    pub workloads: Vec<WorkloadSpec>,
    /// Traffic per service.
    pub traffic: Vec<ServiceTraffic>,
    /// Timeline, in time order.
    pub actions: Vec<TimedAction>,
    /// Time for an endpoint change to reach the clients' proxies (EDS push). Requests
    /// still sent to an endpoint that died fail with 503 UF meanwhile.
    pub endpoint_propagation: SimDuration,
    /// Availability SLO, as a fraction (0.999).
    pub slo_target: f64,
    /// Where "after" figures start (e.g. once mitigations have rolled out)...
    pub evaluate_after: SimTime,
    /// ...or, when set, where this first happens (not before `evaluate_after`).
    pub evaluate_on: Option<Trigger>,
    /// The kubelet's node-pressure eviction.
    pub eviction: EvictionConfig,
    /// Vertical pod autoscalers.
    pub vpa: Vec<VpaConfig>,
    /// Alert rules.
    pub alerts: Vec<crate::model::monitoring::alerts::AlertRule>,
    /// The Istio control plane, if modelled.
    pub control_plane: Option<crate::model::control_plane::ControlPlaneSpec>,
    /// Redis workloads.
    pub redis: Vec<crate::model::redis::RedisSpec>,
    /// Databases behind the caches.
    pub databases: Vec<crate::model::database::DatabaseSpec>,
    /// Cluster DNS, if modelled.
    pub dns: Option<crate::model::dns::DnsSpec>,
    /// Workloads whose requests call other services.
    pub callers: Vec<crate::model::routing::calls::CallerSpec>,
    /// Horizontal pod autoscalers.
    pub hpa: Vec<crate::model::autoscaling::hpa::HpaSpec>,
}

/// How a VPA applies its recommendation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VpaMode {
    /// Recommend only.
    Off,
    /// Apply to pods when they are created.
    Initial,
    /// Apply at creation, and evict pods whose requests are outside the bounds.
    Auto,
}

/// A VerticalPodAutoscaler for one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct VpaConfig {
    /// Workload index.
    pub workload: usize,
    /// Containers it sizes (empty: all).
    pub containers: Vec<String>,
    /// Update mode.
    pub mode: VpaMode,
    /// Which values it sets.
    pub controlled_values: ControlledValues,
    /// Lowest recommendation (`resourcePolicy.containerPolicies[].minAllowed.memory`).
    pub min_allowed: Option<Bytes>,
    /// Highest recommendation (`maxAllowed.memory`).
    pub max_allowed: Option<Bytes>,
}

/// What a VPA sets on a container (`controlledValues`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ControlledValues {
    /// Requests, and limits scaled to keep their ratio to requests (the default).
    #[default]
    RequestsAndLimits,
    /// Requests only: limits stay, and recommendations are capped at the limit.
    RequestsOnly,
}

impl VpaConfig {
    /// `true` if this VPA sizes container `name`.
    pub fn covers(&self, name: &str) -> bool {
        self.containers.is_empty() || self.containers.iter().any(|c| c == name)
    }
}

/// The kubelet's node-pressure eviction (REFERENCE.md, "node-pressure eviction").
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct EvictionConfig {
    /// Hard threshold on `memory.available` (default 100Mi).
    pub threshold: Bytes,
    /// Interval between the eviction manager's checks (10 s).
    pub period: SimDuration,
    /// How long a node keeps its memory-pressure taint (`evictionPressureTransitionPeriod`,
    /// 5 m).
    pub pressure_transition: SimDuration,
}

impl Default for EvictionConfig {
    /// The kubelet's defaults (`defaults_linux.go`).
    fn default() -> Self {
        EvictionConfig {
            threshold: Bytes::mib(100),
            period: SimDuration::from_secs(10),
            pressure_transition: SimDuration::from_secs(300),
        }
    }
}
