//! The OOM killer's choice in a full cgroup: the process with the highest badness.
//!
//! Badness is resident memory plus `oom_score_adj × totalpages / 1000`, where
//! totalpages is the cgroup's limit or the node's memory; `-1000` is never picked
//! (docs/reference.md, "Linux OOM killer and memcg"; linux `mm/oom_kill.c`,
//! `oom_badness`). With cgroup v2's `memory.oom.group`, which the kubelet sets, the
//! victim's whole container dies. The victim is not necessarily the container that
//! grew; events name both.

use crate::engine::SimTime;
use crate::model::cluster::pod::PodKey;
use crate::model::cluster::{Cluster, ContainerRef};

/// The kernel's pick in an out-of-memory cgroup.
pub(crate) struct Victim {
    pub(crate) container: ContainerRef,
    pub(crate) process: String,
    pub(crate) rss: f64,
    pub(crate) adj: i32,
}

/// The process the kernel kills among `pods`, with `total` bytes as totalpages.
pub(crate) fn victim(
    cluster: &Cluster,
    now: SimTime,
    pods: &[PodKey],
    total: f64,
) -> Option<Victim> {
    let mut best: Option<(f64, Victim)> = None;
    for p in pods.iter().filter_map(|&k| cluster.pod(k)) {
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

/// The container growing fastest among `pods` (its name), for the event's `grew`.
pub(crate) fn fastest_growing(cluster: &Cluster, pods: &[PodKey]) -> String {
    let mut best = (0.0, String::new());
    for p in pods.iter().filter_map(|&k| cluster.pod(k)) {
        for c in &p.containers {
            if c.slope() > best.0 {
                best = (c.slope(), c.name().to_string());
            }
        }
    }
    best.1
}
