//! istiod and the proxies connected to it: debounce, pushes, reconnects, partial config.
//!
//! Each istiod process debounces config events and, for a full push, builds a push
//! context and queues every connected proxy; sends go out `PILOT_PUSH_THROTTLE` proxies
//! at a time, each holding its generated config in memory while it is sent. Its memory
//! (the `xdsServer` law of its container) is per-connection state + push contexts still
//! referenced + config in flight; crossing the container limit is an OOM kill like any
//! other.
//!
//! When an istiod dies its proxies keep their last config and reconnect with Envoy's
//! jittered exponential back-off to an address of the istiod Service as kube-proxy has
//! it — which still lists the dead pod until kube-proxy catches up, seconds later. A
//! restarted process listens at once and, without the sync gate, serves whatever its
//! informers have synced so far: a proxy that connects early receives a partial CDS,
//! drops the other clusters, and requests to them fail 503 NR until the process has
//! synced and pushes everything. With the sync gate (Istio ≥ 1.8) the process refuses
//! streams until synced (or the gate's maximum wait), and proxies connect elsewhere.
//!
//! Proxies are simulated in cohorts that reconnect and are pushed together.

use std::collections::VecDeque;

use rand::RngExt;

use super::{Event, Note, World, container_in};
use crate::engine::{EventKey, SimDuration, SimRng, SimTime};
use crate::model::container::ContainerState;
use crate::model::control_plane::{ChurnSpec, ControlPlaneSpec, Debouncer, Step};
use crate::model::pod::PodKey;
use crate::model::record::{EventKind, Recorder};
use crate::model::traffic::{RequestTally, ResponseFlag};

/// One istiod process (a container incarnation).
struct Proc {
    pod: PodKey,
    listening_at: SimTime,
    synced_at: SimTime,
    debouncer: Debouncer,
    timer: Option<EventKey>,
    building: Option<EventKey>,
    lifecycle: Vec<EventKey>,
    context: u64,
    context_known: f64,
    queue: VecDeque<(usize, bool)>,
    in_flight: Vec<Send>,
    connected: Vec<usize>,
    /// When the full push being sent started (a newer one merges into it).
    pushing_since: Option<SimTime>,
}

/// A config send to one cohort.
struct Send {
    cohort: usize,
    full: bool,
    context: u64,
    known: f64,
    bytes: f64,
    done: EventKey,
}

/// Proxies that move together.
struct Cohort {
    proxies: u32,
    connected: Option<PodKey>,
    /// Share of the mesh's clusters the proxies hold.
    known: f64,
    attempt: u32,
    retry: Option<EventKey>,
    rng: SimRng,
    /// Since when the cohort has lacked clusters.
    missing_since: Option<SimTime>,
}

/// A churn burst in progress.
struct Churn {
    spec: ChurnSpec,
    left: u32,
    until: SimTime,
}

/// The control plane's live state.
pub(super) struct ControlPlane {
    procs: Vec<Proc>,
    cohorts: Vec<Cohort>,
    /// istiod addresses in kube-proxy's rules.
    view: Vec<PodKey>,
    view_updates: Vec<(SimTime, Vec<PodKey>)>,
    churns: Vec<Churn>,
    rng: SimRng,
    accounted: SimTime,
    pub(super) tally: RequestTally,
    next_context: u64,
    pub(super) nr: crate::model::outcome::NrStats,
}

