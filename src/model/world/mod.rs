//! The simulated cluster and its event loop.
//!
//! [`World`] owns nodes, pods, workloads and services, and turns each event into state
//! changes and records. Its behaviour is split by concept:
//!
//! - `kubelet`: container lifecycle — wake-ups, OOM kills, back-off, restarts, readiness;
//! - `pods`: pod creation, placement, deletion;
//! - `deployment`: the Deployment controller (rollouts, scaling) and timeline actions;
//! - `routing`: traffic rates, endpoints, request outcomes;
//! - `scrape`: sampling for the time series (never changes the outcome).

mod autoscaling;
mod deployment;
mod istiod;
mod kubelet;
mod monitoring;
mod pods;
mod pressure;
mod routing;
mod scrape;
mod snapshot;

use std::collections::VecDeque;

use super::config::{Action, SimConfig, TimedAction};
use super::container::Container;
use super::memory::Knob;
use super::node::Node;
use super::outcome::{AfterStart, ContainerTally, RunOutcome};
use super::pod::{Pod, PodKey};
use super::record::{EventKind, EventRecord, Recorder};
use super::slo::BurnWindows;
use super::traffic::RequestTally;
use crate::engine::{EventQueue, RngStreams, SimTime};
use deployment::Workload;
use routing::Service;

/// A container of a live pod.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct ContainerRef {
    pod: PodKey,
    idx: u16,
}

/// What can happen.
#[derive(Copy, Clone, Debug)]
enum Event {
    /// A container's laws change or its usage reaches the limit.
    Wake(ContainerRef),
    /// A crashed container's back-off has expired: the kubelet starts it again.
    Restart(ContainerRef),
    /// A container's readiness probe passes.
    Ready(ContainerRef),
    /// A service's noise grid point.
    TrafficGrid(usize),
    /// A discontinuity of a service's load profile.
    TrafficBreak(usize),
    /// Per-request fidelity: a request to a service.
    Arrival(usize),
    /// An endpoint change reaches a service's clients.
    EndpointsPropagated(usize),
    /// End of a traffic bucket: error-budget burn.
    SloTick,
    /// The evaluation window starts.
    EvaluationStart,
    /// A terminating pod has drained and stops.
    PodRemoved(PodKey),
    /// A pod's cgroup reaches its pod-level limit.
    PodCgroupFull(PodKey),
    /// A node runs out of memory (the kernel's OOM killer).
    NodeFull(usize),
    /// The kubelet's eviction manager checks a node.
    EvictionCheck(usize),
    /// A node's memory-pressure taint may have lapsed.
    PressureCleared(usize),
    /// A VPA's recommender and updater loops.
    VpaTick(usize),
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
    /// Scrape every container.
    Scrape,
    /// Apply timeline action `i`.
    Action(usize),
}

/// The live pod `key` in `pods` (a free function so that only `pods` is borrowed).
fn pod_in(pods: &mut [Option<Pod>], key: PodKey) -> Option<&mut Pod> {
    pods[key.slot as usize]
        .as_mut()
        .filter(|p| p.key.uid == key.uid)
}

/// The live container `c` in `pods`.
fn container_in(pods: &mut [Option<Pod>], c: ContainerRef) -> Option<&mut Container> {
    pod_in(pods, c.pod).and_then(|p| p.containers.get_mut(usize::from(c.idx)))
}

/// What an event says, apart from where and when.
struct Note<'a> {
    kind: EventKind,
    reason: &'a str,
    exit_code: Option<i32>,
    message: &'a str,
    cgroup: &'a str,
    grew: &'a str,
}

impl<'a> Note<'a> {
    fn new(kind: EventKind, reason: &'a str, message: &'a str) -> Self {
        Note {
            kind,
            reason,
            exit_code: None,
            message,
            cgroup: "",
            grew: "",
        }
    }

    fn exit(mut self, code: i32) -> Self {
        self.exit_code = Some(code);
        self
    }

