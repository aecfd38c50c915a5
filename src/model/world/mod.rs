//! One replica of a scenario: the event loop and the router between subsystems.
//!
//! [`World`] owns the shared [`Cluster`] and one instance of each subsystem; each
//! subsystem owns its state and its event type and handles its events through a
//! `Cx`. A subsystem announces what follows for the others as `Signal`s; after every
//! event the world routes each signal, in order, to the subsystems that care — the only
//! place that knows who listens to what. So a new mechanism is a new subsystem and a few
//! lines here, not more code inside the others.
//!
//! | subsystem | owns |
//! |---|---|
//! | [`Kernel`](crate::model::kernel) | container memory and cgroup OOM decisions (container, pod, node) |
//! | [`Kubelet`](crate::model::kubelet) | container lifecycle, back-off, readiness |
//! | [`EvictionManager`](crate::model::eviction) | node pressure and eviction |
//! | [`Deployments`](crate::model::workloads), [`Scheduler`](crate::model::workloads) | pods created and deleted, placement |
//! | [`Routing`](crate::model::routing) | services: load, endpoints, request outcomes |
//! | [`ControlPlane`](crate::model::control_plane) | istiod, the proxies' xDS state, kube-proxy |
//! | [`Autoscaling`](crate::model::autoscaling) | VPAs, HPAs |
//! | [`Monitoring`](crate::model::monitoring) | scrapes, SLO burn, alerts |
//! | [`Timeline`](crate::model::timeline) | the scenario's actions and the policies they break |
//! | `Calls` | the calls requests make to other services, application failures |
//! | `Redis` | Redis servers: keyspace, eviction, memory |
//! | `Databases` | databases' load |
//! | `ClusterDns` | CoreDNS: pending queries, cache, what lookups cost |
//!
//! The last four are routed together (see `data_tier`): they mostly talk to each other.

mod cx;
mod data_tier;
mod snapshot;

use std::collections::VecDeque;

pub(crate) use cx::{Cx, Note, Signal};

use crate::engine::{EventQueue, RngStreams, SimDuration, SimTime};
use crate::model::autoscaling::{self, Autoscaling};
use crate::model::cluster::Cluster;
use crate::model::cluster::container::Termination;
use crate::model::config::{Action, SimConfig, TimedAction};
use crate::model::control_plane::{self, ControlPlane};
use crate::model::database;
use crate::model::dns;
use crate::model::eviction::{self, EvictionManager};
use crate::model::kernel::{self, Kernel};
use crate::model::kubelet::{self, Kubelet};
use crate::model::memory::Knob;
use crate::model::monitoring::{self, Monitoring};
use crate::model::outcome::{AfterStart, RunOutcome};
use crate::model::record::Recorder;
use crate::model::redis;
use crate::model::routing::calls;
use crate::model::routing::{self, RequestTally, Routing};
use crate::model::timeline::Timeline;
use crate::model::workloads::scheduler::Scheduler;
use crate::model::workloads::{self, Deployments};
use data_tier::DataTier;

/// Every event, by the subsystem that handles it.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    Kernel(kernel::Event),
    Kubelet(kubelet::Event),
    Eviction(eviction::Event),
    Workloads(workloads::Event),
    Routing(routing::Event),
    ControlPlane(control_plane::Event),
    Autoscaling(autoscaling::Event),
    Monitoring(monitoring::Event),
    Calls(calls::Event),
    Redis(redis::Event),
    Database(database::Event),
    Dns(dns::Event),
    /// Apply timeline action `i` (configured ones first, then injected ones).
    Action(usize),
}

macro_rules! into_event {
    ($($module:ident => $variant:ident),* $(,)?) => {
        $(impl From<$module::Event> for Event {
            fn from(e: $module::Event) -> Self {
                Event::$variant(e)
            }
        })*
    };
}

into_event!(
    kernel => Kernel,
    kubelet => Kubelet,
    eviction => Eviction,
    workloads => Workloads,
    routing => Routing,
    control_plane => ControlPlane,
    autoscaling => Autoscaling,
    monitoring => Monitoring,
    calls => Calls,
    redis => Redis,
    database => Database,
    dns => Dns,
);

