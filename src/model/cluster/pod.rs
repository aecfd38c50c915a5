//! Pods and pod templates.
//!
//! A pod is placed on a node, runs its containers, and is ready when every container is
//! running and ready. Names follow the Deployment pattern
//! `<workload>-<pod-template-hash>-<suffix>` so that evidence reads like `kubectl`.

use std::sync::Arc;

use super::container::{Container, ContainerSpec};
use crate::model::qos::QosClass;
use crate::model::units::Bytes;

/// A Deployment's pod template at one revision.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTemplate {
    /// Containers, in order.
    pub containers: Vec<Arc<ContainerSpec>>,
    /// Pod-level memory limit (`spec.resources.limits.memory`, Kubernetes pod-level
    /// resources): the pod's cgroup, shared by containers without limits of their own.
    pub memory_limit: Option<Bytes>,
}

impl PodTemplate {
    /// Sum of the containers' memory requests (what the scheduler reserves).
    pub fn memory_request(&self) -> Bytes {
        Bytes(
            self.containers
                .iter()
                .map(|c| c.resources.memory_request().0)
                .sum(),
        )
    }

    /// The pod's QoS class.
    pub fn qos(&self) -> QosClass {
        QosClass::of_pod(self.containers.iter().map(|c| &c.resources))
    }
}

/// Identifies a live pod: its slot and a unique id, so stale events are recognised.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodKey {
    pub(crate) slot: u32,
    pub(crate) uid: u32,
}

/// A pod on (or waiting for) a node.
pub struct Pod {
    pub(crate) key: PodKey,
    pub(crate) name: String,
    pub(crate) workload: usize,
    /// Its ordinal in the workload (names and random streams follow it).
    pub(crate) ordinal: u32,
    pub(crate) revision: u32,
    pub(crate) node: Option<usize>,
    pub(crate) template: Arc<PodTemplate>,
    pub(crate) containers: Vec<Container>,
    pub(crate) ready: bool,
    /// Deleted, draining until clients stop sending to it.
    pub(crate) terminating: bool,
    /// Requests per second routed to this pod.
    pub(crate) rps: f64,
    /// When its load is next set, if known (the traffic's next resample or breakpoint).
    pub(crate) load_until: crate::engine::SimTime,
    /// The pod's relative share of its service's load (1 = even).
    pub(crate) weight: f64,
    /// Pending OOM of the pod-level cgroup, if it has a limit.
    pub(crate) cgroup_wake: Option<crate::engine::EventKey>,
    /// When the pod object was created, and how old it already was then (pods of the
    /// initial state have been running before the scenario starts).
    pub(crate) created: crate::engine::SimTime,
    pub(crate) age_at_creation: crate::engine::SimDuration,
}

impl Pod {
    /// The pod's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sum of its containers' memory requests (a VPA may have changed them from the
    /// template's).
    pub fn memory_request(&self) -> Bytes {
        Bytes(
            self.containers
                .iter()
                .map(|c| c.spec.resources.memory_request().0)
                .sum(),
        )
    }

    /// `true` when every container is running and ready.
    pub(crate) fn all_containers_ready(&self) -> bool {
        self.containers.iter().all(Container::is_ready)
    }
}

/// Characters Kubernetes uses in generated names (no vowels, no look-alikes).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A deterministic pseudo-random name fragment of `len` characters from `parts`.
pub(crate) fn name_fragment(parts: &[&str], len: usize) -> String {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    (0..len)
        .map(|_| {
            h = h
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            NAME_ALPHABET[((h >> 33) % NAME_ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// The name of the `ordinal`-th pod of `workload` at template revision `revision`.
pub(crate) fn pod_name(workload: &str, revision: u32, ordinal: u32) -> String {
    let hash = name_fragment(&[workload, &revision.to_string()], 10);
    let suffix = name_fragment(&[workload, &ordinal.to_string()], 5);
    format!("{workload}-{hash}-{suffix}")
}
