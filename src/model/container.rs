//! A container: a cgroup with a memory limit, a state, and the memory laws inside it.
//!
//! Usage is the sum of the container's memory components. Because each law is linear
//! between breakpoints, the container can say exactly when it will next need attention:
//! the earliest of its laws' own changes and the instant usage reaches `memory.max`.
//! Crossing the limit with nothing to reclaim runs the OOM killer in this cgroup
//! (REFERENCE.md, "Linux OOM killer and cgroups"): the container is killed, exit code
//! 137, reason `OOMKilled`, and everything it held is released.

use std::sync::Arc;

use super::backoff::{BackoffPolicy, RestartBackoff};
use super::cpu::{CpuSpec, Load};
use super::memory::{Component, Knob, MemoryLaw, MemorySpec};
use super::resources::Resources;
use crate::engine::{EventKey, SimDuration, SimRng, SimTime};

/// Exit code of a container killed by SIGKILL (128 + 9), as the runtime reports it.
pub const EXIT_CODE_OOM_KILLED: i32 = 137;

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
    /// Time from start until the readiness probe passes.
    pub readiness_delay: SimDuration,
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
    /// Killed by the kernel's OOM killer at its cgroup limit.
    OomKilled,
}

impl Termination {
    /// The reason as `kubectl describe` shows it under Last State.
    pub fn reason(self) -> &'static str {
        match self {
            Termination::OomKilled => "OOMKilled",
        }
    }

    /// The exit code the runtime reports.
    pub fn exit_code(self) -> i32 {
        match self {
            Termination::OomKilled => EXIT_CODE_OOM_KILLED,
        }
    }
}

/// The container's state, as in `status.containerStatuses[].state`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ContainerState {
    /// Not started yet (pod pending or being created).
    Waiting,
    /// Running since `since`; `ready` once its readiness probe passes.
    Running {
        /// Start instant.
        since: SimTime,
        /// Readiness probe passing.
        ready: bool,
    },
    /// Exited; in back-off until the kubelet restarts it.
    Terminated {
        /// Why it exited.
        reason: Termination,
        /// When it exited (`finishedAt`).
        finished: SimTime,
    },
}

/// Running totals of one container over a run.
#[derive(Copy, Clone, Debug, Default)]
pub struct ContainerStats {
    /// OOM kills of this container.
    pub oom_kills: u32,
    /// OOM kills from the evaluation start on.
    pub oom_kills_after: u32,
    /// First OOM kill.
    pub first_oom: Option<SimTime>,
    /// Highest working set seen at an event (bytes).
    pub peak_bytes: f64,
}

/// A live container.
pub struct Container {
    pub(crate) spec: Arc<ContainerSpec>,
    pub(crate) state: ContainerState,
    pub(crate) restart_count: u32,
    pub(crate) backoff: RestartBackoff,
    pub(crate) stats: ContainerStats,
    pub(crate) rng: SimRng,
    /// Pending wake-up (law change or limit crossing) and its instant.
    pub(crate) wake: Option<EventKey>,
    pub(crate) wake_at: SimTime,
    /// Pending start (back-off expiry) or readiness event.
    pub(crate) timer: Option<EventKey>,
    laws: Vec<Component>,
    updated: SimTime,
    limit: f64,
    load: Load,
}

impl Container {
    /// A container of `spec`, not yet started.
    pub(crate) fn new(spec: Arc<ContainerSpec>, backoff: BackoffPolicy, rng: SimRng) -> Self {
        let limit = spec
            .resources
            .limits
            .memory
            .map_or(f64::INFINITY, |b| b.as_f64());
        Container {
            laws: spec.memory.laws(),
            spec,
            state: ContainerState::Waiting,
            restart_count: 0,
            backoff: RestartBackoff::new(backoff),
            stats: ContainerStats::default(),
            rng,
            wake: None,
            wake_at: SimTime::NEVER,
            timer: None,
            updated: SimTime::ZERO,
            limit,
            load: Load::IDLE,
        }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// `true` while the process runs.
    pub fn is_running(&self) -> bool {
        matches!(self.state, ContainerState::Running { .. })
    }

    /// `true` when running and its readiness probe passes.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, ContainerState::Running { ready: true, .. })
    }

