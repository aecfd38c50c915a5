//! What one run amounts to: per-container tallies and request outcomes.

use crate::engine::SimTime;

use super::monitoring::slo::PeakBurn;
use super::routing::RequestTally;

/// Totals for one container of one workload over a run (all its pods).
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerTally {
    /// Workload name.
    pub workload: String,
    /// Container name.
    pub container: String,
    /// OOM kills.
    pub oom_kills: u32,
    /// OOM kills from the evaluation start on.
    pub oom_kills_after: u32,
    /// First OOM kill from the evaluation start on.
    pub first_oom_after: Option<SimTime>,
    /// Restarts by the kubelet.
    pub restarts: u32,
    /// First OOM kill.
    pub first_oom: Option<SimTime>,
    /// Highest working set (bytes).
    pub peak_bytes: f64,
    /// OOM kills decided above the container: by the pod's or the node's OOM killer.
    pub oom_kills_outside: u32,
    /// Application crashes from heap exhaustion (`OutOfMemoryError`).
    pub heap_crashes: u32,
}

/// The result of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    /// Per (workload, container), in workload then template order.
    pub containers: Vec<ContainerTally>,
    /// Requests and 503s over all services.
    pub requests: RequestTally,
    /// Events the engine processed (for throughput figures).
    pub events_processed: u64,
    /// Peak error-budget burn over the run.
    pub peak_burn: PeakBurn,
    /// What happened from the evaluation start on.
    pub after: AfterStart,
    /// Security regressions applied (e.g. mTLS turned off).
    pub policy_violations: u32,
    /// The first alert to fire, and when.
    pub first_alert: Option<(SimTime, String)>,
    /// Partial-config (503 NR) episodes of the mesh's proxies.
    pub nr: NrStats,
    /// What the data tier went through (Redis, databases).
    pub data: DataOutcome,
}

/// Totals of the data tier over a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataOutcome {
    /// Keys every Redis server evicted (`evicted_keys`, summed over servers and restarts).
    pub evicted_keys: f64,
    /// Writes Redis refused with `-OOM`.
    pub rejected_writes: f64,
    /// GETs that hit.
    pub keyspace_hits: f64,
    /// GETs that missed.
    pub keyspace_misses: f64,
    /// Highest load of any database over its capacity.
    pub db_peak_utilisation: f64,
}

impl DataOutcome {
    /// Share of GETs that hit over the run, if there were any.
    pub fn hit_ratio(&self) -> Option<f64> {
        let all = self.keyspace_hits + self.keyspace_misses;
        (all > 0.0).then(|| self.keyspace_hits / all)
    }
}

/// How long proxies lacked clusters (503 NR) after partial config pushes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NrStats {
    /// First partial config received.
    pub first: Option<SimTime>,
    /// Last full config restored.
    pub last: Option<SimTime>,
    /// Sum over proxies of the time each lacked clusters, for episodes that ended.
    pub proxy_seconds: f64,
    /// Proxies whose episode ended.
    pub proxies: u64,
}

impl NrStats {
    /// Mean time a proxy lacked clusters, seconds.
    pub fn mean_seconds(&self) -> Option<f64> {
        (self.proxies > 0).then(|| self.proxy_seconds / self.proxies as f64)
    }

    /// From the first partial config to the last restoration, seconds.
    pub fn window_seconds(&self) -> Option<f64> {
        Some((self.last? - self.first?).as_secs_f64())
    }
}

/// Figures counted from the scenario's `evaluateAfter` instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AfterStart {
    /// When the evaluation window started (None: its trigger never came).
    pub start: Option<SimTime>,
    /// OOM kills at or after the instant.
    pub oom_kills: u32,
    /// Requests and 503s after the instant.
    pub requests: RequestTally,
    /// Peak burn over windows entirely after the instant.
    pub peak_burn: PeakBurn,
}

impl RunOutcome {
    /// All OOM kills.
    pub fn oom_kills(&self) -> u32 {
        self.containers.iter().map(|c| c.oom_kills).sum()
    }

    /// All restarts.
    pub fn restarts(&self) -> u32 {
        self.containers.iter().map(|c| c.restarts).sum()
    }

    /// How long the first alert fired before the first OOM kill (negative: after it).
    pub fn alert_lead(&self) -> Option<f64> {
        let (alert, _) = self.first_alert.as_ref()?;
        Some(self.first_oom()?.as_secs_f64() - alert.as_secs_f64())
    }

    /// The first OOM kill of any container.
    pub fn first_oom(&self) -> Option<SimTime> {
        self.containers.iter().filter_map(|c| c.first_oom).min()
    }

    /// The first OOM kill from the evaluation window's start on.
    pub fn first_oom_after(&self) -> Option<SimTime> {
        self.containers
            .iter()
            .filter_map(|c| c.first_oom_after)
            .min()
    }

    /// The tally of `workload`/`container`, if present.
    pub fn container(&self, workload: &str, container: &str) -> Option<&ContainerTally> {
        self.containers
            .iter()
            .find(|c| c.workload == workload && c.container == container)
    }
}
