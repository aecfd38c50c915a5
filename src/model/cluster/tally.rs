//! Per-container totals over a run, kept as pods come and go (like kube-state-metrics
//! keeps counters for containers that no longer exist).

use super::pod::Pod;
use crate::engine::SimTime;
use crate::model::outcome::ContainerTally;

/// Totals per (workload, container name), in the order first seen.
#[derive(Default)]
pub(crate) struct Tallies(pub(crate) Vec<ContainerTally>);

impl Tallies {
    /// Adds `pod`'s container totals (when it is removed, and at the end of the run).
    pub(crate) fn fold(&mut self, workload: &str, pod: &Pod) {
        for c in &pod.containers {
            let (name, stats) = (c.name(), c.stats);
            let i = match self
                .0
                .iter()
                .position(|t| t.workload == workload && t.container == name)
            {
                Some(i) => i,
                None => {
                    self.0.push(ContainerTally {
                        workload: workload.to_string(),
                        container: name.to_string(),
                        oom_kills: 0,
                        oom_kills_after: 0,
                        first_oom_after: None,
                        restarts: 0,
                        first_oom: None,
                        peak_bytes: 0.0,
                        oom_kills_outside: 0,
                        heap_crashes: 0,
                    });
                    self.0.len() - 1
                }
            };
            let t = &mut self.0[i];
            t.oom_kills += stats.oom_kills;
            t.oom_kills_after += stats.oom_kills_after;
            t.oom_kills_outside += stats.oom_kills_outside;
            t.heap_crashes += stats.heap_crashes;
            t.restarts += c.restart_count;
            let earliest = |a: Option<SimTime>, b: Option<SimTime>| match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            t.first_oom = earliest(t.first_oom, stats.first_oom);
            t.first_oom_after = earliest(t.first_oom_after, stats.first_oom_after);
            t.peak_bytes = t.peak_bytes.max(stats.peak_bytes);
        }
    }
}