    /// The cgroup memory limit in bytes (infinite when unset).
    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// Starts the process at `now`: every law begins empty. A `warm` start is a
    /// container that was already running, started and ready when the run began.
    pub(crate) fn start(&mut self, now: SimTime, warm: bool) {
        self.updated = now;
        for law in &mut self.laws {
            law.start(now, warm, &mut self.rng);
        }
        self.state = ContainerState::Running {
            since: now,
            ready: warm,
        };
    }

    /// Kills the process at `now`: its memory is released.
    pub(crate) fn terminate(&mut self, now: SimTime, reason: Termination) {
        self.advance(now);
        self.state = ContainerState::Terminated {
            reason,
            finished: now,
        };
    }

    /// Moves every law forward to `now` (no-op when not running).
    pub(crate) fn advance(&mut self, now: SimTime) {
        if !self.is_running() || now <= self.updated {
            return;
        }
        let dt = (now - self.updated).as_secs_f64();
        for law in &mut self.laws {
            law.advance(dt);
        }
        self.updated = now;
    }

    /// Working set at the last update, in bytes (zero when not running).
    pub fn usage(&self) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        self.laws.iter().map(MemoryLaw::bytes).sum()
    }

    /// Working set at `now` without changing any state, so that observing (scraping)
    /// never alters a run. `now` must not be past the next wake-up.
    pub fn usage_at(&self, now: SimTime) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        let dt = now.since(self.updated).as_secs_f64();
        self.laws.iter().map(|l| l.bytes() + l.slope() * dt).sum()
    }

    /// Applies whatever the laws have due at `now` (after [`Container::advance`]).
    pub(crate) fn apply_due_changes(&mut self, now: SimTime) {
        for law in &mut self.laws {
            if law.next_change(self.updated) <= now {
                law.on_change(now);
            }
        }
    }

    /// `true` when usage has reached the limit (within a byte of float rounding).
    pub(crate) fn at_limit(&self) -> bool {
        self.is_running() && self.usage() + 0.5 >= self.limit
    }

    /// The next instant this container needs attention: a law's own change or the
    /// moment usage reaches the limit. Exact for piecewise-linear laws.
    pub(crate) fn next_wake(&self) -> SimTime {
        if !self.is_running() {
            return SimTime::NEVER;
        }
        let laws = self
            .laws
            .iter()
            .map(|l| l.next_change(self.updated))
            .min()
            .unwrap_or(SimTime::NEVER);
        let slope: f64 = self.laws.iter().map(MemoryLaw::slope).sum();
        if slope <= 0.0 || !self.limit.is_finite() {
            return laws;
        }
        let headroom = (self.limit - self.usage()).max(0.0);
        let crossing = self.updated + SimDuration::from_secs_f64_ceil(headroom / slope);
        laws.min(crossing)
    }

    /// The pod now receives `rps` requests per second (after [`Container::advance`]).
    pub(crate) fn set_rps(&mut self, rps: f64, fluid: bool) {
        self.load = Load::new(&self.spec.cpu, self.spec.cpu_limit_cores(), rps, fluid);
        for law in &mut self.laws {
            law.set_load(&self.load);
        }
    }

    /// The load the container sees now.
    pub fn load(&self) -> Load {
        self.load
    }

    /// Time a request spends in this container now (its in-flight latency, stretched by
    /// CPU throttling); zero when it holds no requests.
    pub fn request_latency(&self) -> f64 {
        self.spec
            .memory
            .in_flight
            .map_or(0.0, |f| f.latency.as_secs_f64() * self.load.stretch)
    }

    /// Applies a runtime configuration change (after [`Container::advance`]).
    pub(crate) fn reconfigure(&mut self, knob: Knob) {
        for law in &mut self.laws {
            law.reconfigure(knob);
        }
    }

    /// Stats flushes queued in this container (Envoy's main thread backlog).
    pub fn pending_flushes(&self) -> u32 {
        self.laws
            .iter()
            .find_map(Component::pending_flushes)
            .unwrap_or(0)
    }

    /// Per-request fidelity: a request arrives at `now` (after [`Container::advance`]).
    pub(crate) fn on_request(&mut self, now: SimTime) {
        for law in &mut self.laws {
            law.on_request(now, &mut self.rng);
        }
    }

    /// Records the current usage in the peak.
    pub(crate) fn note_peak(&mut self) {
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.usage());
    }

    /// The law holding the most memory now, with its bytes (for OOM messages).
    pub(crate) fn largest_law(&self) -> Option<(&'static str, f64)> {
        self.laws
            .iter()
            .map(|l| (l.name(), l.bytes()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}
