//! A container: a cgroup with a memory limit, a state, and the memory laws inside it.
//!
//! Usage is the sum of the container's memory components. Because each law is linear
//! between breakpoints, the container can say exactly when it will next need attention:
//! the earliest of its laws' own changes and the instant usage reaches `memory.max`.
//! Crossing the limit with nothing to reclaim runs the OOM killer in this cgroup
//! (REFERENCE.md, "Linux OOM killer and cgroups"): the container is killed, exit code
//! 137, reason `OOMKilled`, and everything it held is released.
//!
//! A JVM container keeps its laws on the heap: resident memory is the non-heap part plus
//! the committed heap (at least `-Xms`). The heap reaching `-Xmx` is an application crash
//! (`OutOfMemoryError`, exit 1), not an OOM kill; resident memory reaching the cgroup
//! limit first is an OOM kill (REFERENCE.md, "JVM in a container").

mod spec;
mod usage;

use std::cell::OnceCell;
use std::sync::Arc;

pub use spec::{
    ContainerSpec, EXIT_CODE_OOM_KILLED, HeapSize, HelperProcess, JvmSpec, ReadinessProbe,
    Termination,
};

use super::arrivals::ArrivalSteps;
use crate::engine::{EventKey, SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::kubelet::backoff::{BackoffPolicy, RestartBackoff};
use crate::model::memory::{
    Connections, External, InFlight, Knob, Law, Laws, MemoryLaw, Stats, TraceBuffer, XdsServer,
    each_law,
};
use usage::Summary;

/// JVM sizes resolved against the container's actual limit.
#[derive(Copy, Clone, Debug, PartialEq)]
struct Jvm {
    max_heap: f64,
    initial_heap: f64,
    non_heap: f64,
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
    /// First OOM kill from the evaluation start on.
    pub first_oom_after: Option<SimTime>,
    /// First OOM kill.
    pub first_oom: Option<SimTime>,
    /// Highest working set seen at an event (bytes).
    pub peak_bytes: f64,
    /// Application crashes from heap exhaustion (`OutOfMemoryError`).
    pub heap_crashes: u32,
    /// OOM kills by the pod's or the node's OOM killer, not its own limit.
    pub oom_kills_outside: u32,
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
    laws: Laws,
    /// What the laws add up to: moved along with them by [`Container::advance`] and by
    /// a request that only adds bytes, summed afresh after any other change (cleared
    /// wherever a law changes otherwise).
    summary: OnceCell<Summary>,
    updated: SimTime,
    limit: f64,
    /// The pod cgroup's limit (infinite without one): the working set of no container in
    /// it is ever above that either.
    pod_limit: f64,
    load: Load,
    /// Fluid fidelity: arrivals drawn a step at a time (None: per request).
    arrivals: Option<ArrivalSteps>,
    /// The pod's load's next known change (a step of arrivals ends there at the latest).
    load_until: SimTime,
    /// The main thread was busy when the load was last computed.
    main_busy: bool,
    jvm: Option<Jvm>,
    /// Set by the kubelet when the pod is placed.
    pub(crate) oom_score_adj: i32,
    /// Why it last exited (`lastState.terminated.reason`).
    pub(crate) last_termination: Option<Termination>,
    /// When its last run started and ended (`lastState.terminated.startedAt/finishedAt`).
    pub(crate) last_run: Option<(SimTime, SimTime)>,
    /// When the kubelet will start it again, while in back-off.
    pub(crate) restart_at: Option<SimTime>,
    /// Seconds each request waits on the services it calls (set by `routing::calls`).
    pub(crate) dependency_wait: f64,
    /// Where the readiness prober's ticker started (its phase).
    pub(crate) probe_anchor: Option<SimTime>,
    /// Alert rule states, one per rule.
    pub(crate) alerts: Vec<crate::model::monitoring::alerts::AlertState>,
    /// Restart counts at past scrapes.
    pub(crate) restart_history: crate::model::monitoring::alerts::RestartHistory,
}

impl Container {
    /// A container of `spec`, not yet started.
    /// `fluid_step`: the step of fluid fidelity's arrivals (None: per-request fidelity).
    pub(crate) fn new(
        spec: Arc<ContainerSpec>,
        backoff: BackoffPolicy,
        rng: SimRng,
        fluid_step: Option<SimDuration>,
    ) -> Self {
        let (limit, jvm) = Self::sizes(&spec);
        Container {
            arrivals: fluid_step.map(ArrivalSteps::new),
            load_until: SimTime::NEVER,
            main_busy: false,
            laws: spec.memory.laws(),
            summary: OnceCell::new(),
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
            pod_limit: f64::INFINITY,
            load: Load::IDLE,
            jvm,
            oom_score_adj: 0,
            last_termination: None,
            last_run: None,
            restart_at: None,
            dependency_wait: 0.0,
            probe_anchor: None,
            alerts: Vec::new(),
            restart_history: Default::default(),
        }
    }

    /// The cgroup limit (infinite when unset) and the JVM's sizes resolved against it.
    fn sizes(spec: &ContainerSpec) -> (f64, Option<Jvm>) {
        let limit = spec.resources.limits.memory;
        let jvm = spec.jvm.map(|j| {
            let max_heap = j.max_heap.resolve(limit).as_f64();
            Jvm {
                max_heap,
                initial_heap: j.initial_heap.resolve(limit).as_f64().min(max_heap),
                non_heap: j.non_heap.as_f64(),
            }
        });
        (limit.map_or(f64::INFINITY, |b| b.as_f64()), jvm)
    }

    /// Replaces the spec of a container not yet started (admission changed its
    /// resources).
    pub(crate) fn respec(&mut self, spec: Arc<ContainerSpec>) {
        (self.limit, self.jvm) = Self::sizes(&spec);
        self.laws = spec.memory.laws();
        self.summary.take();
        self.spec = spec;
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

    /// The container inside a pod cgroup limited to `bytes` (a pod-level limit).
    pub(crate) fn in_pod_limited_to(mut self, bytes: Option<f64>) -> Self {
        self.pod_limit = bytes.unwrap_or(f64::INFINITY);
        self
    }

    /// The cgroup memory limit in bytes (infinite when unset).
    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// Starts the process at `now`: every law begins empty. A `warm` start is a
    /// container that was already running, started and ready when the run began.
    pub(crate) fn start(&mut self, now: SimTime, warm: Option<SimDuration>) {
        self.updated = now;
        self.main_busy = false;
        if let Some(a) = &mut self.arrivals {
            a.stop();
        }
        self.summary.take();
        each_law!(self.laws, mut law => law.start(now, warm, &mut self.rng));
        self.state = ContainerState::Running {
            since: now,
            ready: warm.is_some(),
        };
    }

    /// Kills the process at `now`: its memory is released.
    pub(crate) fn terminate(&mut self, now: SimTime, reason: Termination) {
        self.advance(now);
        if let Some(a) = &mut self.arrivals {
            a.stop();
        }
        if let ContainerState::Running { since, .. } = self.state {
            self.last_run = Some((since, now));
        }
        self.last_termination = Some(reason);
        self.state = ContainerState::Terminated {
            reason,
            finished: now,
        };
    }

    /// Moves every law forward to `now` (no-op when not running), noting in the peak
    /// the highest point a ripple or a pulse reached on the way.
    pub(crate) fn advance(&mut self, now: SimTime) {
        if !self.is_running() || now <= self.updated {
            return;
        }
        self.note_peak_between(now);
        let dt = (now - self.updated).as_secs_f64();
        let before = self.summary.take();
        // What the laws gave back by now, while they still count it.
        let released = before.as_ref().map_or(0.0, |s| self.released(s, now, true));
        let settle = before.as_ref().is_none_or(Summary::releases);
        let mut releases = false;
        each_law!(self.laws, mut law => {
            law.advance(dt);
            if settle {
                law.settle(now);
            }
            releases |= law.releases();
        });
        self.updated = now;
        // The sums move with the laws instead of being summed again (per request, once
        // a request for each container).
        if let Some(s) = before {
            let _ = self.summary.set(s.advanced(now, dt, released, releases));
        }
    }

    /// Applies whatever the laws have due at `now` (after [`Container::advance`]): their
    /// own changes, a new step of arrivals, a change of the CPU split.
    pub(crate) fn apply_due_changes(&mut self, now: SimTime) {
        self.summary.take();
        let updated = self.updated;
        each_law!(self.laws, mut law => {
            if law.next_change(updated) <= now {
                law.on_change(now);
            }
        });
        if self.arrivals.as_ref().is_some_and(|a| a.end() <= now) {
            self.begin_step(now);
        }
        self.main_thread_changed();
    }

    /// The pod now receives `rps` requests per second (after [`Container::advance`])
    /// until at least `until`, its load's next known change. In fluid fidelity the
    /// current arrival step is cut and a new one drawn, ending no later than `until`.
    pub(crate) fn set_rps(&mut self, rps: f64, fluid: bool, until: SimTime) {
        let now = self.updated;
        self.load_until = until;
        if let Some(a) = &self.arrivals {
            let f = a.elapsed(now);
            if f > 0.0 {
                self.summary.take();
                each_law!(self.laws, mut law => law.on_step_cut(f, &mut self.rng));
            }
        }
        self.load = Load::new(
            &self.spec.cpu,
            self.spec.cpu_limit_cores(),
            rps,
            fluid,
            self.main_busy,
        );
        self.begin_step(now);
    }

    /// The pod's load is set again at `now`, unchanged, until `until`: a step that
    /// ended here, at the load's last known change, starts the next one (the laws moved
    /// to `now` first). `true` if it did.
    pub(crate) fn renew_load(&mut self, now: SimTime, until: SimTime) -> bool {
        self.load_until = until;
        let ended = self.arrivals.as_ref().is_some_and(|a| a.end() <= now);
        if !ended || !self.is_running() {
            return false;
        }
        self.advance(now);
        self.note_peak();
        self.begin_step(now);
        true
    }

    /// Draws the next step of arrivals at the current rate and hands the load to the
    /// laws.
    fn begin_step(&mut self, now: SimTime) {
        let mut uses_arrivals = false;
        each_law!(self.laws, law => uses_arrivals |= law.uses_arrivals());
        let wanted = self.load.fluid && uses_arrivals;
        let until = self.load_until;
        let drawn = match &mut self.arrivals {
            Some(a) if wanted => Some(a.begin(now, self.load.rps, until, &mut self.rng)),
            _ => None,
        };
        if let Some((count, dt)) = drawn {
            self.load.arrivals = count as f64 / dt;
        }
        self.load.background_in_closed_form = self.background_in_closed_form();
        self.summary.take();
        each_law!(self.laws, mut law => {
            law.set_load(now, &self.load);
            if let Some((count, dt)) = drawn {
                law.on_arrivals(now, count, dt, &mut self.rng);
            }
        });
        self.main_thread_changed();
    }

    /// `true` when the main thread's periodic work can be drawn in closed form: in fluid
    /// fidelity, with no backlog, and arrivals the workers keep up with even while it
    /// runs (it then changes levels, not slopes: `Load::background_in_closed_form`).
    fn background_in_closed_form(&self) -> bool {
        let mut backlog = false;
        each_law!(self.laws, law => backlog |= law.holds_backlog());
        self.load.fluid && self.load.arrivals < self.load.busy_capacity && !backlog
    }

    /// The main thread started or finished background work: the CPU split changes.
    fn main_thread_changed(&mut self) {
        // Handing the laws a new load can put the work in closed form or take it out
        // (a flush running becomes an event): settle on a split that stays.
        loop {
            let mut busy = false;
            each_law!(self.laws, law => busy |= law.main_thread_busy());
            if busy == self.main_busy {
                return;
            }
            self.main_busy = busy;
            let arrivals = self.load.arrivals;
            self.load = Load::new(
                &self.spec.cpu,
                self.spec.cpu_limit_cores(),
                self.load.rps,
                self.load.fluid,
                busy,
            );
            self.load.arrivals = arrivals;
            self.load.background_in_closed_form = self.background_in_closed_form();
            let now = self.updated;
            self.summary.take();
            each_law!(self.laws, mut law => law.set_load(now, &self.load));
        }
    }

    /// The load the container sees now.
    pub fn load(&self) -> Load {
        self.load
    }

    /// Requests now wait `secs` on the services they call (after [`Container::advance`]).
    pub(crate) fn set_wait(&mut self, secs: f64) {
        self.dependency_wait = secs;
        self.summary.take();
        if let Some(in_flight) = self.laws.get_mut::<InFlight>() {
            in_flight.set_wait(secs);
        }
    }

    /// Sets the externally sized law (Redis, CoreDNS) to `bytes` growing at `slope`
    /// bytes per second (after [`Container::advance`]).
    pub(crate) fn set_external(&mut self, bytes: f64, slope: f64) {
        self.summary.take();
        if let Some(external) = self.laws.get_mut::<External>() {
            external.set(bytes, slope);
        }
    }

    /// Requests the container holds at `now` (a kill fails them), without changing any
    /// state. `now` must not be past the next wake-up.
    pub fn requests_held(&self, now: SimTime) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        let dt = now.since(self.updated).as_secs_f64();
        let mut most = 0.0_f64;
        each_law!(self.laws, law => most = most.max(law.requests_held(now, dt)));
        most
    }

    /// Applies a runtime configuration change (after [`Container::advance`]).
    pub(crate) fn reconfigure(&mut self, knob: Knob) {
        let Knob::Mtls(on) = knob;
        self.summary.take();
        if let Some(connections) = self.laws.get_mut::<Connections>() {
            connections.set_mtls(on);
        }
    }

    /// Sets istiod's xDS memory (after [`Container::advance`]).
    pub(crate) fn set_xds_server(&mut self, bytes: f64) {
        self.summary.take();
        if let Some(xds) = self.laws.get_mut::<XdsServer>() {
            xds.set(bytes);
        }
    }

    /// Wall time of the last stats flush by `now`, if the container flushes stats.
    pub fn last_stats_flush(&self, now: SimTime) -> Option<SimDuration> {
        self.laws.get::<Stats>().and_then(|s| s.last_duration(now))
    }

    /// Per-request fidelity: a request arrives at `now` (after [`Container::advance`]).
    /// Returns `true` when it only added bytes at once (no law's slope, periodic part or
    /// next change moved: see [`MemoryLaw::on_request`]).
    pub(crate) fn on_request(&mut self, now: SimTime) -> bool {
        let mut jump = Some(0.0);
        let mut releases = false;
        each_law!(self.laws, mut law => {
            let added = law.on_request(now, &mut self.rng);
            jump = jump.zip(added).map(|(a, b)| a + b);
            releases |= law.releases();
        });
        if let Some((s, j)) = self.summary.take().zip(jump) {
            let _ = self.summary.set(s.jumped(j, releases));
        }
        jump.is_some()
    }

    /// Records the current usage in the peak (never above the limit: see
    /// [`Container::usage`]).
    pub(crate) fn note_peak(&mut self) {
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.usage());
    }

    /// Each law's bytes at `now`, largest first (a JVM's laws are its heap).
    pub fn components_at(&self, now: SimTime) -> Vec<(&'static str, u64)> {
        if !self.is_running() {
            return Vec::new();
        }
        let dt = now.since(self.updated).as_secs_f64();
        let high = self.ripple_high_at(now);
        let mut parts: Vec<(&'static str, u64)> = Vec::new();
        each_law!(self.laws, l => {
            let on_top = Self::on_top_at(l, now, high) - l.released(now, true);
            let bytes = (l.bytes() + l.slope() * dt + on_top).max(0.0) as u64;
            parts.push((l.name(), bytes));
        });
        parts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        parts
    }

    /// Spans waiting in the tracer buffer at `now`, if the container has one.
    pub fn buffered_spans(&self, now: SimTime) -> Option<u64> {
        self.laws.get::<TraceBuffer>().map(|t| t.spans_at(now))
    }

    /// The law holding the most memory now, with its bytes (for OOM messages).
    pub(crate) fn largest_law(&self) -> Option<(&'static str, f64)> {
        let high = self.ripple_high_at(self.updated);
        // The last of equals, as `Iterator::max_by` picks.
        let mut largest: Option<(&'static str, f64)> = None;
        each_law!(self.laws, l => {
            let bytes = l.bytes() + Self::on_top_at(l, self.updated, high);
            if largest.is_none_or(|(_, most)| bytes.total_cmp(&most).is_ge()) {
                largest = Some((l.name(), bytes));
            }
        });
        largest
    }

    /// What law `l` holds at `t` on top of its trend: its ripple's height and what it
    /// holds extra while the container's ripple window is open (`high`), and its pulse.
    fn on_top_at(l: &impl MemoryLaw, t: SimTime, high: bool) -> f64 {
        let ripple = if high {
            l.ripple().map_or(0.0, |r| r.height) + l.busy_extra()
        } else {
            0.0
        };
        ripple + l.pulse().map_or(0.0, |p| p.at(t))
    }
}
