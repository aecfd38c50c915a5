//! The cluster's shared state: what the API server holds (nodes, Deployments, pods, the
//! mesh's PeerAuthentication) and each pod's runtime (its containers' cgroups and laws).
//!
//! Subsystems read it through their context and change only what they own:
//!
//! | state | written by |
//! |---|---|
//! | pods created and deleted, Deployment specs | `workloads` (the Deployment controller) |
//! | a pod's node, a node's requested memory | `workloads::scheduler` |
//! | container state, restarts, back-off, readiness | `kubelet` |
//! | container memory (laws, load, wake-ups), OOM predictions | `kernel` |
//! | a node's pressure condition | `eviction` |
//! | a pod's load weight | `routing` |
//! | the mesh's mTLS mode | `timeline` |
//! | whether the evaluation window has started | `monitoring` |
//!
//! Pods live in a slab: a [`PodKey`] names a slot and a unique id, so an event for a pod
//! that has gone (and whose slot was reused) is recognised and ignored.

mod arrivals;
pub mod container;
pub mod node;
pub mod pod;
mod tally;

use std::sync::Arc;

use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::model::config::{Fidelity, SimConfig, WorkloadSpec};
use container::Container;
use node::Node;
use pod::{Pod, PodKey, PodTemplate, pod_name};
pub(crate) use tally::Tallies;

/// A container of a live pod.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef {
    /// Its pod.
    pub pod: PodKey,
    /// Index in the pod's template.
    pub idx: u16,
}

/// A Deployment as the API server holds it: spec and the pods it owns.
pub(crate) struct Deployment {
    /// Template of the current revision.
    pub(crate) template: Arc<PodTemplate>,
    /// Current revision.
    pub(crate) revision: u32,
    /// `spec.replicas`.
    pub(crate) desired: u32,
    /// Live pods, oldest first (not terminating).
    pub(crate) pods: Vec<PodKey>,
    /// Ordinal of the next pod (names and random streams follow it).
    pub(crate) next_ordinal: u32,
    /// How many of `pods` are at each revision, so the controller sees in O(1) whether
    /// any old pod is left.
    at_revision: Vec<(u32, usize)>,
}

impl Deployment {
    fn new(spec: &WorkloadSpec) -> Self {
        Deployment {
            template: spec.template.clone(),
            revision: 1,
            desired: spec.replicas,
            pods: Vec::new(),
            next_ordinal: 0,
            at_revision: Vec::new(),
        }
    }

    /// How many of its live pods are at `revision`.
    pub(crate) fn pods_at(&self, revision: u32) -> usize {
        self.at_revision
            .iter()
            .find(|&&(r, _)| r == revision)
            .map_or(0, |&(_, n)| n)
    }

    /// Pod `key` at `revision` joins the Deployment's live pods (the newest).
    fn adopt(&mut self, key: PodKey, revision: u32) {
        self.pods.push(key);
        match self.at_revision.iter_mut().find(|(r, _)| *r == revision) {
            Some((_, n)) => *n += 1,
            None => self.at_revision.push((revision, 1)),
        }
    }