/// One replica of a scenario, from start to end.
pub struct World<'c, R: Recorder> {
    cfg: &'c SimConfig,
    queue: EventQueue<Event>,
    streams: RngStreams,
    rec: R,
    cluster: Cluster,
    signals: VecDeque<Signal>,
    /// Set while the initial pods are created: how long they have been running.
    warm: Option<SimDuration>,
    kernel: Kernel,
    kubelet: Kubelet,
    eviction: EvictionManager,
    deployments: Deployments,
    scheduler: Scheduler,
    routing: Routing,
    control_plane: Option<ControlPlane>,
    autoscaling: Autoscaling,
    monitoring: Monitoring,
    data: DataTier,
    timeline: Timeline,
    /// Actions added while running (a drill's chosen option), after the configured ones.
    injected: Vec<TimedAction>,
    /// Configured actions waiting for their trigger.
    armed: Vec<usize>,
    events_processed: u64,
    started: bool,
    /// How far stepping has gone.
    reached: SimTime,
}

/// A [`Cx`] over the world's shared parts, leaving its subsystems free to borrow.
macro_rules! cx {
    ($w:ident, $now:expr) => {
        Cx {
            now: $now,
            cfg: $w.cfg,
            cluster: &mut $w.cluster,
            streams: &$w.streams,
            warm: $w.warm,
            queue: &mut $w.queue,
            rec: &mut $w.rec,
            signals: &mut $w.signals,
        }
    };
}

impl<'c, R: Recorder> World<'c, R> {
    /// A world for `cfg` drawing from `streams`, reporting to `rec`.
    pub fn new(cfg: &'c SimConfig, streams: RngStreams, rec: R) -> Self {
        let routing = Routing::new(&cfg.traffic, |w| cfg.workloads[w].name.clone(), &streams);
        World {
            cfg,
            queue: EventQueue::new(),
            rec,
            cluster: Cluster::new(cfg),
            signals: VecDeque::new(),
            warm: None,
            kernel: Kernel::default(),
            kubelet: Kubelet,
            eviction: EvictionManager,
            deployments: Deployments,
            scheduler: Scheduler::default(),
            routing,
            control_plane: cfg
                .control_plane
                .as_ref()
                .map(|cp| ControlPlane::new(cp, &streams)),
            autoscaling: Autoscaling::new(cfg.vpa.len(), cfg.hpa.len()),
            monitoring: Monitoring::new(cfg),
            data: DataTier::new(cfg, &streams),
            timeline: Timeline::default(),
            injected: Vec::new(),
            armed: Vec::new(),
            events_processed: 0,
            started: false,
            reached: SimTime::ZERO,
            streams,
        }
    }

    /// The end of the run: the configured duration.
    pub fn end(&self) -> SimTime {
        SimTime::ZERO + self.cfg.duration
    }

    /// Runs to the configured duration (or on from where stepping left it) and returns
    /// the outcome and the recorder.
    pub fn run(mut self) -> (RunOutcome, R) {
        let end = self.end();
        self.run_until(end);
        self.finish(end)
    }

    /// Processes every event up to and including `until` (at most the end of the run);
    /// returns the simulated time reached. Call it repeatedly to step through a run.
    pub fn run_until(&mut self, until: SimTime) -> SimTime {
        self.step_until(until, |_| false)
    }

    /// Processes events up to `until` (at most the end of the run), stopping early after
    /// the first event at whose end `stop` holds for the recorder; returns the time
    /// reached (the stopping event's time, or `until`).
    pub fn step_until(&mut self, until: SimTime, mut stop: impl FnMut(&R) -> bool) -> SimTime {
        if !self.started {
            self.started = true;
            self.init();
        }
        let until = until.min(self.end());
        while let Some((now, event)) = self.queue.pop_until(until) {
            self.events_processed += 1;
            self.handle(now, event);
            self.drain(now);
            self.end_of_instant(now);
            if stop(&self.rec) {
                self.reached = now;
                return now;
            }
        }
        self.reached = until;
        until
    }

