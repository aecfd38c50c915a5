//! Memory components: composable growth laws whose sum is a container's working set.
//!
//! Each law is piecewise linear in time: between its own breakpoints (a ramp ending, a
//! queue filling up, an exporter flush) and the model's events (a load change, a request)
//! it grows at a constant slope. That is what lets a container compute the exact instant
//! it will cross its limit instead of ticking.
//!
//! Two fidelities drive the laws:
//! - fluid: [`MemoryLaw::set_load`] gives the pod's request rate, and request-driven
//!   growth is a slope;
//! - per request: [`MemoryLaw::on_request`] applies each request as a jump (and a
//!   departure, for requests in flight); the rate still sets what scales with load as a
//!   whole (connections, CPU).

mod baseline;
mod batch;
mod cache;
mod connections;
mod external;
mod in_flight;
mod leak;
mod stats;
mod trace_buffer;
mod xds_config;
mod xds_server;

pub use baseline::BaselineSpec;
pub use batch::BatchSpec;
pub use cache::{CacheSpec, KeyBin, zipf_bins};
pub use connections::ConnectionsSpec;
pub use external::ExternalKind;
pub use in_flight::InFlightSpec;
pub use leak::LeakSpec;
pub use stats::StatsSpec;
pub use trace_buffer::TraceBufferSpec;
pub use xds_config::{BYTES_PER_CLUSTER, BYTES_PER_HOST, XdsConfigSpec};

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use baseline::Baseline;
use batch::Batch;
use cache::Cache;
use connections::Connections;
use external::External;
use in_flight::InFlight;
use leak::Leak;
use stats::Stats;
use trace_buffer::TraceBuffer;
use xds_config::XdsConfig;
use xds_server::XdsServer;

/// The memory laws of one container, each optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemorySpec {
    /// Resident memory of the idle process, reached after a start-up ramp.
    pub baseline: Option<BaselineSpec>,
    /// Buffers of requests in flight (Little's law: rps × latency × bytes).
    pub in_flight: Option<InFlightSpec>,
    /// Envoy's tracer buffer: sampled spans waiting for the exporter.
    pub trace_buffer: Option<TraceBufferSpec>,
    /// Memory that is never given back, per request or per second.
    pub leak: Option<LeakSpec>,
    /// Envoy: buffers of open connections (more with mTLS).
    pub connections: Option<ConnectionsSpec>,
    /// Envoy: clusters and endpoints of its configuration.
    pub xds_config: Option<XdsConfigSpec>,
    /// Envoy: stats and their periodic flush.
    pub stats: Option<StatsSpec>,
    /// An application cache over a key universe.
    pub cache: Option<CacheSpec>,
    /// Batch work holding memory for a while.
    pub batch: Option<BatchSpec>,
    /// istiod's xDS state, sized by the control-plane model.
    pub xds_server: bool,
    /// Memory sized by another subsystem (a Redis keyspace, a CoreDNS cache).
    pub external: Option<ExternalKind>,
}

