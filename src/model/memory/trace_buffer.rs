//! `traceBuffer`: spans on their way to the trace collector, as Envoy's Zipkin tracer
//! holds them.
//!
//! Sampled requests (rps × sampling) produce one span each. Envoy's Zipkin reporter keeps
//! at most `min_flush_spans` (5) spans per worker and sends them as one report as soon as
//! five are buffered, or when its flush timer (5 s) fires (envoy
//! `source/extensions/tracers/zipkin/zipkin_tracer_impl.cc`, `SpanBuffer::addSpan`,
//! `ReporterImpl::flushSpans`; docs/reference.md "Envoy Zipkin tracer"). A report is an
//! HTTP request to the collector cluster: it holds its spans until the collector answers,
//! or until the request times out (`tracing.zipkin.request_timeout`, 5 s), and the
//! cluster's circuit breaker (1024 requests by default) refuses more — those spans are
//! dropped.
//!
//! So memory here does not accumulate: with a collector that takes `export_rate` spans
//! per second from this proxy, reports wait `5 / export_rate` s each; when spans arrive
//! faster than that, reports wait out the 5 s timeout instead, and the spans held level
//! off at about rps × sampling × 5 s (at most 5,120 spans). A slow collector costs a
//! proxy a few MiB, not hundreds (see the seed-001 scenario for what that means for the
//! seed's account).
//!
//! Fluid fidelity holds the mean level, and each step of arrivals also draws its busiest
//! moment: the most spans that arrived within one report wait, which per-request
//! fidelity reaches by chance (see `busiest.rs`).
//!
//! Per-span memory and the collector's capacity are scenario parameters (UNCONFIRMED).

use std::collections::VecDeque;

use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::busiest::Busiest;
use super::input::{Duration, Memory, Problem, Spanned, non_negative, percent, positive_or};
use super::leaving;
use super::pulse::Pulse;
use super::{Law, LawYaml, MemoryLaw};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Zipkin's flush timer (`flush_interval_ms`, 5 s).
pub const FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(5);
/// Spans per report: Zipkin's `min_flush_spans`.
pub const MIN_FLUSH_SPANS: f64 = 5.0;
/// How long a report to the collector may wait (`tracing.zipkin.request_timeout`).
pub const REPORT_TIMEOUT: SimDuration = SimDuration::from_secs(5);
/// Reports open at once to the collector cluster: Envoy's default circuit breaker
/// `max_requests` (the tracing cluster Istio generates sets none of its own).
pub const MAX_REPORTS: f64 = 1024.0;

/// The tracer's inputs and the collector.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TraceBufferSpec {
    /// Fraction of requests traced, 0–1 (Istio's percentage / 100).
    pub sampling: f64,
    /// Memory held per span until the collector has it.
    pub span_size: Bytes,
    /// Spans per second the collector takes from this proxy.
    pub export_rate: f64,
    /// Zipkin's flush timer (`flush_interval_ms`, 5 s): sends a partial report.
    pub flush_interval: SimDuration,
    /// Most spans held at once (default: the circuit breaker's 1024 reports of 5).
    pub max_spans: Option<u64>,
}

/// `traceBuffer:` for a container's own tracer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "TraceBuffer")]
pub struct TraceBufferYaml {
    /// Percent of requests traced.
    #[schemars(with = "f64")]
    pub sampling: Spanned<f64>,
    /// Memory per span.
    pub span_size: Memory,
    /// Spans per second the exporter delivers.
    #[schemars(with = "f64")]
    pub export_rate: Spanned<f64>,
    /// Exporter flush interval (default 5s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub flush_interval: Option<Spanned<Duration>>,
    /// Cap on buffered spans.
    #[serde(default)]
    pub max_spans: Option<u64>,
}