    /// Pod `key` at `revision` leaves the Deployment's live pods (deleted, evicted or
    /// removed); nothing happens when it had already left.
    pub(crate) fn forget(&mut self, key: PodKey, revision: u32) {
        let Some(i) = self.pods.iter().position(|&k| k == key) else {
            return;
        };
        self.pods.remove(i);
        if let Some((_, n)) = self.at_revision.iter_mut().find(|(r, _)| *r == revision) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Nodes, Deployments and pods.
pub struct Cluster {
    pub(crate) nodes: Vec<Node>,
    pub(crate) deployments: Vec<Deployment>,
    pods: Vec<Option<Pod>>,
    free_slots: Vec<u32>,
    next_uid: u32,
    /// Mesh-wide mTLS as set by a PeerAuthentication (None: as the proxies were built).
    pub(crate) mtls: Option<bool>,
    /// Per-container totals of pods that have gone, and of live ones at the end.
    pub(crate) tallies: Tallies,
    /// The evaluation window has started ("after" figures count from here).
    pub(crate) evaluating: bool,
}

impl Cluster {
    /// The cluster of `cfg` before anything runs: nodes and Deployments, no pods yet.
    pub(crate) fn new(cfg: &SimConfig) -> Self {
        Cluster {
            nodes: cfg.nodes.iter().cloned().map(Node::new).collect(),
            deployments: cfg.workloads.iter().map(Deployment::new).collect(),
            pods: Vec::new(),
            free_slots: Vec::new(),
            next_uid: 0,
            mtls: None,
            tallies: Tallies::default(),
            evaluating: false,
        }
    }

    /// The live pod `key`.
    pub fn pod(&self, key: PodKey) -> Option<&Pod> {
        self.pods[key.slot as usize]
            .as_ref()
            .filter(|p| p.key.uid == key.uid)
    }

    /// The live pod `key`, to change it.
    pub(crate) fn pod_mut(&mut self, key: PodKey) -> Option<&mut Pod> {
        self.pods[key.slot as usize]
            .as_mut()
            .filter(|p| p.key.uid == key.uid)
    }

    /// The live container `c`.
    pub fn container(&self, c: ContainerRef) -> Option<&Container> {
        self.pod(c.pod)
            .and_then(|p| p.containers.get(usize::from(c.idx)))
    }

    /// The live container `c`, to change it.
    pub(crate) fn container_mut(&mut self, c: ContainerRef) -> Option<&mut Container> {
        self.pod_mut(c.pod)
            .and_then(|p| p.containers.get_mut(usize::from(c.idx)))
    }

    /// Every live pod, in slot order.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.iter().flatten()
    }

    /// Keys of every live pod, in slot order.
    pub(crate) fn pod_keys(&self) -> Vec<PodKey> {
        self.pods().map(|p| p.key).collect()
    }

    /// The containers of pod `key`.
    pub(crate) fn containers_of(&self, key: PodKey) -> impl Iterator<Item = ContainerRef> {
        let n = self.pod(key).map_or(0, |p| p.containers.len());
        (0..n as u16).map(move |idx| ContainerRef { pod: key, idx })
    }

    /// Workload `w`'s ready pods, oldest first (its Service's endpoints).
    pub(crate) fn ready_pods(&self, w: usize) -> Vec<PodKey> {
        self.deployments[w]
            .pods
            .iter()
            .copied()
            .filter(|&k| self.pod(k).is_some_and(|p| p.ready))
            .collect()
    }

    /// Name of the node pod `key` runs on ("" when none).
    pub(crate) fn node_name(&self, key: PodKey) -> &str {
        self.pod(key)
            .and_then(|p| p.node)
            .map_or("", |n| self.nodes[n].spec.name.as_str())
    }

    /// Creates the next pod of workload `w` from `template` at `revision`: not placed,
    /// its containers not started. `age` is how long it has in fact been running when
    /// the run begins (pods of the initial state).
    pub(crate) fn create_pod(
        &mut self,
        cfg: &SimConfig,
        streams: &RngStreams,
        now: SimTime,
        w: usize,
        age: Option<SimDuration>,
    ) -> PodKey {
        let d = &mut self.deployments[w];
        let (template, revision, ordinal) = (d.template.clone(), d.revision, d.next_ordinal);
        d.next_ordinal += 1;
        let wname = &cfg.workloads[w].name;
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.pods.push(None);
            (self.pods.len() - 1) as u32
        });
        let key = PodKey {
            slot,
            uid: self.next_uid,
        };
        self.next_uid += 1;
        let containers = template
            .containers
            .iter()
            .map(|spec| {
                // Streams are named by workload, pod ordinal and container name — never by
                // slot or uid — so variants keep their baseline's random numbers.
                let stream = format!("pod/{wname}/{ordinal}/{}", spec.name);
                let step = (cfg.fidelity == Fidelity::Fluid).then_some(cfg.fluid_step);
                Container::new(spec.clone(), cfg.backoff, streams.stream(&stream), step)
                    .in_pod_limited_to(template.memory_limit.map(|b| b.as_f64()))
            })
            .collect();
        self.pods[slot as usize] = Some(Pod {
            key,
            name: pod_name(wname, revision, ordinal),
            workload: w,
            ordinal,
            revision,
            node: None,
            template,
            containers,
            ready: false,
            terminating: false,
            rps: 0.0,
            load_until: SimTime::NEVER,
            weight: 1.0,
            cgroup_wake: None,
            created: now,
            age_at_creation: age.unwrap_or_default(),
        });
        self.deployments[w].adopt(key, revision);
        key
    }

    /// Takes pod `key` out of the cluster (its totals are kept); the caller cancels its
    /// pending events and releases its node.
    pub(crate) fn remove_pod(&mut self, cfg: &SimConfig, key: PodKey) -> Option<Pod> {
        let pod = self.pods[key.slot as usize].take_if(|p| p.key == key)?;
        self.tallies.fold(&cfg.workloads[pod.workload].name, &pod);
        self.free_slots.push(key.slot);
        self.deployments[pod.workload].forget(key, pod.revision);
        Some(pod)
    }

    /// Folds every live pod's totals in (at the end of a run).
    pub(crate) fn fold_live(&mut self, cfg: &SimConfig, end: SimTime) {
        // What each container holds at the end counts toward its peak: it may have grown
        // since its last wake-up (a limit it would have crossed by then would have
        // woken it).
        for pod in self.pods.iter_mut().flatten() {
            for c in &mut pod.containers {
                c.advance(end);
                c.note_peak();
            }
            self.tallies.fold(&cfg.workloads[pod.workload].name, pod);
        }
    }
}