impl MemorySpec {
    /// Fresh state for each configured law, in a fixed order.
    pub(crate) fn laws(&self) -> Vec<Component> {
        let mut laws = Vec::with_capacity(4);
        laws.extend(self.baseline.map(|s| Component::Baseline(Baseline::new(s))));
        laws.extend(
            self.in_flight
                .map(|s| Component::InFlight(InFlight::new(s))),
        );
        laws.extend(
            self.trace_buffer
                .map(|s| Component::TraceBuffer(TraceBuffer::new(s))),
        );
        laws.extend(self.leak.map(|s| Component::Leak(Leak::new(s))));
        laws.extend(
            self.connections
                .map(|s| Component::Connections(Connections::new(s))),
        );
        laws.extend(
            self.xds_config
                .map(|s| Component::XdsConfig(XdsConfig::new(s))),
        );
        laws.extend(self.stats.map(|s| Component::Stats(Stats::new(s))));
        laws.extend(
            self.cache
                .as_ref()
                .map(|s| Component::Cache(Cache::new(s.clone()))),
        );
        laws.extend(self.batch.map(|s| Component::Batch(Batch::new(s))));
        if self.xds_server {
            laws.push(Component::XdsServer(XdsServer::default()));
        }
        laws.extend(self.external.map(|k| Component::External(External::new(k))));
        laws
    }
}

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
    /// The container's load changed (rate, CPU left over, throttling); by default the law
    /// does not depend on load.
    fn set_load(&mut self, _load: &Load) {}
    /// Per-request fidelity: one request arrives at `now` (default: requests leave no
    /// trace in this law).
    fn on_request(&mut self, _now: SimTime, _rng: &mut SimRng) {}
    /// Fluid fidelity: `count` requests arrive over the coming step of `dt` seconds (a
    /// draw of the counting process; `Load::arrivals` is `count / dt`). A law that
    /// accumulates per request keeps `count` to correct a step cut short (default:
    /// nothing to keep).
    fn on_arrivals(&mut self, _count: u64, _dt: f64, _rng: &mut SimRng) {}
    /// Fluid fidelity: the step ends early, after `fraction` of it (the load changed).
    /// The law moved along the mean of its draw; it corrects to what in fact arrived so
    /// far, drawn given the step's count (default: nothing to correct).
    fn on_step_cut(&mut self, _fraction: f64, _rng: &mut SimRng) {}
    /// Requests the law holds `dt` seconds after its last update (those a kill would
    /// fail; default none).
    fn requests_held(&self, _dt: f64) -> f64 {
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

/// One law of a container, by kind.
#[derive(Clone, Debug)]
pub(crate) enum Component {
    Baseline(Baseline),
    InFlight(InFlight),
    TraceBuffer(TraceBuffer),
    Leak(Leak),
    Connections(Connections),
    XdsConfig(XdsConfig),
    Stats(Stats),
    Cache(Cache),
    Batch(Batch),
    XdsServer(XdsServer),
    External(External),
}

macro_rules! dispatch {
    ($self:ident, $law:ident => $body:expr) => {
        match $self {
            Component::Baseline($law) => $body,
            Component::InFlight($law) => $body,
            Component::TraceBuffer($law) => $body,
            Component::Leak($law) => $body,
            Component::Connections($law) => $body,
            Component::XdsConfig($law) => $body,
            Component::Stats($law) => $body,
            Component::Cache($law) => $body,
            Component::Batch($law) => $body,
            Component::XdsServer($law) => $body,
            Component::External($law) => $body,
        }
    };
}

impl Component {
    /// The law's name as scenario files and messages spell it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Component::Baseline(_) => "baseline",
            Component::InFlight(_) => "inFlight",
            Component::TraceBuffer(_) => "traceBuffer",
            Component::Leak(_) => "leak",
            Component::Connections(_) => "connections",
            Component::XdsConfig(_) => "xdsConfig",
            Component::Stats(_) => "stats",
            Component::Cache(_) => "cache",
            Component::Batch(_) => "batch",
            Component::XdsServer(_) => "xdsServer",
            Component::External(e) => e.kind().name(),
        }
    }

    /// Applies a runtime configuration change, if it concerns this law.
    pub(crate) fn reconfigure(&mut self, knob: Knob) {
        if let (Component::Connections(c), Knob::Mtls(on)) = (self, knob) {
            c.set_mtls(on);
        }
    }

    /// Sets istiod's xDS memory, if this is that law.
    pub(crate) fn set_xds_server(&mut self, bytes: f64) {
        if let Component::XdsServer(x) = self {
            x.set(bytes);
        }
    }

    /// Sets the time a request waits on the services it calls, if this is the in-flight
    /// law (Little's law: requests are held that much longer).
    pub(crate) fn set_wait(&mut self, secs: f64) {
        if let Component::InFlight(f) = self {
            f.set_wait(secs);
        }
    }

    /// Sets an externally sized law's bytes and slope, if this is that law.
    pub(crate) fn set_external(&mut self, bytes: f64, slope: f64) {
        if let Component::External(e) = self {
            e.set(bytes, slope);
        }
    }

    /// Spans in the buffer, if this is the tracer buffer.
    pub(crate) fn buffered_spans(&self) -> Option<u64> {
        match self {
            Component::TraceBuffer(t) => Some(t.spans()),
            _ => None,
        }
    }

    /// Wall time of the last stats flush, if this is the stats law.
    pub(crate) fn last_flush(&self) -> Option<Option<SimDuration>> {
        match self {
            Component::Stats(s) => Some(s.last_duration()),
            _ => None,
        }
    }
}

impl MemoryLaw for Component {
    fn start(&mut self, now: SimTime, warm: Option<SimDuration>, rng: &mut SimRng) {
        dispatch!(self, l => l.start(now, warm, rng))
    }
    fn bytes(&self) -> f64 {
        dispatch!(self, l => l.bytes())
    }
    fn slope(&self) -> f64 {
        dispatch!(self, l => l.slope())
    }
    fn advance(&mut self, dt: f64) {
        dispatch!(self, l => l.advance(dt))
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        dispatch!(self, l => l.next_change(now))
    }
    fn on_change(&mut self, now: SimTime) {
        dispatch!(self, l => l.on_change(now))
    }
    fn set_load(&mut self, load: &Load) {
        dispatch!(self, l => l.set_load(load))
    }
    fn on_request(&mut self, now: SimTime, rng: &mut SimRng) {
        dispatch!(self, l => l.on_request(now, rng))
    }
    fn on_arrivals(&mut self, count: u64, dt: f64, rng: &mut SimRng) {
        dispatch!(self, l => l.on_arrivals(count, dt, rng))
    }
    fn on_step_cut(&mut self, fraction: f64, rng: &mut SimRng) {
        dispatch!(self, l => l.on_step_cut(fraction, rng))
    }
    fn requests_held(&self, dt: f64) -> f64 {
        dispatch!(self, l => l.requests_held(dt))
    }
    fn main_thread_busy(&self) -> bool {
        dispatch!(self, l => l.main_thread_busy())
    }
    fn uses_arrivals(&self) -> bool {
        dispatch!(self, l => l.uses_arrivals())
    }
}
