//! What a run reports as it goes: samples (scrapes) and events, through a [`Recorder`].
//!
//! The model formats nothing and opens no files; whoever runs it decides where records
//! go (CSV files, memory, nowhere).

use crate::engine::SimTime;

/// One scrape of one container (`container_memory_working_set_bytes`).
#[derive(Copy, Clone, Debug)]
pub struct Sample<'a> {
    /// Scrape instant.
    pub time: SimTime,
    /// The pod's workload (Deployment) name.
    pub workload: &'a str,
    /// Pod name.
    pub pod: &'a str,
    /// Container name.
    pub container: &'a str,
    /// Working set in bytes (zero while the container is down).
    pub working_set: u64,
    /// Memory limit in bytes, if any.
    pub limit: Option<u64>,
}

/// Traffic and error-budget burn over one bucket (a scrape interval).
#[derive(Copy, Clone, Debug)]
pub struct SloSample {
    /// End of the bucket.
    pub time: SimTime,
    /// Requests in the bucket.
    pub requests: f64,
    /// 503s in the bucket, by flag (as `ResponseFlag::ALL`).
    pub errors_503: [f64; 4],
    /// Application failures in the bucket, by kind (as `AppError::ALL`).
    pub app_errors: [f64; 3],
    /// Burn rate over the last 5 minutes.
    pub burn_5m: f64,
    /// Burn rate over the last hour.
    pub burn_1h: f64,
}

/// One scrape of one Redis server (`INFO memory` and `INFO stats`).
#[derive(Copy, Clone, Debug)]
pub struct RedisSample<'a> {
    /// Scrape instant.
    pub time: SimTime,
    /// The Redis workload's name.
    pub workload: &'a str,
    /// Pod name.
    pub pod: &'a str,
    /// `used_memory`, bytes.
    pub used_memory: u64,
    /// `maxmemory`, bytes (0: none).
    pub maxmemory: u64,
    /// `evicted_keys` since the server started.
    pub evicted_keys: u64,
    /// `expired_keys` since the server started.
    pub expired_keys: u64,
    /// `keyspace_hits` since the server started.
    pub keyspace_hits: u64,
    /// `keyspace_misses` since the server started.
    pub keyspace_misses: u64,
    /// Writes refused with `-OOM` since the server started.
    pub rejected_writes: u64,
}

/// One scrape of a database behind the caches.
#[derive(Copy, Clone, Debug)]
pub struct DbSample<'a> {
    /// Scrape instant.
    pub time: SimTime,
    /// Database name.
    pub database: &'a str,
    /// Queries per second offered to it.
    pub qps: f64,
    /// Offered load over capacity (1 = saturated).
    pub utilisation: f64,
    /// Mean response time, milliseconds.
    pub latency_ms: f64,
}

/// What happened, in Kubernetes' words where Kubernetes has one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The scheduler bound the pod to a node.
    Scheduled,
    /// No node has room for the pod's requests.
    FailedScheduling,
    /// A container started for the first time.
    Started,
    /// The kernel killed a container at its memory limit (exit 137).
    OomKilled,
    /// A container's process exited on its own error (a JVM's `OutOfMemoryError`).
    Crashed,
    /// The kubelet holds a crashed container back before restarting it.
    BackOff,
    /// The kubelet restarted a crashed container.
    Restarted,
    /// The pod became ready (added to endpoints).
    Ready,
    /// The pod stopped being ready (removed from endpoints).
    NotReady,
    /// The pod was deleted (rollout, scale down).
    Killing,
    /// A timeline action was applied.
    Action,
    /// A change weakened security (e.g. mTLS turned off).
    PolicyViolation,
    /// The kubelet evicted the pod under node memory pressure.
    Evicted,
    /// The node's memory pressure condition changed.
    NodePressure,
    /// A VPA recommendation changed.
    Recommendation,
    /// A Prometheus alert started firing.
    AlertFiring,
    /// A Prometheus alert stopped firing.
    AlertResolved,
    /// An istiod process opened its xDS port.
    XdsListening,
    /// kube-proxy applied a change of istiod's endpoints.
    KubeProxySynced,
    /// Proxies connected to an istiod.
    XdsConnected,
    /// istiod started a full push.
    PushStarted,
    /// istiod sent the push to every proxy connected to it.
    PushCompleted,
    /// Proxies received a config lacking some of the mesh's clusters.
    PartialConfig,
    /// Proxies received the whole mesh again.
    ConfigRestored,
    /// A Redis server's `used_memory` reached `maxmemory`: it evicts or refuses writes.
    MaxmemoryReached,
    /// A HorizontalPodAutoscaler changed a Deployment's replicas.
    Rescaled,
}

