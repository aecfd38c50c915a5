//! Calibration: a container's working set fitted, by least squares over its pods, as the
//! laws meshmem has —
//!
//! `working set = baseline + k × rps + leak/s × age + leak/request × requests served
//!                + A × sawtooth(period)`
//!
//! where `rps` is the pod's share of its workload's request rate (in-flight memory,
//! Little's law: k = latency × bytes per request), `age` the time since the pod (or its
//! container) started, `requests served` the integral of its rate since then, and the
//! sawtooth a buffer that fills linearly and is freed by a periodic flush.
//!
//! Nothing is invented: a term stays only when the data support it (a positive
//! coefficient at least twice its standard error). A leak per request and one per second
//! cannot be told apart when traffic is steady (requests served grow as the age does);
//! then the per-second leak, which does not depend on traffic, is kept and the notes say
//! why. Assumptions the data cannot check are stated in the notes: a pod is taken to
//! start at its first sample, a drop to under half the previous sample is a restart.

use super::lsq;

/// One pod's working set: (seconds from the data's start, bytes).
#[derive(Clone, Debug)]
pub struct PodSeries {
    /// Pod name.
    pub pod: String,
    /// Samples in time order.
    pub points: Vec<(f64, f64)>,
}

/// A sawtooth: a buffer filled linearly, freed every period.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Sawtooth {
    /// Bytes at the top of a tooth.
    pub amplitude: f64,
    /// Seconds between flushes.
    pub period: f64,
}

/// One pod's samples against the fit: (seconds, data bytes, fitted bytes).
pub type Curve = Vec<(f64, f64, f64)>;

/// A container's fitted laws and the fit's quality.
#[derive(Clone, Debug)]
pub struct MemoryFit {
    /// Bytes of the idle process.
    pub baseline: f64,
    /// In-flight bytes per request per second (latency × bytes per request).
    pub in_flight: Option<f64>,
    /// Bytes leaked per second of uptime.
    pub leak_per_second: Option<f64>,
    /// Bytes leaked per request.
    pub leak_per_request: Option<f64>,
    /// Periodic flush.
    pub sawtooth: Option<Sawtooth>,
    /// R² over every sample.
    pub r2: f64,
    /// Residual standard deviation, bytes.
    pub residual_sd: f64,
    /// Hours of data.
    pub hours: f64,
    /// Samples used.
    pub samples: usize,
    /// Pods.
    pub pods: usize,
    /// Mean working set of the data over its last 15 minutes, bytes.
    pub data_end: f64,
    /// The same from the fitted laws.
    pub fitted_end: f64,
    /// Per pod: (seconds, data bytes, fitted bytes).
    pub curves: Vec<(String, Curve)>,
    /// What the fit decided and why.
    pub notes: Vec<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Term {
    InFlight,
    LeakPerSecond,
    LeakPerRequest,
    Sawtooth,
}

impl Term {
    fn name(self) -> &'static str {
        match self {
            Term::InFlight => "in-flight memory per request/s",
            Term::LeakPerSecond => "leak per second",
            Term::LeakPerRequest => "leak per request",
            Term::Sawtooth => "periodic flush (sawtooth)",
        }
    }
}

/// One sample with its regressors.
#[derive(Clone, Debug)]
struct Row {
    pod: usize,
    t: f64,
    ws: f64,
    rps: f64,
    age: f64,
    served: f64,
    saw: f64,
}

impl Row {
    fn x(&self, terms: &[Term]) -> Vec<f64> {
        let mut x = vec![1.0];
        x.extend(terms.iter().map(|t| match t {
            Term::InFlight => self.rps,
            Term::LeakPerSecond => self.age,
            Term::LeakPerRequest => self.served,
            Term::Sawtooth => self.saw,
        }));
        x
    }
}

/// A drop to below this share of the previous sample is a restart, not a flush.
const RESTART_DROP: f64 = 0.5;
/// A term stays when its coefficient is at least this many standard errors above 0.
const T_MIN: f64 = 2.0;