impl LawYaml for TraceBufferYaml {
    type Spec = TraceBufferSpec;
    fn build(&self) -> Result<TraceBufferSpec, Problem> {
        let (sampling, rate) = (&self.sampling, &self.export_rate);
        Ok(TraceBufferSpec {
            sampling: percent(sampling.value, sampling.referenced)? / 100.0,
            span_size: self.span_size.0,
            export_rate: non_negative(rate.value, rate.referenced, "exportRate")?,
            flush_interval: positive_or(
                self.flush_interval.as_ref(),
                FLUSH_INTERVAL,
                "flushInterval",
            )?,
            max_spans: self.max_spans,
        })
    }
}

impl TraceBufferSpec {
    /// Most spans held at once.
    fn cap(&self) -> f64 {
        self.max_spans
            .map_or(MAX_REPORTS * MIN_FLUSH_SPANS, |m| m as f64)
    }

    /// How long a report waits for the collector when spans arrive at `rate` per second.
    fn wait(&self, rate: f64) -> f64 {
        let service = MIN_FLUSH_SPANS / self.export_rate.max(1e-9);
        if rate <= self.export_rate {
            service.min(REPORT_TIMEOUT.as_secs_f64())
        } else {
            REPORT_TIMEOUT.as_secs_f64()
        }
    }
}

/// The law's state: the rate of sampled spans and the reports waiting for the collector.
#[derive(Clone, Debug)]
pub(crate) struct TraceBuffer {
    spec: TraceBufferSpec,
    /// Sampled spans per second (fluid).
    rate: f64,
    /// Sampled spans per second on average (both fidelities).
    mean_rate: f64,
    /// Per request: spans not yet in a report, and reports with their departures.
    buffered: f64,
    reports: VecDeque<SimTime>,
    /// Spans refused by the circuit breaker.
    dropped: f64,
    /// Fluid: the step's busiest moment above the mean level.
    busiest: Busiest,
}

impl Law for TraceBuffer {
    type Spec = TraceBufferSpec;
    const NAME: &'static str = "traceBuffer";
    fn from_spec(spec: &TraceBufferSpec) -> Self {
        TraceBuffer::new(*spec)
    }
}

impl TraceBuffer {
    pub(crate) fn new(spec: TraceBufferSpec) -> Self {
        TraceBuffer {
            spec,
            rate: 0.0,
            mean_rate: 0.0,
            buffered: 0.0,
            reports: VecDeque::new(),
            dropped: 0.0,
            busiest: Busiest::default(),
        }
    }

    /// Spans held at `now` (whole spans), the step's busiest moment included and the
    /// reports answered by then left out.
    pub(crate) fn spans_at(&self, now: SimTime) -> u64 {
        let answered = self.answered_by(now, true) as f64 * MIN_FLUSH_SPANS;
        (self.held() - answered + self.busiest.above_at(now)).max(0.0) as u64
    }

    /// Per request: how many of the reports still counted the collector has answered
    /// by `t` (at `t` too if `at_too`). Reports leave in order.
    fn answered_by(&self, t: SimTime, at_too: bool) -> usize {
        leaving::left_by(&self.reports, t, at_too)
    }

    fn held(&self) -> f64 {
        let fluid = if self.rate > 0.0 {
            // Reports in flight, and the spans not yet making a report: 0 to 4, on
            // average 2, as per-request fidelity holds them.
            let reports = (self.rate * self.spec.wait(self.rate)).min(self.spec.cap());
            reports + (MIN_FLUSH_SPANS - 1.0) / 2.0
        } else {
            0.0
        };
        fluid + self.buffered + self.reports.len() as f64 * MIN_FLUSH_SPANS
    }
}

