//! Memory beyond one container: the pod's cgroup, the node, and the kubelet's eviction.
//!
//! - A pod with a pod-level memory limit has a cgroup of its own: when the sum of its
//!   containers reaches that limit, the kernel kills inside it.
//! - When the node's memory (background plus every container) reaches its capacity, the
//!   kernel's OOM killer runs over the whole node.
//!
//! Either way the victim is the process with the highest badness: resident memory plus
//! `oom_score_adj × totalpages / 1000`, where totalpages is the cgroup's limit or the
//! node's memory (REFERENCE.md, "Linux OOM killer and cgroups"); −1000 is never picked.
//! With cgroup v2's `memory.oom.group` the victim's whole container dies. The victim is
//! not necessarily the container that grew; events say both.
//!
//! The kubelet checks `memory.available` (capacity − working set) every 10 s; below the
//! hard threshold (100Mi) it evicts one pod per pass: pods using more than they request
//! first, then the one furthest over its request (priorities are all equal here). The
//! node is then tainted for the pressure transition period (5 m). A node that runs out
//! between two checks meets the kernel first (REFERENCE.md, "node-pressure eviction").

use super::{ContainerRef, Event, Note, World};
use crate::engine::SimTime;
use crate::model::container::Termination;
use crate::model::pod::PodKey;
use crate::model::record::{EventKind, Recorder};
use crate::model::units::Bytes;

/// The kernel's pick in an out-of-memory cgroup.
pub(super) struct Victim {
    pub(super) container: ContainerRef,
    pub(super) process: String,
    pub(super) rss: f64,
    pub(super) adj: i32,
}

