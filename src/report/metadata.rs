//! `run.json`: what produced the outputs (version, scenario hash, seed, replicas,
//! variants, shard), also read back to merge shards and to analyse the CSV files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;

/// A variant as `run.json` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantMeta {
    /// Variant name.
    pub name: String,
    /// What it changes.
    pub description: String,
    /// Simulated time per run, seconds (runs without an OOM are censored there).
    pub duration_s: u64,
    /// The availability objective its error budget is burnt against (0.999 = 99.9 %).
    #[serde(default = "default_slo_target")]
    pub slo_target: f64,
    /// For a sweep point: the sweep and its (path, value) per axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepMeta>,
}

/// Istio-agnostic default: three nines, as the scenarios' `slo.target` defaults.
fn default_slo_target() -> f64 {
    0.999
}

/// A sweep point's coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    /// Sweep name.
    pub name: String,
    /// (value path, value) per axis.
    pub values: Vec<(String, String)>,
}

/// Which slice of the replicas a shard ran.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardMeta {
    /// This shard, from 0.
    pub index: u32,
    /// Shards in all.
    pub count: u32,
}

/// The contents of `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// meshmem's version.
    pub meshmem_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub file: String,
    /// SHA-256 of the scenario file.
    pub sha256: String,
    /// Seed.
    pub seed: u64,
    /// Replicas per variant (in all shards together).
    pub replicas: u32,
    /// Replicas per variant with time series.
    pub timeseries_replicas: u32,
    /// Baseline, variants, sweep points, in run order.
    pub variants: Vec<VariantMeta>,
    /// Set when this folder holds one shard of a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardMeta>,
    /// SHA-256 (hex) of every CSV file written with this run.json, by name: `merge`
    /// verifies a shard's files against them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
}

impl RunMeta {
    /// The metadata of a run of `scenario` (one shard of it, if `shard` is set).
    pub fn new(scenario: &Scenario, shard: Option<ShardMeta>) -> Self {
        RunMeta {
            meshmem_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.name.clone(),
            file: scenario.file.display().to_string(),
            sha256: scenario.sha256.clone(),
            seed: scenario.seed,
            replicas: scenario.replicas,
            timeseries_replicas: scenario.timeseries_replicas.min(scenario.replicas),
            variants: scenario
                .variants
                .iter()
                .map(|v| VariantMeta {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    duration_s: v.config.duration.as_secs(),
                    slo_target: v.config.slo_target,
                    sweep: v.sweep.as_ref().map(|s| SweepMeta {
                        name: s.sweep.clone(),
                        values: s.values.clone(),
                    }),
                })
                .collect(),
            shard,
            files: BTreeMap::new(),
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("metadata serialises");
        bytes.push(b'\n');
        bytes
    }

    /// Index of variant `name`.
    pub fn variant_index(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }
}
