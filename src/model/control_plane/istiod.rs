//! One istiod process: its debounce, push pipeline and the memory they hold.
//!
//! Each process debounces config events and, for a full push, builds a push context and
//! queues every connected proxy; sends go out `PILOT_PUSH_THROTTLE` proxies at a time,
//! each holding its generated config in memory while it is sent. Its memory (the
//! `xdsServer` law of its container) is per-connection state + push contexts still
//! referenced + config in flight; crossing the container limit is an OOM kill like any
//! other.
//!
//! A restarted process listens at once and, without the sync gate, serves whatever its
//! informers have synced so far: a proxy that connects early receives a partial CDS,
//! drops the other clusters, and requests to them fail 503 NR until the process has
//! synced and pushes everything. With the sync gate (Istio ≥ 1.8) the process refuses
//! streams until synced (or the gate's maximum wait), and proxies connect elsewhere.

use std::collections::VecDeque;

use super::{ControlPlane, Debouncer, Event, Step};
use crate::engine::{EventKey, SimDuration, SimTime};
use crate::model::cluster::pod::PodKey;
use crate::model::record::EventKind;
use crate::model::units::go_duration;
use crate::model::world::{Cx, Note, Signal};

/// One istiod process (a container incarnation).
pub(super) struct Proc {
    pub(super) pod: PodKey,
    pub(super) listening_at: SimTime,
    pub(super) synced_at: SimTime,
    pub(super) debouncer: Debouncer,
    timer: Option<EventKey>,
    building: Option<EventKey>,
    lifecycle: Vec<EventKey>,
    context: u64,
    pub(super) context_known: f64,
    pub(super) queue: VecDeque<(usize, bool)>,
    in_flight: Vec<Send>,
    pub(super) connected: Vec<usize>,
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

impl Proc {
    /// Share of the mesh this process knows at `now` (its informers sync linearly).
    pub(super) fn known_at(&self, now: SimTime, sync: SimDuration) -> f64 {
        if now >= self.synced_at || sync.is_zero() {
            1.0
        } else {
            (now.since(self.listening_at).as_secs_f64() / sync.as_secs_f64()).clamp(0.0, 1.0)
        }
    }
}

impl ControlPlane {
    /// An istiod container started (warm: already running and synced).
    pub(crate) fn started(&mut self, cx: &mut Cx<'_>, pod: PodKey, warm: bool) {
        let spec = &self.spec.istiod;
        let now = cx.now;
        let (listening_at, synced_at) = if warm {
            (now, now)
        } else {
            let l = now + spec.process_start;
            (l, l + spec.informer_sync)
        };
        let mut lifecycle = Vec::new();
        if !warm {
            lifecycle.push(cx.schedule(listening_at, Event::XdsListening(pod)));
            lifecycle.push(cx.schedule(synced_at, Event::XdsSynced(pod)));
        }
        self.procs.push(Proc {
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
        self.memory(cx, pod);
    }

    /// An istiod process died or its pod went away: its streams close.
    pub(crate) fn stopped(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        self.account(cx.now);
        let Some(i) = self.proc(pod) else { return };
        let p = self.procs.remove(i);
        let keys = p.timer.into_iter().chain(p.building).chain(p.lifecycle);
        for k in keys.chain(p.in_flight.iter().map(|s| s.done)) {
            cx.cancel(k);
        }
        for c in p.connected {
            self.disconnected(cx, c);
        }
    }

    /// A restarted istiod opens its xDS port.
    pub(super) fn on_xds_listening(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let msg = match self.spec.istiod.sync_gate {
            Some(max) => format!(
                "xDS port open; streams refused until synced (at most {})",
                go_duration(max)
            ),
            None => "xDS port open; serving whatever the informers have synced".to_string(),
        };
        cx.emit(
            Some(pod),
            None,
            Note::new(EventKind::XdsListening, "Listening", &msg),
        );
    }

    pub(super) fn on_debounce_timer(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let Some(i) = self.proc(pod) else { return };
        self.procs[i].timer = None;
        let step = self.procs[i].debouncer.on_timer(cx.now);
        self.debounce_step(cx, pod, step);
    }

    pub(super) fn debounce_step(&mut self, cx: &mut Cx<'_>, pod: PodKey, mut step: Step) {
        loop {
            let Some(i) = self.proc(pod) else { return };
            match step {
                Step::Idle => return,
                Step::Arm(at) => {
                    let mut timer = self.procs[i].timer.take();
                    cx.reschedule(&mut timer, at, Event::DebounceTimer(pod));
                    self.procs[i].timer = timer;
                    return;
                }
                Step::PushNow => {
                    self.enqueue_all(cx, pod, false);
                    return;
                }
                Step::Push { full: true } => {
                    let at = cx.now + self.spec.istiod.context_build;
                    self.procs[i].building = Some(cx.schedule(at, Event::ContextBuilt(pod)));
                    return;
                }
                Step::Push { full: false } => {
                    // An endpoints-only push reuses the push context and returns at once.
                    self.enqueue_all(cx, pod, false);
                    let Some(i) = self.proc(pod) else { return };
                    step = self.procs[i].debouncer.on_push_done(cx.now);
                }
            }
        }
    }

    pub(super) fn on_context_built(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let (now, sync) = (cx.now, self.spec.istiod.informer_sync);
        let Some(i) = self.proc(pod) else { return };
        self.next_context += 1;
        let p = &mut self.procs[i];
        p.building = None;
        p.context = self.next_context;
        p.context_known = p.known_at(now, sync);
        p.pushing_since.get_or_insert(now);
        let known = p.context_known;
        let proxies = self.connected_proxies(i);
        let msg = format!(
            "full push of {:.1} % of the mesh to {proxies} proxies",
            100.0 * known
        );
        cx.emit(
            Some(pod),
            None,
            Note::new(EventKind::PushStarted, "Push", &msg),
        );
        self.enqueue_all(cx, pod, true);
        // With no proxy connected there is nothing to send: the push is done at once.
        self.push_completed(cx, pod);
        let Some(i) = self.proc(pod) else { return };
        let step = self.procs[i].debouncer.on_push_done(now);
        self.debounce_step(cx, pod, step);
    }

    /// The informers of a restarted istiod have synced: everything is pushed again.
    pub(super) fn on_xds_synced(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let Some(i) = self.proc(pod) else { return };
        if self.procs[i].building.is_none() {
            let at = cx.now + self.spec.istiod.context_build;
            self.procs[i].building = Some(cx.schedule(at, Event::ContextBuilt(pod)));
        }
    }

    /// Queues every connected proxy (merging with what is queued already).
    fn enqueue_all(&mut self, cx: &mut Cx<'_>, pod: PodKey, full: bool) {
        let Some(i) = self.proc(pod) else { return };
        let p = &mut self.procs[i];
        for &c in &p.connected {
            match p.queue.iter_mut().find(|(q, _)| *q == c) {
                Some(entry) => entry.1 |= full,
                None => p.queue.push_back((c, full)),
            }
        }
        self.pump(cx, pod);
    }

    /// Starts sends while the throttle allows.
    pub(super) fn pump(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let now = cx.now;
        let spec = &self.spec.istiod;
        let size = self.spec.cohort_size.max(1);
        let slots = (spec.push_throttle / size).max(1) as usize;
        let Some(i) = self.proc(pod) else { return };
        while self.procs[i].in_flight.len() < slots {
            let Some((c, full)) = self.procs[i].queue.pop_front() else {
                break;
            };
            if self.cohorts[c].connected != Some(pod) {
                continue;
            }
            let p = &self.procs[i];
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
            let done = cx.schedule(
                now + SimDuration::from_secs_f64_ceil(secs),
                Event::SendDone(pod, c as u32),
            );
            let context = self.procs[i].context;
            let bytes = per_proxy * f64::from(self.cohorts[c].proxies);
            self.procs[i].in_flight.push(Send {
                cohort: c,
                full,
                context,
                known,
                bytes,
                done,
            });
        }
        self.memory(cx, pod);
    }

    pub(super) fn on_send_done(&mut self, cx: &mut Cx<'_>, pod: PodKey, c: usize) {
        let now = cx.now;
        self.account(now);
        let Some(i) = self.proc(pod) else { return };
        let Some(j) = self.procs[i].in_flight.iter().position(|s| s.cohort == c) else {
            return;
        };
        let send = self.procs[i].in_flight.swap_remove(j);
        let cohort = &mut self.cohorts[c];
        if send.full && cohort.connected == Some(pod) {
            let before = cohort.known;
            // CDS replaces the cluster list: what the sender lacks, the proxy drops.
            cohort.known = send.known;
            let proxies = cohort.proxies;
            if send.known < 1.0 - 1e-9 {
                cohort.missing_since.get_or_insert(now);
                self.nr.first.get_or_insert(now);
                let msg = format!(
                    "{proxies} proxies replaced their clusters with {:.1} % of the mesh: the rest answer 503 NR",
                    100.0 * send.known
                );
                cx.emit(
                    Some(pod),
                    None,
                    Note::new(EventKind::PartialConfig, "PartialCDS", &msg),
                );
            } else if before < 1.0 - 1e-9 {
                if let Some(since) = cohort.missing_since.take() {
                    self.nr.proxy_seconds += f64::from(proxies) * (now - since).as_secs_f64();
                    self.nr.proxies += u64::from(proxies);
                }
                self.nr.last = Some(now);
                let msg = format!("{proxies} proxies have every cluster again");
                cx.emit(
                    Some(pod),
                    None,
                    Note::new(EventKind::ConfigRestored, "FullCDS", &msg),
                );
            }
        }
        self.pump(cx, pod);
        self.push_completed(cx, pod);
    }

    /// Records the end of a full push once nothing is left to send.
    fn push_completed(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let Some(i) = self.proc(pod) else { return };
        let p = &mut self.procs[i];
        if !p.queue.is_empty() || !p.in_flight.is_empty() {
            return;
        }
        let Some(since) = p.pushing_since.take() else {
            return;
        };
        let proxies = self.connected_proxies(i);
        let msg = format!(
            "full push sent to all {proxies} connected proxies in {:.1} s",
            (cx.now - since).as_secs_f64()
        );
        cx.emit(
            Some(pod),
            None,
            Note::new(EventKind::PushCompleted, "PushDone", &msg),
        );
    }

    /// istiod's xDS memory from its pipeline, handed to the kernel.
    pub(super) fn memory(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        let spec = &self.spec.istiod;
        let Some(i) = self.proc(pod) else { return };
        let p = &self.procs[i];
        let proxies = self.connected_proxies(i);
        let mut contexts: Vec<u64> = p.in_flight.iter().map(|s| s.context).collect();
        contexts.push(p.context);
        contexts.sort_unstable();
        contexts.dedup();
        let bytes = f64::from(proxies) * spec.per_connection.as_f64()
            + p.in_flight.iter().map(|s| s.bytes).sum::<f64>()
            + contexts.len() as f64 * spec.push_context.as_f64() * p.context_known;
        cx.signal(Signal::XdsMemory { pod, bytes });
    }
}
