//! `inFlight`: buffers held by requests being served, and by requests waiting for CPU.
//!
//! A request spends `latency` in the container (mostly waiting for its upstream) and
//! holds `per_request` bytes meanwhile; its CPU part is stretched by sharing the CPU
//! (see `cpu.rs`). So, by Little's law, `rps × time in the container` requests are in
//! flight. When requests arrive faster than the CPU can serve them (`rps > capacity`,
//! e.g. a spike under a quota that a stats flush shares), the excess waits: a backlog
//! that grows by `arrivals − capacity` per second, each waiting request holding its
//! buffers (read from the connection, or in socket buffers charged to the same cgroup),
//! and drains at `capacity − arrivals` once the load falls back.
//!
//! Fluid fidelity follows those rates, with arrivals drawn from the counting process
//! over each step (see `Container`), so the backlog has the spread of real arrivals.
//! Each step also draws its busiest moment: the most requests that arrived within one
//! time in the container, which per-request fidelity reaches by chance (`busiest.rs`).
//! Per-request fidelity serves each request in order: its CPU part when the CPU is free
//! (`1 / capacity` each), then the rest of its latency.
//!
//! Time a request waits on the services it calls (`routing::calls`: DNS, a cache, a
//! database) adds to its time in the container the same way: a slow dependency makes
//! the caller hold each request longer, so more are in flight.
//!
//! Left out: Envoy's per-connection buffer limit (1 MiB; docs/reference.md "Envoy
//! buffers"), which stops reading a connection once full and so bounds the backlog by
//! connections × 1 MiB — far above the limits of the shipped scenarios. Istio sets no
//! route timeout by default; a caller's own timeout on a dependency (`calls:`) caps the
//! wait (see `routing::calls`).

use std::collections::VecDeque;

use rand_distr::{Binomial, Distribution};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::busiest::Busiest;
use super::input::{Duration, Memory, Problem};
use super::leaving;
use super::pulse::Pulse;
use super::{Law, LawYaml, MemoryLaw};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Per-request buffers and how long a request holds them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct InFlightSpec {
    /// Time a request is in the container when the CPU is not shared (mostly waiting).
    pub latency: SimDuration,
    /// Bytes a request holds while in flight.
    pub per_request: Bytes,
}

/// `inFlight:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "InFlight")]
pub struct InFlightYaml {
    /// Time each request is in flight.
    pub latency: Duration,
    /// Bytes each request holds.
    pub per_request: Memory,
}

impl LawYaml for InFlightYaml {
    type Spec = InFlightSpec;
    fn build(&self) -> Result<InFlightSpec, Problem> {
        Ok(InFlightSpec {
            latency: self.latency.0,
            per_request: self.per_request.0,
        })
    }
}

/// The law's state: the load, the backlog waiting for CPU, departures to come.
#[derive(Clone, Debug)]
pub(crate) struct InFlight {
    spec: InFlightSpec,
    load: Load,
    /// Seconds a request waits on the services it calls.
    wait: f64,
    /// Requests waiting for CPU (fluid).
    backlog: f64,
    /// Arrivals drawn for the current fluid step.
    step_arrivals: u64,
    /// Per request: when the CPU is next free, and each request's departure.
    cpu_free: SimTime,
    departures: VecDeque<SimTime>,
    /// Fluid: the step's busiest moment above the requests being served on average.
    busiest: Busiest,
}

impl Law for InFlight {
    type Spec = InFlightSpec;
    const NAME: &'static str = "inFlight";
    fn from_spec(spec: &InFlightSpec) -> Self {
        InFlight::new(*spec)
    }
}

impl InFlight {
    pub(crate) fn new(spec: InFlightSpec) -> Self {
        InFlight {
            spec,
            load: Load::IDLE,
            wait: 0.0,
            backlog: 0.0,
            step_arrivals: 0,
            cpu_free: SimTime::ZERO,
            departures: VecDeque::new(),
            busiest: Busiest::default(),
        }
    }

    /// Requests being served now (fluid): the served rate × time in the container.
    fn serving(&self) -> f64 {
        self.served() * self.time_in_container()
    }

    /// Requests served per second (fluid).
    fn served(&self) -> f64 {
        self.load.rps.min(self.load.capacity)
    }

    /// Seconds a served request spends in the container.
    fn time_in_container(&self) -> f64 {
        self.load.latency(self.spec.latency.as_secs_f64()) + self.wait
    }

    /// Growth of the backlog, requests per second.
    fn backlog_slope(&self) -> f64 {
        let net = self.load.arrivals - self.load.capacity;
        if net > 0.0 || self.backlog > 0.0 {
            net
        } else {
            0.0
        }
    }
}

impl InFlight {
    /// Requests now also wait `secs` on the services they call.
    pub(crate) fn set_wait(&mut self, secs: f64) {
        self.wait = secs.max(0.0);
    }
}

