//! `run.json`: what produced the outputs (version, scenario hash, seed, replicas).

use serde_json::json;

use crate::scenario::Scenario;

/// The metadata of a scenario's outputs, as pretty JSON.
pub fn run_json(scenario: &Scenario) -> Vec<u8> {
    let variants: Vec<_> = scenario
        .variants
        .iter()
        .map(|v| json!({"name": v.name, "description": v.description}))
        .collect();
    let doc = json!({
        "meshmem_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.name,
        "file": scenario.file.display().to_string(),
        "sha256": scenario.sha256,
        "seed": scenario.seed,
        "replicas": scenario.replicas,
        "timeseries_replicas": scenario.timeseries_replicas.min(scenario.replicas),
        "duration_s": scenario.variants[0].config.duration.as_secs(),
        "variants": variants,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("JSON values serialise");
    bytes.push(b'\n');
    bytes
}
