//! What a subsystem is handed when it handles an event: the time, the shared cluster,
//! the queue (to schedule its own events), the random streams, the recorder, and an
//! outbox of [`Signal`]s for the others.
//!
//! Subsystems never call each other. They announce what happened as a signal; the world
//! routes every signal to the subsystems that care, in order, before the next event —
//! so everything that follows from an event happens at the same simulated instant.

use std::collections::VecDeque;

use crate::engine::{EventKey, EventQueue, RngStreams, SimDuration, SimTime};
use crate::model::cluster::container::Termination;
use crate::model::cluster::pod::PodKey;
use crate::model::cluster::{Cluster, ContainerRef};
use crate::model::config::{Fidelity, SimConfig, Trigger};
use crate::model::record::{EventKind, EventRecord, Recorder};

use super::Event;

/// A fact one subsystem announces to the others.
#[derive(Clone, Debug)]
pub(crate) enum Signal {
    /// A pod object was created, not yet placed: admission (VPA), its load weight, then
    /// scheduling.
    PodCreated(PodKey),
    /// The scheduler bound a pod to a node: the kubelet starts its containers.
    PodBound(PodKey),
    /// A container's process started; `warm` when it was running before the run began.
    ContainerStarted {
        /// The container.
        c: ContainerRef,
        /// Already running (and synced, ready) when the run began.
        warm: bool,
    },
    /// Routing sends `rps` requests per second to a pod now.
    LoadChanged {
        /// The pod.
        pod: PodKey,
        /// Its new rate.
        rps: f64,
        /// When routing sets it next, if known in advance (the traffic noise's next
        /// resample, the profile's next breakpoint; `SimTime::NEVER` when neither).
        until: SimTime,
    },
    /// Per-request fidelity: one request reaches a pod now.
    Request(PodKey),
    /// istiod's xDS state in a pod now holds `bytes` (its push pipeline changed).
    XdsMemory {
        /// The istiod pod.
        pod: PodKey,
        /// Bytes of its `xdsServer` law.
        bytes: f64,
    },
    /// A container's process ends: OOM-killed by the kernel (in `cgroup`, while `grew`
    /// was growing) or exited on its own error.
    ContainerExited {
        /// The container.
        c: ContainerRef,
        /// Why.
        why: Termination,
        /// The cgroup that ran out (`container`, `pod`, `node`; empty for a crash).
        cgroup: &'static str,
        /// The container growing fastest in that cgroup.
        grew: String,
        /// What the kernel (or the process) said.
        message: String,
    },
    /// A container stopped: its memory is gone, and with it the requests it held.
    ContainerStopped {
        /// The container.
        c: ContainerRef,
        /// Why it stopped.
        why: Termination,
        /// Its working set at the kill, at least its request (what the VPA records).
        used: f64,
        /// Requests it held in flight, now failed.
        in_flight: f64,
    },
    /// A pod's readiness changed (it joins or leaves its Service's endpoints).
    PodReadiness {
        /// Its workload.
        workload: usize,
        /// Ready now.
        ready: bool,
    },
    /// A ready pod was deleted: its Service's endpoints change.
    EndpointsChanged(usize),
    /// A pod is gone; `node` is where it ran.
    PodRemoved {
        /// The pod (no longer live).
        pod: PodKey,
        /// Its workload.
        workload: usize,
        /// Its node, if it was placed.
        node: Option<usize>,
    },
    /// Evict a pod (node pressure, VPA updater): it stops at once and is replaced.
    Evict(PodKey),
    /// A node's memory-pressure taint lapsed: pending pods may fit again.
    PressureLifted,
    /// Memory sized by a subsystem (a Redis keyspace, a CoreDNS cache) in a pod changed.
    ExternalMemory {
        /// The pod.
        pod: PodKey,
        /// When the server's process started: a figure for an earlier run of it (the
        /// container restarted since) is stale and ignored.
        since: crate::engine::SimTime,
        /// Bytes now.
        bytes: f64,
        /// Growth, bytes per second, until the next change.
        slope: f64,
    },
    /// Requests of a pod now wait `secs` on the services they call.
    DependencyWait {
        /// The pod.
        pod: PodKey,
        /// Seconds per request.
        secs: f64,
    },
    /// The callers' load on each shard of a Redis workload changed.
    CacheLoad {
        /// Index into the configuration's Redis list.
        redis: usize,
        /// Per shard.
        load: crate::model::redis::keyspace::Load,
        /// Per shard, if every call succeeded.
        nominal: crate::model::redis::keyspace::Load,
    },
    /// What callers see of a Redis workload changed.
    CacheView {
        /// Index into the configuration's Redis list.
        redis: usize,
        /// The view.
        view: crate::model::redis::CacheView,
    },
    /// A caller's query rate to a database changed.
    DbLoad {
        /// The database.
        db: usize,
        /// The caller.
        caller: usize,
        /// Queries per second.
        qps: f64,
    },
    /// A database's total query rate changed.
    DbLoadChanged {
        /// The database.
        db: usize,
        /// Queries per second.
        qps: f64,
    },
    /// A caller's lookups per second, by name, changed.
    DnsLoad {
        /// The caller.
        caller: usize,
        /// Per name.
        lookups: Vec<f64>,
    },
    /// What a lookup of each name costs changed.
    DnsView(Vec<crate::model::dns::NameView>),
    /// An autoscaler sets a Deployment's replicas.
    Scale {
        /// The workload.
        workload: usize,
        /// Replicas.
        replicas: u32,
    },
    /// Something happened that reactive actions or the evaluation window may wait for.
    Triggered(Trigger),
}

