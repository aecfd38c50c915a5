//! Prometheus-style alert rules over the simulated metrics.
//!
//! Rules are evaluated at every scrape, per container, with Prometheus' semantics: an
//! expression that holds starts a pending alert, which fires once it has held for the
//! rule's `for` duration; it resolves when the expression stops holding. The three kinds
//! are seed 002's rules:
//!
//! - `container_memory_usage_bytes / container_spec_memory_limit_bytes > ratio`;
//! - `rate(kube_pod_container_status_restarts_total[window]) > above` — `rate` is per
//!   second, so `> 0.1` over 15m means more than 90 restarts in 15 minutes, which a
//!   kubelet back-off never allows: the seed's rule can never fire;
//! - `kube_pod_container_last_terminated_reason{reason="OOMKilled"} == 1`.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};

/// What a rule tests.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum AlertExpr {
    /// Working set over limit above `ratio`.
    MemoryNearLimit {
        /// Threshold, e.g. 0.8.
        ratio: f64,
    },
    /// Per-second restart rate over `window` above `above`.
    RestartRate {
        /// Range of the rate.
        window: SimDuration,
        /// Threshold, restarts per second.
        above: f64,
    },
    /// The container's last termination was an OOM kill.
    LastTerminatedOomKilled,
}

/// A named rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// Alert name.
    pub name: String,
    /// Expression.
    pub expr: AlertExpr,
    /// How long the expression must hold before firing.
    pub hold_for: SimDuration,
}

/// One rule's state for one container.
#[derive(Clone, Debug, Default)]
pub(crate) struct AlertState {
    pending_since: Option<SimTime>,
    pub(crate) firing: bool,
}

/// What changed at an evaluation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    Fired,
    Resolved,
}

impl AlertState {
    /// Feeds the expression's value at `now`; returns a transition, if any.
    pub(crate) fn eval(
        &mut self,
        now: SimTime,
        holds: bool,
        hold_for: SimDuration,
    ) -> Option<Transition> {
        if !holds {
            self.pending_since = None;
            if self.firing {
                self.firing = false;
                return Some(Transition::Resolved);
            }
            return None;
        }
        let since = *self.pending_since.get_or_insert(now);
        if !self.firing && now.since(since) >= hold_for {
            self.firing = true;
            return Some(Transition::Fired);
        }
        None
    }
}

/// Restart counts at past scrapes, for `rate()`.
#[derive(Clone, Debug, Default)]
pub(crate) struct RestartHistory {
    samples: VecDeque<(SimTime, u32)>,
}

impl RestartHistory {
    /// Records `count` at `now` and returns the per-second rate over `window` (zero until
    /// two samples exist), dropping samples older than the window.
    pub(crate) fn rate(&mut self, now: SimTime, count: u32, window: SimDuration) -> f64 {
        self.samples.push_back((now, count));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.since(*t) > window)
        {
            self.samples.pop_front();
        }
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, c0)), Some(&(t1, c1))) if t1 > t0 => {
                f64::from(c1 - c0) / (t1 - t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_fires_after_holding_for_its_duration_and_resolves() {
        let mut s = AlertState::default();
        let five_min = SimDuration::from_secs(300);
        assert_eq!(s.eval(SimTime::from_secs(0), true, five_min), None);
        assert_eq!(s.eval(SimTime::from_secs(285), true, five_min), None);
        assert_eq!(
            s.eval(SimTime::from_secs(300), true, five_min),
            Some(Transition::Fired)
        );
        assert_eq!(
            s.eval(SimTime::from_secs(315), false, five_min),
            Some(Transition::Resolved)
        );
    }

    #[test]
    fn rate_is_per_second_over_the_window() {
        let mut h = RestartHistory::default();
        let w = SimDuration::from_secs(900);
        assert_eq!(h.rate(SimTime::from_secs(0), 0, w), 0.0);
        // 3 restarts in 300 s: 0.01 per second, far below 0.1.
        assert!((h.rate(SimTime::from_secs(300), 3, w) - 0.01).abs() < 1e-12);
    }
}
