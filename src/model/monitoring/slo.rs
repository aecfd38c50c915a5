//! Error budget and burn rate, as SRE alerting computes them.
//!
//! With an availability SLO of `target` (99.9 %), the error budget is `1 − target` of
//! requests. The burn rate over a window is the window's error ratio divided by the
//! budget: 1× spends the budget exactly over the SLO period, 6× six times as fast.
//! Requests and 503s are bucketed at a fixed interval; 5-minute and 1-hour windows slide
//! over the buckets. Memory is bounded by the longest window.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};

/// The 5-minute window.
pub const WINDOW_5M: SimDuration = SimDuration::from_secs(300);
/// The 1-hour window.
pub const WINDOW_1H: SimDuration = SimDuration::from_secs(3600);

/// Burn rates at one bucket boundary.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Burn {
    /// Over the last 5 minutes.
    pub burn_5m: f64,
    /// Over the last hour.
    pub burn_1h: f64,
}

/// Peak burn rates of a run.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct PeakBurn {
    /// Highest 5-minute burn.
    pub burn_5m: f64,
    /// Highest 1-hour burn.
    pub burn_1h: f64,
}

/// Sliding windows over (requests, errors) buckets.
#[derive(Clone, Debug)]
pub struct BurnWindows {
    budget: f64,
    bucket: SimDuration,
    buckets: VecDeque<(f64, f64)>,
    /// Peaks over the whole run.
    pub peak: PeakBurn,
    /// Peaks over windows that lie entirely after `after`.
    pub peak_after: PeakBurn,
    after: SimTime,
}

impl BurnWindows {
    /// Windows for an SLO of `target` (e.g. 0.999), fed every `bucket`, with "after"
    /// peaks counted from `after`.
    pub fn new(target: f64, bucket: SimDuration, after: SimTime) -> Self {
        BurnWindows {
            budget: (1.0 - target).max(f64::MIN_POSITIVE),
            bucket,
            buckets: VecDeque::new(),
            peak: PeakBurn::default(),
            peak_after: PeakBurn::default(),
            after,
        }
    }

    /// "After" peaks count from `at` (the evaluation window starts then).
    pub fn evaluate_from(&mut self, at: SimTime) {
        self.after = at;
    }

    fn buckets_in(&self, window: SimDuration) -> usize {
        (window.as_nanos() / self.bucket.as_nanos().max(1)).max(1) as usize
    }

    fn burn(&self, n: usize) -> f64 {
        let (req, err) = self
            .buckets
            .iter()
            .rev()
            .take(n)
            .fold((0.0, 0.0), |(r, e), b| (r + b.0, e + b.1));
        if req > 0.0 {
            err / req / self.budget
        } else {
            0.0
        }
    }

    /// Adds the bucket that ends at `end` and returns the burn rates there.
    pub fn push(&mut self, end: SimTime, requests: f64, errors: f64) -> Burn {
        let (n5, n60) = (self.buckets_in(WINDOW_5M), self.buckets_in(WINDOW_1H));
        self.buckets.push_back((requests, errors));
        while self.buckets.len() > n60 {
            self.buckets.pop_front();
        }
        let burn = Burn {
            burn_5m: self.burn(n5),
            burn_1h: self.burn(n60),
        };
        self.peak.burn_5m = self.peak.burn_5m.max(burn.burn_5m);
        self.peak.burn_1h = self.peak.burn_1h.max(burn.burn_1h);
        if self.after == SimTime::NEVER {
            return burn;
        }
        if end >= self.after + WINDOW_5M {
            self.peak_after.burn_5m = self.peak_after.burn_5m.max(burn.burn_5m);
        }
        if end >= self.after + WINDOW_1H {
            self.peak_after.burn_1h = self.peak_after.burn_1h.max(burn.burn_1h);
        }
        burn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_is_error_ratio_over_budget() {
        let mut w = BurnWindows::new(0.999, SimDuration::from_secs(15), SimTime::ZERO);
        // 0.6 % errors against a 0.1 % budget: 6×.
        let b = w.push(SimTime::from_secs(15), 1000.0, 6.0);
        assert!((b.burn_5m - 6.0).abs() < 1e-9 && (b.burn_1h - 6.0).abs() < 1e-9);
    }

    #[test]
    fn a_burst_fades_from_the_5m_window_first() {
        let mut w = BurnWindows::new(0.999, SimDuration::from_secs(15), SimTime::ZERO);
        w.push(SimTime::from_secs(15), 1000.0, 60.0);
        let mut last = Burn::default();
        for i in 2..=21 {
            last = w.push(SimTime::from_secs(15 * i), 1000.0, 0.0);
        }
        assert_eq!(last.burn_5m, 0.0);
        assert!((last.burn_1h - 60.0 / 21.0).abs() < 1e-9);
        assert!((w.peak.burn_5m - 60.0).abs() < 1e-9);
    }

    #[test]
    fn after_peaks_ignore_windows_that_start_before() {
        let after = SimTime::from_secs(300);
        let mut w = BurnWindows::new(0.999, SimDuration::from_secs(60), after);
        for i in 1..=10 {
            let errors = if i <= 5 { 10.0 } else { 0.0 };
            w.push(SimTime::from_secs(60 * i), 1000.0, errors);
        }
        assert!(w.peak.burn_5m > 9.0);
        assert_eq!(w.peak_after.burn_5m, 0.0);
    }
}
