//! What the `meshmem` commands do, as library functions: find scenario files, load and
//! validate them all, run them, write their outputs.
//!
//! Every scenario is validated before anything runs, so a bad file stops the command
//! before any output is written.

use std::io;
use std::path::{Path, PathBuf};

use crate::report::{self, CsvSinks, OutputDir};
use crate::runner::{self, ReplicaResult, RunOptions};
use crate::scenario::{self, Scenario, ScenarioError};

/// Where scenarios are looked for when no path is given.
pub const DEFAULT_SCENARIOS: &str = "scenarios";

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppError {
    /// A scenario is invalid (exit code 2).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scenario(#[from] ScenarioError),
    /// The command line names something unusable (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing failed while running (exit code 1).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
}

impl AppError {
    /// The process exit code: 2 for bad input, 1 for failures while running.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Usage(_) => 2,
            AppError::Io { .. } => 1,
        }
    }

    fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> AppError {
        let context = context.into();
        move |source| AppError::Io { context, source }
    }
}

/// The scenario files named by `paths` (files, or folders whose `*.yaml`/`*.yml` files
/// are taken in name order); `scenarios/` when `paths` is empty.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    let default = [PathBuf::from(DEFAULT_SCENARIOS)];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(AppError::io(format!("{}: cannot list", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(AppError::Usage(format!(
                    "{}: no scenario files (*.yaml) in this folder",
                    p.display()
                )));
            }
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(AppError::Usage(format!(
                "{}: no such scenario file or folder{}",
                p.display(),
                if paths == default {
                    " (run from the repository root, or give a PATH)"
                } else {
                    ""
                }
            )));
        }
    }
    Ok(files)
}

/// Loads and validates every file; the first invalid one is the error.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, AppError> {
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let s = scenario::load(f)?;
        if !names.insert(s.name.clone()) {
            return Err(AppError::Usage(format!(
                "{}: scenario name `{}` is also used by another file; outputs would collide",
                f.display(),
                s.name
            )));
        }
        out.push(s);
    }
    Ok(out)
}

/// One scenario's finished outputs.
pub struct ScenarioReport {
    /// Where its outputs are.
    pub dir: PathBuf,
    /// Every run's result, in (variant, replica) order.
    pub results: Vec<ReplicaResult>,
}

/// Runs `scenario` and writes its outputs under `out/<name>/`.
pub fn run_scenario(
    scenario: &Scenario,
    out: &Path,
    options: &RunOptions,
) -> Result<ScenarioReport, AppError> {
    let dir = OutputDir::create(out, &scenario.name).map_err(AppError::io(format!(
        "{}: cannot create output",
        out.display()
    )))?;
    let names = scenario.variants.iter().map(|v| v.name.clone()).collect();
    let sinks = CsvSinks::new(dir.parts(), names, scenario.timeseries_replicas);
    let results = runner::run_scenario(scenario, &sinks, options).map_err(AppError::io(
        format!("{}: writing run output", scenario.name),
    ))?;
    let runs: Vec<(usize, u32)> = results.iter().map(|r| (r.variant, r.replica)).collect();
    let write = || -> io::Result<()> {
        dir.join_parts(
            "timeseries.csv",
            report::TIMESERIES_HEADER,
            runs.iter().map(|&(v, r)| sinks.timeseries_part(v, r)),
        )?;
        dir.join_parts(
            "slo.csv",
            report::SLO_HEADER,
            runs.iter().map(|&(v, r)| sinks.slo_part(v, r)),
        )?;
        dir.join_parts(
            "events.csv",
            report::EVENTS_HEADER,
            runs.iter().map(|&(v, r)| sinks.events_part(v, r)),
        )?;
        dir.write("summary.csv", &report::summary_csv(scenario, &results))?;
        dir.write(
            "containers.csv",
            &report::containers_csv(scenario, &results),
        )?;
        dir.write("run.json", &report::run_json(scenario))?;
        Ok(())
    };
    write().map_err(AppError::io(format!("{}: writing outputs", scenario.name)))?;
    let dir = dir.commit().map_err(AppError::io(format!(
        "{}: moving outputs into place",
        scenario.name
    )))?;
    Ok(ScenarioReport { dir, results })
}
