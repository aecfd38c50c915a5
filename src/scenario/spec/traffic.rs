//! Traffic per service.

use serde::{Deserialize, Serialize};

use super::S;
use crate::scenario::duration::Duration;

/// Load on one service.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrafficSpec {
    /// Service (= workload) name.
    pub service: S<String>,
    /// Requests per second at the start.
    pub rps: S<f64>,
    /// Level changes.
    #[serde(default)]
    pub steps: Vec<StepY>,
    /// Linear level changes.
    #[serde(default)]
    pub ramps: Vec<RampY>,
    /// Temporary multipliers.
    #[serde(default)]
    pub spikes: Vec<SpikeY>,
    /// Daily wave.
    #[serde(default)]
    pub diurnal: Option<DiurnalY>,
    /// Random fluctuation.
    #[serde(default)]
    pub noise: NoiseY,
    /// Spread of the load between pods (standard deviation of the log of each pod's
    /// weight; default 0: perfectly even).
    #[serde(default)]
    pub imbalance: Option<S<f64>>,
}

/// The level jumps to `rps` at `at`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepY {
    /// When.
    pub at: S<Duration>,
    /// New level.
    pub rps: S<f64>,
}

/// The level moves linearly to `rps` from `from` to `to`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RampY {
    /// Start.
    pub from: S<Duration>,
    /// End.
    pub to: S<Duration>,
    /// Level at the end.
    pub rps: S<f64>,
}

/// The rate is multiplied by `factor` from `at` for `duration`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SpikeY {
    /// Start.
    pub at: S<Duration>,
    /// Length.
    pub duration: S<Duration>,
    /// Multiplier.
    pub factor: S<f64>,
}

/// `1 + amplitude × cos(2π (t − peak) / 24h)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiurnalY {
    /// Relative swing, 0–1.
    pub amplitude: S<f64>,
    /// Time of the peak from the start of the run.
    pub peak: Duration,
}

/// Log-normal Ornstein–Uhlenbeck noise on the rate.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NoiseY {
    /// Standard deviation of the log-rate (default 0: no noise).
    #[serde(default)]
    pub sd: Option<S<f64>>,
    /// Correlation time (default 5m).
    #[serde(default)]
    pub correlation: Option<Duration>,
    /// Redraw grid (default 10s).
    #[serde(default)]
    pub resample: Option<S<Duration>>,
}
