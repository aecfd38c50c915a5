//! Memory components: composable growth laws whose sum is a container's working set.
//!
//! Each law is piecewise linear in time: between its own breakpoints (a ramp ending, a
//! queue filling up, an exporter flush) and the model's events (a load change, a request)
//! it grows at a constant slope. That is what lets a container compute the exact instant
//! it will cross its limit instead of ticking.
//!
//! Two fidelities drive the laws:
//! - fluid: `MemoryLaw::set_load` gives the pod's request rate, and request-driven
//!   growth is a slope;
//! - per request: `MemoryLaw::on_request` applies each request as a jump (and a
//!   departure, for requests in flight); the rate still sets what scales with load as a
//!   whole (connections, CPU).
//!
//! # Where a law lives
//!
//! Each law is one module here: its YAML shape (serde and JSON Schema), the build step
//! that checks that shape and turns it into validated parameters (`…Spec`), and the
//! state that moves along the law's dynamics (`MemoryLaw`). The `registry!` list
//! below is the only other place that names it: it generates [`MemorySpec`] (validated
//! parameters), [`MemoryLaws`] (the `memory:` block of a container), the build step from
//! one to the other, and [`Laws`], the laws a container holds. CONTRIBUTING.md has
//! the steps to add one.

#[macro_use]
mod registry;

mod baseline;
mod batch;
mod busiest;
mod cache;
mod connections;
mod external;
mod in_flight;
mod input;
mod leak;
mod leaving;
mod pulse;
mod ripple;
mod stats;
mod trace_buffer;
mod xds_config;
mod xds_server;

#[cfg(test)]
mod constant;

pub use baseline::{BaselineSpec, BaselineYaml};
pub use batch::{BatchSpec, BatchYaml};
pub use cache::{CacheSpec, CacheYaml, KeyBin, zipf_bins};
pub use connections::{ConnectionsSpec, ConnectionsYaml};
pub use external::ExternalKind;
pub use in_flight::{InFlightSpec, InFlightYaml};
pub use input::Located;
pub use leak::{LeakSpec, LeakYaml};
pub use stats::{StatsSpec, StatsYaml};
pub use trace_buffer::{FLUSH_INTERVAL, TraceBufferSpec, TraceBufferYaml};
pub use xds_config::{BYTES_PER_CLUSTER, BYTES_PER_HOST, XdsConfigSpec};
pub use xds_server::XdsServerSpec;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
pub(crate) use baseline::Baseline;
pub(crate) use batch::Batch;
pub(crate) use cache::Cache;
pub(crate) use connections::Connections;
pub(crate) use external::External;
pub(crate) use in_flight::InFlight;
use input::Problem;
pub(crate) use leak::Leak;
pub(crate) use pulse::{Pulse, Pulses};
pub use registry::LawYaml;
pub(crate) use registry::{Law, Registered};
pub(crate) use ripple::Ripple;
pub(crate) use stats::Stats;
pub(crate) use trace_buffer::TraceBuffer;
pub(crate) use xds_config::XdsConfig;
pub(crate) use xds_server::XdsServer;

registry! {
    /// Resident memory of the idle process, reached after a start-up ramp.
    baseline: Baseline(BaselineSpec),
        memory: BaselineYaml "Idle resident memory after a start-up ramp.";
    /// Buffers of requests in flight (Little's law: rps × latency × bytes).
    in_flight: InFlight(InFlightSpec),
        memory: InFlightYaml "Requests in flight × bytes each.";
    /// Envoy's tracer buffer: sampled spans waiting for the exporter.
    trace_buffer: TraceBuffer(TraceBufferSpec),
        memory: TraceBufferYaml "A tracer buffer drained by an exporter.";
    /// Memory that is never given back, per request or per second.
    leak: Leak(LeakSpec),
        memory: LeakYaml "Memory never freed.";
    /// Envoy: buffers of open connections (more with mTLS).
    connections: Connections(ConnectionsSpec);
    /// Envoy: clusters and endpoints of its configuration.
    xds_config: XdsConfig(XdsConfigSpec);
    /// Envoy: stats and their periodic flush.
    stats: Stats(StatsSpec);
    /// An application cache over a key universe.
    cache: Cache(CacheSpec),
        memory: CacheYaml "An application cache over a key universe.";
    /// Batch work holding memory for a while.
    batch: Batch(BatchSpec),
        memory: BatchYaml "Batch work that holds memory for a while: at start and/or periodically.";
    /// istiod's xDS state, sized by the control-plane model.
    xds_server: XdsServer(XdsServerSpec);
    /// Memory sized by another subsystem (a Redis keyspace, a CoreDNS cache).
    external: External(ExternalKind);
    /// A constant size: the law CONTRIBUTING.md adds, kept as its test.
    #[cfg(test)]
    constant: Constant(ConstantSpec),
        memory: ConstantYaml "A constant size (test only).";
}

#[cfg(test)]
pub(crate) use constant::{Constant, ConstantSpec, ConstantYaml};

/// The first tick of a periodic timer started at a random phase: in (0, `interval`].
/// (Public for the model's other periodic loops.)
pub fn first_tick(interval: SimDuration, rng: &mut SimRng) -> SimDuration {
    let u: f64 = rand::RngExt::random(rng);
    SimDuration::from_secs_f64_ceil(interval.as_secs_f64() * (1.0 - u))
        .max(SimDuration::from_nanos(1))
}