/// Fits one container's pods; `rate` gives the workload's requests per second at a time
/// (seconds from the data's start), `None` without request-rate data.
pub fn fit(pods: &[PodSeries], rate: Option<&dyn Fn(f64) -> f64>) -> Option<MemoryFit> {
    let mut notes = Vec::new();
    let alive = |t: f64| {
        pods.iter()
            .filter(|p| {
                p.points.first().is_some_and(|f| f.0 <= t)
                    && p.points.last().is_some_and(|l| l.0 >= t)
            })
            .count()
            .max(1) as f64
    };
    let mut rows = Vec::new();
    let mut restarts = 0;
    for (i, p) in pods.iter().enumerate() {
        let (mut start, mut served, mut prev): (f64, f64, Option<(f64, f64, f64)>) =
            (p.points.first()?.0, 0.0, None);
        for &(t, ws) in &p.points {
            let rps = rate.map_or(0.0, |r| r(t) / alive(t));
            if let Some((pt, pws, prps)) = prev {
                if ws < RESTART_DROP * pws {
                    restarts += 1;
                    start = t;
                    served = 0.0;
                } else {
                    served += 0.5 * (rps + prps) * (t - pt);
                }
            }
            rows.push(Row {
                pod: i,
                t,
                ws,
                rps,
                age: t - start,
                served,
                saw: 0.0,
            });
            prev = Some((t, ws, rps));
        }
    }
    if rows.len() < 10 {
        return None;
    }
    if restarts > 0 {
        notes.push(format!(
            "{restarts} restart(s) seen (a drop to under half): age and requests served start again there"
        ));
    }
    notes.push(
        "pods are taken to start at their first sample: history before the data counts in the baseline"
            .into(),
    );
    let sawtooth = detect_sawtooth(&mut rows, pods.len());
    let mut terms = vec![Term::LeakPerSecond];
    if rate.is_some() {
        let rps: Vec<f64> = rows.iter().map(|r| r.rps).collect();
        if spread(&rps) > 0.02 {
            terms.insert(0, Term::InFlight);
        } else {
            notes.push(
                "traffic too steady to tell in-flight memory from the baseline: none fitted".into(),
            );
        }
        terms.push(Term::LeakPerRequest);
    } else {
        notes.push(
            "no request-rate data: in-flight memory and a per-request leak are not fitted".into(),
        );
    }
    if sawtooth.is_some() {
        terms.push(Term::Sawtooth);
    }
    let y: Vec<f64> = rows.iter().map(|r| r.ws).collect();
    let solve = |terms: &[Term]| {
        let x: Vec<Vec<f64>> = rows.iter().map(|r| r.x(terms)).collect();
        lsq::fit(&x, &y)
    };
    choose_leak(&rows, &mut terms, &solve, &mut notes);
    // Backward elimination: drop the least supported term until all are supported.
    let mut f = loop {
        let Some(f) = solve(&terms) else {
            let dropped = terms.pop()?;
            notes.push(format!(
                "{} is not identified by the data: left out",
                dropped.name()
            ));
            continue;
        };
        let weakest = terms
            .iter()
            .enumerate()
            .map(|(j, t)| (*t, f.coef[j + 1] / f.se[j + 1]))
            .filter(|(_, z)| z.is_nan() || *z < T_MIN)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match weakest {
            Some((t, z)) => {
                notes.push(format!(
                    "no {} in the data ({:.1} standard errors from zero): left out",
                    t.name(),
                    z
                ));
                terms.retain(|x| *x != t);
            }
            None => break f,
        }
    };
    if f.coef[0] < 0.0 {
        notes.push("the fitted baseline is negative; set to 0".into());
        f.coef[0] = 0.0;
    }
    let coef = |t: Term| terms.iter().position(|x| *x == t).map(|j| f.coef[j + 1]);
    let predicted: Vec<f64> = rows
        .iter()
        .map(|r| r.x(&terms).iter().zip(&f.coef).map(|(a, c)| a * c).sum())
        .collect();
    let t_end = rows.iter().map(|r| r.t).fold(f64::MIN, f64::max);
    let t_begin = rows.iter().map(|r| r.t).fold(f64::MAX, f64::min);
    let tail: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].t >= t_end - 900.0)
        .collect();
    let mean_at =
        |v: &dyn Fn(usize) -> f64| tail.iter().map(|&i| v(i)).sum::<f64>() / tail.len() as f64;
    let mut curves: Vec<(String, Curve)> =
        pods.iter().map(|p| (p.pod.clone(), Vec::new())).collect();
    for (r, p) in rows.iter().zip(&predicted) {
        curves[r.pod].1.push((r.t, r.ws, *p));
    }
    Some(MemoryFit {
        baseline: f.coef[0],
        in_flight: coef(Term::InFlight),
        leak_per_second: coef(Term::LeakPerSecond),
        leak_per_request: coef(Term::LeakPerRequest),
        sawtooth: coef(Term::Sawtooth).and_then(|a| {
            sawtooth.map(|period| Sawtooth {
                amplitude: a,
                period,
            })
        }),
        r2: f.r2,
        residual_sd: f.residual_sd,
        hours: (t_end - t_begin) / 3600.0,
        samples: rows.len(),
        pods: pods.len(),
        data_end: mean_at(&|i| rows[i].ws),
        fitted_end: mean_at(&|i| predicted[i]),
        curves,
        notes,
    })
}

