//! Error budget and burn rate, as SRE alerting computes them.
//!
//! With an availability SLO of `target` (99.9 %), the error budget is `1 − target` of
//! requests. The burn rate over a window is the window's error ratio divided by the
//! budget: 1× spends the budget exactly over the SLO period, 6× six times as fast.
//! Requests and 503s are bucketed at a fixed interval; 5-minute and 1-hour windows slide
//! over the buckets, each kept as a sum in O(1) a bucket. Memory is bounded by the
//! longest window.

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

/// The sum of the last `len` (requests, errors) buckets, kept as they slide by in O(1)
/// amortised per bucket and with additions only (a subtracted running sum would drift,
/// and a window of zeros must read exactly zero): the older buckets wait on a stack of
/// sums over themselves and every newer one among them, the newer ones in a plain sum,
/// and when the oldest must go and the stack is empty the newer ones move onto it
/// (the two-stack sliding-window aggregation).
#[derive(Clone, Debug)]
struct WindowSum {
    len: usize,
    /// Older buckets, the oldest on top, each with the sum of it and the newer ones
    /// below it.
    older: Vec<(f64, f64)>,
    /// Newer buckets in arrival order, and their sum.
    newer: Vec<(f64, f64)>,
    newer_sum: (f64, f64),
}

impl WindowSum {
    fn new(len: usize) -> Self {
        WindowSum {
            len: len.max(1),
            older: Vec::new(),
            newer: Vec::new(),
            newer_sum: (0.0, 0.0),
        }
    }

    fn push(&mut self, bucket: (f64, f64)) {
        self.newer.push(bucket);
        self.newer_sum = add(self.newer_sum, bucket);
        if self.older.len() + self.newer.len() <= self.len {
            return;
        }
        if self.older.is_empty() {
            let mut acc = (0.0, 0.0);
            for b in self.newer.drain(..).rev() {
                acc = add(acc, b);
                self.older.push(acc);
            }
            self.newer_sum = (0.0, 0.0);
        }
        self.older.pop();
    }

    /// (requests, errors) over the window.
    fn sum(&self) -> (f64, f64) {
        add(
            self.older.last().copied().unwrap_or((0.0, 0.0)),
            self.newer_sum,
        )
    }
}

/// Two (requests, errors) sums added.
fn add(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 + b.0, a.1 + b.1)
}

/// Sliding windows over (requests, errors) buckets.
#[derive(Clone, Debug)]
pub struct BurnWindows {
    budget: f64,
    window_5m: WindowSum,
    window_1h: WindowSum,
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
        let buckets_in =
            |window: SimDuration| (window.as_nanos() / bucket.as_nanos().max(1)).max(1) as usize;
        BurnWindows {
            budget: (1.0 - target).max(f64::MIN_POSITIVE),
            window_5m: WindowSum::new(buckets_in(WINDOW_5M)),
            window_1h: WindowSum::new(buckets_in(WINDOW_1H)),
            peak: PeakBurn::default(),
            peak_after: PeakBurn::default(),
            after,
        }
    }

    /// "After" peaks count from `at` (the evaluation window starts then).
    pub fn evaluate_from(&mut self, at: SimTime) {
        self.after = at;
    }

    fn burn(&self, (req, err): (f64, f64)) -> f64 {
        if req > 0.0 {
            err / req / self.budget
        } else {
            0.0
        }
    }

    /// Adds the bucket that ends at `end` and returns the burn rates there.
    pub fn push(&mut self, end: SimTime, requests: f64, errors: f64) -> Burn {
        self.window_5m.push((requests, errors));
        self.window_1h.push((requests, errors));
        let burn = Burn {
            burn_5m: self.burn(self.window_5m.sum()),
            burn_1h: self.burn(self.window_1h.sum()),
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
    fn window_sums_are_the_sums_of_the_last_buckets() {
        use proptest::prelude::*;
        let bucket = (0u32..1000, prop_oneof![Just(0u32), 0u32..50]);
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        runner
            .run(
                &(1usize..30, proptest::collection::vec(bucket, 0..200)),
                |(len, buckets)| {
                    let mut w = WindowSum::new(len);
                    for (i, &(r, e)) in buckets.iter().enumerate() {
                        w.push((f64::from(r), f64::from(e)));
                        let from = (i + 1).saturating_sub(len);
                        let want = buckets[from..=i].iter().fold((0.0, 0.0), |a, &(r, e)| {
                            (a.0 + f64::from(r), a.1 + f64::from(e))
                        });
                        // Whole numbers: every order of addition is exact.
                        prop_assert_eq!(w.sum(), want, "bucket {}, window {}", i, len);
                    }
                    Ok(())
                },
            )
            .unwrap();
    }

    #[test]
    fn a_window_of_zeros_reads_exactly_zero_after_fractions() {
        let mut w = WindowSum::new(3);
        for x in [0.1, 0.2, 0.7, 1e-17, 0.3] {
            w.push((x, x));
        }
        for _ in 0..3 {
            w.push((0.0, 0.0));
        }
        assert_eq!(w.sum(), (0.0, 0.0));
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