impl<R: Recorder> World<'_, R> {
    /// Working set and its growth (bytes, bytes/s) of `pods` at `now`.
    fn load_of(&self, now: SimTime, pods: &[PodKey]) -> (f64, f64) {
        let mut usage = 0.0;
        let mut slope = 0.0;
        for p in pods.iter().filter_map(|&k| self.pod(k)) {
            for c in &p.containers {
                usage += c.usage_at(now);
                slope += c.slope();
            }
        }
        (usage, slope)
    }

    /// When `usage` growing at `slope` reaches `limit`.
    fn crossing(now: SimTime, usage: f64, slope: f64, limit: f64) -> SimTime {
        if usage + 0.5 >= limit {
            now
        } else if slope > 0.0 {
            now + crate::engine::SimDuration::from_secs_f64_ceil((limit - usage) / slope)
        } else {
            SimTime::NEVER
        }
    }

    /// Re-predicts the pod cgroup's and its node's OOM instants after pod `key` changed.
    pub(super) fn pressure_changed(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod(key) else { return };
        let node = pod.node;
        if let Some(limit) = pod.template.memory_limit {
            let (usage, slope) = self.load_of(now, &[key]);
            let at = Self::crossing(now, usage, slope, limit.as_f64());
            let pod = self.pod_mut(key).expect("pod exists");
            if let Some(k) = pod.cgroup_wake.take() {
                self.queue.cancel(k);
            }
            if at != SimTime::NEVER {
                let k = self.queue.schedule(at, Event::PodCgroupFull(key));
                self.pod_mut(key).expect("pod exists").cgroup_wake = Some(k);
            }
        }
        if let Some(n) = node {
            self.repredict_node(now, n);
        }
    }

    /// Whether node `n`'s pods, each at its memory limit (pod-level, else the sum of
    /// its containers'; no limit is unbounded), could bring the node within the eviction
    /// threshold of its capacity. Recomputed when pods come and go.
    pub(super) fn update_risk(&mut self, n: usize) {
        let mut worst = self.nodes[n].spec.background_usage.as_f64();
        for p in self.nodes[n].pods.iter().filter_map(|&k| self.pod(k)) {
            worst += p.template.memory_limit.map_or_else(
                || p.containers.iter().map(|c| c.limit()).sum(),
                |l| l.as_f64(),
            );
        }
        let node = &mut self.nodes[n];
        let margin = node.spec.capacity.as_f64() - self.cfg.eviction.threshold.as_f64();
        node.at_risk = worst >= margin;
    }

    /// Re-predicts when node `n` runs out of memory.
    pub(super) fn repredict_node(&mut self, now: SimTime, n: usize) {
        if !self.nodes[n].at_risk {
            if let Some(k) = self.nodes[n].wake.take() {
                self.queue.cancel(k);
                self.nodes[n].wake_at = SimTime::NEVER;
            }
            return;
        }
        let pods = self.nodes[n].pods.clone();
        let (usage, slope) = self.load_of(now, &pods);
        let node = &self.nodes[n];
        let usage = usage + node.spec.background_usage.as_f64();
        let at = Self::crossing(now, usage, slope, node.spec.capacity.as_f64());
        let node = &mut self.nodes[n];
        if at == node.wake_at && node.wake.is_some() {
            return;
        }
        node.wake_at = at;
        if at == SimTime::NEVER {
            if let Some(k) = node.wake.take() {
                self.queue.cancel(k);
            }
        } else {
            self.queue
                .reschedule(&mut node.wake, at, Event::NodeFull(n));
        }
    }

    /// The process the kernel kills among `pods`, with `total` bytes as totalpages.
    fn victim(&self, now: SimTime, pods: &[PodKey], total: f64) -> Option<Victim> {
        let mut best: Option<(f64, Victim)> = None;
        for p in pods.iter().filter_map(|&k| self.pod(k)) {
            for (idx, c) in p.containers.iter().enumerate() {
                if !c.is_running() || c.oom_score_adj <= -1000 {
                    continue;
                }
                let (process, rss) = c.largest_process(now);
                let badness = rss + f64::from(c.oom_score_adj) * total / 1000.0;
                if best.as_ref().is_none_or(|(b, _)| badness > *b) {
                    let victim = Victim {
                        container: ContainerRef {
                            pod: p.key,
                            idx: idx as u16,
                        },
                        process: process.to_string(),
                        rss,
                        adj: c.oom_score_adj,
                    };
                    best = Some((badness, victim));
                }
            }
        }
        best.map(|(_, v)| v)
    }

    /// The container growing fastest among `pods`, as `pod/container`.
    fn fastest_growing(&self, pods: &[PodKey]) -> String {
        let mut best = (0.0, String::new());
        for p in pods.iter().filter_map(|&k| self.pod(k)) {
            for c in &p.containers {
                if c.slope() > best.0 {
                    best = (c.slope(), c.name().to_string());
                }
            }
        }
        best.1
    }

    pub(super) fn on_pod_cgroup_full(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod_mut(key) else { return };
        pod.cgroup_wake = None;
        let Some(limit) = pod.template.memory_limit else {
            return;
        };
        let (usage, _) = self.load_of(now, &[key]);
        if usage + 0.5 < limit.as_f64() {
            self.pressure_changed(now, key);
            return;
        }
        self.kernel_kill(now, &[key], limit.as_f64(), "pod", usage);
    }

    pub(super) fn on_node_full(&mut self, now: SimTime, n: usize) {
        let node = &mut self.nodes[n];
        node.wake = None;
        node.wake_at = SimTime::NEVER;
        let pods = node.pods.clone();
        let (usage, _) = self.load_of(now, &pods);
        let usage = usage + self.nodes[n].spec.background_usage.as_f64();
        let capacity = self.nodes[n].spec.capacity.as_f64();
        if usage + 0.5 < capacity {
            self.repredict_node(now, n);
            return;
        }
        self.kernel_kill(now, &pods, capacity, "node", usage);
    }

    /// The kernel's OOM killer in a full cgroup: picks the process with the highest
    /// badness among `pods` and kills its container.
    fn kernel_kill(&mut self, now: SimTime, pods: &[PodKey], total: f64, cgroup: &str, usage: f64) {
        let grew = self.fastest_growing(pods);
        let Some(v) = self.victim(now, pods, total) else {
            return;
        };
        let scope = if cgroup == "pod" {
            "pod cgroup"
        } else {
            "node"
        };
        let message = format!(
            "{scope} out of memory ({} of {}): killed process {} ({} resident, oom_score_adj {}); fastest growing: {}",
            Bytes(usage as u64),
            Bytes(total as u64),
            v.process,
            Bytes(v.rss as u64),
            v.adj,
            if grew.is_empty() { "none" } else { &grew },
        );
        self.crash(
            now,
            v.container,
            Termination::OomKilled,
            cgroup,
            &grew,
            &message,
        );
    }

    /// The kubelet's eviction manager: every `period`, evict one pod if memory.available
    /// is below the threshold.
    pub(super) fn on_eviction_check(&mut self, now: SimTime, n: usize) {
        let e = self.cfg.eviction;
        self.queue.schedule(now + e.period, Event::EvictionCheck(n));
        if !self.nodes[n].at_risk {
            return;
        }
        let pods = self.nodes[n].pods.clone();
        let (usage, _) = self.load_of(now, &pods);
        let spec = &self.nodes[n].spec;
        let available = spec.capacity.as_f64() - spec.background_usage.as_f64() - usage;
        if available >= e.threshold.as_f64() {
            return;
        }
        let ranked = pods
            .iter()
            .filter_map(|&k| self.pod(k))
            .filter(|p| !p.terminating)
            .map(|p| {
                let used: f64 = p.containers.iter().map(|c| c.usage_at(now)).sum();
                let over = used - p.memory_request().as_f64();
                (over > 0.0, over, p.key, used)
            })
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let Some((_, _, key, used)) = ranked else {
            return;
        };
        if self.nodes[n].pressure_until <= now {
            let msg = format!(
                "memory.available {} below {}",
                Bytes(available.max(0.0) as u64),
                e.threshold
            );
            self.emit(
                now,
                Some(key),
                None,
                Note::new(EventKind::NodePressure, "MemoryPressure", &msg),
            );
        }
        self.nodes[n].pressure_until = now + e.pressure_transition;
        self.queue
            .schedule(now + e.pressure_transition, Event::PressureCleared(n));
        let request = self.pod(key).map_or(Bytes(0), |p| p.memory_request());
        let msg = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}. Pod was using {}, request is {}.",
            e.threshold,
            Bytes(available.max(0.0) as u64),
            Bytes(used as u64),
            request
        );
        self.emit(
            now,
            Some(key),
            None,
            Note::new(EventKind::Evicted, "Evicted", &msg),
        );
        let w = self.pod(key).map(|p| p.workload);
        self.evict(now, key);
        if let Some(w) = w {
            self.reconcile(now, w);
        }
    }

    pub(super) fn on_pressure_cleared(&mut self, now: SimTime, n: usize) {
        if self.nodes[n].pressure_until <= now {
            self.retry_pending(now);
        }
    }
}