impl MemoryLaw for InFlight {
    fn start(&mut self, now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.backlog = 0.0;
        self.cpu_free = now;
        self.departures.clear();
        self.busiest.clear();
    }
    fn bytes(&self) -> f64 {
        let fluid = if self.load.fluid {
            self.serving() + self.backlog
        } else {
            0.0
        };
        (fluid + self.departures.len() as f64) * self.spec.per_request.as_f64()
    }
    fn slope(&self) -> f64 {
        if self.load.fluid {
            self.backlog_slope() * self.spec.per_request.as_f64()
        } else {
            0.0
        }
    }
    fn advance(&mut self, dt: f64) {
        if self.load.fluid {
            self.backlog = (self.backlog + self.backlog_slope() * dt).max(0.0);
        }
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        let drained = match self.backlog_slope() {
            s if self.backlog > 0.0 && s < 0.0 => {
                now + SimDuration::from_secs_f64_ceil(self.backlog / -s)
            }
            _ => SimTime::NEVER,
        };
        // Departures are releases (`MemoryLaw::released`), not changes: they only lower
        // what the law holds, so the container need not wake for them.
        drained
    }
    fn on_change(&mut self, _now: SimTime) {
        if self.backlog < 1e-9 {
            self.backlog = 0.0;
        }
    }
    fn settle(&mut self, now: SimTime) {
        let gone = self.departed_by(now, true);
        self.departures.drain(..gone);
    }
    fn releases(&self) -> bool {
        !self.departures.is_empty()
    }
    fn released(&self, t: SimTime, at_too: bool) -> f64 {
        self.departed_by(t, at_too) as f64 * self.spec.per_request.as_f64()
    }
    fn next_release(&self, after: SimTime) -> SimTime {
        leaving::next_after(&self.departures, after)
    }
    fn set_load(&mut self, _now: SimTime, load: &Load) {
        self.load = *load;
    }
    fn on_arrivals(&mut self, now: SimTime, count: u64, dt: f64, rng: &mut SimRng) {
        self.step_arrivals = count;
        // Requests served are held for their time in the container: the step's busiest
        // moment.
        let (rate, hold) = (self.served(), self.time_in_container());
        self.busiest.draw(now, rate, hold, dt, f64::INFINITY, rng);
    }
    fn on_step_cut(&mut self, fraction: f64, rng: &mut SimRng) {
        self.busiest.clear();
        if self.backlog_slope() == 0.0 {
            return;
        }
        // What arrived so far of the step's draw: the law moved along its mean.
        let n = self.step_arrivals;
        let arrived = Binomial::new(n, fraction.clamp(0.0, 1.0)).map_or(0, |b| b.sample(rng));
        self.backlog = (self.backlog + arrived as f64 - n as f64 * fraction).max(0.0);
    }
    fn on_request(&mut self, now: SimTime, _rng: &mut SimRng) -> Option<f64> {
        let start = self.cpu_free.max(now);
        let service = if self.load.capacity.is_finite() && self.load.capacity > 0.0 {
            1.0 / self.load.capacity
        } else {
            0.0
        };
        self.cpu_free = start + SimDuration::from_secs_f64_ceil(service);
        let rest = (self.spec.latency.as_secs_f64() - self.load.per_request).max(0.0) + self.wait;
        let departs = self.cpu_free + SimDuration::from_secs_f64_ceil(rest);
        // Departures stay in order: a request served later also leaves later.
        let departs = departs.max(self.departures.back().copied().unwrap_or(departs));
        self.departures.push_back(departs);
        // Held until it leaves (a release): the law's fluid part does not move.
        Some(self.spec.per_request.as_f64())
    }
    fn busy_extra(&self) -> f64 {
        if !self.load.background_in_closed_form {
            return 0.0;
        }
        // The workers keep up during the main thread's work (the container checked):
        // the same requests, each held for its stretched time (Little's law).
        let busy = self.load.rps.min(self.load.busy_capacity)
            * (self.load.busy_latency(self.spec.latency.as_secs_f64()) + self.wait);
        (busy - self.serving()).max(0.0) * self.spec.per_request.as_f64()
    }
    fn pulse(&self) -> Option<Pulse> {
        if !self.load.fluid {
            return None;
        }
        self.busiest.pulse(self.spec.per_request.as_f64())
    }
    fn holds_backlog(&self) -> bool {
        self.backlog > 0.0
    }
    fn uses_arrivals(&self) -> bool {
        // A CPU-bound container can fall behind and build a backlog; any container's
        // requests in flight rise above their mean at its busiest moments.
        self.spec.per_request.as_f64() > 0.0 || self.load.capacity.is_finite()
    }
    fn requests_held(&self, now: SimTime, dt: f64) -> f64 {
        let fluid = if self.load.fluid {
            self.serving()
                + self.busiest.above_at(now)
                + (self.backlog + self.backlog_slope() * dt).max(0.0)
        } else {
            0.0
        };
        fluid + (self.departures.len() - self.departed_by(now, true)) as f64
    }
}

impl InFlight {
    /// Per request: how many of the requests still counted have left by `t` (at `t`
    /// too if `at_too`). Departures are in order.
    fn departed_by(&self, t: SimTime, at_too: bool) -> usize {
        leaving::left_by(&self.departures, t, at_too)
    }
}
