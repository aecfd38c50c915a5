//! The Deployment controller: creates and deletes pods until each Deployment has its
//! desired replicas at its current revision, and removes deleted pods once they have
//! drained.
//!
//! Rolling updates follow the Deployment's strategy (Kubernetes' default: maxSurge 25 %
//! rounded up, maxUnavailable 25 % rounded down): new pods are created while the total
//! stays within desired + maxSurge, and an old pod is deleted only while at least
//! desired − maxUnavailable stay ready. Old pods that are not ready (crash-looping) are
//! deleted first, as the controller cleans up unhealthy replicas first. A new pod that
//! never becomes ready stalls the rollout, as in a real cluster.
//! Pods are placed by the [`scheduler`].

pub(crate) mod scheduler;

use std::sync::Arc;

use crate::model::cluster::pod::{Pod, PodKey, PodTemplate};
use crate::model::record::EventKind;
use crate::model::world::{Cx, Note, Signal};

/// The controller's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A terminating pod has drained and stops.
    PodRemoved(PodKey),
}

/// What the controller does next for one Deployment.
enum Step {
    Create,
    Delete(PodKey),
    Done,
}

/// The Deployment controller (its state is the Deployments in the cluster).
#[derive(Default)]
pub(crate) struct Deployments;

impl Deployments {
    /// Handles the controller's timers.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::PodRemoved(key) => self.remove(cx, key),
        }
    }

    /// Rolls workload `w` to `template` at `revision` (Helm upgrade, `kubectl set
    /// resources`, rollback).
    pub(crate) fn rollout(
        &mut self,
        cx: &mut Cx<'_>,
        w: usize,
        template: Arc<PodTemplate>,
        revision: u32,
    ) {
        let d = &mut cx.cluster.deployments[w];
        d.template = template;
        d.revision = revision;
        self.reconcile(cx, w);
    }

    /// Sets workload `w`'s desired replicas.
    pub(crate) fn scale(&mut self, cx: &mut Cx<'_>, w: usize, replicas: u32) {
        cx.cluster.deployments[w].desired = replicas;
        self.reconcile(cx, w);
    }

    /// Brings workload `w` towards its desired state, as far as it can go now. Pods it
    /// creates are placed and started after this returns (announced as
    /// [`Signal::PodCreated`]), so the loop never recurses.
    pub(crate) fn reconcile(&mut self, cx: &mut Cx<'_>, w: usize) {
        loop {
            match next_step(cx, w) {
                Step::Create => {
                    let key = cx
                        .cluster
                        .create_pod(cx.cfg, cx.streams, cx.now, w, cx.warm);
                    cx.signal(Signal::PodCreated(key));
                }
                Step::Delete(key) => self.delete(cx, key),
                Step::Done => return,
            }
        }
    }

    /// Deletes a pod gracefully: it leaves the endpoints at once but keeps serving what
    /// clients still send it until they have learnt of the change, then stops.
    fn delete(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        if pod.terminating {
            return;
        }
        let (w, was_ready, placed) = (pod.workload, pod.ready, pod.node.is_some());
        pod.terminating = true;
        pod.ready = false;
        let msg = format!("Stopping pod {}", pod.name());
        cx.emit(
            Some(key),
            None,
            Note::new(EventKind::Killing, "Killing", &msg),
        );
        cx.cluster.deployments[w].pods.retain(|&k| k != key);
        if was_ready {
            cx.signal(Signal::EndpointsChanged(w));
        }
        let grace = cx.cfg.endpoint_propagation;
        if placed && !grace.is_zero() {
            cx.schedule(cx.now + grace, Event::PodRemoved(key));
        } else {
            self.remove(cx, key);
        }
    }

    /// Evicts a pod (node pressure, VPA updater): it stops at once (grace period ~0) and
    /// leaves the endpoints; clients learn of it a propagation later. Its Deployment
    /// replaces it.
    pub(crate) fn evict(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        let (w, was_ready) = (pod.workload, pod.ready);
        pod.ready = false;
        pod.terminating = true;
        cx.cluster.deployments[w].pods.retain(|&k| k != key);
        self.remove(cx, key);
        if was_ready {
            cx.signal(Signal::EndpointsChanged(w));
        }
        self.reconcile(cx, w);
    }

    /// The pod's containers stop and it leaves its node.
    fn remove(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.remove_pod(cx.cfg, key) else {
            return;
        };
        for c in &pod.containers {
            for k in [c.wake, c.timer].into_iter().flatten() {
                cx.cancel(k);
            }
        }
        if let Some(k) = pod.cgroup_wake {
            cx.cancel(k);
        }
        if let Some(n) = pod.node {
            scheduler::release(cx.cluster, n, &pod);
        }
        cx.signal(Signal::PodRemoved {
            pod: key,
            workload: pod.workload,
            node: pod.node,
        });
    }
}

fn next_step(cx: &Cx<'_>, w: usize) -> Step {
    let d = &cx.cluster.deployments[w];
    let desired = d.desired as usize;
    let (surge, unavailable) = cx.cfg.workloads[w].rolling_update.resolve(d.desired);
    let (surge, unavailable) = (surge as usize, unavailable as usize);
    let pods: Vec<&Pod> = d.pods.iter().filter_map(|&k| cx.cluster.pod(k)).collect();
    let (old, new): (Vec<&Pod>, Vec<&Pod>) = pods.iter().partition(|p| p.revision != d.revision);
    let ready = pods.iter().filter(|p| p.ready).count();
    if let Some(p) = old.iter().find(|p| !p.ready) {
        return Step::Delete(p.key);
    }
    if let Some(p) = old
        .first()
        .filter(|_| ready > desired.saturating_sub(unavailable))
    {
        return Step::Delete(p.key);
    }
    let surge = if old.is_empty() { 0 } else { surge };
    if new.len() < desired && pods.len() < desired + surge {
        return Step::Create;
    }
    if old.is_empty() && pods.len() > desired {
        // Scale down: not-ready pods first, then the newest.
        let victim = new
            .iter()
            .rev()
            .find(|p| !p.ready)
            .or(new.last())
            .map(|p| p.key);
        return victim.map_or(Step::Done, Step::Delete);
    }
    Step::Done
}