    /// For OOM kills: the cgroup that ran out and the container that grew the most.
    fn oom(mut self, cgroup: &'a str, grew: &'a str) -> Self {
        self.cgroup = cgroup;
        self.grew = grew;
        self
    }
}

/// One replica of a scenario, from start to end.
pub struct World<'c, R: Recorder> {
    cfg: &'c SimConfig,
    queue: EventQueue<Event>,
    streams: RngStreams,
    rec: R,
    nodes: Vec<Node>,
    pods: Vec<Option<Pod>>,
    free_slots: Vec<u32>,
    next_uid: u32,
    pending: VecDeque<PodKey>,
    workloads: Vec<Workload>,
    services: Vec<Service>,
    tallies: Vec<ContainerTally>,
    events_processed: u64,
    /// True while the initial pods are created (they start warm).
    warm_start: Option<crate::engine::SimDuration>,
    /// A mesh-wide change every new container gets too (mTLS off).
    mesh_knob: Option<Knob>,
    burn: BurnWindows,
    /// Request totals at the last bucket boundary and at the evaluation start.
    at_last_bucket: RequestTally,
    at_evaluation: RequestTally,
    policy_violations: u32,
    vpas: Vec<autoscaling::VpaState>,
    first_alert: Option<(SimTime, String)>,
    control_plane: Option<istiod::ControlPlane>,
    /// Actions added while running (a drill's chosen option), after the configured ones.
    injected: Vec<TimedAction>,
    started: bool,
    /// How far stepping has gone.
    reached: SimTime,
}

impl<'c, R: Recorder> World<'c, R> {
    /// A world for `cfg` drawing from `streams`, reporting to `rec`.
    pub fn new(cfg: &'c SimConfig, streams: RngStreams, rec: R) -> Self {
        let services = cfg
            .traffic
            .iter()
            .map(|t| Service::new(t, &cfg.workloads[t.workload].name, &streams))
            .collect();
        World {
            cfg,
            queue: EventQueue::new(),
            streams,
            rec,
            nodes: cfg.nodes.iter().cloned().map(Node::new).collect(),
            pods: Vec::new(),
            free_slots: Vec::new(),
            next_uid: 0,
            pending: VecDeque::new(),
            workloads: cfg.workloads.iter().map(Workload::new).collect(),
            services,
            tallies: Vec::new(),
            events_processed: 0,
            warm_start: None,
            mesh_knob: None,
            burn: BurnWindows::new(cfg.slo_target, cfg.scrape_interval, cfg.evaluate_after),
            at_last_bucket: RequestTally::default(),
            at_evaluation: RequestTally::default(),
            policy_violations: 0,
            vpas: cfg.vpa.iter().map(|_| Default::default()).collect(),
            first_alert: None,
            control_plane: cfg
                .control_plane
                .as_ref()
                .map(|cp| istiod::ControlPlane::new(cp, &streams)),
            injected: Vec::new(),
            started: false,
            reached: SimTime::ZERO,
        }
    }