impl ControlPlane {
    pub(super) fn new(spec: &ControlPlaneSpec, streams: &crate::engine::RngStreams) -> Self {
        let size = spec.cohort_size.max(1);
        let n = spec.proxies.div_ceil(size) as usize;
        let cohorts = (0..n)
            .map(|i| Cohort {
                proxies: size.min(spec.proxies - i as u32 * size),
                connected: None,
                known: 1.0,
                attempt: 0,
                retry: None,
                rng: streams.stream(&format!("xds/cohort/{i}")),
                missing_since: None,
            })
            .collect();
        ControlPlane {
            procs: Vec::new(),
            cohorts,
            view: Vec::new(),
            view_updates: Vec::new(),
            churns: Vec::new(),
            rng: streams.stream("xds/control-plane"),
            accounted: SimTime::ZERO,
            tally: RequestTally::default(),
            next_context: 0,
            nr: Default::default(),
        }
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
}

impl Proc {
    /// Share of the mesh this process knows at `now` (its informers sync linearly).
    fn known_at(&self, now: SimTime, sync: SimDuration) -> f64 {
        if now >= self.synced_at || sync.is_zero() {
            1.0
        } else {
            (now.since(self.listening_at).as_secs_f64() / sync.as_secs_f64()).clamp(0.0, 1.0)
        }
    }
}

impl<R: Recorder> World<'_, R> {
    fn cp_spec(&self) -> &ControlPlaneSpec {
        self.cfg
            .control_plane
            .as_ref()
            .expect("control plane configured")
    }

    /// `true` for pods of the istiod workload.
    pub(super) fn is_istiod(&self, pod: PodKey) -> bool {
        match (&self.cfg.control_plane, self.pod(pod)) {
            (Some(cp), Some(p)) => p.workload == cp.istiod.workload,
            _ => false,
        }
    }

    /// Integrates gateway traffic and its 503 NR up to `now`.
    pub(super) fn cp_account(&mut self, now: SimTime) {
        let Some(spec) = self.cfg.control_plane.as_ref() else {
            return;
        };
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        let dt = now.since(cp.accounted).as_secs_f64();
        cp.accounted = now;
        let n = requests(spec.gateway_rps, dt);
        if n == 0.0 {
            return;
        }
        let total = f64::from(spec.proxies.max(1));
        let missing: f64 = cp
            .cohorts
            .iter()
            .map(|c| f64::from(c.proxies) / total * (1.0 - c.known))
            .sum();
        cp.tally.requests += n;
        cp.tally.fail(ResponseFlag::Nr, n * missing);
    }

    /// An istiod container started at `now` (warm: already running and synced).
    pub(super) fn istiod_started(&mut self, now: SimTime, pod: PodKey, warm: bool) {
        let spec = self.cp_spec().istiod.clone();
        let (listening_at, synced_at) = if warm {
            (now, now)
        } else {
            let l = now + spec.process_start;
            (l, l + spec.informer_sync)
        };
        let mut lifecycle = Vec::new();
        if !warm {
            lifecycle.push(self.queue.schedule(listening_at, Event::XdsListening(pod)));
            lifecycle.push(self.queue.schedule(synced_at, Event::XdsSynced(pod)));
        }
        let cp = self.control_plane.as_mut().expect("control plane");
        cp.procs.push(Proc {
            pod,
            listening_at,
            synced_at,
            debouncer: Debouncer::new(spec.debounce),
            timer: None,
            building: None,
            lifecycle,
            context: 0,
            context_known: 1.0,
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            connected: Vec::new(),
            pushing_since: None,
        });
        self.istiod_memory(now, pod);
    }

    /// At the start of the run, proxies are spread over the istiod replicas.
    pub(super) fn cp_connect_initial(&mut self, now: SimTime) {
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        let pods: Vec<PodKey> = cp.procs.iter().map(|p| p.pod).collect();
        cp.view = pods.clone();
        if pods.is_empty() {
            return;
        }
        for c in 0..cp.cohorts.len() {
            let pod = pods[c % pods.len()];
            cp.cohorts[c].connected = Some(pod);
            let i = cp.proc(pod).expect("listed");
            cp.procs[i].connected.push(c);
        }
        for pod in pods {
            self.istiod_memory(now, pod);
        }
    }

