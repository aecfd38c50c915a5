//! Scenario files: format, quantities and durations, validation, variants.
//!
//! Three layers: the YAML is read into [`yaml`] structs (unknown keys rejected, locations
//! kept), each variant patches that file, and [`compile`](compile::compile) turns it into a
//! validated [`SimConfig`]. Every problem names the file, line and column, and the form
//! that was expected.

pub mod budget;
pub mod check;
pub mod compile;
pub mod duration;
pub mod error;
pub mod istio;
pub mod names;
pub mod path;
pub mod quantity;
mod read;
pub mod schema;
pub mod variant;
pub mod window;
pub mod yaml;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_saphyr::Location;
use sha2::{Digest, Sha256};

pub use budget::{Estimate, Limits};
pub use error::{InvalidScenario, Place, Problem, ScenarioError};

use crate::model::SimConfig;

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
    /// Whether those replicas also write a row per pod and scrape.
    pub pod_timeseries: bool,
    /// The baseline first, then each variant.
    pub variants: Vec<Variant>,
    /// What running it would cost (of the shard, when loaded for one).
    pub estimate: Estimate,
}

/// How to load scenarios: the limits `check` enforces, and what the command line
/// overrides.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Limits on the work a scenario may ask for.
    pub limits: Limits,
    /// Seed instead of the scenario's.
    pub seed: Option<u64>,
    /// Replica count instead of the scenario's.
    pub replicas: Option<u32>,
    /// Only shard (index, count) will run: the work is estimated for it.
    pub shard: Option<(u32, u32)>,
}

/// Reads and validates the scenario at `path`, with the default limits.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &LoadOptions::default())
}

/// Reads and validates the scenario at `path`.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    match read::decode(&bytes) {
        Ok(text) => parse_with(path, text, options),
        Err(p) => Err(ScenarioError::Invalid(Box::new(InvalidScenario::new(
            path,
            &String::from_utf8_lossy(&bytes),
            p,
        )))),
    }
}

/// Validates scenario text with the default limits; `path` is used in messages and
/// recorded as its origin.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse_with(path, text, &LoadOptions::default())
}

