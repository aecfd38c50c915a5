//! The HorizontalPodAutoscaler (autoscaling/v2) on CPU or memory utilisation, as the
//! controller computes it (docs/reference.md#horizontal-pod-autoscaler; kubernetes
//! `pkg/controller/podautoscaler/{replica_calculator,horizontal}.go`):
//!
//! 1. every 15 s, utilisation = ⌊100 × Σ usage ÷ Σ requests⌋ over the pods with a metric
//!    (requests of every container, sidecars too), ratio = utilisation ÷ target;
//! 2. with every pod measured and ready: within the tolerance (|ratio − 1| ≤ 0.1) the
//!    replicas stay, otherwise ⌈ratio × ready pods⌉; pods without a metric count as 100 %
//!    of their request when scaling down and 0 % when scaling up, not-ready pods (CPU
//!    only) as 0 % when scaling up — and if that brings the ratio within the tolerance or
//!    flips its direction, the replicas stay;
//! 3. stabilisation: the highest recommendation of the last 300 s wins when scaling down
//!    (none when scaling up);
//! 4. rate: up by at most max(4 pods, 100 %) per 15 s, down by up to 100 % per 15 s,
//!    counted from the replicas at the start of each period; then `minReplicas` and
//!    `maxReplicas`.
//!
//! What this does to a leaking workload: memory utilisation only rises, so it scales out
//! to `maxReplicas`; each new replica starts small and leaks again, and the kills go on
//! in every replica.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};

/// The resource an HPA scales on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HpaMetric {
    /// CPU utilisation of requests.
    Cpu,
    /// Memory utilisation of requests.
    Memory,
}

impl HpaMetric {
    /// The name in events (`cpu`, `memory`).
    pub fn as_str(self) -> &'static str {
        match self {
            HpaMetric::Cpu => "cpu",
            HpaMetric::Memory => "memory",
        }
    }
}

