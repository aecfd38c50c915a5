//! Ordinary least squares for a handful of columns: the normal equations on
//! standardised columns, solved by Gauss–Jordan elimination with partial pivoting.
//! O(n·p² + p³) for n rows and p columns; p is at most six here.

/// A least-squares fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Coefficients, one per column.
    pub coef: Vec<f64>,
    /// Their standard errors (∞ when a column is not identified).
    pub se: Vec<f64>,
    /// Residual standard deviation (n − p degrees of freedom).
    pub residual_sd: f64,
    /// Share of the variance around the mean explained (R²).
    pub r2: f64,
}

/// Fits `y ≈ X β` where `x[i]` is row i; `None` when a column is constant zero or a
/// linear combination of the others (the system is singular).
pub fn fit(x: &[Vec<f64>], y: &[f64]) -> Option<Fit> {
    let n = y.len();
    let p = x.first()?.len();
    if n <= p {
        return None;
    }
    // Scale each column to unit root-mean-square so the pivots compare like with like.
    let scale: Vec<f64> = (0..p)
        .map(|j| (x.iter().map(|r| r[j] * r[j]).sum::<f64>() / n as f64).sqrt())
        .collect();
    if scale.iter().any(|s| s.is_nan() || *s <= 0.0) {
        return None;
    }
    let mut a = vec![vec![0.0; 2 * p]; p];
    let mut b = vec![0.0; p];
    for (row, &yi) in x.iter().zip(y) {
        for j in 0..p {
            let xj = row[j] / scale[j];
            b[j] += xj * yi;
            for k in 0..p {
                a[j][k] += xj * row[k] / scale[k];
            }
        }
    }
    for (j, r) in a.iter_mut().enumerate() {
        r[p + j] = 1.0;
    }
    // Gauss–Jordan on [A | I] gives A⁻¹ (for the standard errors) alongside.
    let trace: f64 = (0..p).map(|j| a[j][j]).sum();
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &k| a[i][col].abs().total_cmp(&a[k][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 * trace {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let d = a[col][col];
        for v in a[col].iter_mut() {
            *v /= d;
        }
        b[col] /= d;
        for r in 0..p {
            if r != col {
                let f = a[r][col];
                if f != 0.0 {
                    let pivot_row = a[col].clone();
                    for (v, pv) in a[r].iter_mut().zip(&pivot_row) {
                        *v -= f * pv;
                    }
                    b[r] -= f * b[col];
                }
            }
        }
    }
    let coef: Vec<f64> = (0..p).map(|j| b[j] / scale[j]).collect();
    let predicted = |row: &Vec<f64>| row.iter().zip(&coef).map(|(a, c)| a * c).sum::<f64>();
    let sse: f64 = x
        .iter()
        .zip(y)
        .map(|(r, yi)| (yi - predicted(r)).powi(2))
        .sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let sst: f64 = y.iter().map(|yi| (yi - mean).powi(2)).sum();
    let sigma2 = sse / (n - p) as f64;
    let se = (0..p)
        .map(|j| (sigma2 * a[j][p + j]).max(0.0).sqrt() / scale[j])
        .collect();
    Some(Fit {
        coef,
        se,
        residual_sd: sigma2.sqrt(),
        r2: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
    })
}

/// Pearson correlation of two equally long samples (0 when either is constant).
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_line_is_recovered_with_zero_residual() {
        let x: Vec<Vec<f64>> = (0..10).map(|i| vec![1.0, i as f64]).collect();
        let y: Vec<f64> = (0..10).map(|i| 3.0 + 2.0 * i as f64).collect();
        let f = fit(&x, &y).unwrap();
        assert!((f.coef[0] - 3.0).abs() < 1e-9 && (f.coef[1] - 2.0).abs() < 1e-9);
        assert!(f.residual_sd < 1e-9 && (f.r2 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn collinear_columns_are_refused() {
        let x: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![1.0, i as f64, 2.0 * i as f64])
            .collect();
        let y: Vec<f64> = (0..10).map(|i| i as f64).collect();
        assert!(fit(&x, &y).is_none());
    }
}