    /// The recorder, to read what it kept so far.
    pub fn recorder(&self) -> &R {
        &self.rec
    }

    /// Applies `action` at `at` (not before the time already reached): a drill's option,
    /// taken at its decision point.
    pub fn inject(&mut self, at: SimTime, name: &str, action: Action) {
        let i = self.cfg.actions.len() + self.injected.len();
        self.injected.push(TimedAction {
            at,
            trigger: None,
            name: name.to_string(),
            action,
        });
        self.queue.schedule(at, Event::Action(i));
    }

    /// The initial state: every Deployment's pods, already running (warm), then every
    /// subsystem's loops.
    fn init(&mut self) {
        let now = SimTime::ZERO;
        for w in 0..self.cfg.workloads.len() {
            self.warm = Some(self.cfg.workloads[w].age);
            self.deployments.reconcile(&mut cx!(self, now), w);
            self.drain(now);
        }
        self.warm = None;
        if let Some(cp) = &mut self.control_plane {
            cp.connect_initial(&mut cx!(self, now));
        }
        self.drain(now);
        self.routing.start(&mut cx!(self, now));
        self.drain(now);
        for (i, a) in self.cfg.actions.iter().enumerate() {
            match a.trigger {
                None => {
                    self.queue.schedule(a.at, Event::Action(i));
                }
                Some(_) => self.armed.push(i),
            }
        }
        self.eviction.start(&mut cx!(self, now));
        self.monitoring.start(&mut cx!(self, now));
        self.autoscaling.start(&mut cx!(self, now));
        self.data.start(&mut cx!(self, now));
        self.drain(now);
        self.end_of_instant(now);
    }