/// What an event says, apart from where and when.
pub(crate) struct Note<'a> {
    pub(crate) kind: EventKind,
    pub(crate) reason: &'a str,
    pub(crate) exit_code: Option<i32>,
    pub(crate) message: &'a str,
    pub(crate) cgroup: &'a str,
    pub(crate) grew: &'a str,
}

impl<'a> Note<'a> {
    pub(crate) fn new(kind: EventKind, reason: &'a str, message: &'a str) -> Self {
        Note {
            kind,
            reason,
            exit_code: None,
            message,
            cgroup: "",
            grew: "",
        }
    }

    pub(crate) fn exit(mut self, code: i32) -> Self {
        self.exit_code = Some(code);
        self
    }

    /// For OOM kills: the cgroup that ran out and the container that grew the most.
    pub(crate) fn oom(mut self, cgroup: &'a str, grew: &'a str) -> Self {
        self.cgroup = cgroup;
        self.grew = grew;
        self
    }
}

/// A subsystem's view of the world while it handles one event.
pub(crate) struct Cx<'a> {
    /// The current instant.
    pub(crate) now: SimTime,
    /// The run's configuration.
    pub(crate) cfg: &'a SimConfig,
    /// Shared cluster state.
    pub(crate) cluster: &'a mut Cluster,
    /// Named random streams.
    pub(crate) streams: &'a RngStreams,
    /// Set while the initial pods are created: how long they have been running.
    pub(crate) warm: Option<SimDuration>,
    pub(super) queue: &'a mut EventQueue<Event>,
    pub(super) rec: &'a mut dyn Recorder,
    pub(super) signals: &'a mut VecDeque<Signal>,
}

impl Cx<'_> {
    /// Schedules `event` at `at`.
    pub(crate) fn schedule(&mut self, at: SimTime, event: impl Into<Event>) -> EventKey {
        self.queue.schedule(at, event.into())
    }

    /// Moves the event in `key` to `at` (or schedules it).
    pub(crate) fn reschedule(
        &mut self,
        key: &mut Option<EventKey>,
        at: SimTime,
        event: impl Into<Event>,
    ) {
        self.queue.reschedule(key, at, event.into());
    }

    /// Moves the pending event in `key` to `at`, or cancels it when `at` is
    /// [`SimTime::NEVER`] (a wake-up that no longer comes).
    pub(crate) fn rearm(
        &mut self,
        key: &mut Option<EventKey>,
        at: SimTime,
        event: impl Into<Event>,
    ) {
        if at == SimTime::NEVER {
            if let Some(k) = key.take() {
                self.cancel(k);
            }
        } else {
            self.reschedule(key, at, event);
        }
    }

    /// Cancels a pending event.
    pub(crate) fn cancel(&mut self, key: EventKey) {
        self.queue.cancel(key);
    }

    /// Announces `signal` to the other subsystems (after this handler returns).
    pub(crate) fn signal(&mut self, signal: Signal) {
        self.signals.push_back(signal);
    }

    /// `true` when traffic is fluid rates, not one event per request.
    pub(crate) fn fluid(&self) -> bool {
        self.cfg.fidelity == Fidelity::Fluid
    }

    /// `true` when the recorder keeps samples (scrapes, SLO buckets).
    pub(crate) fn wants_samples(&self) -> bool {
        self.rec.wants_samples()
    }

    /// The recorder, for samples.
    pub(crate) fn recorder(&mut self) -> &mut dyn Recorder {
        self.rec
    }

    /// The configuration and the cluster to read, and the recorder to write samples to.
    pub(crate) fn observe(&mut self) -> (&SimConfig, &Cluster, &mut dyn Recorder) {
        (self.cfg, self.cluster, self.rec)
    }

    /// Records an event about `pod` (and its container `container`, if any).
    pub(crate) fn emit(&mut self, pod: Option<PodKey>, container: Option<u16>, note: Note<'_>) {
        let p = pod.and_then(|k| self.cluster.pod(k));
        let node = pod.map_or("", |k| self.cluster.node_name(k));
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
            time: self.now,
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
}
