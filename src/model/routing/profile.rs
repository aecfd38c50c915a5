//! Deterministic load profiles: a level (constant, steps, ramps), times spikes, times a
//! diurnal wave.

use crate::engine::{SimDuration, SimTime};

/// The level jumps to `rps` at `at`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Step {
    /// When.
    pub at: SimTime,
    /// New level, requests per second.
    pub rps: f64,
}

/// The level moves linearly to `rps` between `start` and `end`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Ramp {
    /// Start of the ramp.
    pub start: SimTime,
    /// End of the ramp.
    pub end: SimTime,
    /// Level reached at the end, requests per second.
    pub rps: f64,
}

/// The rate is multiplied by `factor` from `start` for `duration`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Spike {
    /// Start of the spike.
    pub start: SimTime,
    /// Length of the spike.
    pub duration: SimDuration,
    /// Multiplier while it lasts.
    pub factor: f64,
}

/// A daily wave: `1 + amplitude × cos(2π (t − peak) / 24h)`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Diurnal {
    /// Relative swing, 0–1.
    pub amplitude: f64,
    /// Time of day (from the run's start) of the peak.
    pub peak: SimDuration,
}

/// A service's deterministic load.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadProfile {
    /// Level before any step or ramp, requests per second.
    pub base: f64,
    /// Steps, in time order.
    pub steps: Vec<Step>,
    /// Ramps, in time order, not overlapping steps or each other.
    pub ramps: Vec<Ramp>,
    /// Spikes (may overlap: factors multiply).
    pub spikes: Vec<Spike>,
    /// Optional daily wave.
    pub diurnal: Option<Diurnal>,
}

const DAY_SECS: f64 = 86_400.0;

impl LoadProfile {
    /// A constant load of `rps`.
    pub fn constant(rps: f64) -> Self {
        LoadProfile {
            base: rps,
            steps: Vec::new(),
            ramps: Vec::new(),
            spikes: Vec::new(),
            diurnal: None,
        }
    }

    /// The level (steps and ramps) at `t`.
    fn level_at(&self, t: SimTime) -> f64 {
        enum Change<'a> {
            Step(&'a Step),
            Ramp(&'a Ramp),
        }
        let mut changes: Vec<(SimTime, Change)> = self
            .steps
            .iter()
            .map(|s| (s.at, Change::Step(s)))
            .chain(self.ramps.iter().map(|r| (r.start, Change::Ramp(r))))
            .collect();
        changes.sort_by_key(|c| c.0);
        let mut level = self.base;
        for (start, change) in changes {
            if start > t {
                break;
            }
            match change {
                Change::Step(s) => level = s.rps,
                Change::Ramp(r) if t >= r.end => level = r.rps,
                Change::Ramp(r) => {
                    let f = (t - r.start).as_secs_f64() / (r.end - r.start).as_secs_f64();
                    return level + (r.rps - level) * f;
                }
            }
        }
        level
    }

    /// The profile's rate at `t`, requests per second.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let spikes: f64 = self
            .spikes
            .iter()
            .filter(|s| s.start <= t && t < s.start + s.duration)
            .map(|s| s.factor)
            .product();
        let wave = self.diurnal.map_or(1.0, |d| {
            let phase = (t.as_secs_f64() - d.peak.as_secs_f64()) / DAY_SECS;
            1.0 + d.amplitude * (std::f64::consts::TAU * phase).cos()
        });
        (self.level_at(t) * spikes * wave).max(0.0)
    }

    /// The first discontinuity (step, spike edge, ramp edge) strictly after `t`.
    pub fn next_breakpoint(&self, t: SimTime) -> SimTime {
        let steps = self.steps.iter().map(|s| s.at);
        let ramps = self.ramps.iter().flat_map(|r| [r.start, r.end]);
        let spikes = self
            .spikes
            .iter()
            .flat_map(|s| [s.start, s.start + s.duration]);
        steps
            .chain(ramps)
            .chain(spikes)
            .filter(|&b| b > t)
            .min()
            .unwrap_or(SimTime::NEVER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn steps_ramps_and_spikes_compose() {
        let p = LoadProfile {
            base: 100.0,
            steps: vec![Step {
                at: secs(100),
                rps: 200.0,
            }],
            ramps: vec![Ramp {
                start: secs(200),
                end: secs(300),
                rps: 400.0,
            }],
            spikes: vec![Spike {
                start: secs(250),
                duration: SimDuration::from_secs(10),
                factor: 3.0,
            }],
            diurnal: None,
        };
        assert_eq!(p.rate_at(secs(50)), 100.0);
        assert_eq!(p.rate_at(secs(100)), 200.0);
        assert_eq!(p.rate_at(secs(225)), 250.0);
        assert_eq!(p.rate_at(secs(250)), 900.0);
        assert_eq!(p.rate_at(secs(260)), 320.0);
        assert_eq!(p.rate_at(secs(400)), 400.0);
        assert_eq!(p.next_breakpoint(secs(100)), secs(200));
        assert_eq!(p.next_breakpoint(secs(250)), secs(260));
        assert_eq!(p.next_breakpoint(secs(300)), SimTime::NEVER);
    }

    #[test]
    fn diurnal_wave_peaks_at_its_hour() {
        let mut p = LoadProfile::constant(100.0);
        p.diurnal = Some(Diurnal {
            amplitude: 0.5,
            peak: SimDuration::from_secs(14 * 3600),
        });
        assert!((p.rate_at(secs(14 * 3600)) - 150.0).abs() < 1e-9);
        assert!((p.rate_at(secs(2 * 3600)) - 50.0).abs() < 1e-9);
    }
}