    /// An istiod process died or its pod went away: its streams close.
    pub(super) fn istiod_stopped(&mut self, now: SimTime, pod: PodKey) {
        self.cp_account(now);
        let spec = self.cp_spec().clone();
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        let Some(i) = cp.proc(pod) else { return };
        let p = cp.procs.remove(i);
        let keys = p.timer.into_iter().chain(p.building).chain(p.lifecycle);
        for k in keys.chain(p.in_flight.iter().map(|s| s.done)) {
            self.queue.cancel(k);
        }
        for c in p.connected {
            let cohort = &mut cp.cohorts[c];
            cohort.connected = None;
            cohort.attempt = 0;
            // Envoy notices the closed stream and retries after a jittered back-off.
            let wait = jitter(&mut cohort.rng, spec.reconnect_initial);
            let key = self
                .queue
                .schedule(now + wait, Event::XdsReconnect(c as u32));
            cohort.retry = Some(key);
        }
    }

    /// istiod's pods changed readiness: kube-proxy applies it after its lag.
    pub(super) fn istiod_endpoints_changed(&mut self, now: SimTime, ready: Vec<PodKey>) {
        if self.warm_start.is_some() {
            // The initial pods were in iptables before the run began.
            return;
        }
        let spec = self.cp_spec().clone();
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        let extra = spec.kube_proxy_jitter.as_secs_f64() * cp.rng.random::<f64>();
        let at = now + spec.kube_proxy_lag + SimDuration::from_secs_f64_ceil(extra);
        cp.view_updates.push((at, ready));
        self.queue.schedule(at, Event::KubeProxySync);
    }

    pub(super) fn on_kube_proxy_sync(&mut self, now: SimTime) {
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        let due: Vec<usize> = (0..cp.view_updates.len())
            .filter(|&i| cp.view_updates[i].0 <= now)
            .collect();
        let Some(&last) = due.last() else { return };
        let view = cp.view_updates[last].1.clone();
        // Updates are in the order the endpoints changed; once a newer one is applied, the
        // older ones still in flight are stale (kube-proxy applies the latest
        // EndpointSlice, not a replay of every intermediate state).
        cp.view_updates.drain(..=last);
        if view == cp.view {
            return;
        }
        cp.view = view;
        let names: Vec<&str> = cp
            .view
            .iter()
            .filter_map(|&k| self.pods[k.slot as usize].as_ref().filter(|p| p.key == k))
            .map(|p| p.name())
            .collect();
        let msg = format!("istiod addresses in iptables: {}", names.join(", "));
        self.emit(
            now,
            None,
            None,
            Note::new(EventKind::KubeProxySynced, "KubeProxy", &msg),
        );
    }

    /// A restarted istiod opens its xDS port.
    pub(super) fn on_xds_listening(&mut self, now: SimTime, pod: PodKey) {
        let gate = self.cp_spec().istiod.sync_gate;
        let msg = match gate {
            Some(max) => format!(
                "xDS port open; streams refused until synced (at most {})",
                crate::model::backoff::go_duration(max)
            ),
            None => "xDS port open; serving whatever the informers have synced".to_string(),
        };
        self.emit(
            now,
            Some(pod),
            None,
            Note::new(EventKind::XdsListening, "Listening", &msg),
        );
    }

    /// A proxy cohort tries to (re)connect to an address kube-proxy gives it.
    pub(super) fn on_xds_reconnect(&mut self, now: SimTime, c: usize) {
        let spec = self.cp_spec().clone();
        let cp = self.control_plane.as_mut().expect("control plane");
        let cohort = &mut cp.cohorts[c];
        cohort.retry = None;
        if cohort.connected.is_some() || cp.view.is_empty() {
            if cohort.connected.is_none() {
                self.retry_later(now, c);
            }
            return;
        }
        let target = cp.view[cohort.rng.random_range(0..cp.view.len())];
        let accepts = cp.proc(target).is_some_and(|i| {
            let p = &cp.procs[i];
            // Istio ≥ 1.8 serves once its informers have synced and its push context has
            // caught up with them, or once the gate's maximum wait is over.
            let caught_up = now >= p.synced_at && p.context_known >= 1.0 - 1e-9;
            let gate_open = match spec.istiod.sync_gate {
                None => true,
                Some(max) => caught_up || now >= p.listening_at + max,
            };
            now >= p.listening_at && gate_open
        });
        if !accepts {
            self.retry_later(now, c);
            return;
        }
        let i = cp.proc(target).expect("checked");
        cp.cohorts[c].connected = Some(target);
        cp.cohorts[c].attempt = 0;
        cp.procs[i].connected.push(c);
        cp.procs[i].queue.push_back((c, true));
        let known = cp.procs[i].known_at(now, spec.istiod.informer_sync);
        let msg = format!(
            "{} proxies reconnected; istiod has {:.1} % of the mesh synced",
            cp.cohorts[c].proxies,
            100.0 * known
        );
        self.emit(
            now,
            Some(target),
            None,
            Note::new(EventKind::XdsConnected, "Connected", &msg),
        );
        self.pump(now, target);
    }

