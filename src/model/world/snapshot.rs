//! The cluster at the current instant, as plain data (see [`crate::model::snapshot`]).

use super::World;
use crate::engine::SimTime;
use crate::model::cluster::container::{Container, ContainerState};
use crate::model::cluster::pod::Pod;
use crate::model::qos::QosClass;
use crate::model::record::Recorder;
use crate::model::snapshot::{
    ClusterSnapshot, ContainerSnapshot, ContainerStatus, NodeSnapshot, PodSnapshot, ProxySnapshot,
    Terminated, WorkloadSnapshot,
};

impl<R: Recorder> World<'_, R> {
    /// The simulated time reached so far.
    pub fn now(&self) -> SimTime {
        self.reached
    }

    /// The cluster as it is now. Observing never changes the run.
    pub fn snapshot(&self) -> ClusterSnapshot {
        let now = self.now();
        let mut ordered: Vec<&Pod> = self.cluster.pods().collect();
        ordered.sort_by_key(|p| p.key.uid);
        let nodes = self
            .cluster
            .nodes
            .iter()
            .enumerate()
            .map(|(n, node)| {
                let used: f64 = ordered
                    .iter()
                    .filter(|p| p.node == Some(n))
                    .flat_map(|p| &p.containers)
                    .map(|c| c.usage_at(now))
                    .sum();
                NodeSnapshot {
                    name: node.spec.name.clone(),
                    capacity: node.spec.capacity,
                    allocatable: node.spec.allocatable,
                    requested: node.requested,
                    working_set: (used + node.spec.background_usage.as_f64()) as u64,
                    memory_pressure: node.pressure_until > now,
                }
            })
            .collect();
        let workloads = self
            .cluster
            .deployments
            .iter()
            .zip(&self.cfg.workloads)
            .map(|(w, spec)| {
                let live: Vec<&Pod> = w
                    .pods
                    .iter()
                    .filter_map(|&k| self.cluster.pod(k))
                    .filter(|p| !p.terminating)
                    .collect();
                WorkloadSnapshot {
                    name: spec.name.clone(),
                    desired: w.desired,
                    current: live.len() as u32,
                    ready: live.iter().filter(|p| p.ready).count() as u32,
                    up_to_date: live.iter().filter(|p| p.revision == w.revision).count() as u32,
                    revision: w.revision,
                    age: spec.age + now.since(SimTime::ZERO),
                }
            })
            .collect();
        let pods = ordered.iter().map(|p| self.pod_snapshot(now, p)).collect();
        ClusterSnapshot {
            time: now,
            nodes,
            workloads,
            pods,
        }
    }

    fn pod_snapshot(&self, now: SimTime, p: &Pod) -> PodSnapshot {
        PodSnapshot {
            name: p.name().to_string(),
            workload: self.cfg.workloads[p.workload].name.clone(),
            node: p.node.map(|n| self.cluster.nodes[n].spec.name.clone()),
            age: p.age_at_creation + now.since(p.created),
            ready: p.ready,
            terminating: p.terminating,
            qos: QosClass::of_pod(p.containers.iter().map(|c| &c.spec.resources)),
            memory_limit: p.template.memory_limit,
            rps: p.rps,
            containers: p
                .containers
                .iter()
                .map(|c| container_snapshot(now, p, c))
                .collect(),
        }
    }
}

fn container_snapshot(now: SimTime, pod: &Pod, c: &Container) -> ContainerSnapshot {
    let state = match c.state {
        ContainerState::Running { since, ready } => ContainerStatus::Running {
            started: since,
            ready,
        },
        ContainerState::Waiting => ContainerStatus::Waiting {
            reason: if pod.node.is_some() {
                "PodInitializing"
            } else {
                "ContainerCreating"
            },
            until: None,
        },
        ContainerState::Terminated { .. } => ContainerStatus::Waiting {
            reason: "CrashLoopBackOff",
            until: c.restart_at,
        },
    };
    let last_state = match (c.last_termination, c.last_run) {
        (Some(why), Some((started, finished))) => Some(Terminated {
            reason: why.reason(),
            exit_code: why.exit_code(),
            started,
            finished,
        }),
        _ => None,
    };
    let load = c.load();
    let stats = c.spec.memory.stats;
    let proxy = (c.spec.process == "envoy").then(|| ProxySnapshot {
        stats_flush_interval: stats.map(|s| s.flush_interval),
        stats_flush_duration: c.last_stats_flush(now),
        dropped_stat_flushes: 0,
        trace_sampling: c.spec.memory.trace_buffer.map(|t| t.sampling * 100.0),
        buffered_spans: c.buffered_spans(now).unwrap_or(0),
        clusters: c.spec.memory.xds_config.map(|x| x.clusters),
        hosts: c.spec.memory.xds_config.map(|x| x.hosts),
        concurrency: c.spec.cpu.threads,
    });
    let per_request = c.spec.cpu.per_request.as_secs_f64();
    let limit = c.spec.cpu_limit_cores().unwrap_or(f64::INFINITY);
    let flush = stats.map_or(0.0, |s| {
        s.flush_time(1.0) / s.flush_interval.as_secs_f64().max(1e-9)
    });
    let cpu = if c.is_running() {
        (per_request * load.rps + flush).min(limit)
    } else {
        0.0
    };
    ContainerSnapshot {
        name: c.name().to_string(),
        resources: c.spec.resources,
        state,
        last_state,
        restart_count: c.restart_count,
        working_set: c.usage_at(now).max(0.0) as u64,
        components: c.components_at(now),
        oom_score_adj: c.oom_score_adj,
        cpu_cores: cpu,
        proxy,
    }
}