    /// The end of the run: the configured duration.
    pub fn end(&self) -> SimTime {
        SimTime::ZERO + self.cfg.duration
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
            name: name.to_string(),
            action,
        });
        self.queue.schedule(at, Event::Action(i));
    }

    /// Timeline action `i`: a configured one, then the injected ones.
    fn action(&self, i: usize) -> &TimedAction {
        let n = self.cfg.actions.len();
        if i < n {
            &self.cfg.actions[i]
        } else {
            &self.injected[i - n]
        }
    }

    /// Runs to the configured duration and returns the outcome and the recorder.
    pub fn run(mut self) -> (RunOutcome, R) {
        let end = self.end();
        self.run_until(end);
        self.finish(end)
    }

    fn init(&mut self) {
        let now = SimTime::ZERO;
        for w in 0..self.workloads.len() {
            self.warm_start = Some(self.cfg.workloads[w].age);
            self.reconcile(now, w);
        }
        self.warm_start = None;
        self.cp_connect_initial(now);
        for s in 0..self.services.len() {
            self.start_service(now, s);
        }
        for (i, a) in self.cfg.actions.iter().enumerate() {
            self.queue.schedule(a.at, Event::Action(i));
        }
        for n in 0..self.nodes.len() {
            // The kubelet's housekeeping loop started at some moment before the run.
            let name = format!("node/{}/kubelet", self.nodes[n].spec.name);
            let mut rng = self.streams.stream(&name);
            let period = self.cfg.eviction.period;
            let phase = crate::model::memory::first_tick(period, &mut rng);
            self.queue.schedule(now + phase, Event::EvictionCheck(n));
        }
        if self.rec.wants_samples() {
            self.queue.schedule(now, Event::Scrape);
        }
        self.queue
            .schedule(now + self.cfg.scrape_interval, Event::SloTick);
        self.queue
            .schedule(self.cfg.evaluate_after, Event::EvaluationStart);
        for v in 0..self.cfg.vpa.len() {
            self.queue
                .schedule(now + autoscaling::VPA_INTERVAL, Event::VpaTick(v));
        }
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Wake(c) => self.on_wake(now, c),
            Event::Restart(c) => self.on_restart(now, c),
            Event::Ready(c) => self.on_container_ready(now, c),
            Event::TrafficGrid(s) => self.on_traffic_grid(now, s),
            Event::TrafficBreak(s) => self.on_traffic_break(now, s),
            Event::Arrival(s) => self.on_arrival(now, s),
            Event::EndpointsPropagated(s) => self.on_endpoints_propagated(now, s),
            Event::SloTick => self.on_slo_tick(now),
            Event::EvaluationStart => self.at_evaluation = self.total_requests(now),
            Event::PodRemoved(key) => self.remove_pod(now, key),
            Event::PodCgroupFull(key) => self.on_pod_cgroup_full(now, key),
            Event::NodeFull(n) => self.on_node_full(now, n),
            Event::EvictionCheck(n) => self.on_eviction_check(now, n),
            Event::PressureCleared(n) => self.on_pressure_cleared(now, n),
            Event::VpaTick(v) => self.on_vpa_tick(now, v),
            Event::Churn(i) => self.on_churn(now, i as usize),
            Event::DebounceTimer(pod) => self.on_debounce_timer(now, pod),
            Event::ContextBuilt(pod) => self.on_context_built(now, pod),
            Event::SendDone(pod, c) => self.on_send_done(now, pod, c as usize),
            Event::XdsReconnect(c) => self.on_xds_reconnect(now, c as usize),
            Event::XdsListening(pod) => self.on_xds_listening(now, pod),
            Event::XdsSynced(pod) => self.on_xds_synced(now, pod),
            Event::KubeProxySync => self.on_kube_proxy_sync(now),
            Event::Scrape => self.on_scrape(now),
            Event::Action(i) => self.on_action(now, i),
        }
    }

    /// Requests and failures of every service so far, and of gateway traffic.
    fn total_requests(&mut self, now: SimTime) -> RequestTally {
        let mut total = RequestTally::default();
        for s in 0..self.services.len() {
            self.account(now, s);
            total.add(&self.services[s].tally);
        }
        self.cp_account(now);
        if let Some(cp) = &self.control_plane {
            total.add(&cp.tally);
        }
        total
    }

    fn on_slo_tick(&mut self, now: SimTime) {
        self.queue
            .schedule(now + self.cfg.scrape_interval, Event::SloTick);
        let total = self.total_requests(now);
        let bucket = total.since(&self.at_last_bucket);
        self.at_last_bucket = total;
        let burn = self.burn.push(now, bucket.requests, bucket.total_503());
        self.evaluate_alerts(now);
        if self.rec.wants_samples() {
            self.rec.slo(&super::record::SloSample {
                time: now,
                requests: bucket.requests,
                errors_503: bucket.errors_503,
                burn_5m: burn.burn_5m,
                burn_1h: burn.burn_1h,
            });
        }
    }

    fn finish(mut self, end: SimTime) -> (RunOutcome, R) {
        let requests = self.total_requests(end);
        let live: Vec<PodKey> = self.pods.iter().flatten().map(|p| p.key).collect();
        for key in live {
            self.fold_tallies(key);
        }
        let after_kills = self.tallies.iter().map(|t| t.oom_kills_after).sum();
        let outcome = RunOutcome {
            containers: self.tallies,
            requests,
            events_processed: self.events_processed,
            peak_burn: self.burn.peak,
            after: AfterStart {
                oom_kills: after_kills,
                requests: requests.since(&self.at_evaluation),
                peak_burn: self.burn.peak_after,
            },
            policy_violations: self.policy_violations,
            first_alert: self.first_alert,
            nr: self.control_plane.map(|cp| cp.nr).unwrap_or_default(),
        };
        (outcome, self.rec)
    }

    fn pod(&self, key: PodKey) -> Option<&Pod> {
        self.pods[key.slot as usize]
            .as_ref()
            .filter(|p| p.key.uid == key.uid)
    }

    fn pod_mut(&mut self, key: PodKey) -> Option<&mut Pod> {
        pod_in(&mut self.pods, key)
    }

    /// Records an event about `pod` (and its container `container`, if any).
    fn emit(&mut self, now: SimTime, pod: Option<PodKey>, container: Option<u16>, note: Note<'_>) {
        let p = pod.and_then(|k| self.pods[k.slot as usize].as_ref());
        let node = p
            .and_then(|p| p.node)
            .map_or("", |n| self.nodes[n].spec.name.as_str());
        let (container, limit) = match (p, container) {
            (Some(p), Some(i)) => {
                let c = &p.containers[usize::from(i)];
                let limit = c.limit();
                (c.name(), limit.is_finite().then_some(limit as u64))
            }
            _ => ("", None),
        };
        let workload = p.map_or("", |p| self.cfg.workloads[p.workload].name.as_str());
        self.rec.event(&EventRecord {
            time: now,
            workload,
            node,
            pod: p.map_or("", |p| p.name()),
            container,
            limit,
            kind: note.kind,
            reason: note.reason,
            exit_code: note.exit_code,
            message: note.message,
            cgroup: note.cgroup,
            grew: note.grew,
        });
    }

    /// Adds a pod's container totals into the run's tallies (on deletion and at the end).
    fn fold_tallies(&mut self, key: PodKey) {
        let Some(pod) = self.pod(key) else { return };
        let workload = self.cfg.workloads[pod.workload].name.as_str();
        let mut folded = Vec::with_capacity(pod.containers.len());
        for c in &pod.containers {
            folded.push((c.name().to_string(), c.stats, c.restart_count));
        }
        let workload = workload.to_string();
        for (name, stats, restarts) in folded {
            let i = match self
                .tallies
                .iter()
                .position(|t| t.workload == workload && t.container == name)
            {
                Some(i) => i,
                None => {
                    self.tallies.push(ContainerTally {
                        workload: workload.clone(),
                        container: name,
                        oom_kills: 0,
                        oom_kills_after: 0,
                        restarts: 0,
                        first_oom: None,
                        peak_bytes: 0.0,
                        oom_kills_outside: 0,
                        heap_crashes: 0,
                    });
                    self.tallies.len() - 1
                }
            };
            let t = &mut self.tallies[i];
            t.oom_kills += stats.oom_kills;
            t.oom_kills_after += stats.oom_kills_after;
            t.oom_kills_outside += stats.oom_kills_outside;
            t.heap_crashes += stats.heap_crashes;
            t.restarts += restarts;
            t.first_oom = match (t.first_oom, stats.first_oom) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            t.peak_bytes = t.peak_bytes.max(stats.peak_bytes);
        }
    }
}
