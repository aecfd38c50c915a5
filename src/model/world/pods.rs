//! Pods: creation, placement on nodes, readiness and deletion.

use std::sync::Arc;

use super::{ContainerRef, Event, Note, World};
use crate::engine::SimTime;
use crate::model::container::Container;
use crate::model::node::place;
use crate::model::pod::{Pod, PodKey, PodTemplate, pod_name};
use crate::model::record::{EventKind, Recorder};

impl<R: Recorder> World<'_, R> {
    /// Creates the next pod of workload `w` from `template` and tries to place it.
    pub(super) fn create_pod(
        &mut self,
        now: SimTime,
        w: usize,
        template: Arc<PodTemplate>,
        revision: u32,
    ) -> PodKey {
        let workload = &mut self.workloads[w];
        let ordinal = workload.next_ordinal;
        workload.next_ordinal += 1;
        let wname = &self.cfg.workloads[w].name;
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.pods.push(None);
            (self.pods.len() - 1) as u32
        });
        let key = PodKey {
            slot,
            uid: self.next_uid,
        };
        self.next_uid += 1;
        let specs: Vec<_> = template
            .containers
            .iter()
            .map(|spec| self.vpa_admit(w, spec))
            .collect();
        let containers = specs
            .iter()
            .map(|spec| {
                // Streams are named by workload, pod ordinal and container name — never by
                // slot or uid — so variants keep their baseline's random numbers.
                let stream = format!("pod/{wname}/{ordinal}/{}", spec.name);
                Container::new(spec.clone(), self.cfg.backoff, self.streams.stream(&stream))
            })
            .collect();
        let weight = self.load_weight(w, ordinal);
        self.pods[slot as usize] = Some(Pod {
            key,
            name: pod_name(wname, revision, ordinal),
            workload: w,
            revision,
            node: None,
            template,
            containers,
            ready: false,
            terminating: false,
            rps: 0.0,
            weight,
            cgroup_wake: None,
            created: now,
            age_at_creation: self.warm_start.unwrap_or_default(),
        });
        self.workloads[w].pods.push(key);
        self.try_schedule(now, key);
        key
    }

    /// Binds a pending pod to a node and starts its containers, or reports that none fits.
    fn try_schedule(&mut self, now: SimTime, key: PodKey) -> bool {
        let Some(pod) = self.pod(key) else {
            return true;
        };
        let request = pod.memory_request();
        let w = pod.workload;
        let same_workload = |n: usize| {
            self.nodes[n]
                .pods
                .iter()
                .filter(|&&k| self.pod(k).is_some_and(|p| p.workload == w))
                .count()
        };
        let Some(n) = place(&self.nodes, request, now, same_workload) else {
            if !self.pending.contains(&key) {
                self.pending.push_back(key);
                let msg = format!(
                    "0/{} nodes are available: insufficient memory ({request} requested) or memory pressure",
                    self.nodes.len()
                );
                self.emit(
                    now,
                    Some(key),
                    None,
                    Note::new(EventKind::FailedScheduling, "FailedScheduling", &msg),
                );
            }
            return false;
        };
        self.nodes[n].requested.0 += request.0;
        self.nodes[n].pods.push(key);
        self.update_risk(n);
        let capacity = self.nodes[n].spec.capacity;
        let count = {
            let pod = self.pod_mut(key).expect("pod exists");
            pod.node = Some(n);
            // The kubelet sets each container's oom_score_adj from the pod's QoS class.
            let qos = crate::model::qos::QosClass::of_pod(
                pod.containers.iter().map(|c| &c.spec.resources),
            );
            for c in &mut pod.containers {
                c.oom_score_adj = qos.oom_score_adj(c.spec.resources.memory_request(), capacity);
            }
            pod.containers.len()
        };
        let msg = format!("assigned to {}", self.nodes[n].spec.name);
        self.emit(
            now,
            Some(key),
            None,
            Note::new(EventKind::Scheduled, "Scheduled", &msg),
        );
        for idx in 0..count as u16 {
            let c = ContainerRef { pod: key, idx };
            self.emit(
                now,
                Some(key),
                Some(idx),
                Note::new(EventKind::Started, "Started", ""),
            );
            self.start_container(now, c);
        }
        self.update_pod_readiness(now, key);
        true
    }

    /// Places pods that were waiting for room, oldest first.
    pub(super) fn retry_pending(&mut self, now: SimTime) {
        let waiting: Vec<PodKey> = self.pending.drain(..).collect();
        for key in waiting {
            // A pod that still does not fit is queued again by try_schedule.
            self.try_schedule(now, key);
        }
    }

    /// Deletes a pod gracefully: it leaves the endpoints at once but keeps serving what
    /// clients still send it until they have learnt of the change, then stops.
    pub(super) fn delete_pod(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod_mut(key) else { return };
        if pod.terminating {
            return;
        }
        let (w, was_ready, placed) = (pod.workload, pod.ready, pod.node.is_some());
        pod.terminating = true;
        pod.ready = false;
        let msg = format!("Stopping pod {}", pod.name());
        let note = Note::new(EventKind::Killing, "Killing", &msg);
        self.emit(now, Some(key), None, note);
        self.workloads[w].pods.retain(|&k| k != key);
        if was_ready {
            self.endpoints_changed(now, w);
        }
        let grace = self.cfg.endpoint_propagation;
        if placed && !grace.is_zero() {
            self.queue.schedule(now + grace, Event::PodRemoved(key));
        } else {
            self.remove_pod(now, key);
        }
    }

    /// The kubelet evicts a pod: it stops at once (grace period ~0) and leaves the
    /// endpoints; clients learn of it a propagation later.
    pub(super) fn evict(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod_mut(key) else { return };
        let (w, was_ready) = (pod.workload, pod.ready);
        pod.ready = false;
        pod.terminating = true;
        self.workloads[w].pods.retain(|&k| k != key);
        self.remove_pod(now, key);
        if was_ready {
            self.endpoints_changed(now, w);
        }
    }

    /// The pod's containers stop; its requests leave the node.
    pub(super) fn remove_pod(&mut self, now: SimTime, key: PodKey) {
        if self.pod(key).is_none() {
            return;
        }
        if self.is_istiod(key) {
            self.istiod_stopped(now, key);
        }
        self.fold_tallies(key);
        let pod = self.pods[key.slot as usize].take().expect("pod exists");
        let request = pod.memory_request();
        for c in pod.containers {
            for k in [c.wake, c.timer].into_iter().flatten() {
                self.queue.cancel(k);
            }
        }
        if let Some(k) = pod.cgroup_wake {
            self.queue.cancel(k);
        }
        if let Some(n) = pod.node {
            self.nodes[n].requested.0 -= request.0;
            self.nodes[n].pods.retain(|&k| k != key);
            self.update_risk(n);
            self.repredict_node(now, n);
        }
        self.free_slots.push(key.slot);
        self.pending.retain(|&k| k != key);
        for s in 0..self.services.len() {
            self.account(now, s);
            self.spread(now, s);
        }
        self.retry_pending(now);
    }

    /// Recomputes a pod's readiness from its containers; on a change, records it and
    /// updates the service's endpoints and the Deployment controller.
    pub(super) fn update_pod_readiness(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod_mut(key) else { return };
        let ready = pod.node.is_some() && !pod.terminating && pod.all_containers_ready();
        if ready == pod.ready {
            return;
        }
        pod.ready = ready;
        let w = pod.workload;
        let (kind, reason) = if ready {
            (EventKind::Ready, "Ready")
        } else {
            (EventKind::NotReady, "ContainersNotReady")
        };
        self.emit(now, Some(key), None, Note::new(kind, reason, ""));
        self.endpoints_changed(now, w);
        if ready {
            self.reconcile(now, w);
        }
    }
}