/// Coefficient of variation.
fn spread(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
    if m > 0.0 { sd / m } else { 0.0 }
}

/// When both leaks are candidates and the joint fit supports neither, the data cannot
/// tell them apart: keep the per-second leak (it needs no traffic to explain it).
fn choose_leak(
    rows: &[Row],
    terms: &mut Vec<Term>,
    solve: &dyn Fn(&[Term]) -> Option<lsq::Fit>,
    notes: &mut Vec<String>,
) {
    let (Some(ps), Some(pr)) = (
        terms.iter().position(|t| *t == Term::LeakPerSecond),
        terms.iter().position(|t| *t == Term::LeakPerRequest),
    ) else {
        return;
    };
    let z = |f: &lsq::Fit, j: usize| f.coef[j + 1] / f.se[j + 1];
    let joint = solve(terms);
    let separated = joint
        .as_ref()
        .is_some_and(|f| z(f, ps) >= T_MIN || z(f, pr) >= T_MIN);
    if separated {
        return;
    }
    let alone = |drop: Term| {
        let t: Vec<Term> = terms.iter().copied().filter(|x| *x != drop).collect();
        let j = t.iter().position(|x| {
            *x == if drop == Term::LeakPerSecond {
                Term::LeakPerRequest
            } else {
                Term::LeakPerSecond
            }
        })?;
        solve(&t).map(|f| (f.r2, z(&f, j)))
    };
    let (Some((r2_ps, z_ps)), Some((r2_pr, _))) =
        (alone(Term::LeakPerRequest), alone(Term::LeakPerSecond))
    else {
        return;
    };
    terms.retain(|t| *t != Term::LeakPerRequest);
    if z_ps >= T_MIN {
        let age: Vec<f64> = rows.iter().map(|r| r.age).collect();
        let served: Vec<f64> = rows.iter().map(|r| r.served).collect();
        notes.push(format!(
            "a leak per request and one per second are not told apart by these data (traffic \
             too steady: requests served and uptime correlate at r = {:.4}; R² {:.4} per second \
             vs {:.4} per request): kept the per-second leak, the simpler (it does not depend \
             on traffic)",
            lsq::correlation(&age, &served),
            r2_ps,
            r2_pr
        ));
    }
}

