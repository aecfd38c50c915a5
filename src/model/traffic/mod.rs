//! Traffic: per-service load profiles with noise, spread over ready endpoints, and the
//! outcome of every request.
//!
//! A service's rate is `profile(t) × noise(t)`. The profile (constant, steps, ramps,
//! spikes, diurnal) is deterministic; the noise is a mean-one log-normal
//! Ornstein–Uhlenbeck process drawn on a fixed grid, so a variant that adds a spike still
//! draws the same noise as its baseline. The rate is held constant between updates
//! (grid points and the profile's own discontinuities): ramps and the diurnal wave are
//! followed at the grid's resolution (10 s by default).

mod noise;
mod outcome;
mod profile;

pub use noise::{Noise, NoiseSpec};
pub use outcome::{RequestTally, ResponseFlag};
pub use profile::{Diurnal, LoadProfile, Ramp, Spike, Step};

/// The traffic of one service (a workload's Service).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTraffic {
    /// Index of the workload whose pods back the service.
    pub workload: usize,
    /// Deterministic load profile.
    pub profile: LoadProfile,
    /// Random fluctuation around it.
    pub noise: NoiseSpec,
    /// Spread of the load between pods: each pod draws a fixed weight, log-normal with
    /// mean 1 and this standard deviation of its log (0: perfectly even). Real balancing
    /// is uneven — keep-alive connections pin clients to pods, clients differ.
    pub imbalance: f64,
}
