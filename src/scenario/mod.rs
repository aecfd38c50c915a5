//! Scenario files: format, quantities and durations, validation, variants.
//!
//! Three layers: the YAML is read into [`yaml`] structs (unknown keys rejected, locations
//! kept), each variant patches that file, and [`compile`](compile::compile) turns it into a
//! validated [`SimConfig`]. Every problem names the file, line and column, and the form
//! that was expected.

pub mod compile;
pub mod duration;
pub mod error;
pub mod istio;
pub mod path;
pub mod quantity;
pub mod schema;
pub mod variant;
pub mod yaml;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_saphyr::Location;
use sha2::{Digest, Sha256};

pub use error::{InvalidScenario, Problem, ScenarioError};

use crate::model::SimConfig;
use yaml::ScenarioFile;

/// Name of the unpatched scenario among its variants.
pub const BASELINE: &str = "baseline";

/// Time series are written for this many replicas per variant unless the scenario says
/// otherwise.
pub const DEFAULT_TIMESERIES_REPLICAS: u32 = 3;

/// One variant of a scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Variant {
    /// `baseline` or the variant's name.
    pub name: String,
    /// What it changes.
    pub description: String,
    /// The model configuration.
    pub config: SimConfig,
    /// For a sweep point: the sweep's name and the (path, value) of each axis.
    pub sweep: Option<SweepPoint>,
}

/// Where a sweep point sits in its grid.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The sweep's name.
    pub sweep: String,
    /// (value path, value as written) per axis.
    pub values: Vec<(String, String)>,
}

/// A loaded, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from.
    pub file: PathBuf,
    /// Scenario name (output folder).
    pub name: String,
    /// Description.
    pub description: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Seed of all random streams.
    pub seed: u64,
    /// Runs per variant.
    pub replicas: u32,
    /// Replicas per variant whose time series are written.
    pub timeseries_replicas: u32,
    /// The baseline first, then each variant.
    pub variants: Vec<Variant>,
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Validates scenario text; `path` is used in messages and recorded as its origin.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let invalid =
        |p: Problem| ScenarioError::Invalid(Box::new(InvalidScenario::new(path, text, p)));
    let spec = read_file(text).map_err(invalid)?;
    let mut variants = vec![Variant {
        name: BASELINE.to_string(),
        description: spec.description.clone(),
        config: compile::compile(&spec).map_err(invalid)?,
        sweep: None,
    }];
    let mut names = HashSet::from([BASELINE.to_string()]);
    for v in &spec.variants {
        if !names.insert(v.name.value.clone()) {
            return Err(invalid(Problem::new(
                v.name.referenced,
                format!(
                    "variant name `{}` is used twice (or is `baseline`)",
                    v.name.value
                ),
                "a unique variant name other than `baseline`",
            )));
        }
        let patched = variant::apply(&spec, v).map_err(invalid)?;
        let config = compile::compile(&patched).map_err(|p| invalid(p.or_at(v.name.referenced)))?;
        variants.push(Variant {
            name: v.name.value.clone(),
            description: v.description.clone(),
            config,
            sweep: None,
        });
    }
    for (i, s) in spec.sweeps.iter().enumerate() {
        let name = s.name.clone().unwrap_or_else(|| format!("sweep-{i}"));
        if s.grid.is_empty() || s.grid.values().any(|v| v.value.is_empty()) {
            let at = s
                .grid
                .values()
                .next()
                .map_or(Location::UNKNOWN, |v| v.referenced);
            return Err(invalid(Problem::new(
                at,
                format!("sweep `{name}` has an empty grid"),
                "grid: {path: [value, value, …]}",
            )));
        }
        for (k, point) in variant::grid(s).into_iter().enumerate() {
            let who = format!("sweep `{name}` point {k}");
            let patched = variant::patch(&spec, &who, &point).map_err(invalid)?;
            let config = compile::compile(&patched).map_err(|p| invalid(p.or_at(point[0].at)))?;
            let values: Vec<(String, String)> = point
                .iter()
                .map(|x| (x.path.to_string(), value_text(&x.value)))
                .collect();
            variants.push(Variant {
                name: format!("{name}/{}", point_label(&values)),
                description: String::new(),
                config,
                sweep: Some(SweepPoint {
                    sweep: name.clone(),
                    values,
                }),
            });
        }
    }
    Ok(Scenario {
        file: path.to_path_buf(),
        name: spec.name.value.clone(),
        description: spec.description.clone(),
        sha256: Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        seed: spec.seed,
        replicas: spec.replicas.value,
        timeseries_replicas: spec
            .output
            .timeseries_replicas
            .unwrap_or(DEFAULT_TIMESERIES_REPLICAS),
        variants,
    })
}

/// A sweep point's name: its values by the last word of each path
/// (`proxyMemoryLimit=512Mi rps=800`), the whole path where two last words collide, so
/// tables and charts show what a point is rather than its index.
fn point_label(values: &[(String, String)]) -> String {
    let short = |path: &str| {
        let last = path::last_word(path);
        let unique = values
            .iter()
            .filter(|(p, _)| path::last_word(p) == last)
            .count()
            == 1;
        if unique {
            last.to_string()
        } else {
            path.to_string()
        }
    };
    values
        .iter()
        .map(|(p, v)| format!("{}={v}", short(p)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A JSON value as a person wrote it (strings without quotes).
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads YAML into the spec, strictly (no `yes`/`no` booleans, no duplicate keys).
fn read_file(text: &str) -> Result<ScenarioFile, Problem> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let at = e.location().unwrap_or(serde_saphyr::Location::UNKNOWN);
        let full = e.without_snippet().to_string();
        let message = match full.rsplit_once(" at line ") {
            Some((m, _)) => m.to_string(),
            None => full,
        };
        let expected = expected_form(&message);
        Problem::new(at, message, expected)
    })
}

/// A hint for the terse messages of the YAML reader.
fn expected_form(message: &str) -> String {
    let hints = [
        ("invalid u32", "a whole number ≥ 0"),
        ("invalid u64", "a whole number ≥ 0"),
        ("invalid f64", "a number"),
        ("invalid boolean", "true or false"),
        ("missing field", "the field named above"),
        ("unknown field", "one of the fields listed above"),
    ];
    hints
        .iter()
        .find(|(k, _)| message.contains(k))
        .map_or_else(String::new, |(_, h)| (*h).to_string())
}