/// Finds periodic drops (flushes) in every pod's samples; sets each row's sawtooth phase
/// (0 just after a flush, 1 at the next) and returns the period, if the drops are regular.
fn detect_sawtooth(rows: &mut [Row], pods: usize) -> Option<f64> {
    let mut drops: Vec<Vec<f64>> = vec![Vec::new(); pods];
    let mut intervals = Vec::new();
    for (p, pod_drops) in drops.iter_mut().enumerate() {
        let idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].pod == p).collect();
        let diffs: Vec<f64> = idx
            .windows(2)
            .map(|w| rows[w[1]].ws - rows[w[0]].ws)
            .collect();
        if diffs.len() < 10 {
            continue;
        }
        let mut sorted = diffs.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let mut dev: Vec<f64> = diffs.iter().map(|d| (d - median).abs()).collect();
        dev.sort_by(f64::total_cmp);
        let sigma = 1.4826 * dev[dev.len() / 2];
        for (k, w) in idx.windows(2).enumerate() {
            let (a, b) = (&rows[w[0]], &rows[w[1]]);
            let restart = b.ws < RESTART_DROP * a.ws;
            if !restart && diffs[k] < median - 5.0 * sigma.max(1.0) {
                pod_drops.push(b.t);
            }
        }
        intervals.extend(pod_drops.windows(2).map(|w| w[1] - w[0]));
    }
    if intervals.len() < 3 {
        return None;
    }
    intervals.sort_by(f64::total_cmp);
    let period = intervals[intervals.len() / 2];
    let regular = intervals
        .iter()
        .filter(|&&i| (i - period).abs() <= 0.2 * period)
        .count();
    if period <= 0.0 || (regular as f64) < 0.8 * intervals.len() as f64 {
        return None;
    }
    for r in rows.iter_mut() {
        let d = &drops[r.pod];
        r.saw = match d.iter().rev().find(|&&x| x <= r.t) {
            Some(last) => ((r.t - last) / period).min(1.0),
            None => match d.first() {
                Some(first) => (r.t - first).rem_euclid(period) / period,
                None => 0.0,
            },
        };
    }
    Some(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1048576.0;

    /// Deterministic noise in [-1, 1].
    fn wiggle(i: usize) -> f64 {
        ((i as f64 * 12.9898).sin() * 43758.5453).rem_euclid(1.0) * 2.0 - 1.0
    }

    fn pods(ws: impl Fn(f64) -> f64) -> Vec<PodSeries> {
        (0..2)
            .map(|p| PodSeries {
                pod: format!("api-{p}"),
                points: (0..720)
                    .map(|i| {
                        let t = i as f64 * 30.0;
                        (t, ws(t) + 0.5 * MIB * wiggle(i + 1000 * p))
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn a_leak_under_steady_traffic_is_per_second_and_the_notes_say_why() {
        // 50 rps per pod, constant: 20 bytes per request looks exactly like 1000 bytes/s.
        let data = pods(|t| 100.0 * MIB + 1000.0 * t);
        let rate = |_t: f64| 100.0;
        let f = fit(&data, Some(&rate)).unwrap();
        assert!(f.leak_per_request.is_none(), "{:?}", f.leak_per_request);
        let l = f.leak_per_second.expect("a leak");
        assert!((l - 1000.0).abs() < 20.0, "{l}");
        assert!(
            f.notes
                .iter()
                .any(|n| n.contains("not told apart") && n.contains("per-second")),
            "{:?}",
            f.notes
        );
    }

    #[test]
    fn a_flat_container_gets_only_a_baseline() {
        let data = pods(|_| 64.0 * MIB);
        let f = fit(&data, None).unwrap();
        assert!(
            (f.baseline - 64.0 * MIB).abs() < 0.1 * MIB,
            "{}",
            f.baseline
        );
        assert!(f.leak_per_second.is_none() && f.sawtooth.is_none() && f.in_flight.is_none());
    }
}
