//! The scheduler: binds pending pods to nodes by memory requests.
//!
//! A pod fits a node when the node's allocatable memory covers the memory requests
//! already placed plus the pod's, and the node has no `MemoryPressure` taint. Among
//! nodes that fit, those with fewer pods of the same workload come first (the default
//! spreading of replicas over hosts), then the least allocated (kube-scheduler's
//! `LeastAllocated` scoring), ties to the first. CPU is not used. A pod that fits
//! nowhere waits, and is tried again when a pod leaves or a pressure taint lapses.

use std::collections::VecDeque;

use crate::engine::SimTime;
use crate::model::cluster::Cluster;
use crate::model::cluster::node::Node;
use crate::model::cluster::pod::{Pod, PodKey};
use crate::model::record::EventKind;
use crate::model::units::Bytes;
use crate::model::world::{Cx, Note, Signal};

/// Pods waiting for room, oldest first.
#[derive(Default)]
pub(crate) struct Scheduler {
    pending: VecDeque<PodKey>,
}

impl Scheduler {
    /// Binds pod `key` to a node, or queues it when none fits.
    pub(crate) fn schedule(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod(key) else {
            return;
        };
        let request = pod.memory_request();
        let w = pod.workload;
        let nodes = &cx.cluster.nodes;
        let same_workload = |n: usize| nodes[n].pods_of(w);
        let Some(n) = place(nodes, request, cx.now, same_workload) else {
            if !self.pending.contains(&key) {
                self.pending.push_back(key);
                let msg = format!(
                    "0/{} nodes are available: insufficient memory ({request} requested) or memory pressure",
                    cx.cluster.nodes.len()
                );
                cx.emit(
                    Some(key),
                    None,
                    Note::new(EventKind::FailedScheduling, "FailedScheduling", &msg),
                );
            }
            return;
        };
        cx.cluster.nodes[n].bind(key, w, request);
        if let Some(pod) = cx.cluster.pod_mut(key) {
            pod.node = Some(n);
        }
        let msg = format!("assigned to {}", cx.cluster.nodes[n].spec.name);
        cx.emit(
            Some(key),
            None,
            Note::new(EventKind::Scheduled, "Scheduled", &msg),
        );
        cx.signal(Signal::PodBound(key));
    }

    /// Places pods that were waiting for room, oldest first.
    pub(crate) fn retry(&mut self, cx: &mut Cx<'_>) {
        let waiting: Vec<PodKey> = self.pending.drain(..).collect();
        for key in waiting {
            // A pod that still does not fit is queued again.
            self.schedule(cx, key);
        }
    }

    /// Pod `key` is gone: it no longer waits.
    pub(crate) fn forget(&mut self, key: PodKey) {
        self.pending.retain(|&k| k != key);
    }
}

/// Releases what pod `pod` held on node `n`.
pub(crate) fn release(cluster: &mut Cluster, n: usize, pod: &Pod) {
    cluster.nodes[n].unbind(pod.key, pod.workload, pod.memory_request());
}

/// The node a pod of `workload` requesting `request` goes to, if any fits at `now`;
/// `same_workload(n)` counts that workload's pods on node `n`.
pub(crate) fn place(
    nodes: &[Node],
    request: Bytes,
    now: SimTime,
    same_workload: impl Fn(usize) -> usize,
) -> Option<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.free() >= request && n.pressure_until <= now)
        .min_by(|(ia, a), (ib, b)| {
            let free =
                |n: &Node| (n.free().0 - request.0) as f64 / n.spec.allocatable.0.max(1) as f64;
            same_workload(*ia)
                .cmp(&same_workload(*ib))
                .then(free(b).total_cmp(&free(a)))
                .then(ia.cmp(ib))
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::node::NodeSpec;

    fn node(name: &str, gib: u64, requested_mib: u64) -> Node {
        let mut n = Node::new(NodeSpec {
            name: name.into(),
            capacity: Bytes(gib << 30),
            allocatable: Bytes(gib << 30),
            background_requested: Bytes(0),
            background_usage: Bytes(0),
        });
        n.requested = Bytes::mib(requested_mib);
        n
    }

    #[test]
    fn least_allocated_node_wins_and_full_nodes_are_skipped() {
        let nodes = [node("a", 1, 900), node("b", 1, 100), node("c", 1, 100)];
        assert_eq!(
            place(&nodes, Bytes::mib(200), SimTime::ZERO, |_| 0),
            Some(1)
        );
        assert_eq!(place(&nodes, Bytes::mib(1000), SimTime::ZERO, |_| 0), None);
    }

    #[test]
    fn replicas_spread_before_packing_and_pressure_taints_are_respected() {
        let mut nodes = [node("a", 1, 900), node("b", 1, 100)];
        // b already runs one of the workload's pods: a, with less room, is preferred.
        assert_eq!(
            place(&nodes, Bytes::mib(50), SimTime::ZERO, |n| usize::from(
                n == 1
            )),
            Some(0)
        );
        nodes[0].pressure_until = SimTime::from_secs(300);
        assert_eq!(
            place(&nodes, Bytes::mib(50), SimTime::ZERO, |n| usize::from(
                n == 1
            )),
            Some(1)
        );
    }
}
