//! Two-sample statistics for the fidelity tests: summary, spread and the
//! Kolmogorov–Smirnov test with its asymptotic p-value.

/// Mean and sample standard deviation.
pub fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The two-sample Kolmogorov–Smirnov statistic D = sup |F_a − F_b| (ties handled by
/// stepping both samples past a shared value together).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// P(D ≥ d) under "same distribution": Kolmogorov's limit law with Stephens' small-sample
/// correction (Numerical Recipes §14.3), accurate to a few per cent for n ≥ 20.
pub fn ks_p_value(d: f64, n: usize, m: usize) -> f64 {
    let ne = (n * m) as f64 / (n + m) as f64;
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    if lambda < 0.3 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let k = f64::from(k);
        let term = 2.0 * (-1f64).powf(k - 1.0) * (-2.0 * k * k * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
    }
    sum.clamp(0.0, 1.0)
}

/// A fluid-vs-per-request comparison: the agreement the tests ask for.
#[derive(Debug)]
pub struct Agreement {
    pub fluid: (f64, f64),
    pub exact: (f64, f64),
    pub ks_d: f64,
    pub ks_p: f64,
}

impl Agreement {
    pub fn of(fluid: &[f64], exact: &[f64]) -> Self {
        let d = ks_statistic(fluid, exact);
        Agreement {
            fluid: mean_sd(fluid),
            exact: mean_sd(exact),
            ks_d: d,
            ks_p: ks_p_value(d, fluid.len(), exact.len()),
        }
    }

    /// Relative difference of the means.
    pub fn mean_gap(&self) -> f64 {
        (self.fluid.0 - self.exact.0).abs() / self.exact.0
    }

    /// SD(fluid) / SD(per request).
    pub fn sd_ratio(&self) -> f64 {
        self.fluid.1 / self.exact.1
    }

    /// Means within 2 %, SD ratio within [0.8, 1.25], KS not rejected at 1 %.
    pub fn assert_agree(&self, what: &str) {
        assert!(self.mean_gap() < 0.02, "{what}: means differ: {self:?}");
        let r = self.sd_ratio();
        assert!((0.8..=1.25).contains(&r), "{what}: SD ratio {r}: {self:?}");
        assert!(self.ks_p > 0.01, "{what}: KS rejects at 1 %: {self:?}");
    }
}

#[test]
fn ks_p_value_matches_tables() {
    // Critical values for two samples of 200 (c(α) √(2/200)): 1.36 → 5 %, 1.63 → 1 %.
    let d05 = 1.358 * (2.0f64 / 200.0).sqrt();
    let d01 = 1.628 * (2.0f64 / 200.0).sqrt();
    let p05 = ks_p_value(d05, 200, 200);
    let p01 = ks_p_value(d01, 200, 200);
    assert!((0.04..0.06).contains(&p05), "{p05}");
    assert!((0.007..0.013).contains(&p01), "{p01}");
    // A shift of one SD between two normal-ish samples is rejected; none is not.
    let a: Vec<f64> = (0..200).map(|i| f64::from(i) / 200.0).collect();
    let b: Vec<f64> = a.iter().map(|x| x + 0.3).collect();
    assert!(ks_p_value(ks_statistic(&a, &b), 200, 200) < 1e-6);
    assert_eq!(ks_statistic(&a, &a), 0.0);
}