    fn retry_later(&mut self, now: SimTime, c: usize) {
        let spec = self.cp_spec().clone();
        let cp = self.control_plane.as_mut().expect("control plane");
        let cohort = &mut cp.cohorts[c];
        cohort.attempt += 1;
        let ceiling = spec
            .reconnect_initial
            .saturating_mul(1u64 << cohort.attempt.min(20))
            .min(spec.reconnect_max);
        let wait = jitter(&mut cohort.rng, ceiling);
        cohort.retry = Some(
            self.queue
                .schedule(now + wait, Event::XdsReconnect(c as u32)),
        );
    }

    /// A churn burst starts.
    pub(super) fn start_churn(&mut self, now: SimTime, spec: ChurnSpec) {
        let Some(cp) = self.control_plane.as_mut() else {
            return;
        };
        cp.churns.push(Churn {
            spec,
            left: spec.events,
            until: now + spec.over,
        });
        let i = cp.churns.len() - 1;
        self.next_churn(now, i);
    }

    fn next_churn(&mut self, now: SimTime, i: usize) {
        let cp = self.control_plane.as_mut().expect("control plane");
        let ch = &cp.churns[i];
        if ch.left == 0 || now >= ch.until {
            return;
        }
        let rate = f64::from(ch.spec.events) / ch.spec.over.as_secs_f64().max(1e-9);
        let gap = -(1.0 - cp.rng.random::<f64>()).ln() / rate;
        let at = now + SimDuration::from_secs_f64_ceil(gap);
        self.queue.schedule(at, Event::Churn(i as u32));
    }

    pub(super) fn on_churn(&mut self, now: SimTime, i: usize) {
        let cp = self.control_plane.as_mut().expect("control plane");
        let full = cp.rng.random::<f64>() < cp.churns[i].spec.full_share;
        cp.churns[i].left -= 1;
        let pods: Vec<PodKey> = cp
            .procs
            .iter()
            .filter(|p| p.listening_at <= now)
            .map(|p| p.pod)
            .collect();
        for pod in pods {
            let cp = self.control_plane.as_mut().expect("control plane");
            let Some(j) = cp.proc(pod) else { continue };
            let step = cp.procs[j].debouncer.on_event(now, full);
            self.debounce_step(now, pod, step);
        }
        self.next_churn(now, i);
    }

    pub(super) fn on_debounce_timer(&mut self, now: SimTime, pod: PodKey) {
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        cp.procs[i].timer = None;
        let step = cp.procs[i].debouncer.on_timer(now);
        self.debounce_step(now, pod, step);
    }

