//! The Istio control plane: istiod replicas, their debounce and push pipeline, the
//! proxies connected to them, and what proxies see when istiod restarts.
//!
//! istiod runs as a workload of its own (its `discovery` container has memory laws like
//! any other); this subsystem holds what is specific to xDS:
//!
//! - `istiod`: each process's debounce (`debounce`, a pure step function) and push
//!   pipeline, and the memory they hold;
//! - `proxies`: the mesh's proxies in cohorts — reconnects with Envoy's jittered
//!   back-off, partial config after an unsynced istiod, 503 NR;
//! - `kube_proxy`: the istiod addresses in kube-proxy's rules, which lag behind the
//!   endpoints.
//!
//! docs/reference.md, "istiod push pipeline" and "Envoy xDS reconnect", has the rules.

mod debounce;
mod istiod;
mod kube_proxy;
mod proxies;

pub use debounce::{DebounceSpec, Debouncer, Step};

use crate::engine::{RngStreams, SimDuration, SimRng, SimTime};
use crate::model::cluster::pod::PodKey;
use crate::model::outcome::NrStats;
use crate::model::routing::RequestTally;
use crate::model::units::Bytes;
use crate::model::world::Cx;
use istiod::Proc;
use kube_proxy::KubeProxy;
use proxies::{Churn, Cohort};

/// The control plane's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A config event of churn burst `i` reaches istiod.
    Churn(u32),
    /// An istiod's debounce timer.
    DebounceTimer(PodKey),
    /// An istiod has built a push context.
    ContextBuilt(PodKey),
    /// An istiod finished sending config to a proxy cohort.
    SendDone(PodKey, u32),
    /// A proxy cohort tries to connect to istiod.
    XdsReconnect(u32),
    /// A restarted istiod opens its xDS port.
    XdsListening(PodKey),
    /// A restarted istiod's informers have synced.
    XdsSynced(PodKey),
    /// kube-proxy applies istiod endpoint changes.
    KubeProxySync,
}

/// The control plane's live state.
pub(crate) struct ControlPlane {
    spec: ControlPlaneSpec,
    procs: Vec<Proc>,
    cohorts: Vec<Cohort>,
    kube_proxy: KubeProxy,
    churns: Vec<Churn>,
    rng: SimRng,
    accounted: SimTime,
    tally: RequestTally,
    next_context: u64,
    pub(crate) nr: NrStats,
}

impl ControlPlane {
    /// The control plane of `spec`, its proxies in cohorts.
    pub(crate) fn new(spec: &ControlPlaneSpec, streams: &RngStreams) -> Self {
        ControlPlane {
            spec: spec.clone(),
            procs: Vec::new(),
            cohorts: proxies::cohorts(spec, streams),
            kube_proxy: KubeProxy::default(),
            churns: Vec::new(),
            rng: streams.stream("xds/control-plane"),
            accounted: SimTime::ZERO,
            tally: RequestTally::default(),
            next_context: 0,
            nr: NrStats::default(),
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Churn(i) => self.on_churn(cx, i as usize),
            Event::DebounceTimer(pod) => self.on_debounce_timer(cx, pod),
            Event::ContextBuilt(pod) => self.on_context_built(cx, pod),
            Event::SendDone(pod, c) => self.on_send_done(cx, pod, c as usize),
            Event::XdsReconnect(c) => self.on_xds_reconnect(cx, c as usize),
            Event::XdsListening(pod) => self.on_xds_listening(cx, pod),
            Event::XdsSynced(pod) => self.on_xds_synced(cx, pod),
            Event::KubeProxySync => self.on_kube_proxy_sync(cx),
        }
    }

    /// `true` for pods of the istiod workload.
    pub(crate) fn is_istiod(&self, cx: &Cx<'_>, pod: PodKey) -> bool {
        cx.cluster
            .pod(pod)
            .is_some_and(|p| p.workload == self.spec.istiod.workload)
    }

    /// The istiod workload's index.
    pub(crate) fn workload(&self) -> usize {
        self.spec.istiod.workload
    }

    fn proc(&self, pod: PodKey) -> Option<usize> {
        self.procs.iter().position(|p| p.pod == pod)
    }

    /// Proxies connected to process `i`.
    fn connected_proxies(&self, i: usize) -> u32 {
        self.procs[i]
            .connected
            .iter()
            .map(|&c| self.cohorts[c].proxies)
            .sum()
    }

    /// Gateway requests and their 503 NR so far.
    pub(crate) fn total(&mut self, cx: &Cx<'_>) -> RequestTally {
        self.account(cx.now);
        self.tally
    }
}

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