    /// After an event, once nothing else is due at `now`: the kernel re-predicts the
    /// nodes whose pods changed in the instant.
    fn end_of_instant(&mut self, now: SimTime) {
        while self.kernel.has_changed_nodes() && self.queue.next_time() != Some(now) {
            self.kernel.end_of_instant(&mut cx!(self, now));
            self.drain(now);
        }
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Kernel(e) => self.kernel.handle(e, &mut cx!(self, now)),
            Event::Kubelet(e) => self.kubelet.handle(e, &mut cx!(self, now)),
            Event::Eviction(e) => self.eviction.handle(e, &mut cx!(self, now)),
            Event::Workloads(e) => self.deployments.handle(e, &mut cx!(self, now)),
            Event::Routing(e) => self.routing.handle(e, &mut cx!(self, now)),
            Event::ControlPlane(e) => {
                if let Some(cp) = &mut self.control_plane {
                    cp.handle(e, &mut cx!(self, now));
                }
            }
            Event::Autoscaling(e) => self.autoscaling.handle(e, &mut cx!(self, now)),
            Event::Monitoring(e) => {
                let (routing, cp) = (&mut self.routing, &mut self.control_plane);
                let data = &mut self.data;
                let mut total = |cx: &Cx<'_>| total_requests(routing, cp, data, cx);
                self.monitoring.handle(e, &mut cx!(self, now), &mut total);
            }
            Event::Calls(e) => self.data.calls(e, &mut cx!(self, now)),
            Event::Redis(e) => self.data.redis(e, &mut cx!(self, now)),
            Event::Database(e) => self.data.database(e, &mut cx!(self, now)),
            Event::Dns(e) => self.data.dns(e, &mut cx!(self, now)),
            Event::Action(i) => self.apply(now, i),
        }
    }

    /// Applies timeline action `i`: the owner of what it changes does the work.
    fn apply(&mut self, now: SimTime, i: usize) {
        let action = match i.checked_sub(self.cfg.actions.len()) {
            None => self.cfg.actions[i].clone(),
            Some(j) => self.injected[j].clone(),
        };
        let cx = &mut cx!(self, now);
        self.timeline.announce(cx, &action);
        match &action.action {
            Action::Rollout {
                workload,
                template,
                revision,
            } => self
                .deployments
                .rollout(cx, *workload, template.clone(), *revision),
            Action::Scale { workload, replicas } => {
                self.deployments.scale(cx, *workload, *replicas)
            }
            Action::SetMtls { enabled } => {
                cx.cluster.mtls = Some(*enabled);
                self.kernel.reconfigure(cx, Knob::Mtls(*enabled));
            }
            Action::Churn(c) => {
                if let Some(cp) = &mut self.control_plane {
                    cp.start_churn(cx, *c);
                }
            }
            Action::RedisConfigSet {
                redis,
                maxmemory,
                policy,
            } => self.data.redis_config_set(cx, *redis, *maxmemory, *policy),
            Action::DnsUpstream { available, latency } => {
                self.data.dns_upstream(cx, *available, *latency)
            }
        }
        self.timeline.check_policy(cx, &action);
    }

    /// Routes every pending signal, in order, until none is left.
    fn drain(&mut self, now: SimTime) {
        while let Some(signal) = self.signals.pop_front() {
            self.route(now, signal);
        }
    }

    fn route(&mut self, now: SimTime, signal: Signal) {
        let cx = &mut cx!(self, now);
        match signal {
            Signal::PodCreated(pod) => {
                self.data.pod_created(cx, pod);
                self.autoscaling.admit(cx, pod);
                self.routing.weigh(cx, pod);
                self.scheduler.schedule(cx, pod);
            }
            Signal::PodBound(pod) => {
                if let Some(n) = cx.cluster.pod(pod).and_then(|p| p.node) {
                    self.kernel.update_risk(cx, n);
                }
                self.kubelet.pod_bound(cx, pod);
            }
            Signal::ContainerStarted { c, warm } => {
                let xds = cx
                    .cluster
                    .container(c)
                    .is_some_and(|k| k.spec.memory.xds_server.is_some());
                self.kernel.container_started(cx, c);
                if let Some(cp) = &mut self.control_plane
                    && xds
                    && cp.is_istiod(cx, c.pod)
                {
                    cp.started(cx, c.pod, warm);
                }
                self.data.container_started(cx, c);
            }
            Signal::LoadChanged { pod, rps, until } => {
                self.kernel.set_load(cx, pod, rps, until);
                self.data.load_changed(cx, pod, rps);
            }
            Signal::Request(pod) => self.kernel.request(cx, pod),
            Signal::XdsMemory { pod, bytes } => self.kernel.set_xds_server(cx, pod, bytes),
            Signal::ContainerExited {
                c,
                why,
                cgroup,
                grew,
                message,
            } => self.kubelet.exited(cx, c, why, cgroup, &grew, &message),
            Signal::ContainerStopped {
                c,
                why,
                used,
                in_flight,
            } => {
                let Some(pod) = cx.cluster.pod(c.pod) else {
                    return;
                };
                let (w, name) = (pod.workload, pod.containers[usize::from(c.idx)].name());
                let name = name.to_string();
                self.routing.container_stopped(w, in_flight);
                if let Some(cp) = &mut self.control_plane
                    && cp.workload() == w
                {
                    cp.stopped(cx, c.pod);
                }
                if why == Termination::OomKilled {
                    self.autoscaling.oom(cx, w, &name, used);
                }
                self.data.container_stopped(cx, c);
                self.kernel.container_stopped(cx, c);
            }
            Signal::PodReadiness {
                workload, ready, ..
            } => {
                endpoints_changed(&mut self.control_plane, &mut self.routing, cx, workload);
                self.data.readiness_changed(cx, workload);
                if ready {
                    self.deployments.reconcile(cx, workload);
                }
            }
            Signal::EndpointsChanged(w) => {
                endpoints_changed(&mut self.control_plane, &mut self.routing, cx, w)
            }
            Signal::PodRemoved {
                pod,
                workload,
                node,
            } => {
                if let Some(cp) = &mut self.control_plane
                    && cp.workload() == workload
                {
                    cp.stopped(cx, pod);
                }
                if let Some(n) = node {
                    self.kernel.update_risk(cx, n);
                    self.kernel.repredict_node(cx, n);
                }
                self.scheduler.forget(pod);
                self.routing.pod_removed(cx);
                self.data.pod_removed(cx, pod, workload);
                self.scheduler.retry(cx);
            }
            Signal::Evict(pod) => self.deployments.evict(cx, pod),
            Signal::PressureLifted => self.scheduler.retry(cx),
            Signal::ExternalMemory {
                pod,
                since,
                bytes,
                slope,
            } => self.kernel.set_external(cx, pod, since, bytes, slope),
            Signal::DependencyWait { pod, secs } => self.kernel.set_wait(cx, pod, secs),
            data @ (Signal::CacheLoad { .. }
            | Signal::CacheView { .. }
            | Signal::DbLoad { .. }
            | Signal::DbLoadChanged { .. }
            | Signal::DnsLoad { .. }
            | Signal::DnsView(_)) => {
                let _ = self.data.route(cx, data);
            }
            Signal::Scale { workload, replicas } => self.deployments.scale(cx, workload, replicas),
            Signal::Triggered(trigger) => {
                if self.monitoring.starts_evaluation(cx, &trigger) {
                    let total = total_requests(
                        &mut self.routing,
                        &mut self.control_plane,
                        &mut self.data,
                        cx,
                    );
                    self.monitoring.start_evaluation(cx, total);
                }
                let cfg = self.cfg;
                let now = cx.now;
                self.armed.retain(|&i| {
                    let a = &cfg.actions[i];
                    if a.trigger.as_ref() != Some(&trigger) {
                        return true;
                    }
                    cx.schedule(now + (a.at - SimTime::ZERO), Event::Action(i));
                    false
                });
            }
        }
    }

    fn finish(mut self, end: SimTime) -> (RunOutcome, R) {
        let cx = cx!(self, end);
        let requests = total_requests(
            &mut self.routing,
            &mut self.control_plane,
            &mut self.data,
            &cx,
        );
        self.cluster.fold_live(self.cfg, end);
        let containers = std::mem::take(&mut self.cluster.tallies.0);
        let after_kills = containers.iter().map(|t| t.oom_kills_after).sum();
        let outcome = RunOutcome {
            containers,
            requests,
            events_processed: self.events_processed,
            peak_burn: self.monitoring.burn.peak,
            after: AfterStart {
                start: self.monitoring.window_start,
                oom_kills: after_kills,
                // A window whose trigger never came holds nothing.
                requests: if self.cluster.evaluating {
                    requests.since(&self.monitoring.at_evaluation)
                } else {
                    RequestTally::default()
                },
                peak_burn: self.monitoring.burn.peak_after,
            },
            policy_violations: self.timeline.policy_violations,
            first_alert: self.monitoring.first_alert,
            nr: self.control_plane.map(|cp| cp.nr).unwrap_or_default(),
            data: self.data.outcome(end),
        };
        (outcome, self.rec)
    }
}

