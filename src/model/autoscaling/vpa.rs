//! The VPA recommender's memory model.
//!
//! Follows kubernetes/autoscaler `vertical-pod-autoscaler/pkg/recommender/` (read at
//! commit 55c37cd, Aug 2026; docs/reference.md#vpa-recommender):
//!
//! - memory samples are per-container peaks per aggregation interval (24 h): while an
//!   interval lasts, its sample is the highest usage seen so far;
//! - samples go into a histogram with exponential buckets (10 MB first bucket, ratio
//!   1.05) and weights that double every half-life (24 h), so recent peaks count more;
//! - an OOM kill adds a sample of `max(used + 100 MiB, used × 1.2)` with
//!   `used = max(request, peak)`;
//! - target = 90th percentile, lower bound = 50th, upper bound = 95th, each with a 15 %
//!   safety margin (`logic/recommender.go`);
//! - young histories widen the bounds (`logic/estimator.go`, `getConfidence`): with
//!   `confidence = min(history span, samples / 1440)` in days, the upper bound is
//!   multiplied by `1 + 1/confidence` and the lower bound by
//!   `(1 + 0.001/confidence)^-2`, so a minute of data never forces an eviction;
//! - every estimate is at least `pod-recommendation-min-memory-mb` (250) MiB shared
//!   among the pod's containers (`GetRecommendedPodResources`, `fraction`).
//!
//! Left out: CPU.

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
/// Minimum recommendation per pod: 250 MiB (`pod-recommendation-min-memory-mb` is in
/// MB but multiplied by 1024 × 1024 in `GetRecommendedPodResources`), shared equally
/// among the pod's containers.
pub const POD_MIN_MEMORY: f64 = 250.0 * 1024.0 * 1024.0;
/// History over which the bounds reach full confidence (`confidence-interval-memory`).
pub const CONFIDENCE_INTERVAL: SimDuration = SimDuration::from_secs(24 * 3600);
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
    /// First and last sample, and how many (the span and count of `getConfidence`).
    first_sample: Option<SimTime>,
    last_sample: SimTime,
    samples: u64,
}

