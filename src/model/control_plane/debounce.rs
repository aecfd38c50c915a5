//! istiod's debounce, step for step as `pilot/pkg/xds/discovery.go` does it
//! (REFERENCE.md, "istiod push pipeline"):
//!
//! - an event sets `lastConfigUpdateTime`; the first event of a window also arms a timer
//!   for `PILOT_DEBOUNCE_AFTER` (100 ms) and sets the window's start; events merge into
//!   one pending request (full if any was full);
//! - when the timer fires and no push is running, `pushWorker` runs: if the window is at
//!   least `PILOT_DEBOUNCE_MAX` (10 s) old or the last event at least `DEBOUNCE_AFTER`
//!   old, it starts the push and closes the window; otherwise it re-arms the timer for
//!   the rest of the quiet time;
//! - a timer that fires while a push runs does nothing, but when the push finishes
//!   `pushWorker` runs again;
//! - with `PILOT_ENABLE_EDS_DEBOUNCE=false`, endpoint-only events bypass all of this and
//!   push at once.
//!
//! The state machine is pure: callers own the clock and the timers.

use crate::engine::{SimDuration, SimTime};

/// Debounce settings.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct DebounceSpec {
    /// `PILOT_DEBOUNCE_AFTER`: quiet time before a push.
    pub after: SimDuration,
    /// `PILOT_DEBOUNCE_MAX`: longest a window may stay open.
    pub max: SimDuration,
    /// `PILOT_ENABLE_EDS_DEBOUNCE`: endpoint-only events are debounced too.
    pub eds: bool,
}

impl Default for DebounceSpec {
    /// Istio's defaults: 100 ms, 10 s, EDS debounced (REFERENCE.md).
    fn default() -> Self {
        DebounceSpec {
            after: SimDuration::from_millis(100),
            max: SimDuration::from_secs(10),
            eds: true,
        }
    }
}

/// What the caller must do after a step.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing.
    Idle,
    /// (Re-)arm the debounce timer to fire at this instant.
    Arm(SimTime),
    /// Start a push now; `full` if any merged event was full.
    Push {
        /// A full push (new push context) rather than endpoints only.
        full: bool,
    },
    /// Push this endpoint-only event now, outside the debounce (EDS debounce off).
    PushNow,
}

/// One istiod's debounce state.
#[derive(Clone, Debug, Default)]
pub struct Debouncer {
    spec: DebounceSpec,
    events: u32,
    pending_full: bool,
    window_start: SimTime,
    last_event: SimTime,
    free: bool,
    /// The instant the armed timer fires, if one is armed.
    timer: Option<SimTime>,
}

impl Debouncer {
    /// A debouncer with no pending events and no push running.
    pub fn new(spec: DebounceSpec) -> Self {
        Debouncer {
            spec,
            free: true,
            ..Debouncer::default()
        }
    }

    /// A config event arrives at `now`.
    pub fn on_event(&mut self, now: SimTime, full: bool) -> Step {
        if !self.spec.eds && !full {
            return Step::PushNow;
        }
        self.last_event = now;
        let new_window = self.events == 0;
        self.events += 1;
        self.pending_full |= full;
        if new_window {
            self.window_start = now;
            let at = now + self.spec.after;
            self.timer = Some(at);
            return Step::Arm(at);
        }
        Step::Idle
    }

    /// The armed timer fires at `now`.
    pub fn on_timer(&mut self, now: SimTime) -> Step {
        if self.timer != Some(now) {
            return Step::Idle;
        }
        self.timer = None;
        if self.free {
            self.push_worker(now)
        } else {
            Step::Idle
        }
    }

    /// The running push finished at `now`.
    pub fn on_push_done(&mut self, now: SimTime) -> Step {
        self.free = true;
        self.push_worker(now)
    }

    fn push_worker(&mut self, now: SimTime) -> Step {
        let delay = now.since(self.window_start);
        let quiet = now.since(self.last_event);
        if delay >= self.spec.max || quiet >= self.spec.after {
            if self.events == 0 {
                return Step::Idle;
            }
            let full = self.pending_full;
            self.free = false;
            self.events = 0;
            self.pending_full = false;
            Step::Push { full }
        } else {
            let at = now + SimDuration::from_nanos(self.spec.after.as_nanos() - quiet.as_nanos());
            self.timer = Some(at);
            Step::Arm(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds events at `times` (ms) to a debouncer whose pushes take `push_ms`, and
    /// returns the push instants (ms). A tiny discrete-event loop of its own.
    fn pushes(times: &[u64], push_ms: u64, spec: DebounceSpec) -> Vec<u64> {
        let mut d = Debouncer::new(spec);
        let mut timer: Option<u64> = None;
        let mut push_done: Option<u64> = None;
        let mut out = Vec::new();
        let mut events = times.iter().copied().peekable();
        let ms = |t: u64| SimTime::from_nanos(t * 1_000_000);
        loop {
            let next = [events.peek().copied(), timer, push_done]
                .into_iter()
                .flatten()
                .min();
            let Some(now) = next else { break };
            let step = if push_done == Some(now) {
                push_done = None;
                d.on_push_done(ms(now))
            } else if events.peek() == Some(&now) {
                events.next();
                d.on_event(ms(now), true)
            } else {
                timer = None;
                d.on_timer(ms(now))
            };
            match step {
                Step::Arm(at) => timer = Some(at.as_nanos() / 1_000_000),
                Step::Push { .. } | Step::PushNow => {
                    out.push(now);
                    push_done = Some(now + push_ms);
                }
                Step::Idle => {}
            }
        }
        out
    }

    #[test]
    fn a_lone_event_pushes_100ms_later() {
        assert_eq!(pushes(&[0], 0, DebounceSpec::default()), vec![100]);
    }

    #[test]
    fn a_steady_stream_is_pushed_every_10s_by_the_max_delay() {
        // Events every 50 ms for 30 s: never 100 ms of quiet, so the 10 s maximum forces
        // a push; the next window opens with the next event.
        let events: Vec<u64> = (0..600).map(|i| i * 50).collect();
        let got = pushes(&events, 0, DebounceSpec::default());
        // Window 0 → push at the first timer at or after 10 000 ms; then windows start
        // at the next event (50 ms later); the last push follows the last event by 100 ms.
        assert_eq!(got, vec![10_000, 20_050, 29_950 + 100]);
    }

    #[test]
    fn a_timer_that_fires_during_a_push_waits_for_the_push_to_finish() {
        // First push at 100 ms takes 500 ms; an event at 200 ms arms a timer for 300 ms,
        // which fires while busy; the push ends at 600 ms and pushes then.
        assert_eq!(
            pushes(&[0, 200], 500, DebounceSpec::default()),
            vec![100, 600]
        );
    }

    #[test]
    fn endpoint_events_bypass_the_debounce_when_eds_debounce_is_off() {
        let mut d = Debouncer::new(DebounceSpec {
            eds: false,
            ..DebounceSpec::default()
        });
        assert_eq!(d.on_event(SimTime::ZERO, false), Step::PushNow);
        assert!(matches!(d.on_event(SimTime::ZERO, true), Step::Arm(_)));
    }
}
