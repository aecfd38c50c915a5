//! The container's working set and its limit: what the laws hold, the resident memory
//! that makes (a JVM's non-heap part and committed heap on top), and the exact instant
//! the next limit is reached.

use super::{ArrivalSteps, Container};
use crate::engine::{SimDuration, SimTime};
use crate::model::memory::{MemoryLaw, Pulses, Ripple, each_law};

/// What a container's laws add up to at their last update.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Summary {
    /// Bytes held, without the ripple.
    trend: f64,
    /// Growth of `trend`, bytes per second.
    slope: f64,
    /// The ripple on top, with what the other laws hold extra while its windows are open.
    ripple: Option<Ripple>,
    /// The laws' excursions on top.
    pulses: Pulses,
    /// Some law gives bytes back on its own before its next change (see
    /// [`MemoryLaw::released`]): `trend` counts them until then.
    releases: bool,
    /// Bytes held at the last update: the trend, the ripple and the pulses then.
    held: f64,
}

impl Summary {
    /// Some law gives bytes back on its own before its next change.
    pub(super) fn releases(&self) -> bool {
        self.releases
    }

    /// The sums after the laws moved `dt` seconds along their trend to `now` and forgot
    /// the `released` bytes they gave back by then; `releases` if some fall is still to
    /// come. Between changes every law is linear (a law whose growth changes on its own
    /// announces it with `next_change`), so this is what summing them again would give,
    /// up to rounding.
    pub(super) fn advanced(self, now: SimTime, dt: f64, released: f64, releases: bool) -> Self {
        let trend = self.trend + self.slope * dt - released;
        Summary {
            trend,
            releases,
            held: self.with_windows_at(trend, now),
            ..self
        }
    }

    /// `trend` with the ripple and the pulses at `t` on top.
    fn with_windows_at(&self, trend: f64, t: SimTime) -> f64 {
        trend + self.ripple.map_or(0.0, |r| r.at(t)) + self.pulses.at(t)
    }

    /// The sums after a request added `jump` bytes at the last update and nothing else
    /// (see [`MemoryLaw::on_request`]); `releases` as the laws now say.
    pub(super) fn jumped(self, jump: f64, releases: bool) -> Self {
        Summary {
            trend: self.trend + jump,
            held: self.held + jump,
            releases,
            ..self
        }
    }
}

impl Container {
    /// What the laws add up to now (computed once between changes).
    fn summary(&self) -> &Summary {
        self.summary.get_or_init(|| self.sum_laws())
    }

    /// The laws' sums, afresh.
    fn sum_laws(&self) -> Summary {
        // Sums from -0.0, as `Iterator::sum` adds; the first ripple is the container's.
        let (mut trend, mut slope, mut busy_extra) = (-0.0, -0.0, -0.0);
        let mut ripple: Option<Ripple> = None;
        let mut pulses = Pulses::default();
        let mut releases = false;
        each_law!(self.laws, law => {
            trend += law.bytes();
            slope += law.slope();
            busy_extra += law.busy_extra();
            if ripple.is_none() {
                ripple = law.ripple();
            }
            if let Some(p) = law.pulse() {
                pulses.push(p);
            }
            releases |= law.releases();
        });
        let ripple = ripple.map(|mut r| {
            r.height += busy_extra;
            r
        });
        let mut s = Summary {
            trend,
            slope,
            ripple,
            pulses,
            releases,
            held: 0.0,
        };
        s.held = s.with_windows_at(s.trend, self.updated);
        s
    }

    /// The laws' periodic part in closed form, if one has it (only Envoy's stats flush
    /// does, and a container has one stats law), with what the other laws hold on top
    /// while it runs.
    fn ripple(&self) -> Option<Ripple> {
        self.summary().ripple
    }

