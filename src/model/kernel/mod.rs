//! The kernel's memory management: cgroup accounting of every container, and the OOM
//! killer for a container, a pod-level cgroup and a node.
//!
//! Each container's working set follows its memory laws, piecewise linear between
//! events, so the kernel knows the exact instant usage will reach `memory.max` and
//! schedules a wake-up there (moved whenever the load or a law changes) — no tick. The
//! same holds for a pod with a pod-level limit and for a node: the kernel predicts when
//! their sums reach the limit or the node's capacity.
//!
//! A charge that would take a cgroup past `memory.max` is refused and, with nothing to
//! reclaim, the OOM killer runs inside that cgroup (docs/reference.md,
//! [Linux OOM killer and memcg](../../../docs/reference.md#linux-oom-killer-and-memcg)):
//! in a container's own cgroup that container dies; in a pod's or the node's, the process
//! with the highest badness does (see `oom_killer`). A JVM whose heap reaches `-Xmx`
//! throws `OutOfMemoryError` instead and exits on its own.
//!
//! The kernel owns the containers' memory state: it applies load changes, requests and
//! configuration changes to the laws, and announces a death as
//! `Signal::ContainerExited` for the kubelet.

pub(crate) mod oom_killer;

use crate::engine::{SimDuration, SimTime};
use crate::model::cluster::ContainerRef;
use crate::model::cluster::container::{Container, ContainerState, Termination};
use crate::model::cluster::pod::PodKey;
use crate::model::memory::Knob;
use crate::model::units::Bytes;
use crate::model::world::{Cx, Signal};

/// The kernel's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A container's laws change course or its usage reaches the limit.
    Wake(ContainerRef),
    /// A pod's cgroup reaches its pod-level limit.
    PodCgroupFull(PodKey),
    /// A node runs out of memory.
    NodeFull(usize),
}

/// The kernel. Its per-container state (next wake-up) lives with the containers in the
/// cluster; per-node predictions with the nodes.
#[derive(Default)]
pub(crate) struct Kernel {
    /// Nodes whose pods changed at this instant, to re-predict once at its end, after
    /// all of them (a traffic change moves every pod at the same instant).
    changed: Vec<usize>,
}

