//! `traceBuffer`: Envoy's tracer buffer, where sampled spans wait for the exporter.
//!
//! Spans arrive at rps × sampling; every flush interval the exporter sends at most
//! `export_rate × flush_interval` of them (the collector's capacity for this proxy).
//! While arrivals outpace the exporter the buffer — and the proxy's memory — climbs
//! linearly; with `max_spans` set, a full buffer drops new spans instead.
//!
//! Envoy's Zipkin tracer flushes every `flush_interval_ms` (5 s) or when
//! `min_flush_spans` (5) are buffered (REFERENCE.md, "Envoy / Istio sidecar"). The
//! size-triggered flush only matters below five spans (a few KiB), so it is folded into
//! the export capacity here. Per-span memory and the exporter's capacity are scenario
//! parameters: REFERENCE.md gives no figure for either (UNCONFIRMED; seed 001 fits them).

use rand::RngExt;

use super::MemoryLaw;
use super::first_tick;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// The tracer buffer's inputs and exporter.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TraceBufferSpec {
    /// Fraction of requests traced, 0–1 (Istio's percentage / 100).
    pub sampling: f64,
    /// Memory held per buffered span.
    pub span_size: Bytes,
    /// Spans per second the exporter can deliver to the collector.
    pub export_rate: f64,
    /// Time between exporter flushes (Zipkin `flush_interval_ms`, 5 s).
    pub flush_interval: SimDuration,
    /// Largest number of buffered spans; beyond it new spans are dropped. None: no cap.
    pub max_spans: Option<u64>,
}

#[derive(Clone, Debug)]
pub(crate) struct TraceBuffer {
    spec: TraceBufferSpec,
    spans: f64,
    in_rate: f64,
    next_flush: SimTime,
    dropped: f64,
}

impl TraceBuffer {
    pub(crate) fn new(spec: TraceBufferSpec) -> Self {
        TraceBuffer {
            spec,
            spans: 0.0,
            in_rate: 0.0,
            next_flush: SimTime::NEVER,
            dropped: 0.0,
        }
    }

    /// Spans buffered now (whole spans).
    pub(crate) fn spans(&self) -> u64 {
        self.spans.max(0.0) as u64
    }

    fn cap(&self) -> f64 {
        self.spec.max_spans.map_or(f64::INFINITY, |m| m as f64)
    }

    fn full(&self) -> bool {
        self.spans >= self.cap()
    }
}

impl MemoryLaw for TraceBuffer {
    fn start(&mut self, now: SimTime, _warm: Option<SimDuration>, rng: &mut SimRng) {
        self.spans = 0.0;
        self.next_flush = now + first_tick(self.spec.flush_interval, rng);
    }
    fn bytes(&self) -> f64 {
        self.spans * self.spec.span_size.as_f64()
    }
    fn slope(&self) -> f64 {
        if self.full() {
            0.0
        } else {
            self.in_rate * self.spec.span_size.as_f64()
        }
    }
    fn advance(&mut self, dt: f64) {
        if self.full() {
            self.dropped += self.in_rate * dt;
        } else {
            self.spans += self.in_rate * dt;
        }
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        let fills = if self.in_rate > 0.0 && !self.full() && self.cap().is_finite() {
            now + SimDuration::from_secs_f64_ceil((self.cap() - self.spans) / self.in_rate)
        } else {
            SimTime::NEVER
        };
        self.next_flush.min(fills)
    }
    fn on_change(&mut self, now: SimTime) {
        // A full buffer stays at its cap: arrivals are dropped from here on.
        self.spans = self.spans.min(self.cap());
        if self.spans > self.cap() - 1e-6 {
            self.spans = self.cap();
        }
        while self.next_flush <= now {
            let batch = self.spec.export_rate * self.spec.flush_interval.as_secs_f64();
            self.spans = (self.spans - batch).max(0.0);
            self.next_flush += self.spec.flush_interval;
        }
    }
    fn set_load(&mut self, load: &Load) {
        self.in_rate = if load.fluid {
            load.rps * self.spec.sampling
        } else {
            0.0
        };
    }
    fn on_request(&mut self, _now: SimTime, rng: &mut SimRng) {
        if rng.random_bool(self.spec.sampling.clamp(0.0, 1.0)) {
            if self.spans + 1.0 > self.cap() {
                self.dropped += 1.0;
            } else {
                self.spans += 1.0;
            }
        }
    }
}
