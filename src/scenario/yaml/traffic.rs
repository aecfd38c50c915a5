//! Traffic per service.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;
use serde_saphyr::Spanned;

/// Load on one service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Traffic {
    /// Service (= workload) name.
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// Requests per second at the start.
    #[schemars(with = "f64")]
    pub rps: Spanned<f64>,
    /// Level changes.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Linear level changes.
    #[serde(default)]
    pub ramps: Vec<Ramp>,
    /// Temporary multipliers.
    #[serde(default)]
    pub spikes: Vec<Spike>,
    /// Daily wave.
    #[serde(default)]
    pub diurnal: Option<Diurnal>,
    /// Random fluctuation.
    #[serde(default)]
    pub noise: Noise,
    /// Spread of the load between pods (standard deviation of the log of each pod's
    /// weight; default 0: perfectly even).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub imbalance: Option<Spanned<f64>>,
}

/// The level jumps to `rps` at `at`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    /// When.
    #[schemars(with = "Duration")]
    pub at: Spanned<Duration>,
    /// New level.
    #[schemars(with = "f64")]
    pub rps: Spanned<f64>,
}

/// The level moves linearly to `rps` from `from` to `to`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ramp {
    /// Start.
    #[schemars(with = "Duration")]
    pub from: Spanned<Duration>,
    /// End.
    #[schemars(with = "Duration")]
    pub to: Spanned<Duration>,
    /// Level at the end.
    #[schemars(with = "f64")]
    pub rps: Spanned<f64>,
}

/// The rate is multiplied by `factor` from `at` for `duration`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spike {
    /// Start.
    #[schemars(with = "Duration")]
    pub at: Spanned<Duration>,
    /// Length.
    #[schemars(with = "Duration")]
    pub duration: Spanned<Duration>,
    /// Multiplier.
    #[schemars(with = "f64")]
    pub factor: Spanned<f64>,
}

/// `1 + amplitude × cos(2π (t − peak) / 24h)`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Diurnal {
    /// Relative swing, 0–1.
    #[schemars(with = "f64")]
    pub amplitude: Spanned<f64>,
    /// Time of the peak from the start of the run.
    pub peak: Duration,
}

/// Log-normal Ornstein–Uhlenbeck noise on the rate.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Noise {
    /// Standard deviation of the log-rate (default 0: no noise).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub sd: Option<Spanned<f64>>,
    /// Correlation time (default 5m).
    #[serde(default)]
    pub correlation: Option<Duration>,
    /// Redraw grid (default 10s).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub resample: Option<Spanned<Duration>>,
}