impl MemoryLaw for TraceBuffer {
    fn start(&mut self, _now: SimTime, _warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.buffered = 0.0;
        self.reports.clear();
        self.busiest.clear();
    }
    fn bytes(&self) -> f64 {
        self.held() * self.spec.span_size.as_f64()
    }
    // A report the collector answers gives its spans back: a release
    // (`MemoryLaw::released`), not a change — it only lowers what the law holds, so the
    // container need not wake for it (20 a second in a proxy at 100 rps, fully sampled).
    fn settle(&mut self, now: SimTime) {
        let gone = self.answered_by(now, true);
        self.reports.drain(..gone);
    }
    fn releases(&self) -> bool {
        !self.reports.is_empty()
    }
    fn released(&self, t: SimTime, at_too: bool) -> f64 {
        self.answered_by(t, at_too) as f64 * MIN_FLUSH_SPANS * self.spec.span_size.as_f64()
    }
    fn next_release(&self, after: SimTime) -> SimTime {
        leaving::next_after(&self.reports, after)
    }
    fn set_load(&mut self, _now: SimTime, load: &Load) {
        self.mean_rate = load.rps * self.spec.sampling;
        self.rate = if load.fluid {
            load.rps * self.spec.sampling
        } else {
            0.0
        };
    }
    fn pulse(&self) -> Option<Pulse> {
        self.busiest.pulse(self.spec.span_size.as_f64())
    }
    fn uses_arrivals(&self) -> bool {
        self.spec.sampling > 0.0
    }
    fn on_arrivals(&mut self, now: SimTime, _count: u64, dt: f64, rng: &mut SimRng) {
        // Spans are held for the report's wait: the step's busiest moment.
        let wait = self.spec.wait(self.rate);
        let cap = self.spec.cap();
        self.busiest.draw(now, self.rate, wait, dt, cap, rng);
    }
    fn on_step_cut(&mut self, _fraction: f64, _rng: &mut SimRng) {
        self.busiest.clear();
    }
    fn on_request(&mut self, now: SimTime, rng: &mut SimRng) -> Option<f64> {
        let span = self.spec.span_size.as_f64();
        if !rng.random_bool(self.spec.sampling.clamp(0.0, 1.0)) {
            return Some(0.0);
        }
        self.buffered += 1.0;
        if self.buffered < MIN_FLUSH_SPANS {
            return Some(span);
        }
        // The fifth span makes a report of the five, or all five are dropped.
        self.buffered = 0.0;
        if self.held() + MIN_FLUSH_SPANS > self.spec.cap() {
            self.dropped += MIN_FLUSH_SPANS;
            return Some(-(MIN_FLUSH_SPANS - 1.0) * span);
        }
        // Reports leave in order; while the collector keeps up each waits its service
        // time, otherwise the timeout.
        let wait = SimDuration::from_secs_f64_ceil(self.spec.wait(self.mean_rate));
        let at = (now + wait).max(self.reports.back().copied().unwrap_or(now));
        self.reports.push_back(at);
        Some(span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    /// Per request, a report the collector answers gives its five spans back at its
    /// instant without waking the container: the law announces no change, counts the
    /// spans as released from that instant on (not just before it), and forgets them
    /// once settled.
    #[test]
    fn an_answered_report_is_a_release_not_a_wake_up() {
        // The collector takes 1 span/s: a report of 5 waits 5 s.
        let mut t = TraceBuffer::new(TraceBufferSpec {
            sampling: 1.0,
            span_size: Bytes(1024),
            export_rate: 1.0,
            flush_interval: FLUSH_INTERVAL,
            max_spans: None,
        });
        let mut rng = RngStreams::new(1, 0).stream("t");
        let zero = SimTime::ZERO;
        t.start(zero, None, &mut rng);
        for _ in 0..6 {
            t.on_request(zero, &mut rng);
        }
        // One report waiting, one span buffered.
        let answered = zero + SimDuration::from_secs(5);
        let before = zero + SimDuration::from_millis(4_999);
        assert_eq!(t.bytes(), 6.0 * 1024.0);
        assert_eq!(t.next_change(zero), SimTime::NEVER);
        assert!(t.releases());
        assert_eq!(t.next_release(zero), answered);
        assert_eq!(t.next_release(answered), SimTime::NEVER);
        assert_eq!(t.released(before, true), 0.0);
        assert_eq!(t.released(answered, false), 0.0);
        assert_eq!(t.released(answered, true), 5.0 * 1024.0);
        assert_eq!(t.spans_at(before), 6);
        assert_eq!(t.spans_at(answered), 1);
        t.settle(answered);
        assert_eq!(t.bytes(), 1024.0);
        assert!(!t.releases());
    }
}
