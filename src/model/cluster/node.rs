//! Nodes: memory capacity, allocatable, what is requested of them, and their
//! `MemoryPressure` condition.
//!
//! Pods meshmem does not simulate are the node's background: their requests count for
//! placement and their usage for the node's memory, but they are never evicted or
//! OOM-killed here (they stand for system and neighbour pods).

use super::pod::PodKey;
use crate::engine::{EventKey, SimTime};
use crate::model::units::Bytes;

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
    /// A re-prediction of `wake_at` is due at the end of this instant.
    pub(crate) repredict_pending: bool,
    /// Whether the node's pods could, at their limits, bring it near its capacity.
    /// When not, its memory needs no watching at all.
    pub(crate) at_risk: bool,
    /// How many of its pods each workload has (indexed by workload; grown on demand), so
    /// that spreading replicas costs the scheduler O(1) per node, not O(pods).
    pub(crate) workload_pods: Vec<u32>,
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
            repredict_pending: false,
            at_risk: false,
            workload_pods: Vec::new(),
        }
    }

    /// How many pods of workload `w` are bound to this node.
    pub(crate) fn pods_of(&self, w: usize) -> usize {
        self.workload_pods.get(w).map_or(0, |&n| n as usize)
    }

    /// Binds pod `key` of workload `w`, which requests `request`.
    pub(crate) fn bind(&mut self, key: PodKey, w: usize, request: Bytes) {
        self.requested.0 += request.0;
        self.pods.push(key);
        if self.workload_pods.len() <= w {
            self.workload_pods.resize(w + 1, 0);
        }
        self.workload_pods[w] += 1;
    }

    /// Unbinds pod `key` of workload `w`, which requested `request`.
    pub(crate) fn unbind(&mut self, key: PodKey, w: usize, request: Bytes) {
        self.requested.0 -= request.0;
        if let Some(i) = self.pods.iter().position(|&k| k == key) {
            self.pods.remove(i);
            if let Some(n) = self.workload_pods.get_mut(w) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// Allocatable memory not yet requested by placed pods.
    pub fn free(&self) -> Bytes {
        Bytes(self.spec.allocatable.0.saturating_sub(self.requested.0))
    }
}