impl EventKind {
    /// The event's name in `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Scheduled => "Scheduled",
            EventKind::FailedScheduling => "FailedScheduling",
            EventKind::Started => "Started",
            EventKind::OomKilled => "OOMKilled",
            EventKind::Crashed => "Crashed",
            EventKind::BackOff => "BackOff",
            EventKind::Restarted => "Restarted",
            EventKind::Ready => "Ready",
            EventKind::NotReady => "NotReady",
            EventKind::Killing => "Killing",
            EventKind::Action => "Action",
            EventKind::PolicyViolation => "PolicyViolation",
            EventKind::Evicted => "Evicted",
            EventKind::NodePressure => "NodePressure",
            EventKind::Recommendation => "Recommendation",
            EventKind::AlertFiring => "AlertFiring",
            EventKind::AlertResolved => "AlertResolved",
            EventKind::XdsListening => "XdsListening",
            EventKind::KubeProxySynced => "KubeProxySynced",
            EventKind::XdsConnected => "XdsConnected",
            EventKind::PushStarted => "PushStarted",
            EventKind::PushCompleted => "PushCompleted",
            EventKind::PartialConfig => "PartialConfig",
            EventKind::ConfigRestored => "ConfigRestored",
            EventKind::MaxmemoryReached => "MaxmemoryReached",
            EventKind::Rescaled => "SuccessfulRescale",
        }
    }
}

/// One event.
#[derive(Copy, Clone, Debug)]
pub struct EventRecord<'a> {
    /// When.
    pub time: SimTime,
    /// Node name, empty when none.
    pub node: &'a str,
    /// The pod's workload (Deployment) name, empty for cluster-wide events.
    pub workload: &'a str,
    /// Pod name, empty for cluster-wide events.
    pub pod: &'a str,
    /// Container name, empty for pod-level events.
    pub container: &'a str,
    /// The container's memory limit when it happened, for events about a limited
    /// container.
    pub limit: Option<u64>,
    /// What happened.
    pub kind: EventKind,
    /// Kubernetes reason (`OOMKilled`, `CrashLoopBackOff`, …).
    pub reason: &'a str,
    /// Exit code, for terminations.
    pub exit_code: Option<i32>,
    /// Human-readable detail, as `kubectl describe` would show it.
    pub message: &'a str,
    /// For OOM kills: the cgroup that ran out (`container`, `pod` or `node`).
    pub cgroup: &'a str,
    /// For OOM kills: the container whose memory was growing fastest in that cgroup —
    /// not necessarily the one killed.
    pub grew: &'a str,
}

/// Receives a run's records as they happen.
pub trait Recorder {
    /// `false` to skip scrapes entirely (saves the work of sampling).
    fn wants_samples(&self) -> bool {
        true
    }
    /// A scrape of one container.
    fn sample(&mut self, sample: &Sample<'_>);
    /// An event.
    fn event(&mut self, event: &EventRecord<'_>);
    /// Traffic and burn over one bucket (only called when samples are wanted).
    fn slo(&mut self, _sample: &SloSample) {}
    /// A scrape of one Redis server (only called when samples are wanted).
    fn redis(&mut self, _sample: &RedisSample<'_>) {}
    /// A scrape of one database (only called when samples are wanted).
    fn db(&mut self, _sample: &DbSample<'_>) {}
}

/// A recorder that keeps nothing (benchmarks, planning searches).
#[derive(Copy, Clone, Debug, Default)]
pub struct Discard;

impl Recorder for Discard {
    fn wants_samples(&self) -> bool {
        false
    }
    fn sample(&mut self, _sample: &Sample<'_>) {}
    fn event(&mut self, _event: &EventRecord<'_>) {}
}