/// A configuration change applied to running containers without a restart.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Knob {
    /// Mutual TLS on or off (PeerAuthentication).
    Mtls(bool),
}

/// A growth law: bytes held, and how they change between breakpoints.
pub(crate) trait MemoryLaw {
    /// The process (re)starts at `now` with nothing allocated; `warm` says it has in fact
    /// been running for that long when the simulation begins (start-up work done, history
    /// accumulated: laws with history evolve over it at their first load).
    /// `rng` sets what a real process start leaves to chance (timer phases).
    /// By default nothing happens: the law's bytes do not depend on the process's age.
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {}
    /// Bytes held at the last update.
    fn bytes(&self) -> f64;
    /// Growth in bytes per second, constant until [`MemoryLaw::next_change`] (default:
    /// flat).
    fn slope(&self) -> f64 {
        0.0
    }
    /// Moves forward `dt` seconds along the slope; never past the next change (default:
    /// nothing to move).
    fn advance(&mut self, _dt: f64) {}
    /// The next instant the law changes on its own, given the last update was at `now`;
    /// [`SimTime::NEVER`] if none (the default).
    fn next_change(&self, _now: SimTime) -> SimTime {
        SimTime::NEVER
    }
    /// Applies whatever change is due at `now` (default: none is ever due).
    fn on_change(&mut self, _now: SimTime) {}
    /// Per request: what the law holds can also fall on its own, at instants it never
    /// announces as changes (a request in flight leaving): the container does not wake
    /// for a fall, which can neither reach a limit nor make a peak, and reads it with
    /// [`MemoryLaw::released`] instead. `true` while some fall is still to come
    /// (default: never).
    fn releases(&self) -> bool {
        false
    }
    /// Bytes the law has given back on its own since its last update, by `t` (falls at
    /// `t` itself included if `at_too`; default: none).
    fn released(&self, _t: SimTime, _at_too: bool) -> f64 {
        0.0
    }
    /// The first instant after `after` at which the law gives bytes back on its own
    /// ([`SimTime::NEVER`] if none, the default).
    fn next_release(&self, _after: SimTime) -> SimTime {
        SimTime::NEVER
    }
    /// Moved to `now` (after [`MemoryLaw::advance`]): forgets the falls that are over,
    /// which [`MemoryLaw::bytes`] then no longer counts (default: nothing to forget).
    fn settle(&mut self, _now: SimTime) {}
    /// The container's load changed at `now` (rate, CPU left over, throttling); by
    /// default the law does not depend on load.
    fn set_load(&mut self, _now: SimTime, _load: &Load) {}
    /// The law's periodic part in closed form, if it has one now: bytes held in
    /// windows that repeat until the next load change, on top of [`MemoryLaw::bytes`]
    /// and never announced by [`MemoryLaw::next_change`] (default: none).
    fn ripple(&self) -> Option<Ripple> {
        None
    }
    /// Bytes the law holds on top of [`MemoryLaw::bytes`] while the main thread's
    /// background work runs, when that work is drawn as a ripple (default: none).
    fn busy_extra(&self) -> f64 {
        0.0
    }
    /// The law's excursion above its mean in closed form, if it has one now: bytes held
    /// on top of [`MemoryLaw::bytes`] during one window, never announced by
    /// [`MemoryLaw::next_change`] (default: none).
    fn pulse(&self) -> Option<Pulse> {
        None
    }
    /// `true` while the law holds a backlog of requests the workers have not caught up
    /// with (default: never).
    fn holds_backlog(&self) -> bool {
        false
    }
    /// Per-request fidelity: one request arrives at `now`. Returns the bytes it added
    /// when that jump is all it changed — the slope, ripple, pulse, busy extra and next
    /// change stay as they were, and any fall it adds is a release — so the container
    /// can move its sums by it instead of summing its laws again; `None` when it changed
    /// more (default: requests leave no trace, `Some(0.0)`).
    fn on_request(&mut self, _now: SimTime, _rng: &mut SimRng) -> Option<f64> {
        Some(0.0)
    }
    /// Fluid fidelity: `count` requests arrive over the step of `dt` seconds starting at
    /// `now` (a draw of the counting process; `Load::arrivals` is `count / dt`). A law
    /// that accumulates per request keeps `count` to correct a step cut short; a law that
    /// holds the last few seconds' arrivals draws the step's busiest moment (default:
    /// nothing to keep).
    fn on_arrivals(&mut self, _now: SimTime, _count: u64, _dt: f64, _rng: &mut SimRng) {}
    /// Fluid fidelity: the step ends early, after `fraction` of it (the load changed).
    /// The law moved along the mean of its draw; it corrects to what in fact arrived so
    /// far, drawn given the step's count (default: nothing to correct).
    fn on_step_cut(&mut self, _fraction: f64, _rng: &mut SimRng) {}
    /// Requests the law holds at `now`, `dt` seconds after its last update (those a
    /// kill would fail; default none).
    fn requests_held(&self, _now: SimTime, _dt: f64) -> f64 {
        0.0
    }
    /// `true` when the law accumulates per request in fluid fidelity, so the container
    /// draws its arrivals step by step (default: no).
    fn uses_arrivals(&self) -> bool {
        false
    }
    /// `true` while the process's main thread is busy with this law's background work,
    /// taking CPU from request handling (default: never).
    fn main_thread_busy(&self) -> bool {
        false
    }
}
