//! Nodes and placement by requests.
//!
//! The scheduler's view: a pod fits a node when the node's allocatable memory covers the
//! memory requests already placed plus the pod's. Among nodes that fit, the least
//! allocated wins (kube-scheduler's default `LeastAllocated` scoring), ties to the first.
//! CPU is not used for placement.

use super::units::Bytes;

/// A node as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// Node name.
    pub name: String,
    /// Memory capacity (`status.capacity.memory`).
    pub capacity: Bytes,
    /// Memory allocatable to pods (`status.allocatable.memory`).
    pub allocatable: Bytes,
}

/// A node and what is placed on it.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) spec: NodeSpec,
    pub(crate) requested: Bytes,
}

impl Node {
    pub(crate) fn new(spec: NodeSpec) -> Self {
        Node {
            spec,
            requested: Bytes(0),
        }
    }

    /// Allocatable memory not yet requested by placed pods.
    pub fn free(&self) -> Bytes {
        Bytes(self.spec.allocatable.0.saturating_sub(self.requested.0))
    }
}

/// The node a pod requesting `request` goes to, if any fits.
pub(crate) fn place(nodes: &[Node], request: Bytes) -> Option<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.free() >= request)
        .max_by(|(ia, a), (ib, b)| {
            let score =
                |n: &Node| (n.free().0 - request.0) as f64 / n.spec.allocatable.0.max(1) as f64;
            // Higher score wins; on a tie the lower index wins.
            score(a).total_cmp(&score(b)).then(ib.cmp(ia))
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
        });
        n.requested = Bytes::mib(requested_mib);
        n
    }

    #[test]
    fn least_allocated_node_wins_and_full_nodes_are_skipped() {
        let nodes = [node("a", 1, 900), node("b", 1, 100), node("c", 1, 100)];
        assert_eq!(place(&nodes, Bytes::mib(200)), Some(1));
        assert_eq!(place(&nodes, Bytes::mib(1000)), None);
    }
}
