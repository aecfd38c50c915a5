//! What a pod template says of a container: resources, memory laws, CPU, readiness
//! probe, JVM settings, the helper process — and how its runs end ([`Termination`]).

use crate::engine::{SimDuration, SimTime};
use crate::model::cpu::CpuSpec;
use crate::model::memory::MemorySpec;
use crate::model::resources::Resources;
use crate::model::units::Bytes;

/// Exit code of a container killed by SIGKILL (128 + 9), as the runtime reports it.
pub const EXIT_CODE_OOM_KILLED: i32 = 137;

/// A heap size: fixed (`-Xmx450m`) or a share of the container's memory limit
/// (`-XX:MaxRAMPercentage`), which the JVM reads from its cgroup at start
/// (`UseContainerSupport`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum HeapSize {
    /// A fixed size.
    Fixed(Bytes),
    /// Percent of the container's memory limit.
    OfLimit(f64),
}

impl HeapSize {
    /// The size for a container limited to `limit` (zero if it depends on a limit that
    /// is not set; the scenario layer rejects that case).
    pub fn resolve(self, limit: Option<Bytes>) -> Bytes {
        match self {
            HeapSize::Fixed(b) => b,
            HeapSize::OfLimit(pct) => {
                limit.map_or(Bytes(0), |l| Bytes((l.as_f64() * pct / 100.0) as u64))
            }
        }
    }
}

/// A HotSpot JVM's memory settings.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct JvmSpec {
    /// `-Xmx`: the heap's ceiling.
    pub max_heap: HeapSize,
    /// `-Xms`: heap committed from the start.
    pub initial_heap: HeapSize,
    /// Metaspace, code cache, thread stacks, GC structures: resident outside the heap.
    pub non_heap: Bytes,
}

/// A second process in a container with a fixed resident size (`pilot-agent` beside
/// `envoy` in `istio-proxy`). The OOM killer picks processes, not containers.
#[derive(Clone, Debug, PartialEq)]
pub struct HelperProcess {
    /// Process name.
    pub name: String,
    /// Its resident memory.
    pub rss: Bytes,
}

/// A readiness probe, and how long the process takes before it would pass one.
///
/// The kubelet's prober runs the probe every `period` on a ticker that starts with the
/// container's first start and keeps its phase across restarts; a restarted container is
/// ready at the first tick at least `initial_delay` after its start at which the process
/// is up (`startup` after its start). Kubernetes' defaults: `initialDelaySeconds` 0,
/// `periodSeconds` 10 (docs/reference.md "Kubernetes probes and rollouts").
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ReadinessProbe {
    /// Time from the process start until it would answer ready.
    pub startup: SimDuration,
    /// `initialDelaySeconds`.
    pub initial_delay: SimDuration,
    /// `periodSeconds`.
    pub period: SimDuration,
}

impl ReadinessProbe {
    /// Kubernetes' defaults for a process that is up `startup` after it starts.
    pub fn kubernetes(startup: SimDuration) -> Self {
        ReadinessProbe {
            startup,
            initial_delay: SimDuration::ZERO,
            period: SimDuration::from_secs(10),
        }
    }

    /// When a container started at `start`, whose prober ticks at `anchor + k × period`
    /// (any whole `k`), becomes ready.
    pub fn ready_at(&self, anchor: SimTime, start: SimTime) -> SimTime {
        let earliest = i128::from((start + self.startup.max(self.initial_delay)).as_nanos());
        let period = i128::from(self.period.as_nanos().max(1));
        let anchor = i128::from(anchor.as_nanos());
        let ticks = (earliest - anchor).div_euclid(period);
        let mut at = anchor + ticks * period;
        if at < earliest {
            at += period;
        }
        SimTime::from_nanos(u64::try_from(at).unwrap_or(u64::MAX))
    }
}

/// A container in a pod template.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSpec {
    /// Container name (`istio-proxy` for the injected sidecar).
    pub name: String,
    /// Requests and limits, defaulted.
    pub resources: Resources,
    /// Memory laws.
    pub memory: MemorySpec,
    /// CPU needs (per request, worker threads).
    pub cpu: CpuSpec,
    /// Its readiness probe.
    pub readiness: ReadinessProbe,
    /// JVM settings, when the process is a JVM (its laws are then on the heap).
    pub jvm: Option<JvmSpec>,
    /// Name of the main process (`java`, `envoy`, …), for OOM messages.
    pub process: String,
    /// A helper process beside the main one, if any.
    pub helper: Option<HelperProcess>,
}

impl ContainerSpec {
    /// The CPU limit in cores, if any.
    pub fn cpu_limit_cores(&self) -> Option<f64> {
        self.resources.limits.cpu.map(|c| c.as_cores())
    }
}

/// Why a container stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Termination {
    /// Killed by the kernel's OOM killer (container, pod or node out of memory).
    OomKilled,
    /// The JVM's heap reached `-Xmx`: `java.lang.OutOfMemoryError`, the app exits.
    OutOfMemoryError,
}

impl Termination {
    /// The reason as `kubectl describe` shows it under Last State.
    pub fn reason(self) -> &'static str {
        match self {
            Termination::OomKilled => "OOMKilled",
            Termination::OutOfMemoryError => "Error",
        }
    }

    /// The exit code the runtime reports.
    pub fn exit_code(self) -> i32 {
        match self {
            Termination::OomKilled => EXIT_CODE_OOM_KILLED,
            Termination::OutOfMemoryError => 1,
        }
    }
}
