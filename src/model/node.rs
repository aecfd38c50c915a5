//! Nodes and placement by requests.
//!
//! The scheduler's view: a pod fits a node when the node's allocatable memory covers the
//! memory requests already placed plus the pod's, and the node has no `MemoryPressure`
//! taint. Among nodes that fit, those with fewer pods of the same workload come first
//! (the default spreading of replicas over hosts), then the least allocated
//! (kube-scheduler's `LeastAllocated` scoring), ties to the first. CPU is not used.
//!
//! Pods meshmem does not simulate are the node's background: their requests count for
//! placement and their usage for the node's memory, but they are never evicted or
//! OOM-killed here (they stand for system and neighbour pods).

use super::pod::PodKey;
use super::units::Bytes;
use crate::engine::{EventKey, SimTime};

/// A node as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// Node name.
    pub name: String,
    /// Memory capacity (`status.capacity.memory`; the kernel's MemTotal).
    pub capacity: Bytes,
    /// Memory allocatable to pods (`status.allocatable.memory`).
    pub allocatable: Bytes,
    /// Requests of pods not simulated.
    pub background_requested: Bytes,
    /// Working set of pods not simulated, and of the system.
    pub background_usage: Bytes,
}

/// A node and what is placed on it.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) spec: NodeSpec,
    pub(crate) requested: Bytes,
    /// Simulated pods bound to it.
    pub(crate) pods: Vec<PodKey>,
    /// Tainted `node.kubernetes.io/memory-pressure` until then.
    pub(crate) pressure_until: SimTime,
    /// Pending node-level OOM (the kernel's) and its instant.
    pub(crate) wake: Option<EventKey>,
    pub(crate) wake_at: SimTime,
    /// Whether the node's pods could, at their limits, bring it near its capacity.
    /// When not, its memory needs no watching at all.
    pub(crate) at_risk: bool,
}

impl Node {
    pub(crate) fn new(spec: NodeSpec) -> Self {
        Node {
            requested: spec.background_requested,
            spec,
            pods: Vec::new(),
            pressure_until: SimTime::ZERO,
            wake: None,
            wake_at: SimTime::NEVER,
            at_risk: false,
        }
    }

    /// Allocatable memory not yet requested by placed pods.
    pub fn free(&self) -> Bytes {
        Bytes(self.spec.allocatable.0.saturating_sub(self.requested.0))
    }
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