/// An HPA with the controller's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// Target workload.
    pub workload: usize,
    /// `minReplicas` (1).
    pub min_replicas: u32,
    /// `maxReplicas`.
    pub max_replicas: u32,
    /// Resource.
    pub metric: HpaMetric,
    /// `averageUtilization`, percent of requests.
    pub target: u32,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1).
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-sync-period` (15 s).
    pub sync_period: SimDuration,
    /// Scale-down stabilisation window (300 s).
    pub down_window: SimDuration,
    /// Scale-up stabilisation window (0 s).
    pub up_window: SimDuration,
    /// Scale-up policies: pods and percent per period (4, 100 %, 15 s).
    pub up_pods: u32,
    /// Scale-up percent per period.
    pub up_percent: u32,
    /// Scale-down percent per period (100 %).
    pub down_percent: u32,
    /// Length of a policy period (15 s).
    pub period: SimDuration,
}

impl HpaSpec {
    /// An HPA of `workload` between `min` and `max` replicas at `target` % of `metric`,
    /// with every default of the controller and of `behavior`.
    pub fn new(workload: usize, min: u32, max: u32, metric: HpaMetric, target: u32) -> Self {
        HpaSpec {
            workload,
            min_replicas: min,
            max_replicas: max,
            metric,
            target,
            tolerance: 0.1,
            sync_period: SimDuration::from_secs(15),
            down_window: SimDuration::from_secs(300),
            up_window: SimDuration::ZERO,
            up_pods: 4,
            up_percent: 100,
            down_percent: 100,
            period: SimDuration::from_secs(15),
        }
    }
}

/// One pod as the replica calculator sees it.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct PodMetric {
    /// Usage (cores or bytes), `None` when it has no metric (no running container).
    pub usage: Option<f64>,
    /// Sum of its containers' requests of the resource.
    pub request: f64,
    /// Counts as ready (for CPU: the pod is Ready; memory ignores readiness).
    pub ready: bool,
}

/// `⌊100 × Σ usage ÷ Σ requests⌋` over `(usage, request)`.
fn utilisation(pods: impl Iterator<Item = (f64, f64)>) -> Option<u32> {
    let (u, r) = pods.fold((0.0, 0.0), |(u, r), (a, b)| (u + a, r + b));
    (r > 0.0).then(|| (100.0 * u / r).floor() as u32)
}

/// The replica calculator: (replicas it recommends, utilisation it measured) for a
/// workload at `current` replicas; `None` without any metric.
pub fn recommend(spec: &HpaSpec, current: u32, pods: &[PodMetric]) -> Option<(u32, u32)> {
    let measured = pods.iter().filter(|p| p.ready && p.usage.is_some());
    let util = utilisation(
        measured
            .clone()
            .map(|p| (p.usage.unwrap_or(0.0), p.request)),
    )?;
    let ready = measured.count() as f64;
    let target = f64::from(spec.target);
    let ratio = f64::from(util) / target;
    let unready = pods.iter().any(|p| !p.ready);
    let missing = pods.iter().any(|p| p.ready && p.usage.is_none());
    let within = |r: f64| (1.0 - r).abs() <= spec.tolerance;
    let up_with_unready = unready && ratio > 1.0;
    if !up_with_unready && !missing {
        if within(ratio) {
            return Some((current, util));
        }
        return Some(((ratio * ready).ceil() as u32, util));
    }
    let fallback = |p: &PodMetric| -> Option<(f64, f64)> {
        match (p.ready, p.usage) {
            (true, Some(u)) => Some((u, p.request)),
            (true, None) if ratio < 1.0 => Some((p.request * (target / 100.0).max(1.0), p.request)),
            (true, None) if ratio > 1.0 => Some((0.0, p.request)),
            (false, _) if up_with_unready => Some((0.0, p.request)),
            _ => None,
        }
    };
    let counted: Vec<(f64, f64)> = pods.iter().filter_map(fallback).collect();
    let new_ratio = f64::from(utilisation(counted.iter().copied())?) / target;
    let flipped = (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0);
    if within(new_ratio) || flipped {
        return Some((current, util));
    }
    let n = (new_ratio * counted.len() as f64).ceil() as u32;
    if (new_ratio < 1.0 && n > current) || (new_ratio > 1.0 && n < current) {
        return Some((current, util));
    }
    Some((n, util))
}

/// What the controller remembers between syncs: recommendations (for stabilisation)
/// and scale events (for the rate policies).
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    recommendations: VecDeque<(SimTime, u32)>,
    events: VecDeque<(SimTime, i64)>,
}

impl HpaState {
    /// The replicas to set at `now` for a workload at `current` whose calculator
    /// recommends `desired`: stabilised, rate-limited, within min and max.
    pub fn normalise(&mut self, spec: &HpaSpec, now: SimTime, current: u32, desired: u32) -> u32 {
        if current > spec.max_replicas {
            return spec.max_replicas;
        }
        if current < spec.min_replicas {
            return spec.min_replicas;
        }
        let stabilised = self.stabilise(spec, now, current, desired);
        self.rate_limit(spec, now, current, stabilised)
    }

    fn stabilise(&mut self, spec: &HpaSpec, now: SimTime, current: u32, desired: u32) -> u32 {
        let keep = spec.down_window.max(spec.up_window);
        while self
            .recommendations
            .front()
            .is_some_and(|&(t, _)| t + keep < now)
        {
            self.recommendations.pop_front();
        }
        let (mut up, mut down) = (desired, desired);
        for &(t, r) in &self.recommendations {
            if t + spec.up_window > now {
                up = up.min(r);
            }
            if t + spec.down_window > now {
                down = down.max(r);
            }
        }
        self.recommendations.push_back((now, desired));
        current.max(up).min(down)
    }

    /// Replicas added (positive) or removed within the period before `now`.
    fn changed(&self, spec: &HpaSpec, now: SimTime, up: bool) -> i64 {
        self.events
            .iter()
            .filter(|&&(t, d)| t + spec.period > now && (d > 0) == up)
            .map(|&(_, d)| d)
            .sum()
    }

    fn rate_limit(&mut self, spec: &HpaSpec, now: SimTime, current: u32, desired: u32) -> u32 {
        let cur = i64::from(current);
        let out = if desired > current {
            let start = cur - self.changed(spec, now, true);
            let pods = start + i64::from(spec.up_pods);
            let pct = (start as f64 * (1.0 + f64::from(spec.up_percent) / 100.0)).ceil() as i64;
            let limit = pods.max(pct).max(cur);
            i64::from(desired)
                .min(limit)
                .min(i64::from(spec.max_replicas))
        } else if desired < current {
            let start = cur - self.changed(spec, now, false);
            let limit = ((start as f64) * (1.0 - f64::from(spec.down_percent) / 100.0)) as i64;
            i64::from(desired)
                .max(limit.min(cur))
                .max(i64::from(spec.min_replicas))
        } else {
            cur
        };
        while self
            .events
            .front()
            .is_some_and(|&(t, _)| t + spec.period <= now)
        {
            self.events.pop_front();
        }
        if out != cur {
            self.events.push_back((now, out - cur));
        }
        out as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(usages: &[f64], request: f64) -> Vec<PodMetric> {
        usages
            .iter()
            .map(|&u| PodMetric {
                usage: Some(u),
                request,
                ready: true,
            })
            .collect()
    }

    fn spec() -> HpaSpec {
        HpaSpec::new(0, 1, 20, HpaMetric::Memory, 80)
    }

    #[test]
    fn desired_is_the_ceiling_of_ratio_times_pods_outside_the_tolerance() {
        // 3 pods at 100 % of their request, target 80 %: ⌈1.25 × 3⌉ = 4.
        assert_eq!(
            recommend(&spec(), 3, &pods(&[100.0; 3], 100.0)),
            Some((4, 100))
        );
        // 86 % is within 10 % of 80 % (ratio 1.075): no change.
        assert_eq!(
            recommend(&spec(), 3, &pods(&[86.0; 3], 100.0)),
            Some((3, 86))
        );
        // Utilisation is an integer percent: 79.9 % reads 79.
        assert_eq!(
            recommend(&spec(), 3, &pods(&[79.9; 3], 100.0)).unwrap().1,
            79
        );
    }

    #[test]
    fn a_pod_without_a_metric_counts_as_full_when_scaling_down() {
        let mut p = pods(&[20.0, 20.0], 100.0);
        p.push(PodMetric {
            usage: None,
            request: 100.0,
            ready: true,
        });
        // Ready pods alone: 20 % → ⌈0.25 × 2⌉ = 1; with the missing pod at 100 %: 46 %
        // → ⌈0.575 × 3⌉ = 2.
        assert_eq!(recommend(&spec(), 3, &p), Some((2, 20)));
    }

    #[test]
    fn scale_up_is_at_most_max_of_4_pods_and_100_percent_per_period() {
        let s = spec();
        let mut st = HpaState::default();
        let t0 = SimTime::from_secs(15);
        assert_eq!(st.normalise(&s, t0, 2, 19), 6);
        // The next sync, a period later, may double again.
        assert_eq!(st.normalise(&s, t0 + s.period, 6, 19), 12);
        assert_eq!(st.normalise(&s, t0 + s.period + s.period, 12, 19), 19);
    }

    #[test]
    fn scale_down_waits_for_the_highest_recommendation_of_five_minutes() {
        let s = spec();
        let mut st = HpaState::default();
        let mut t = SimTime::from_secs(0);
        assert_eq!(st.normalise(&s, t, 10, 10), 10);
        for _ in 0..19 {
            t += s.sync_period;
            assert_eq!(st.normalise(&s, t, 10, 3), 10, "at {t:?}");
        }
        // 300 s after the last recommendation of 10, it is no longer in the window.
        t += s.sync_period;
        assert_eq!(st.normalise(&s, t, 10, 3), 3);
    }
}