/// Workload `w`'s endpoints changed: istiod's reach kube-proxy, every Service's its
/// clients.
fn endpoints_changed(
    control_plane: &mut Option<ControlPlane>,
    routing: &mut Routing,
    cx: &mut Cx<'_>,
    w: usize,
) {
    if let Some(cp) = control_plane
        && cp.workload() == w
    {
        let ready = cx.cluster.ready_pods(w);
        cp.endpoints_changed(cx, ready);
    }
    routing.endpoints_changed(cx, w);
}

/// Requests completed and failures of every service so far, of gateway traffic, and the
/// application failures of calls to other services. Requests count when they complete,
/// as Prometheus' `istio_requests_total` does: those still in flight are not counted
/// yet, and those a kill fails count then — so no interval has more 503s than requests.
fn total_requests(
    routing: &mut Routing,
    control_plane: &mut Option<ControlPlane>,
    data: &mut DataTier,
    cx: &Cx<'_>,
) -> RequestTally {
    let mut total = routing.total(cx);
    let in_flight: f64 = cx
        .cluster
        .pods()
        .map(|p| {
            p.containers
                .iter()
                .map(|c| c.requests_held(cx.now))
                .fold(0.0, f64::max)
        })
        .sum();
    total.requests = (total.requests - in_flight).max(0.0);
    if let Some(cp) = control_plane {
        total.add(&cp.total(cx));
    }
    total.add(&data.total(cx));
    total
}
