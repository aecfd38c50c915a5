//! The kubelet's eviction manager: node-pressure eviction.
//!
//! Every `period` (10 s) the kubelet checks `memory.available` (capacity − working
//! set); below the hard threshold (100Mi) it evicts one pod per pass: pods using more
//! than they request first, then the one furthest over its request (priorities are all
//! equal here). The node is then tainted `MemoryPressure` for the pressure transition
//! period (5 m), so nothing new is scheduled there. A node that runs out between two
//! checks meets the kernel's OOM killer first (docs/reference.md, "kubelet node-pressure
//! eviction").

use crate::model::memory::first_tick;
use crate::model::record::EventKind;
use crate::model::units::Bytes;
use crate::model::world::{Cx, Note, Signal};

/// The eviction manager's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// Check node `n`.
    Check(usize),
    /// Node `n`'s pressure taint may have lapsed.
    PressureCleared(usize),
}

/// The eviction manager of every node (its state is the nodes' pressure condition).
#[derive(Default)]
pub(crate) struct EvictionManager;

impl EvictionManager {
    /// Starts every node's housekeeping loop, at a random phase (it started at some
    /// moment before the run).
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        for n in 0..cx.cluster.nodes.len() {
            let name = format!("node/{}/kubelet", cx.cluster.nodes[n].spec.name);
            let mut rng = cx.streams.stream(&name);
            let phase = first_tick(cx.cfg.eviction.period, &mut rng);
            cx.schedule(cx.now + phase, Event::Check(n));
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Check(n) => self.check(cx, n),
            Event::PressureCleared(n) => {
                if cx.cluster.nodes[n].pressure_until <= cx.now {
                    cx.signal(Signal::PressureLifted);
                }
            }
        }
    }

    /// Evicts one pod of node `n` if memory.available is below the threshold.
    fn check(&mut self, cx: &mut Cx<'_>, n: usize) {
        let now = cx.now;
        let e = cx.cfg.eviction;
        cx.schedule(now + e.period, Event::Check(n));
        let node = &cx.cluster.nodes[n];
        if !node.at_risk {
            return;
        }
        let mut usage = 0.0;
        for p in node.pods.iter().filter_map(|&k| cx.cluster.pod(k)) {
            for c in &p.containers {
                usage += c.usage_at(now);
            }
        }
        let available = node.spec.capacity.as_f64() - node.spec.background_usage.as_f64() - usage;
        if available >= e.threshold.as_f64() {
            return;
        }
        let ranked = node
            .pods
            .iter()
            .filter_map(|&k| cx.cluster.pod(k))
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
        if cx.cluster.nodes[n].pressure_until <= now {
            let msg = format!(
                "memory.available {} below {}",
                Bytes(available.max(0.0) as u64),
                e.threshold
            );
            cx.emit(
                Some(key),
                None,
                Note::new(EventKind::NodePressure, "MemoryPressure", &msg),
            );
        }
        cx.cluster.nodes[n].pressure_until = now + e.pressure_transition;
        cx.schedule(now + e.pressure_transition, Event::PressureCleared(n));
        let request = cx.cluster.pod(key).map_or(Bytes(0), |p| p.memory_request());
        let msg = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}. Pod was using {}, request is {}.",
            e.threshold,
            Bytes(available.max(0.0) as u64),
            Bytes(used as u64),
            request
        );
        cx.emit(
            Some(key),
            None,
            Note::new(EventKind::Evicted, "Evicted", &msg),
        );
        cx.signal(Signal::Evict(key));
    }
}
