//! Traffic specs to service traffic.

use super::workload_index;
use crate::engine::SimTime;
use crate::model::routing::{Diurnal, LoadProfile, NoiseSpec, Ramp, ServiceTraffic, Spike, Step};
use crate::scenario::check::non_negative;
use crate::scenario::error::Problem;
use crate::scenario::yaml;

/// Every service's traffic.
pub fn services(spec: &yaml::ScenarioFile) -> Result<Vec<ServiceTraffic>, Problem> {
    let mut seen = Vec::new();
    spec.traffic
        .iter()
        .map(|t| {
            let workload = workload_index(spec, &t.service)?;
            if seen.contains(&workload) {
                return Err(Problem::new(
                    t.service.referenced,
                    format!("service `{}` has traffic twice", t.service.value),
                    "one traffic entry per service (use steps, ramps and spikes)",
                ));
            }
            seen.push(workload);
            Ok(ServiceTraffic {
                workload,
                profile: profile(t)?,
                noise: noise(t)?,
                imbalance: match &t.imbalance {
                    Some(i) => non_negative(i.value, i.referenced, "imbalance")?,
                    None => 0.0,
                },
            })
        })
        .collect()
}

fn at(d: &crate::scenario::duration::Duration) -> SimTime {
    SimTime::ZERO + d.0
}

fn profile(t: &yaml::Traffic) -> Result<LoadProfile, Problem> {
    let rps = |v: &crate::scenario::yaml::Spanned<f64>| non_negative(v.value, v.referenced, "rps");
    let mut steps = Vec::new();
    for s in &t.steps {
        steps.push(Step {
            at: at(&s.at.value),
            rps: rps(&s.rps)?,
        });
    }
    let mut ramps = Vec::new();
    for r in &t.ramps {
        if r.to.value.0 <= r.from.value.0 {
            return Err(Problem::new(
                r.to.referenced,
                "a ramp must end after it starts",
                "from: 1h, to: 2h",
            ));
        }
        ramps.push(Ramp {
            start: at(&r.from.value),
            end: at(&r.to.value),
            rps: rps(&r.rps)?,
        });
    }
    check_order(t, &steps, &ramps)?;
    let mut spikes = Vec::new();
    for s in &t.spikes {
        spikes.push(Spike {
            start: at(&s.at.value),
            duration: s.duration.value.0,
            factor: non_negative(s.factor.value, s.factor.referenced, "factor")?,
        });
    }
    let diurnal = match &t.diurnal {
        Some(d) if !(0.0..=1.0).contains(&d.amplitude.value) => {
            return Err(Problem::new(
                d.amplitude.referenced,
                format!("diurnal amplitude {} is outside 0–1", d.amplitude.value),
                "a relative swing from 0 to 1 (0.3 = ±30 %)",
            ));
        }
        Some(d) => Some(Diurnal {
            amplitude: d.amplitude.value,
            peak: d.peak.0,
        }),
        None => None,
    };
    Ok(LoadProfile {
        base: rps(&t.rps)?,
        steps,
        ramps,
        spikes,
        diurnal,
    })
}

/// Steps and ramps apply in time order and must not overlap.
fn check_order(t: &yaml::Traffic, steps: &[Step], ramps: &[Ramp]) -> Result<(), Problem> {
    let mut spans: Vec<(SimTime, SimTime)> = steps.iter().map(|s| (s.at, s.at)).collect();
    spans.extend(ramps.iter().map(|r| (r.start, r.end)));
    spans.sort();
    if spans.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(Problem::new(
            t.service.referenced,
            format!("steps and ramps of `{}` overlap", t.service.value),
            "steps and ramps that follow one another in time",
        ));
    }
    Ok(())
}

fn noise(t: &yaml::Traffic) -> Result<NoiseSpec, Problem> {
    noise_spec(&t.noise)
}

/// A noise spec with its defaults (used by traffic and by cluster DNS' other clients).
pub(super) fn noise_spec(noise: &yaml::Noise) -> Result<NoiseSpec, Problem> {
    let t = noise;
    let mut n = NoiseSpec::default();
    if let Some(sd) = &t.sd {
        n.sd = non_negative(sd.value, sd.referenced, "sd")?;
    }
    if let Some(c) = t.correlation {
        n.correlation = c.0;
    }
    if let Some(r) = &t.resample {
        n.resample = super::positive(&r.value.0, r.referenced, "resample")?;
    }
    Ok(n)
}
