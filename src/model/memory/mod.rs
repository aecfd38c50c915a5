//! Memory components: composable growth laws whose sum is a container's working set.
//!
//! Each law is piecewise linear in time: between its own breakpoints (a ramp ending, a
//! queue filling up, an exporter flush) and the model's events (a load change, a request)
//! it grows at a constant slope. That is what lets a container compute the exact instant
//! it will cross its limit instead of ticking.
//!
//! Two fidelities drive the laws:
//! - fluid: [`MemoryLaw::set_rps`] gives the pod's request rate, and request-driven
//!   growth is a slope;
//! - per request: the rate is zero and [`MemoryLaw::on_request`] applies each request as
//!   a jump (and a departure, for requests in flight).

mod baseline;
mod in_flight;
mod leak;
mod trace_buffer;

pub use baseline::BaselineSpec;
pub use in_flight::InFlightSpec;
pub use leak::LeakSpec;
pub use trace_buffer::TraceBufferSpec;

use crate::engine::{SimRng, SimTime};
use baseline::Baseline;
use in_flight::InFlight;
use leak::Leak;
use trace_buffer::TraceBuffer;

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
        laws
    }
}

/// A growth law: bytes held, and how they change between breakpoints.
pub(crate) trait MemoryLaw {
    /// The process (re)starts at `now` with nothing allocated; `warm` means it has in
    /// fact been running since before the simulation began (start-up work done).
    fn start(&mut self, now: SimTime, warm: bool);
    /// Bytes held at the last update.
    fn bytes(&self) -> f64;
    /// Growth in bytes per second, constant until [`MemoryLaw::next_change`].
    fn slope(&self) -> f64;
    /// Moves forward `dt` seconds along the slope; never past the next change.
    fn advance(&mut self, dt: f64);
    /// The next instant the law changes on its own, given the last update was at `now`;
    /// [`SimTime::NEVER`] if none.
    fn next_change(&self, now: SimTime) -> SimTime;
    /// Applies whatever change is due at `now`.
    fn on_change(&mut self, now: SimTime);
    /// Fluid fidelity: the pod now receives `rps` requests per second.
    fn set_rps(&mut self, rps: f64);
    /// Per-request fidelity: one request arrives at `now`.
    fn on_request(&mut self, now: SimTime, rng: &mut SimRng);
}

/// One law of a container, by kind.
#[derive(Clone, Debug)]
pub(crate) enum Component {
    Baseline(Baseline),
    InFlight(InFlight),
    TraceBuffer(TraceBuffer),
    Leak(Leak),
}

macro_rules! dispatch {
    ($self:ident, $law:ident => $body:expr) => {
        match $self {
            Component::Baseline($law) => $body,
            Component::InFlight($law) => $body,
            Component::TraceBuffer($law) => $body,
            Component::Leak($law) => $body,
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
        }
    }
}

impl MemoryLaw for Component {
    fn start(&mut self, now: SimTime, warm: bool) {
        dispatch!(self, l => l.start(now, warm))
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
    fn set_rps(&mut self, rps: f64) {
        dispatch!(self, l => l.set_rps(rps))
    }
    fn on_request(&mut self, now: SimTime, rng: &mut SimRng) {
        dispatch!(self, l => l.on_request(now, rng))
    }
}