/// Validates scenario text; `path` is used in messages and recorded as its origin.
pub fn parse_with(
    path: &Path,
    text: &str,
    options: &LoadOptions,
) -> Result<Scenario, ScenarioError> {
    let invalid =
        |p: Problem| ScenarioError::Invalid(Box::new(InvalidScenario::new(path, text, p)));
    let spec = read::read_file(text).map_err(invalid)?;
    let limits = &options.limits;
    let mut costs = Vec::new();
    let mut variants = vec![Variant {
        name: BASELINE.to_string(),
        description: spec.description.clone(),
        config: checked(&spec, limits, Location::UNKNOWN, &mut costs, false).map_err(invalid)?,
        sweep: None,
    }];
    let mut names = HashSet::from([BASELINE.to_string()]);
    if let Some(first) = spec.variants.first() {
        let n = spec.variants.len() as u128;
        budget::check_variants(
            1,
            n,
            first.name.referenced,
            &format!("{n} variants"),
            limits,
        )
        .map_err(invalid)?;
    }
    for v in &spec.variants {
        let at = v.name.referenced;
        names::check_variant(&v.name.value)
            .map_err(|m| invalid(Problem::new(at, m, names::VARIANT_FORM)))?;
        if !names.insert(v.name.value.clone()) {
            return Err(invalid(Problem::new(
                at,
                format!("variant name `{}` is used twice", v.name.value),
                "a unique variant name",
            )));
        }
        let patched = variant::apply(&spec, v).map_err(invalid)?;
        let config = checked(&patched, limits, at, &mut costs, false).map_err(invalid)?;
        variants.push(Variant {
            name: v.name.value.clone(),
            description: v.description.clone(),
            config,
            sweep: None,
        });
    }
    let mut sweeps = HashSet::new();
    for (i, s) in spec.sweeps.iter().enumerate() {
        let first = s
            .grid
            .values()
            .next()
            .map_or(Location::UNKNOWN, |v| v.referenced);
        let (name, at) = match &s.name {
            Some(n) => (n.value.clone(), n.referenced),
            None => (format!("sweep-{i}"), first),
        };
        names::check_sweep(&name)
            .map_err(|m| invalid(Problem::new(at, m, names::FILE_NAME_FORM)))?;
        if !sweeps.insert(name.clone()) {
            return Err(invalid(Problem::new(
                at,
                format!("sweep name `{name}` is used twice"),
                "a unique name per sweep (its points are named `<sweep>/<n>`)",
            )));
        }
        if s.grid.is_empty() || s.grid.values().any(|v| v.value.is_empty()) {
            return Err(invalid(Problem::new(
                first,
                format!("sweep `{name}` has an empty grid"),
                "grid: {path: [value, value, …]}",
            )));
        }
        let what = format!("sweep `{name}` has {} points", budget::sweep_points(s));
        budget::check_variants(variants.len(), budget::sweep_points(s), at, &what, limits)
            .map_err(invalid)?;
        for (k, point) in variant::grid(s).into_iter().enumerate() {
            let who = format!("sweep `{name}` point {k}");
            let patched = variant::patch(&spec, &who, &point).map_err(invalid)?;
            let config =
                checked(&patched, limits, point[0].at, &mut costs, true).map_err(invalid)?;
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
    if spec.evaluate_after.is_none() && spec.evaluate_on.is_none() {
        let others: Vec<&SimConfig> = variants[1..].iter().map(|v| &v.config).collect();
        if let Some(w) = window::implied(&variants[0].config, &others) {
            for v in &mut variants {
                window::apply(&mut v.config, &w);
            }
        }
    }
    let replicas = options.replicas.unwrap_or(spec.replicas.value);
    let timeseries_replicas = spec
        .output
        .timeseries_replicas
        .unwrap_or(DEFAULT_TIMESERIES_REPLICAS);
    let mine = options.shard.map_or(u64::from(replicas), |(i, n)| {
        u64::from(replicas.saturating_sub(i).div_ceil(n))
    });
    let series = (0..timeseries_replicas.min(replicas))
        .filter(|r| options.shard.is_none_or(|(i, n)| r % n == i))
        .count() as u64;
    let estimate = budget::estimate(&costs, mine, series);
    let scrape_share = costs.iter().map(|c| c.0.scrape_share).fold(0.0, f64::max);
    budget::check_total(&spec, &estimate, scrape_share, limits).map_err(invalid)?;
    compile::drill::drill(&spec).map_err(invalid)?;
    Ok(Scenario {
        file: path.to_path_buf(),
        name: spec.name.value.clone(),
        description: spec.description.clone(),
        sha256: Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        seed: options.seed.unwrap_or(spec.seed),
        replicas,
        timeseries_replicas,
        pod_timeseries: spec.output.pod_timeseries.unwrap_or(false),
        variants,
        estimate,
    })
}

/// `spec` (the baseline, or a variant or sweep point patched in) checked against the
/// limits and compiled; its cost is added to `costs`. Problems without a place of their
/// own are placed at `at` (the variant's name, the sweep's values).
fn checked(
    spec: &yaml::ScenarioFile,
    limits: &Limits,
    at: Location,
    costs: &mut Vec<(budget::RunCost, bool)>,
    sweep_point: bool,
) -> Result<SimConfig, Problem> {
    // Sizes first: compiling builds every node and pod the scenario names.
    budget::check_structure(spec, limits).map_err(|p| p.or_at(at))?;
    let config = compile::compile(spec).map_err(|p| p.or_at(at))?;
    let cost = budget::run_cost(spec);
    budget::check_run(spec, &cost, limits).map_err(|p| p.or_at(at))?;
    costs.push((cost, sweep_point));
    Ok(config)
}

/// Reads and validates the scenario at `path` and its `drill:` section, if any.
pub fn load_drill(
    path: &Path,
) -> Result<(Scenario, Option<compile::drill::DrillConfig>), ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_drill(path, &text)
}

/// Validates scenario text and its `drill:` section, if any.
pub fn parse_drill(
    path: &Path,
    text: &str,
) -> Result<(Scenario, Option<compile::drill::DrillConfig>), ScenarioError> {
    let scenario = parse(path, text)?;
    let invalid =
        |p: Problem| ScenarioError::Invalid(Box::new(InvalidScenario::new(path, text, p)));
    let spec = read::read_file(text).map_err(invalid)?;
    let drill = compile::drill::drill(&spec).map_err(invalid)?;
    Ok((scenario, drill))
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