    /// Bytes the ripple holds while its windows are open (0 without one, or when not
    /// running).
    pub fn ripple_height(&self) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        self.ripple().map_or(0.0, |r| r.height)
    }

    /// The first instant after `now` at which a ripple window opens or closes
    /// ([`SimTime::NEVER`] without one).
    pub fn ripple_next_edge(&self, now: SimTime) -> SimTime {
        if !self.is_running() {
            return SimTime::NEVER;
        }
        self.ripple().map_or(SimTime::NEVER, |r| r.next_edge(now))
    }

    /// `true` when the ripple's window is open at `t`.
    pub fn ripple_high_at(&self, t: SimTime) -> bool {
        self.ripple().is_some_and(|r| r.is_high(t))
    }

    /// Bytes the laws hold (the heap, for a JVM) at the last update.
    fn held(&self) -> f64 {
        self.summary().held
    }

    /// Bytes the laws hold at `t` (not past the next wake-up): the trend, the ripple and
    /// the pulses at that instant, less what the laws gave back by then.
    fn held_at(&self, t: SimTime) -> f64 {
        self.held_around(t, true)
    }

    /// [`Container::held_at`], with what the laws give back at `t` itself still held
    /// unless `at_too` (the instant just before a fall).
    fn held_around(&self, t: SimTime, at_too: bool) -> f64 {
        let s = self.summary();
        let trend = s.trend + s.slope * t.since(self.updated).as_secs_f64();
        s.with_windows_at(trend, t) - self.released(s, t, at_too)
    }

    /// Bytes the laws gave back on their own since the last update, by `t` (at `t` too
    /// if `at_too`). None by the last update itself: the laws forgot those falls when
    /// they moved to it.
    pub(super) fn released(&self, s: &Summary, t: SimTime, at_too: bool) -> f64 {
        if !s.releases || t <= self.updated {
            return 0.0;
        }
        // From -0.0, as `Iterator::sum` adds.
        let mut sum = -0.0;
        each_law!(self.laws, law => sum += law.released(t, at_too));
        sum
    }

    /// The first instant after `after` at which a law gives bytes back on its own.
    fn next_release(&self, s: &Summary, after: SimTime) -> SimTime {
        if !s.releases {
            return SimTime::NEVER;
        }
        let mut first = SimTime::NEVER;
        each_law!(self.laws, law => first = first.min(law.next_release(after)));
        first
    }

    /// Bytes of the pulses not over at `now` (running or to come) and of those running
    /// now, and the next instant one starts or ends (none when not running).
    pub fn pulses_ahead(&self, now: SimTime) -> (f64, f64, SimTime) {
        if !self.is_running() {
            return (0.0, 0.0, SimTime::NEVER);
        }
        let p = self.summary().pulses;
        (p.ahead(now), p.at(now), p.next_edge(now))
    }

    /// Growth of what the laws hold, bytes per second.
    fn held_slope(&self) -> f64 {
        self.summary().slope
    }

    /// Resident memory for `held` bytes of laws.
    fn resident(&self, held: f64) -> f64 {
        match self.jvm {
            Some(j) => j.non_heap + held.max(j.initial_heap),
            None => held,
        }
    }

    /// Working set at the last update, in bytes (zero when not running). Never above
    /// the limit, nor the pod cgroup's: the charge that would cross either is refused
    /// and the kernel kills at that instant (docs/reference.md "Linux OOM killer and
    /// memcg").
    pub fn usage(&self) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        self.resident(self.held())
            .min(self.limit)
            .min(self.pod_limit)
    }

    /// What the laws would charge at the last update, past the limit if a jump asks for
    /// more than it allows.
    fn charged(&self) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        self.resident(self.held())
    }

    /// Growth of the working set, bytes per second, until the next wake-up.
    pub fn slope(&self) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        match self.jvm {
            Some(j) if self.held() < j.initial_heap => 0.0,
            _ => self.held_slope(),
        }
    }

    /// Working set at `now` without changing any state, so that observing (scraping)
    /// never alters a run. `now` must not be past the next wake-up.
    pub fn usage_at(&self, now: SimTime) -> f64 {
        if !self.is_running() {
            return 0.0;
        }
        self.resident(self.held_at(now))
            .min(self.limit)
            .min(self.pod_limit)
    }

    /// Notes in the peak the highest point reached between the last update and `now`
    /// (before advancing to `now`) by a ripple window or a pulse on the trend, or by a
    /// rising trend just before a law gave bytes back: the trend is linear, and the
    /// pulses and what was given back constant between their edges, so in each stretch
    /// between edges that is the last instant a ripple window was open on a rising trend
    /// (the first on a falling one) or, while a pulse runs, the stretch's end (start);
    /// and the instant before each fall.
    pub(super) fn note_peak_between(&mut self, now: SimTime) {
        let s = self.summary();
        let rising = s.slope >= 0.0;
        let falls = s.releases && s.slope > 0.0;
        if s.ripple.is_none() && s.pulses.is_empty() && !falls {
            return;
        }
        let from = self.updated;
        let trend_at = |t: SimTime| s.trend + s.slope * t.since(from).as_secs_f64();
        let mut peak = f64::NEG_INFINITY;
        let mut a = from;
        while a < now {
            let fall = self.next_release(s, a);
            let b = s.pulses.next_edge(a).min(fall).min(now);
            let pulses = s.pulses.at(a);
            let on_top = pulses - self.released(s, a, true);
            if let Some(r) = s.ripple {
                let at = if rising {
                    r.last_high_in(a, b)
                } else {
                    r.first_high_in(a, b)
                };
                if let Some(at) = at {
                    peak = peak.max(trend_at(at) + r.height + on_top);
                }
            }
            if pulses > 0.0 {
                let at = if rising { b } else { a };
                peak = peak.max(trend_at(at) + s.ripple.map_or(0.0, |r| r.at(at)) + on_top);
            }
            if falls && fall <= now {
                // Just before the fall: what it gives back is still held.
                peak = peak.max(self.held_around(fall, false));
            }
            a = b;
        }
        if peak > f64::NEG_INFINITY {
            let usage = self.resident(peak).min(self.limit).min(self.pod_limit);
            self.stats.peak_bytes = self.stats.peak_bytes.max(usage);
        }
    }

    /// Resident memory of the largest process and its name (the OOM killer's view).
    pub fn largest_process(&self, now: SimTime) -> (&str, f64) {
        let usage = self.usage_at(now);
        match &self.spec.helper {
            Some(h) if h.rss.as_f64() > usage - h.rss.as_f64() => {
                (&h.name, h.rss.as_f64().min(usage))
            }
            Some(h) => (&self.spec.process, usage - h.rss.as_f64()),
            None => (&self.spec.process, usage),
        }
    }

    /// `true` when usage has reached the limit (within a byte of float rounding).
    pub(crate) fn at_limit(&self) -> bool {
        self.is_running() && self.charged() + 0.5 >= self.limit
    }

    /// `true` when a JVM's heap has reached `-Xmx`.
    pub(crate) fn heap_exhausted(&self) -> bool {
        self.is_running() && self.jvm.is_some_and(|j| self.held() + 0.5 >= j.max_heap)
    }

    /// `true` when usage cannot reach the limit before `t`: the trend at its highest by
    /// then, the ripple's whole height and every pulse still to come stay below it. A
    /// test of a few operations that spares predicting the instant after a request,
    /// when the container is far from its limit (the usual case). Never for a JVM, whose
    /// resident memory is not its laws' sum.
    pub(crate) fn limit_out_of_reach_before(&self, t: SimTime) -> bool {
        if self.jvm.is_some() || !self.is_running() {
            return false;
        }
        let s = self.summary();
        if t == SimTime::NEVER && s.slope > 0.0 {
            return false;
        }
        let growth = s.slope.max(0.0) * t.since(self.updated).as_secs_f64();
        let ripple = s.ripple.map_or(0.0, |r| r.height.max(0.0));
        s.trend + growth + ripple + s.pulses.ahead(self.updated) + 0.5 < self.limit
    }

    /// The instant what the laws hold rises past `level` from below (never if it is
    /// already there): where a JVM's resident memory starts to follow its heap.
    fn held_rises_to(&self, level: f64) -> SimTime {
        if self.held() >= level {
            SimTime::NEVER
        } else {
            self.held_reaches(level)
        }
    }

    /// The instant what the laws hold reaches `level` (now if it already has), their
    /// ripple and pulses included: the first stretch between pulse edges in which the
    /// trend and ripple reach `level` less the pulses running then.
    fn held_reaches(&self, level: f64) -> SimTime {
        if !level.is_finite() {
            return SimTime::NEVER;
        }
        let pulses = self.summary().pulses;
        let mut from = self.updated;
        loop {
            let end = pulses.next_edge(from);
            let at = self.trend_reaches(from, level - pulses.at(from));
            if at < end || end == SimTime::NEVER {
                return at;
            }
            from = end;
        }
    }

    /// The first instant at or after `from` (not before the last update) at which the
    /// trend and its ripple reach `level`.
    fn trend_reaches(&self, from: SimTime, level: f64) -> SimTime {
        let s = self.summary();
        let (slope, updated) = (s.slope, self.updated);
        let trend = s.trend + slope * from.since(updated).as_secs_f64();
        // The trend alone reaches `level`.
        let reaches = |level: f64| {
            if trend + 0.5 >= level {
                from
            } else if slope <= 0.0 {
                SimTime::NEVER
            } else {
                from + SimDuration::from_secs_f64_ceil((level - trend) / slope)
            }
        };
        let Some(r) = s.ripple else {
            return reaches(level);
        };
        if trend + r.at(from) + 0.5 >= level {
            return from;
        }
        // With a window open the trend needs only `level − height`: the first window
        // open once it is there (a falling trend: the first window, if high enough).
        let alone = reaches(level);
        let lowered = reaches(level - r.height);
        if lowered == SimTime::NEVER {
            return alone;
        }
        let window = r.next_high(lowered);
        let at_window = trend + slope * window.since(from).as_secs_f64() + r.height;
        if window < alone && at_window + 0.5 >= level {
            window
        } else {
            alone
        }
    }

    /// The next instant this container needs attention: a law's own change, the moment
    /// usage reaches the limit, and for a JVM the heap reaching `-Xms` (where resident
    /// memory starts to grow) or `-Xmx`. Exact for piecewise-linear laws.
    pub(crate) fn next_wake(&self) -> SimTime {
        if !self.is_running() {
            return SimTime::NEVER;
        }
        let mut laws = SimTime::NEVER;
        each_law!(self.laws, law => laws = laws.min(law.next_change(self.updated)));
        let held_limit = match self.jvm {
            Some(j) => self.limit - j.non_heap,
            None => self.limit,
        };
        // A JVM's resident memory is not linear in what its laws hold (it holds at least
        // -Xms), so a fall can stop its growth: it wakes for each fall its laws give back.
        let jvm = self.jvm.map_or(SimTime::NEVER, |j| {
            self.held_rises_to(j.initial_heap)
                .min(self.held_reaches(j.max_heap))
                .min(self.next_release(self.summary(), self.updated))
        });
        let step = self
            .arrivals
            .as_ref()
            .map_or(SimTime::NEVER, ArrivalSteps::wake);
        laws.min(self.held_reaches(held_limit)).min(jvm).min(step)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rand_distr::{Distribution, Exp};

    use super::*;
    use crate::engine::RngStreams;

    /// The reference mesh's pod, per request: an app that leaks on each request and an
    /// Envoy whose requests in flight, spans waiting for the collector and 1 s stats
    /// flush all move what it holds.
    const POD: &str = r#"
name: sums
duration: 1h
fidelity: per-request
nodes: [{name: n, capacity: 8Gi}]
mesh:
  traceSampling: 100
  tracing: {spanSize: 1Ki, collectorCapacity: 91, flushInterval: 5s}
workloads:
  - name: mesh
    annotations:
      sidecar.istio.io/statsFlushInterval: 1s
    containers:
      - name: app
        memory:
          baseline: {size: 120Mi}
          leak: {perRequest: 102}
          inFlight: {latency: 50ms, perRequest: 32Ki}
traffic:
  - service: mesh
    rps: 100
"#;

    /// Per request the container moves its sums with each step in time and each
    /// request instead of summing its laws again. After 20,000 requests, with the
    /// releases, the stats flush and the laws' own changes between them, the moved sums
    /// are still what summing the laws afresh gives, to a byte of rounding (the
    /// smallest jump here is 102 bytes).
    #[test]
    fn moved_sums_are_the_laws_summed_afresh() {
        let s = crate::scenario::parse(Path::new("sums.yaml"), POD).expect("parses");
        let cfg = &s.variants[0].config;
        let streams = RngStreams::new(1, 0);
        let gap = Exp::new(100.0).expect("a rate");
        for spec in &cfg.workloads[0].template.containers {
            let mut c = Container::new(spec.clone(), cfg.backoff, streams.stream("c"), None);
            c.start(SimTime::ZERO, Some(SimDuration::ZERO));
            c.set_rps(100.0, false, SimTime::NEVER);
            let mut rng = streams.stream("arrivals");
            let mut now = SimTime::ZERO;
            let (mut moved, mut jumps) = (0, 0);
            for _ in 0..20_000 {
                let next = now + SimDuration::from_secs_f64_ceil(gap.sample(&mut rng));
                // The container's own changes first, as the kernel wakes it for them.
                while c.next_wake() <= next {
                    now = c.next_wake().max(now);
                    c.advance(now);
                    c.apply_due_changes(now);
                }
                moved += usize::from(c.summary.get().is_some());
                c.advance(next);
                now = next;
                jumps += usize::from(c.summary.get().is_some());
                assert!(c.on_request(now), "{}: a request only adds bytes", c.name());
                let (kept, fresh) = (*c.summary(), c.sum_laws());
                for (what, a, b) in [
                    ("trend", kept.trend, fresh.trend),
                    ("held", kept.held, fresh.held),
                    ("slope", kept.slope, fresh.slope),
                ] {
                    assert!(
                        (a - b).abs() <= 1.0,
                        "{}: {what} {a} moved, {b} afresh",
                        c.name()
                    );
                }
                assert_eq!(kept.releases, fresh.releases, "{}", c.name());
            }
            eprintln!(
                "{}: {moved} steps and {jumps} requests on moved sums",
                c.name()
            );
            // The moved sums were in use, not summed afresh at every turn.
            assert!(moved > 19_000 && jumps > 19_000, "{moved} {jumps}");
        }
    }

    /// A law that stops shrinking at zero (CoreDNS's memory as its owner sets it)
    /// announces it, so the moved sums stop with it.
    #[test]
    fn sums_follow_a_law_that_stops_at_zero() {
        let s = crate::scenario::parse(Path::new("sums.yaml"), POD).expect("parses");
        let cfg = &s.variants[0].config;
        let mut spec = (*cfg.workloads[0].template.containers[0]).clone();
        spec.memory.external = Some(crate::model::memory::ExternalKind::CoreDns);
        let streams = RngStreams::new(1, 0);
        let mut c = Container::new(
            std::sync::Arc::new(spec),
            cfg.backoff,
            streams.stream("c"),
            None,
        );
        c.start(SimTime::ZERO, Some(SimDuration::ZERO));
        c.set_rps(0.0, false, SimTime::NEVER);
        // 100 bytes, shrinking 50 a second: gone after 2 s, which wakes the container.
        c.set_external(100.0, -50.0);
        assert_eq!(c.next_wake(), SimTime::from_secs(2));
        for t in 1..=5 {
            // As the kernel wakes it: advance, then apply what was due.
            let (now, due) = (SimTime::from_secs(t), c.next_wake());
            c.advance(now);
            if due <= now {
                c.apply_due_changes(now);
            }
            let (kept, fresh) = (*c.summary(), c.sum_laws());
            assert_eq!(kept.trend, fresh.trend, "at {t} s");
            assert_eq!(kept.slope, fresh.slope, "at {t} s");
        }
    }
}