    fn debounce_step(&mut self, now: SimTime, pod: PodKey, mut step: Step) {
        loop {
            let cp = self.control_plane.as_mut().expect("control plane");
            let Some(i) = cp.proc(pod) else { return };
            match step {
                Step::Idle => return,
                Step::Arm(at) => {
                    let p = &mut cp.procs[i];
                    self.queue
                        .reschedule(&mut p.timer, at, Event::DebounceTimer(pod));
                    return;
                }
                Step::PushNow => {
                    self.enqueue_all(now, pod, false);
                    return;
                }
                Step::Push { full: true } => {
                    let build = self.cp_spec().istiod.context_build;
                    let cp = self.control_plane.as_mut().expect("control plane");
                    let key = self.queue.schedule(now + build, Event::ContextBuilt(pod));
                    cp.procs[i].building = Some(key);
                    return;
                }
                Step::Push { full: false } => {
                    // An endpoints-only push reuses the push context and returns at once.
                    self.enqueue_all(now, pod, false);
                    let cp = self.control_plane.as_mut().expect("control plane");
                    let Some(i) = cp.proc(pod) else { return };
                    step = cp.procs[i].debouncer.on_push_done(now);
                }
            }
        }
    }

    pub(super) fn on_context_built(&mut self, now: SimTime, pod: PodKey) {
        let sync = self.cp_spec().istiod.informer_sync;
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        cp.next_context += 1;
        let p = &mut cp.procs[i];
        p.building = None;
        p.context = cp.next_context;
        p.context_known = p.known_at(now, sync);
        p.pushing_since.get_or_insert(now);
        let known = p.context_known;
        let proxies = cp.connected_proxies(i);
        let msg = format!(
            "full push of {:.1} % of the mesh to {proxies} proxies",
            100.0 * known
        );
        self.emit(
            now,
            Some(pod),
            None,
            Note::new(EventKind::PushStarted, "Push", &msg),
        );
        self.enqueue_all(now, pod, true);
        // With no proxy connected there is nothing to send: the push is done at once.
        self.push_completed(now, pod);
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        let step = cp.procs[i].debouncer.on_push_done(now);
        self.debounce_step(now, pod, step);
    }

    /// The informers of a restarted istiod have synced: everything is pushed again.
    pub(super) fn on_xds_synced(&mut self, now: SimTime, pod: PodKey) {
        let build = self.cp_spec().istiod.context_build;
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        if cp.procs[i].building.is_none() {
            let key = self.queue.schedule(now + build, Event::ContextBuilt(pod));
            cp.procs[i].building = Some(key);
        }
    }

    /// Queues every connected proxy (merging with what is queued already).
    fn enqueue_all(&mut self, now: SimTime, pod: PodKey, full: bool) {
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        let p = &mut cp.procs[i];
        for &c in &p.connected {
            match p.queue.iter_mut().find(|(q, _)| *q == c) {
                Some(entry) => entry.1 |= full,
                None => p.queue.push_back((c, full)),
            }
        }
        self.pump(now, pod);
    }

    /// Starts sends while the throttle allows.
    fn pump(&mut self, now: SimTime, pod: PodKey) {
        let spec = self.cp_spec().istiod.clone();
        let size = self.cp_spec().cohort_size.max(1);
        let slots = (spec.push_throttle / size).max(1) as usize;
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        while cp.procs[i].in_flight.len() < slots {
            let Some((c, full)) = cp.procs[i].queue.pop_front() else {
                break;
            };
            if cp.cohorts[c].connected != Some(pod) {
                continue;
            }
            let p = &cp.procs[i];
            let known = if full {
                p.context_known.min(p.known_at(now, spec.informer_sync))
            } else {
                1.0
            };
            let per_proxy = if full {
                spec.config_per_proxy.as_f64() * known
            } else {
                spec.eds_per_proxy.as_f64()
            };
            let secs = per_proxy / spec.send_rate.as_f64().max(1.0);
            let done = self.queue.schedule(
                now + SimDuration::from_secs_f64_ceil(secs),
                Event::SendDone(pod, c as u32),
            );
            let context = cp.procs[i].context;
            cp.procs[i].in_flight.push(Send {
                cohort: c,
                full,
                context,
                known,
                bytes: per_proxy * f64::from(cp.cohorts[c].proxies),
                done,
            });
        }
        self.istiod_memory(now, pod);
    }

