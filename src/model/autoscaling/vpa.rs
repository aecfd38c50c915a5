//! The VPA recommender's memory model.
//!
//! Follows kubernetes/autoscaler `vertical-pod-autoscaler/pkg/recommender/`
//! (REFERENCE.md, "VPA recommender"):
//!
//! - memory samples are per-container peaks per aggregation interval (24 h): while an
//!   interval lasts, its sample is the highest usage seen so far;
//! - samples go into a histogram with exponential buckets (10 MB first bucket, ratio
//!   1.05) and weights that double every half-life (24 h), so recent peaks count more;
//! - an OOM kill adds a sample of `max(used + 100 MiB, used × 1.2)` with
//!   `used = max(request, peak)`;
//! - target = 90th percentile, lower bound = 50th, upper bound = 95th, each with a 15 %
//!   safety margin and at least 250 MB.
//!
//! Left out: the confidence scaling of the bounds for short histories, CPU.

use crate::engine::{SimDuration, SimTime};
use crate::model::units::Bytes;

/// Target percentile (REFERENCE.md).
pub const TARGET_PERCENTILE: f64 = 0.9;
/// Lower-bound percentile.
pub const LOWER_PERCENTILE: f64 = 0.5;
/// Upper-bound percentile.
pub const UPPER_PERCENTILE: f64 = 0.95;
/// Safety margin added to every percentile.
pub const SAFETY_MARGIN: f64 = 0.15;
/// Minimum recommendation: 250 MB (`pod-recommendation-min-memory-mb`).
pub const MIN_MEMORY: f64 = 250e6;
/// Half-life of sample weights.
pub const HALF_LIFE: SimDuration = SimDuration::from_secs(24 * 3600);
/// Aggregation interval of memory peaks.
pub const INTERVAL: SimDuration = SimDuration::from_secs(24 * 3600);

const FIRST_BUCKET: f64 = 1e7;
const RATIO: f64 = 1.05;
const BUCKETS: usize = 300;

/// A VPA recommendation for one container.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// What requests are set to.
    pub target: Bytes,
    /// Below this the updater evicts to apply the target.
    pub lower: Bytes,
    /// Above this the updater evicts to apply the target.
    pub upper: Bytes,
}

/// One container's decaying histogram of memory peaks.
#[derive(Clone, Debug)]
pub struct MemoryHistogram {
    weights: Vec<f64>,
    /// The current interval's peak, its weight and bucket (replaced as it grows).
    current: Option<(f64, usize, f64)>,
    interval_start: SimTime,
}

impl Default for MemoryHistogram {
    fn default() -> Self {
        MemoryHistogram {
            weights: vec![0.0; BUCKETS],
            current: None,
            interval_start: SimTime::ZERO,
        }
    }
}

fn bucket(bytes: f64) -> usize {
    if bytes < FIRST_BUCKET {
        return 0;
    }
    // Bucket i starts at FIRST_BUCKET × (RATIO^i − 1) / (RATIO − 1).
    let i = ((bytes * (RATIO - 1.0) / FIRST_BUCKET) + 1.0).ln() / RATIO.ln();
    (i.floor() as usize).min(BUCKETS - 1)
}

fn bucket_start(i: usize) -> f64 {
    FIRST_BUCKET * (RATIO.powi(i as i32) - 1.0) / (RATIO - 1.0)
}

fn weight(at: SimTime) -> f64 {
    2f64.powf(at.as_secs_f64() / HALF_LIFE.as_secs_f64())
}

impl MemoryHistogram {
    /// Records usage `bytes` seen at `now` (kept if it is the interval's peak).
    pub fn observe(&mut self, now: SimTime, bytes: f64) {
        if now >= self.interval_start + INTERVAL {
            self.current = None;
            self.interval_start = now;
        }
        if let Some((peak, b, w)) = self.current {
            if bytes <= peak {
                return;
            }
            self.weights[b] -= w;
        }
        let (b, w) = (bucket(bytes), weight(now));
        self.weights[b] += w;
        self.current = Some((bytes, b, w));
    }

    /// Records an OOM kill at `now` of a container that used `used` bytes.
    pub fn oom(&mut self, now: SimTime, used: f64) {
        let bumped = (used + 100.0 * 1024.0 * 1024.0).max(used * 1.2);
        self.weights[bucket(bumped)] += weight(now);
    }

    fn percentile(&self, p: f64) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut seen = 0.0;
        for (i, w) in self.weights.iter().enumerate() {
            seen += w;
            if seen >= p * total {
                // VPA reports the start of the next bucket (a conservative estimate).
                return Some(bucket_start(i + 1));
            }
        }
        Some(bucket_start(BUCKETS))
    }

    /// The recommendation, if there is any sample.
    pub fn recommend(&self) -> Option<Recommendation> {
        let at = |p| {
            self.percentile(p)
                .map(|b| Bytes((b * (1.0 + SAFETY_MARGIN)).max(MIN_MEMORY) as u64))
        };
        Some(Recommendation {
            target: at(TARGET_PERCENTILE)?,
            lower: at(LOWER_PERCENTILE)?,
            upper: at(UPPER_PERCENTILE)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_is_250_mb() {
        let mut h = MemoryHistogram::default();
        h.observe(SimTime::ZERO, 50e6);
        assert_eq!(h.recommend().unwrap().target, Bytes(250_000_000));
    }

    #[test]
    fn target_is_the_peak_plus_margin_and_an_oom_bumps_it() {
        let mut h = MemoryHistogram::default();
        for t in 0..100 {
            h.observe(SimTime::from_secs(t * 60), 300e6 + t as f64 * 1e6);
        }
        let before = h.recommend().unwrap().target.as_f64();
        // One interval: the sample is the peak (399 MB), within a 5 % bucket, + 15 %.
        assert!(
            (399e6 * 1.15..=399e6 * 1.15 * 1.06).contains(&before),
            "{before}"
        );
        h.oom(SimTime::from_secs(6000), 512.0 * 1024.0 * 1024.0);
        let after = h.recommend().unwrap().target.as_f64();
        // max(512Mi + 100Mi, 512Mi × 1.2) = 644 245 094 B, + 15 %.
        assert!(after >= 644_245_094.0 * 1.15, "{after}");
    }
}