impl Kernel {
    /// Handles one of the kernel's timers.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Wake(c) => self.on_wake(cx, c),
            Event::PodCgroupFull(key) => self.on_pod_cgroup_full(cx, key),
            Event::NodeFull(n) => self.on_node_full(cx, n),
        }
    }

    /// `true` while some node waits for its re-prediction at the end of the instant.
    pub(crate) fn has_changed_nodes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// The instant is over (nothing else happens in it): re-predicts each node whose
    /// pods changed in it, once, in the order they changed.
    pub(crate) fn end_of_instant(&mut self, cx: &mut Cx<'_>) {
        let mut i = 0;
        while let Some(&n) = self.changed.get(i) {
            cx.cluster.nodes[n].repredict_pending = false;
            self.repredict_node(cx, n);
            i += 1;
        }
        self.changed.clear();
    }

    fn on_wake(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let now = cx.now;
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        container.wake = None;
        container.wake_at = SimTime::NEVER;
        container.advance(now);
        container.note_peak();
        if !self.check_limits(cx, c) {
            if let Some(container) = cx.cluster.container_mut(c) {
                container.apply_due_changes(now);
            }
            self.rewake(cx, c);
        }
    }

    /// Kills container `c` if it is at its limit (OOM kill) or, for a JVM, its heap is
    /// exhausted (`OutOfMemoryError`); `true` if it died.
    fn check_limits(&mut self, cx: &mut Cx<'_>, c: ContainerRef) -> bool {
        let Some(container) = cx.cluster.container_mut(c) else {
            return false;
        };
        let (why, cgroup, grew, message) = if container.at_limit() {
            let mut message = format!(
                "memory {} reached limit {}",
                Bytes(container.usage() as u64),
                Bytes(container.limit() as u64)
            );
            if let Some((law, bytes)) = container.largest_law() {
                message += &format!("; largest component {law} {}", Bytes(bytes as u64));
            }
            let name = container.name().to_string();
            (Termination::OomKilled, "container", name, message)
        } else if container.heap_exhausted() {
            let message = "java.lang.OutOfMemoryError: Java heap space".to_string();
            (Termination::OutOfMemoryError, "", String::new(), message)
        } else {
            return false;
        };
        self.stop_watching(cx, c);
        cx.signal(Signal::ContainerExited {
            c,
            why,
            cgroup,
            grew,
            message,
        });
        true
    }

    /// Cancels container `c`'s wake-up (it is about to stop).
    fn stop_watching(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        if let Some(container) = cx.cluster.container_mut(c) {
            container.wake_at = SimTime::NEVER;
            if let Some(k) = container.wake.take() {
                cx.cancel(k);
            }
        }
    }

    /// Re-predicts container `c`'s next wake-up and moves its event if it changed; then
    /// its pod's and node's OOM instants.
    pub(crate) fn rewake(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let now = cx.now;
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        // Every change to a container (a new load, a knob, a law's own step) ends here:
        // what it now holds counts toward its peak, even if nothing wakes it again (a
        // fluid level that only jumps when the load changes, such as the tracer's).
        container.note_peak();
        let at = container.next_wake().max(now);
        if at != container.wake_at || container.wake.is_none() {
            container.wake_at = at;
            let mut key = container.wake.take();
            cx.rearm(&mut key, at, Event::Wake(c));
            if let Some(container) = cx.cluster.container_mut(c) {
                container.wake = key;
            }
        }
        self.pressure_changed(cx, c.pod);
    }

    /// After a request (per-request fidelity): kill at once if over a limit, or bring
    /// the wake-up forward if the request moved it. A request that only added bytes
    /// (`only_bytes`) can move it only by bringing the limit's instant before it.
    fn after_jump(&mut self, cx: &mut Cx<'_>, c: ContainerRef, only_bytes: bool) {
        if let Some(container) = cx.cluster.container_mut(c) {
            container.note_peak();
        }
        if self.check_limits(cx, c) {
            return;
        }
        let moved = cx.cluster.container(c).is_some_and(|k| {
            !(only_bytes && k.limit_out_of_reach_before(k.wake_at)) && k.next_wake() < k.wake_at
        });
        if moved {
            self.rewake(cx, c);
        } else {
            self.pressure_changed(cx, c.pod);
        }
    }

    /// A container started: the mesh's current settings apply, it sees its pod's load.
    pub(crate) fn container_started(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let fluid = cx.fluid();
        let knob = cx.cluster.mtls.map(Knob::Mtls);
        let (rps, until) = cx
            .cluster
            .pod(c.pod)
            .map_or((0.0, SimTime::NEVER), |p| (p.rps, p.load_until));
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        if let Some(knob) = knob {
            container.reconfigure(knob);
        }
        container.set_rps(rps, fluid, until);
        self.rewake(cx, c);
    }

    /// A container stopped: its memory is gone.
    pub(crate) fn container_stopped(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        self.stop_watching(cx, c);
        self.pressure_changed(cx, c.pod);
    }

    /// Pod `key` now receives `rps` requests per second, until at least `until` (its
    /// load's next known change). Unchanged, it only starts the arrival steps that ended
    /// here waiting for it.
    pub(crate) fn set_load(&mut self, cx: &mut Cx<'_>, key: PodKey, rps: f64, until: SimTime) {
        let (now, fluid) = (cx.now, cx.fluid());
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        pod.load_until = until;
        let n = pod.containers.len() as u16;
        if pod.rps == rps {
            for idx in 0..n {
                let c = ContainerRef { pod: key, idx };
                if cx
                    .cluster
                    .container_mut(c)
                    .is_some_and(|k| k.renew_load(now, until))
                {
                    self.rewake(cx, c);
                }
            }
            return;
        }
        pod.rps = rps;
        for idx in 0..n {
            let c = ContainerRef { pod: key, idx };
            if let Some(container) = cx.cluster.container_mut(c)
                && container.is_running()
            {
                container.advance(now);
                container.note_peak();
                container.set_rps(rps, fluid, until);
            }
            self.rewake(cx, c);
        }
    }

    /// One request reaches every running container of pod `key`.
    pub(crate) fn request(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let now = cx.now;
        // Per request: no allocation (`containers_of` would borrow the cluster).
        let n = cx.cluster.pod(key).map_or(0, |p| p.containers.len()) as u16;
        for idx in 0..n {
            let c = ContainerRef { pod: key, idx };
            let Some(container) = cx.cluster.container_mut(c) else {
                return;
            };
            if container.is_running() {
                container.advance(now);
                let only_bytes = container.on_request(now);
                self.after_jump(cx, c, only_bytes);
            }
        }
    }

    /// A configuration change reaches every running container (mTLS mesh-wide).
    pub(crate) fn reconfigure(&mut self, cx: &mut Cx<'_>, knob: Knob) {
        let now = cx.now;
        for key in cx.cluster.pod_keys() {
            for c in cx.cluster.containers_of(key).collect::<Vec<_>>() {
                if let Some(container) = cx.cluster.container_mut(c) {
                    container.advance(now);
                    container.reconfigure(knob);
                }
                self.rewake(cx, c);
            }
        }
    }

    /// Resizes the container of pod `key` that `pick` selects, at now: what it held and
    /// what it holds after `set` both count toward its peak. Returns it (None: no such
    /// container).
    fn resize(
        cx: &mut Cx<'_>,
        key: PodKey,
        pick: impl Fn(&Container) -> bool,
        set: impl FnOnce(&mut Container),
    ) -> Option<ContainerRef> {
        let now = cx.now;
        let idx = cx.cluster.pod(key)?.containers.iter().position(pick)?;
        let c = ContainerRef {
            pod: key,
            idx: idx as u16,
        };
        let container = cx.cluster.container_mut(c)?;
        container.advance(now);
        container.note_peak();
        set(container);
        container.note_peak();
        Some(c)
    }

    /// istiod's xDS memory in pod `key` is now `bytes`.
    pub(crate) fn set_xds_server(&mut self, cx: &mut Cx<'_>, key: PodKey, bytes: f64) {
        let pick = |c: &Container| c.spec.memory.xds_server.is_some() && c.is_running();
        if let Some(c) = Self::resize(cx, key, pick, |c| c.set_xds_server(bytes)) {
            self.rewake(cx, c);
        }
    }

    /// Requests of pod `key` now wait `secs` on the services they call: every running
    /// container's in-flight memory follows (`routing::calls`).
    pub(crate) fn set_wait(&mut self, cx: &mut Cx<'_>, key: PodKey, secs: f64) {
        let now = cx.now;
        for c in cx.cluster.containers_of(key).collect::<Vec<_>>() {
            let Some(container) = cx.cluster.container_mut(c) else {
                continue;
            };
            if container.dependency_wait == secs {
                continue;
            }
            container.advance(now);
            container.note_peak();
            container.set_wait(secs);
            self.rewake(cx, c);
        }
    }

    /// The externally sized memory (a Redis keyspace, a CoreDNS cache) of pod `key`'s
    /// server process started at `since` is now `bytes`, growing at `slope` bytes per
    /// second (ignored if that process is no longer the one running).
    pub(crate) fn set_external(
        &mut self,
        cx: &mut Cx<'_>,
        key: PodKey,
        since: SimTime,
        bytes: f64,
        slope: f64,
    ) {
        let pick = |c: &Container| {
            c.spec.memory.external.is_some()
                && matches!(c.state, ContainerState::Running { since: s, .. } if s == since)
        };
        if let Some(c) = Self::resize(cx, key, pick, |c| c.set_external(bytes, slope))
            && !self.check_limits(cx, c)
        {
            self.rewake(cx, c);
        }
    }

    /// Working set of `pods` now, how it grows, and the ripples on it.
    fn load_of(cx: &Cx<'_>, pods: &[PodKey]) -> GroupLoad {
        let mut g = GroupLoad {
            next_edge: SimTime::NEVER,
            ..GroupLoad::default()
        };
        for p in pods.iter().filter_map(|&k| cx.cluster.pod(k)) {
            for c in &p.containers {
                g.usage += c.usage_at(cx.now);
                g.slope += c.slope();
                let height = c.ripple_height();
                if height > 0.0 {
                    g.ripples += height;
                    if c.ripple_high_at(cx.now) {
                        g.open += height;
                    }
                    g.next_edge = g.next_edge.min(c.ripple_next_edge(cx.now));
                }
                // A pulse counts like a ripple's window: what it could add until it is
                // over, and its edges.
                let (ahead, open, edge) = c.pulses_ahead(cx.now);
                if ahead > 0.0 {
                    g.ripples += ahead;
                    g.open += open;
                    g.next_edge = g.next_edge.min(edge);
                }
            }
        }
        g
    }

    /// When `usage` growing at `slope` reaches `limit`.
    fn crossing(now: SimTime, usage: f64, slope: f64, limit: f64) -> SimTime {
        if usage + 0.5 >= limit {
            now
        } else if slope > 0.0 {
            now + SimDuration::from_secs_f64_ceil((limit - usage) / slope)
        } else {
            SimTime::NEVER
        }
    }

    /// Re-predicts the pod cgroup's and its node's OOM instants after pod `key` changed.
    pub(crate) fn pressure_changed(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod(key) else {
            return;
        };
        let node = pod.node;
        if let Some(limit) = pod.template.memory_limit {
            let at = Self::load_of(cx, &[key]).reaches(cx.now, limit.as_f64());
            if let Some(k) = cx.cluster.pod_mut(key).and_then(|p| p.cgroup_wake.take()) {
                cx.cancel(k);
            }
            if at != SimTime::NEVER {
                let k = cx.schedule(at, Event::PodCgroupFull(key));
                if let Some(pod) = cx.cluster.pod_mut(key) {
                    pod.cgroup_wake = Some(k);
                }
            }
        }
        if let Some(n) = node
            && cx.cluster.nodes[n].at_risk
            && !cx.cluster.nodes[n].repredict_pending
        {
            cx.cluster.nodes[n].repredict_pending = true;
            self.changed.push(n);
        }
    }

    /// Whether node `n`'s pods, each at its memory limit (pod-level, else the sum of
    /// its containers'; no limit is unbounded), could bring the node within the eviction
    /// threshold of its capacity. Recomputed when pods come and go.
    pub(crate) fn update_risk(&mut self, cx: &mut Cx<'_>, n: usize) {
        let node = &cx.cluster.nodes[n];
        let mut worst = node.spec.background_usage.as_f64();
        for p in node.pods.iter().filter_map(|&k| cx.cluster.pod(k)) {
            worst += p.template.memory_limit.map_or_else(
                || p.containers.iter().map(|c| c.limit()).sum(),
                |l| l.as_f64(),
            );
        }
        let margin = node.spec.capacity.as_f64() - cx.cfg.eviction.threshold.as_f64();
        cx.cluster.nodes[n].at_risk = worst >= margin;
    }

    /// Re-predicts when node `n` runs out of memory.
    pub(crate) fn repredict_node(&mut self, cx: &mut Cx<'_>, n: usize) {
        if !cx.cluster.nodes[n].at_risk {
            let node = &mut cx.cluster.nodes[n];
            if let Some(k) = node.wake.take() {
                node.wake_at = SimTime::NEVER;
                cx.cancel(k);
            }
            return;
        }
        let pods = cx.cluster.nodes[n].pods.clone();
        let mut load = Self::load_of(cx, &pods);
        let spec = &cx.cluster.nodes[n].spec;
        load.usage += spec.background_usage.as_f64();
        let at = load.reaches(cx.now, spec.capacity.as_f64());
        let node = &mut cx.cluster.nodes[n];
        if at == node.wake_at && node.wake.is_some() {
            return;
        }
        node.wake_at = at;
        let mut key = node.wake.take();
        cx.rearm(&mut key, at, Event::NodeFull(n));
        cx.cluster.nodes[n].wake = key;
    }

    fn on_pod_cgroup_full(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        pod.cgroup_wake = None;
        let Some(limit) = pod.template.memory_limit else {
            return;
        };
        let usage = Self::load_of(cx, &[key]).usage;
        if usage + 0.5 < limit.as_f64() {
            self.pressure_changed(cx, key);
            return;
        }
        self.kill_in(cx, &[key], limit.as_f64(), "pod", usage);
    }

    fn on_node_full(&mut self, cx: &mut Cx<'_>, n: usize) {
        let node = &mut cx.cluster.nodes[n];
        node.wake = None;
        node.wake_at = SimTime::NEVER;
        let pods = node.pods.clone();
        let usage =
            Self::load_of(cx, &pods).usage + cx.cluster.nodes[n].spec.background_usage.as_f64();
        let capacity = cx.cluster.nodes[n].spec.capacity.as_f64();
        if usage + 0.5 < capacity {
            self.repredict_node(cx, n);
            return;
        }
        self.kill_in(cx, &pods, capacity, "node", usage);
    }

    /// The OOM killer in a full pod cgroup or node: kills the process with the highest
    /// badness among `pods`.
    fn kill_in(
        &mut self,
        cx: &mut Cx<'_>,
        pods: &[PodKey],
        total: f64,
        cgroup: &'static str,
        usage: f64,
    ) {
        let grew = oom_killer::fastest_growing(cx.cluster, pods);
        let Some(v) = oom_killer::victim(cx.cluster, cx.now, pods, total) else {
            return;
        };
        let scope = if cgroup == "pod" {
            "pod cgroup"
        } else {
            "node"
        };
        // The charge that would cross the limit is refused: the cgroup holds its limit.
        let message = format!(
            "{scope} out of memory ({} of {}): killed process {} ({} resident, oom_score_adj {}); fastest growing: {}",
            Bytes(usage.min(total) as u64),
            Bytes(total as u64),
            v.process,
            Bytes(v.rss.min(total) as u64),
            v.adj,
            if grew.is_empty() { "none" } else { &grew },
        );
        cx.signal(Signal::ContainerExited {
            c: v.container,
            why: Termination::OomKilled,
            cgroup,
            grew,
            message,
        });
    }
}

/// What a group of containers (a pod cgroup, a node) holds now and how it moves.
#[derive(Default)]
struct GroupLoad {
    /// Working set now, open ripple windows and running pulses included.
    usage: f64,
    /// Growth of the trend, bytes per second.
    slope: f64,
    /// Bytes of every ripple's windows, open or not, and of every pulse not over.
    ripples: f64,
    /// Bytes of the ripple windows open and the pulses running now.
    open: f64,
    /// The next instant any ripple window or pulse starts or ends.
    next_edge: SimTime,
}

impl GroupLoad {
    /// The next instant to look at the group against `limit`: when it reaches it, or
    /// where it might. Without ripples that is the trend's crossing. With them: when the
    /// trend plus every window could reach it, and from then on each window edge until
    /// one does (the windows' phases differ from container to container).
    fn reaches(&self, now: SimTime, limit: f64) -> SimTime {
        let open = Kernel::crossing(now, self.usage, self.slope, limit);
        if self.ripples <= 0.0 || open == now {
            return open;
        }
        let all = self.usage - self.open + self.ripples;
        let could = Kernel::crossing(now, all, self.slope, limit);
        if could > now {
            could.min(open)
        } else {
            open.min(self.next_edge)
        }
    }
}