impl Default for MemoryHistogram {
    fn default() -> Self {
        MemoryHistogram {
            weights: vec![0.0; BUCKETS],
            current: None,
            interval_start: SimTime::ZERO,
            first_sample: None,
            last_sample: SimTime::ZERO,
            samples: 0,
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
        self.first_sample.get_or_insert(now);
        self.last_sample = self.last_sample.max(now);
        self.samples += 1;
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

    /// How much the history is trusted, in days of data (`getConfidence`): the lesser
    /// of its span and its sample count at one sample a minute.
    pub fn confidence(&self) -> f64 {
        let days = CONFIDENCE_INTERVAL.as_secs_f64();
        let span = self
            .first_sample
            .map_or(0.0, |f| (self.last_sample - f).as_secs_f64() / days);
        let count = self.samples as f64 / (days / 60.0);
        span.min(count)
    }

    /// The recommendation, if there is any sample; `min` is this container's share of
    /// the pod's minimum.
    pub fn recommend(&self, min: f64) -> Option<Recommendation> {
        let confidence = self.confidence();
        let at = |p, widen: Option<(f64, f64)>| {
            self.percentile(p).map(|b| {
                let factor = widen.map_or(1.0, |(multiplier, exponent): (f64, f64)| {
                    (1.0 + multiplier / confidence).powf(exponent)
                });
                let scaled = b * (1.0 + SAFETY_MARGIN) * factor;
                // No history: × ∞ for the upper bound, × 0 for the lower.
                let scaled = if scaled.is_nan() { 0.0 } else { scaled };
                Bytes(scaled.max(min).min(u64::MAX as f64) as u64)
            })
        };
        Some(Recommendation {
            target: at(TARGET_PERCENTILE, None)?,
            lower: at(LOWER_PERCENTILE, Some((0.001, -2.0)))?,
            upper: at(UPPER_PERCENTILE, Some((1.0, 1.0)))?,
        })
    }
}

impl Recommendation {
    /// The recommendation as the VPA applies it to a container (`capping.go`): every
    /// value within minAllowed/maxAllowed, and with `RequestsOnly`, at most the
    /// container's limit.
    pub fn capped(self, min: Option<Bytes>, max: Option<Bytes>, limit: Option<Bytes>) -> Self {
        let cap = |b: Bytes| {
            let b = min.map_or(b, |m| b.max(m));
            let b = max.map_or(b, |m| b.min(m));
            limit.map_or(b, |l| b.min(l))
        };
        Recommendation {
            target: cap(self.target),
            lower: cap(self.lower),
            upper: cap(self.upper),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_is_250_mib_shared_by_the_pods_containers() {
        let mut h = MemoryHistogram::default();
        h.observe(SimTime::ZERO, 50e6);
        assert_eq!(
            h.recommend(POD_MIN_MEMORY).unwrap().target,
            Bytes(262_144_000)
        );
        assert_eq!(
            h.recommend(POD_MIN_MEMORY / 2.0).unwrap().target,
            Bytes(131_072_000)
        );
    }

    /// The multipliers estimator.go's comments list: upper × 3 at 12 h of history, × 2
    /// at 24 h, × 1.14 at a week; lower × 0.6 at 5 min, × 0.95 at 60 min.
    #[test]
    fn young_histories_widen_the_bounds_as_the_recommender_documents() {
        let bounds = |minutes: u64| {
            let mut h = MemoryHistogram::default();
            for m in 0..=minutes {
                h.observe(SimTime::from_secs(m * 60), 400e6);
            }
            let r = h.recommend(0.0).unwrap();
            (
                r.upper.as_f64() / r.target.as_f64(),
                r.lower.as_f64() / r.target.as_f64(),
            )
        };
        let near = |a: f64, b: f64| (a - b).abs() < 0.02 * b;
        assert!(near(bounds(12 * 60).0, 3.0), "{:?}", bounds(12 * 60));
        assert!(near(bounds(24 * 60).0, 2.0), "{:?}", bounds(24 * 60));
        assert!(near(bounds(7 * 24 * 60).0, 1.0 + 1.0 / 7.0));
        assert!(near(bounds(5).1, 0.6), "{:?}", bounds(5));
        assert!(near(bounds(60).1, 0.95), "{:?}", bounds(60));
        // One sample: no history span, the upper bound is unbounded, the lower is 0.
        let one = bounds(0);
        assert!(one.0 > 1e6 && one.1 == 0.0, "{one:?}");
    }

    #[test]
    fn capping_keeps_min_and_max_allowed_and_requests_only_stays_under_the_limit() {
        let r = Recommendation {
            target: Bytes(900 << 20),
            lower: Bytes(100 << 20),
            upper: Bytes(3000 << 20),
        };
        let c = r.capped(Some(Bytes(256 << 20)), Some(Bytes(2048 << 20)), None);
        assert_eq!((c.lower, c.upper), (Bytes(256 << 20), Bytes(2048 << 20)));
        let only = r.capped(
            Some(Bytes(256 << 20)),
            Some(Bytes(2048 << 20)),
            Some(Bytes(512 << 20)),
        );
        assert_eq!(only.target, Bytes(512 << 20));
    }

    #[test]
    fn target_is_the_peak_plus_margin_and_an_oom_bumps_it() {
        let mut h = MemoryHistogram::default();
        for t in 0..100 {
            h.observe(SimTime::from_secs(t * 60), 300e6 + t as f64 * 1e6);
        }
        let before = h.recommend(POD_MIN_MEMORY).unwrap().target.as_f64();
        // One interval: the sample is the peak (399 MB), within a 5 % bucket, + 15 %.
        assert!(
            (399e6 * 1.15..=399e6 * 1.15 * 1.06).contains(&before),
            "{before}"
        );
        h.oom(SimTime::from_secs(6000), 512.0 * 1024.0 * 1024.0);
        let after = h.recommend(POD_MIN_MEMORY).unwrap().target.as_f64();
        // max(512Mi + 100Mi, 512Mi × 1.2) = 644 245 094 B, + 15 %.
        assert!(after >= 644_245_094.0 * 1.15, "{after}");
    }
}