    pub(super) fn on_send_done(&mut self, now: SimTime, pod: PodKey, c: usize) {
        self.cp_account(now);
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        let Some(j) = cp.procs[i].in_flight.iter().position(|s| s.cohort == c) else {
            return;
        };
        let send = cp.procs[i].in_flight.swap_remove(j);
        let cohort = &mut cp.cohorts[c];
        if send.full && cohort.connected == Some(pod) {
            let before = cohort.known;
            // CDS replaces the cluster list: what the sender lacks, the proxy drops.
            cohort.known = send.known;
            let proxies = cohort.proxies;
            if send.known < 1.0 - 1e-9 {
                cohort.missing_since.get_or_insert(now);
                cp.nr.first.get_or_insert(now);
                let msg = format!(
                    "{proxies} proxies replaced their clusters with {:.1} % of the mesh: the rest answer 503 NR",
                    100.0 * send.known
                );
                self.emit(
                    now,
                    Some(pod),
                    None,
                    Note::new(EventKind::PartialConfig, "PartialCDS", &msg),
                );
            } else if before < 1.0 - 1e-9 {
                if let Some(since) = cohort.missing_since.take() {
                    cp.nr.proxy_seconds += f64::from(proxies) * (now - since).as_secs_f64();
                    cp.nr.proxies += u64::from(proxies);
                }
                cp.nr.last = Some(now);
                let msg = format!("{proxies} proxies have every cluster again");
                self.emit(
                    now,
                    Some(pod),
                    None,
                    Note::new(EventKind::ConfigRestored, "FullCDS", &msg),
                );
            }
        }
        self.pump(now, pod);
        self.push_completed(now, pod);
    }

    /// Records the end of a full push once nothing is left to send.
    fn push_completed(&mut self, now: SimTime, pod: PodKey) {
        let cp = self.control_plane.as_mut().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        let p = &mut cp.procs[i];
        if !p.queue.is_empty() || !p.in_flight.is_empty() {
            return;
        }
        let Some(since) = p.pushing_since.take() else {
            return;
        };
        let proxies = cp.connected_proxies(i);
        let msg = format!(
            "full push sent to all {proxies} connected proxies in {:.1} s",
            (now - since).as_secs_f64()
        );
        self.emit(
            now,
            Some(pod),
            None,
            Note::new(EventKind::PushCompleted, "PushDone", &msg),
        );
    }

    /// Sets istiod's xDS memory from its pipeline; kills it if that crosses its limit.
    fn istiod_memory(&mut self, now: SimTime, pod: PodKey) {
        let spec = self.cp_spec().istiod.clone();
        let cp = self.control_plane.as_ref().expect("control plane");
        let Some(i) = cp.proc(pod) else { return };
        let p = &cp.procs[i];
        let proxies = cp.connected_proxies(i);
        let mut contexts: Vec<u64> = p.in_flight.iter().map(|s| s.context).collect();
        contexts.push(p.context);
        contexts.sort_unstable();
        contexts.dedup();
        let bytes = f64::from(proxies) * spec.per_connection.as_f64()
            + p.in_flight.iter().map(|s| s.bytes).sum::<f64>()
            + contexts.len() as f64 * spec.push_context.as_f64() * p.context_known;
        let Some(pod_ref) = self.pod(pod) else { return };
        let idx = pod_ref.containers.iter().position(|c| {
            c.spec.memory.xds_server && matches!(c.state, ContainerState::Running { .. })
        });
        let Some(idx) = idx else { return };
        let c = super::ContainerRef {
            pod,
            idx: idx as u16,
        };
        if let Some(container) = container_in(&mut self.pods, c) {
            container.advance(now);
            container.note_peak();
            container.set_xds_server(bytes);
            container.note_peak();
        }
        self.rewake(now, c);
    }
}

/// A uniform wait in [0, `ceiling`] (full jitter).
fn jitter(rng: &mut SimRng, ceiling: SimDuration) -> SimDuration {
    SimDuration::from_secs_f64_ceil(ceiling.as_secs_f64() * rng.random::<f64>())
}

fn requests(rps: f64, dt: f64) -> f64 {
    (rps * dt).max(0.0)
}
