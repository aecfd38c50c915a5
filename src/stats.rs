//! Statistics over runs, shared by the analysis and the planner: means with confidence
//! intervals, Wilson intervals for probabilities, Kaplan–Meier quantiles for censored
//! times.

/// Two-sided 95 % Student t quantile for `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        // Within 0.002 of the exact quantile beyond 30 degrees of freedom.
        _ => 1.96 + 2.5 / df as f64,
    }
}

/// Mean and its 95 % confidence interval (Student t).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MeanCi {
    /// Sample mean.
    pub mean: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// The mean of `xs` with a 95 % interval (degenerate for fewer than two values).
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi {
            mean: 0.0,
            lo: 0.0,
            hi: 0.0,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi {
            mean,
            lo: mean,
            hi: mean,
        };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t95(n - 1) * (var / n as f64).sqrt();
    MeanCi {
        mean,
        lo: mean - half,
        hi: mean + half,
    }
}

/// A probability with its 95 % Wilson score interval.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Proportion {
    /// Successes / trials.
    pub p: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// `k` successes in `n` trials, with the Wilson score interval at 95 %.
pub fn wilson(k: usize, n: usize) -> Proportion {
    if n == 0 {
        return Proportion {
            p: 0.0,
            lo: 0.0,
            hi: 1.0,
        };
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Proportion {
        p,
        lo: (centre - half).max(0.0),
        hi: (centre + half).min(1.0),
    }
}

/// Kaplan–Meier quantile `q` of times to an event, where `None` is a run that ended
/// (at `horizon`) without it: the smallest time by which a fraction `q` had the event.
/// `None` if that fraction is never reached within the observed runs.
pub fn km_quantile(times: &[Option<f64>], q: f64) -> Option<f64> {
    km_curve(times)
        .into_iter()
        .skip(1)
        .find(|&(_, survival)| 1.0 - survival >= q - 1e-12)
        .map(|(t, _)| t)
}

/// The Kaplan–Meier survival curve of times to an event (`None`: a run that ended
/// without it, censored after every event): the steps `(t, S(t))`, starting at `(0, 1)`.
pub fn km_curve(times: &[Option<f64>]) -> Vec<(f64, f64)> {
    let mut events: Vec<f64> = times.iter().flatten().copied().collect();
    events.sort_by(f64::total_cmp);
    let mut at_risk = times.len() as f64;
    let mut survival = 1.0;
    let mut steps = vec![(0.0, 1.0)];
    let mut i = 0;
    while i < events.len() {
        let t = events[i];
        let d = events[i..].iter().take_while(|&&e| e == t).count();
        survival *= 1.0 - d as f64 / at_risk;
        at_risk -= d as f64;
        steps.push((t, survival));
        i += d;
    }
    steps
}

/// Quantile `q` of `sorted` (ascending), interpolating between order statistics
/// (Hyndman and Fan type 7, as R and NumPy do by default). `NaN` when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook_values() {
        // 0 of 400: upper bound z²/(n + z²) ≈ 0.95 %, the "rule of 3.84".
        let w = wilson(0, 400);
        assert!(w.lo < 1e-12);
        assert!((w.hi - 0.009_512).abs() < 1e-6, "{}", w.hi);
        let w = wilson(5, 10);
        assert!((w.lo - 0.2366).abs() < 1e-4 && (w.hi - 0.7634).abs() < 1e-4);
    }

    #[test]
    fn mean_ci_uses_student_t() {
        let c = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        // sd 1.291, se 0.6455, t(3) 3.182.
        assert!((c.mean - 2.5).abs() < 1e-12 && (c.hi - 2.5 - 3.182 * 0.645_497).abs() < 1e-4);
    }

    #[test]
    fn censored_runs_are_not_counted_as_zero() {
        // Half the runs never fail: the median is the largest event time, not 0 or None.
        let times = [Some(10.0), Some(20.0), None, None];
        assert_eq!(km_quantile(&times, 0.5), Some(20.0));
        assert_eq!(km_quantile(&times, 0.75), None);
        assert_eq!(km_quantile(&times, 0.25), Some(10.0));
    }

    #[test]
    fn survival_steps_down_at_each_event_and_stays_for_the_censored() {
        let curve = km_curve(&[Some(10.0), Some(20.0), Some(20.0), None]);
        assert_eq!(curve, vec![(0.0, 1.0), (10.0, 0.75), (20.0, 0.25)]);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let xs = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile_sorted(&xs, 0.5), 3.0);
        assert!((quantile_sorted(&xs, 0.95) - 8.8).abs() < 1e-12);
        assert_eq!(quantile_sorted(&xs, 0.05), 1.2);
    }
}
