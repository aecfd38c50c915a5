//! Traffic noise: a log-normal Ornstein–Uhlenbeck process with mean one.
//!
//! `x` follows an OU process with stationary standard deviation `sd` and correlation time
//! `correlation`, sampled exactly on a grid of `resample`; the rate factor is
//! `exp(x − sd²/2)`, whose mean is 1. Real traffic wanders slowly around its profile;
//! independent draws every few seconds would average out and make every replica alike.

use rand_distr::{Distribution, StandardNormal};

use crate::engine::{SimDuration, SimRng};

/// Noise parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct NoiseSpec {
    /// Standard deviation of the log-rate (0.1 ≈ ±10 %).
    pub sd: f64,
    /// Correlation time of the fluctuation.
    pub correlation: SimDuration,
    /// Grid on which the rate is redrawn.
    pub resample: SimDuration,
}

impl Default for NoiseSpec {
    fn default() -> Self {
        NoiseSpec {
            sd: 0.0,
            correlation: SimDuration::from_secs(300),
            resample: SimDuration::from_secs(10),
        }
    }
}

/// The noise process of one service.
#[derive(Clone, Debug)]
pub struct Noise {
    spec: NoiseSpec,
    x: f64,
    decay: f64,
    rng: SimRng,
}

impl Noise {
    /// A process started from its stationary distribution.
    pub fn new(spec: NoiseSpec, mut rng: SimRng) -> Self {
        let z: f64 = StandardNormal.sample(&mut rng);
        let tau = spec.correlation.as_secs_f64();
        let decay = if tau > 0.0 {
            (-spec.resample.as_secs_f64() / tau).exp()
        } else {
            0.0
        };
        Noise {
            spec,
            x: spec.sd * z,
            decay,
            rng,
        }
    }

    /// Advances one grid step.
    pub fn step(&mut self) {
        let z: f64 = StandardNormal.sample(&mut self.rng);
        let shock = self.spec.sd * (1.0 - self.decay * self.decay).sqrt();
        self.x = self.decay * self.x + shock * z;
    }

    /// The current rate multiplier (mean 1).
    pub fn factor(&self) -> f64 {
        (self.x - self.spec.sd * self.spec.sd / 2.0).exp()
    }
}
