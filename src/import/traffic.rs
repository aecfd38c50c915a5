//! A workload's traffic profile from its request rate: the level over the data's span,
//! a daily shape when the data cover a day, and the noise around them.
//!
//! Under a day of data the daily wave is not identified (a few hours of it look like a
//! ramp), so the span is replayed: the level of each half hour, joined by linear ramps.
//! With a day or more, `rps × (1 + amplitude × cos(2π (t − peak) / 24h))` is fitted by
//! least squares. The noise is what is left: the standard deviation of the log of the
//! rate over the profile, and its correlation time from the lag-one autocorrelation
//! (an Ornstein–Uhlenbeck process has ρ(Δt) = exp(−Δt/τ)).

use super::lsq;

/// Seconds in a day.
const DAY: f64 = 86_400.0;
/// Width of a replayed level.
const BUCKET: f64 = 1800.0;

/// A fitted traffic profile (times in seconds from the data's start).
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Requests per second at the start.
    pub rps: f64,
    /// Linear ramps (from, to, rps at the end).
    pub ramps: Vec<(f64, f64, f64)>,
    /// Daily wave (amplitude, seconds of the peak from the start).
    pub diurnal: Option<(f64, f64)>,
    /// Standard deviation of the log-rate around the profile.
    pub noise_sd: f64,
    /// Correlation time of the noise, seconds.
    pub noise_correlation: f64,
    /// Mean rate over the data.
    pub mean: f64,
    /// Hours of data.
    pub hours: f64,
    /// How the profile was chosen.
    pub notes: Vec<String>,
}

impl Profile {
    /// The profile's rate at `t` (no noise).
    pub fn at(&self, t: f64) -> f64 {
        let mut level = self.rps;
        for &(from, to, rps) in &self.ramps {
            if t >= to {
                level = rps;
            } else if t > from {
                level += (rps - level) * (t - from) / (to - from);
                break;
            } else {
                break;
            }
        }
        match self.diurnal {
            Some((a, peak)) => level * (1.0 + a * (std::f64::consts::TAU * (t - peak) / DAY).cos()),
            None => level,
        }
    }
}

/// Fits `points` (seconds from the data's start, requests per second).
pub fn fit(points: &[(f64, f64)]) -> Option<Profile> {
    if points.len() < 4 {
        return None;
    }
    let (t0, t1) = (points[0].0, points[points.len() - 1].0);
    let span = t1 - t0;
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let mut notes = Vec::new();
    let mut p = if span >= DAY * 0.95 {
        daily(points, mean, &mut notes)?
    } else {
        notes.push(format!(
            "{:.1} h of request rates do not identify a daily shape: the span is replayed as \
             half-hour levels joined by ramps",
            span / 3600.0
        ));
        replay(points, t0, t1)
    };
    p.mean = mean;
    p.hours = span / 3600.0;
    let resid: Vec<f64> = points
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|&(t, v)| (v / p.at(t).max(1e-9)).ln())
        .collect();
    let m = resid.iter().sum::<f64>() / resid.len().max(1) as f64;
    let centred: Vec<f64> = resid.iter().map(|r| r - m).collect();
    p.noise_sd = (centred.iter().map(|r| r * r).sum::<f64>() / centred.len().max(1) as f64).sqrt();
    let step = span / (points.len() - 1) as f64;
    let rho = lsq::correlation(&centred[..centred.len() - 1], &centred[1..]);
    p.noise_correlation = if rho > 0.0 && rho < 1.0 {
        (-step / rho.ln()).max(step)
    } else {
        step
    };
    p.notes = notes;
    Some(p)
}

fn replay(points: &[(f64, f64)], t0: f64, t1: f64) -> Profile {
    let n = (((t1 - t0) / BUCKET).ceil() as usize).max(1);
    let mut levels = Vec::new();
    for k in 0..n {
        let (a, b) = (t0 + k as f64 * BUCKET, t0 + (k + 1) as f64 * BUCKET);
        let inside: Vec<f64> = points
            .iter()
            .filter(|(t, _)| *t >= a && (*t < b || (k + 1 == n && *t <= b)))
            .map(|p| p.1)
            .collect();
        if !inside.is_empty() {
            let mid = (a + b.min(t1)) / 2.0 - t0;
            levels.push((mid, inside.iter().sum::<f64>() / inside.len() as f64));
        }
    }
    Profile {
        rps: levels[0].1,
        ramps: levels
            .windows(2)
            .map(|w| (w[0].0, w[1].0, w[1].1))
            .collect(),
        diurnal: None,
        noise_sd: 0.0,
        noise_correlation: 0.0,
        mean: 0.0,
        hours: 0.0,
        notes: Vec::new(),
    }
}

fn daily(points: &[(f64, f64)], mean: f64, notes: &mut Vec<String>) -> Option<Profile> {
    let t0 = points[0].0;
    let w = std::f64::consts::TAU / DAY;
    let x: Vec<Vec<f64>> = points
        .iter()
        .map(|(t, _)| vec![1.0, (w * (t - t0)).cos(), (w * (t - t0)).sin()])
        .collect();
    let y: Vec<f64> = points.iter().map(|p| p.1).collect();
    let f = lsq::fit(&x, &y)?;
    let (c0, c1, c2) = (f.coef[0], f.coef[1], f.coef[2]);
    if c0 <= 0.0 {
        return None;
    }
    let mut amplitude = c1.hypot(c2) / c0;
    if amplitude > 1.0 {
        notes.push(format!(
            "the daily swing fits at {amplitude:.2}; capped at 1"
        ));
        amplitude = 1.0;
    }
    let peak = (c2.atan2(c1) / w).rem_euclid(DAY);
    notes.push(format!(
        "daily shape fitted over {:.1} h: R² {:.3}",
        (points[points.len() - 1].0 - t0) / 3600.0,
        f.r2
    ));
    Some(Profile {
        rps: if c0 > 0.0 { c0 } else { mean },
        ramps: Vec::new(),
        diurnal: Some((amplitude, peak)),
        noise_sd: 0.0,
        noise_correlation: 0.0,
        mean,
        hours: 0.0,
        notes: Vec::new(),
    })
}
