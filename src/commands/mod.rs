//! What the `meshmem` commands do, one module per command, each taking its
//! [`crate::cli`] arguments and writing what it prints to a writer.
//!
//! Every scenario is validated before anything runs, so a bad file stops the command
//! before any output is written. Printing ignores a closed pipe (`meshmem run | head`):
//! the outputs on disk matter more than the table.

pub mod check;
pub mod completions;
pub mod drill;
pub mod import;
pub mod merge;
pub mod plan;
pub mod run;
pub mod schema;
pub mod signals;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::report::{self, OutputDir, RunMeta};
use crate::runner::ReplicaResult;
use crate::scenario::{self, LoadOptions, Scenario, ScenarioError};

/// Where scenarios are looked for when no path is given.
pub const DEFAULT_SCENARIOS: &str = "scenarios";

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppError {
    /// A scenario is invalid (exit code 2).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scenario(#[from] ScenarioError),
    /// A manifest or metrics file is unusable (exit code 2).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The command line names something unusable (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing failed while running (exit code 1). The cause is the error's
    /// source, printed once beneath the context.
    #[error("{context}")]
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
            AppError::Scenario(_) | AppError::Import(_) | AppError::Usage(_) => 2,
            AppError::Io { .. } => 1,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> AppError {
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
                    " (run from the repository root, or give a PATH)".to_string()
                } else {
                    did_you_mean(p)
                }
            )));
        }
    }
    Ok(files)
}

/// `meshmem chek x` reads `chek` as a scenario path (no command means `run`): when a
/// missing path looks like a mistyped command, say which.
fn did_you_mean(path: &std::path::Path) -> String {
    use clap::CommandFactory;
    let Some(word) = path.to_str().filter(|s| !s.contains(['/', '.'])) else {
        return String::new();
    };
    crate::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .map(|name| (strsim::jaro(word, &name), name))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(String::new, |(_, name)| {
            format!(" — did you mean the command `{name}`? (`meshmem --help` lists them)")
        })
}

/// Loads and validates every file; the first invalid one is the error.
pub fn load_all(files: &[PathBuf], options: &LoadOptions) -> Result<Vec<Scenario>, AppError> {
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let s = scenario::load_with(f, options)?;
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
    /// Every run's result, in (variant, replica) order (empty after a merge).
    pub results: Vec<ReplicaResult>,
    /// The comparison of variants against the baseline, for the terminal.
    pub comparison: String,
}

/// Writes `run.json`: `meta` with the SHA-256 of every file written into `dir` so far
/// (so it comes after the CSV files, the same way for a run and a merge).
pub(crate) fn write_meta(dir: &OutputDir, meta: &RunMeta) -> io::Result<()> {
    let meta = RunMeta {
        files: dir.digests(),
        ..meta.clone()
    };
    dir.write("run.json", &meta.to_json()?)
}

/// Writes `comparison.csv` (and `sweep.csv`) into `dir` from the summary files, the same
/// way for a run and for a merge of its shards; returns the comparison table.
pub(crate) fn write_analysis(
    dir: &OutputDir,
    meta: &RunMeta,
    summary: &[u8],
    containers: &[u8],
) -> io::Result<String> {
    let analysis = report::analyse(meta, summary, containers).map_err(io::Error::other)?;
    dir.write("comparison.csv", &analysis.comparison_csv)?;
    if let Some(sweep) = &analysis.sweep_csv {
        dir.write("sweep.csv", sweep)?;
    }
    let mut table = analysis.table;
    // Calls to other services: the application's failures and the data tier, compared.
    if let Some(d) = report::dependencies(meta, summary).map_err(io::Error::other)? {
        dir.write("dependencies.csv", &d.csv)?;
        table.push('\n');
        table.push_str(&d.table);
    }
    Ok(table)
}

/// Prints the reports written, last, where a terminal's scrollback ends.
pub(crate) fn print_pages(out: &mut dyn Write, pages: &[PathBuf]) {
    if !pages.is_empty() {
        let _ = writeln!(out, "reports (charts and tables; open in a browser):");
        for p in pages {
            let _ = writeln!(out, "  {}", p.display());
        }
    }
}
