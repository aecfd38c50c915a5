//! The kubelet: starts a bound pod's containers, runs their readiness probes, and when a
//! container dies restarts it after the back-off (see [`backoff`]).
//!
//! It owns each container's lifecycle state — Waiting, Running (ready or not),
//! Terminated — its restart count and back-off entry, and each pod's readiness. It sets
//! `oom_score_adj` from the pod's QoS class when the pod is bound (docs/reference.md,
//! "QoS and oom_score_adj"). The memory inside a running container is the kernel's.

pub mod backoff;

use crate::engine::SimDuration;
use crate::model::cluster::ContainerRef;
use crate::model::cluster::container::{ContainerState, Termination};
use crate::model::cluster::pod::PodKey;
use crate::model::config::Trigger;
use crate::model::qos::QosClass;
use crate::model::record::EventKind;
use crate::model::units::go_duration;
use crate::model::world::{Cx, Note, Signal};

/// The kubelet's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A crashed container's back-off has expired: start it again.
    Restart(ContainerRef),
    /// A container's readiness probe passes.
    Ready(ContainerRef),
}

/// The kubelet of every node (its state is the containers').
#[derive(Default)]
pub(crate) struct Kubelet;

impl Kubelet {
    /// Handles one of the kubelet's timers.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Restart(c) => {
                if let Some(container) = cx.cluster.container_mut(c) {
                    container.timer = None;
                    self.restart(cx, c);
                }
            }
            Event::Ready(c) => self.on_ready(cx, c),
        }
    }

    /// A pod was bound to a node: set each container's `oom_score_adj`, start them.
    pub(crate) fn pod_bound(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(n) = cx.cluster.pod(key).and_then(|pod| pod.node) else {
            return;
        };
        let capacity = cx.cluster.nodes[n].spec.capacity;
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        let qos = QosClass::of_pod(pod.containers.iter().map(|c| &c.spec.resources));
        for c in &mut pod.containers {
            c.oom_score_adj = qos.oom_score_adj(c.spec.resources.memory_request(), capacity);
        }
        for c in cx.cluster.containers_of(key).collect::<Vec<_>>() {
            cx.emit(
                Some(key),
                Some(c.idx),
                Note::new(EventKind::Started, "Started", ""),
            );
            self.start(cx, c);
        }
        self.update_readiness(cx, key);
    }

    /// Starts container `c` and arms its readiness probe. Pods of the initial state start
    /// warm: already running and ready, as in a cluster that was serving before the
    /// scenario began.
    fn start(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let (now, warm) = (cx.now, cx.warm);
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        container.start(now, warm);
        if container.probe_anchor.is_none() {
            // A pod of the initial state has probed since before the run: any phase.
            let phase = match warm {
                Some(_) => {
                    let p = container.spec.readiness.period;
                    crate::model::memory::first_tick(p, &mut container.rng)
                }
                None => SimDuration::ZERO,
            };
            container.probe_anchor = Some(now + phase);
        }
        let anchor = container.probe_anchor.unwrap_or(now);
        if warm.is_none() {
            let ready_at = container.spec.readiness.ready_at(anchor, now);
            let key = cx.schedule(ready_at, Event::Ready(c));
            if let Some(container) = cx.cluster.container_mut(c) {
                container.timer = Some(key);
            }
        }
        cx.signal(Signal::ContainerStarted {
            c,
            warm: warm.is_some(),
        });
    }

    /// Container `c` died at `now` (OOM-killed in `cgroup` while `grew` was growing, or
    /// crashed): its memory is freed, its requests in flight fail, the pod leaves the
    /// endpoints, and the back-off decides when it starts again.
    pub(crate) fn exited(
        &mut self,
        cx: &mut Cx<'_>,
        c: ContainerRef,
        why: Termination,
        cgroup: &str,
        grew: &str,
        message: &str,
    ) {
        let now = cx.now;
        let after = cx.cluster.evaluating;
        let Some(pod) = cx.cluster.pod(c.pod) else {
            return;
        };
        let in_flight = pod
            .containers
            .iter()
            .map(|k| k.requests_held(now))
            .fold(0.0, f64::max);
        let k = &pod.containers[usize::from(c.idx)];
        if !k.is_running() {
            return;
        }
        // At the kill's instant: a pod cgroup's or node's victim was not moved to it.
        let used = k
            .usage_at(now)
            .max(k.spec.resources.memory_request().as_f64());
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        container.terminate(now, why);
        match why {
            Termination::OomKilled => {
                container.stats.oom_kills += 1;
                container.stats.oom_kills_after += u32::from(after);
                if after {
                    container.stats.first_oom_after.get_or_insert(now);
                }
                container.stats.first_oom.get_or_insert(now);
                container.stats.oom_kills_outside += u32::from(cgroup != "container");
            }
            Termination::OutOfMemoryError => container.stats.heap_crashes += 1,
        }
        let wait = container.backoff.wait_after(now);
        let name = container.name().to_string();
        if let Some(k) = container.timer.take() {
            cx.cancel(k);
        }
        let kind = match why {
            Termination::OomKilled => EventKind::OomKilled,
            Termination::OutOfMemoryError => EventKind::Crashed,
        };
        let note = Note::new(kind, why.reason(), message)
            .exit(why.exit_code())
            .oom(cgroup, grew);
        cx.emit(Some(c.pod), Some(c.idx), note);
        cx.signal(Signal::ContainerStopped {
            c,
            why,
            used,
            in_flight,
        });
        if why == Termination::OomKilled {
            cx.signal(Signal::Triggered(Trigger::FirstOomKill));
        }
        self.update_readiness(cx, c.pod);
        if wait.is_zero() {
            self.restart(cx, c);
        } else {
            let pod = cx.cluster.pod(c.pod).map_or("", |p| p.name()).to_string();
            let message = format!(
                "back-off {} restarting failed container={name} pod={pod}",
                go_duration(wait)
            );
            cx.emit(
                Some(c.pod),
                Some(c.idx),
                Note::new(EventKind::BackOff, "CrashLoopBackOff", &message),
            );
            let key = cx.schedule(now + wait, Event::Restart(c));
            if let Some(container) = cx.cluster.container_mut(c) {
                container.timer = Some(key);
                container.restart_at = Some(now + wait);
            }
        }
    }

    /// Starts a crashed container again (`Next` on its back-off entry).
    fn restart(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let now = cx.now;
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        let ContainerState::Terminated { finished, .. } = container.state else {
            return;
        };
        container.backoff.record_restart(finished, now);
        container.restart_at = None;
        container.restart_count += 1;
        let message = format!(
            "restarted container {} (restart {}) after {}",
            container.name(),
            container.restart_count,
            go_duration(now - finished)
        );
        cx.emit(
            Some(c.pod),
            Some(c.idx),
            Note::new(EventKind::Restarted, "Started", &message),
        );
        self.start(cx, c);
    }

    fn on_ready(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let Some(container) = cx.cluster.container_mut(c) else {
            return;
        };
        container.timer = None;
        if let ContainerState::Running { ready, .. } = &mut container.state {
            *ready = true;
        }
        self.update_readiness(cx, c.pod);
    }

    /// Recomputes a pod's readiness from its containers; on a change, records it and
    /// announces it (endpoints, the Deployment controller).
    pub(crate) fn update_readiness(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        let ready = pod.node.is_some() && !pod.terminating && pod.all_containers_ready();
        if ready == pod.ready {
            return;
        }
        pod.ready = ready;
        let workload = pod.workload;
        let (kind, reason) = if ready {
            (EventKind::Ready, "Ready")
        } else {
            (EventKind::NotReady, "ContainersNotReady")
        };
        cx.emit(Some(key), None, Note::new(kind, reason, ""));
        cx.signal(Signal::PodReadiness { workload, ready });
    }
}
