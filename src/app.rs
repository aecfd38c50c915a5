//! What the `meshmem` commands do, as library functions: find scenario files, load and
//! validate them all, run them, write their outputs.
//!
//! Every scenario is validated before anything runs, so a bad file stops the command
//! before any output is written.

use std::io;
use std::path::{Path, PathBuf};

use crate::report::{self, CsvSinks, OutputDir, RunMeta, ShardMeta};
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
    /// Every run's result, in (variant, replica) order (empty after a merge).
    pub results: Vec<ReplicaResult>,
    /// The comparison of variants against the baseline, for the terminal.
    pub comparison: String,
}

/// Writes `comparison.csv` (and `sweep.csv`) into `dir` from the summary files, the same
/// way for a run and for a merge of its shards; returns the comparison table.
fn write_analysis(
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
    Ok(analysis.table)
}

/// Runs `scenario` (or its shard, per `options`) and writes its outputs under
/// `out/<name>/`.
pub fn run_scenario(
    scenario: &Scenario,
    out: &Path,
    options: &RunOptions,
) -> Result<ScenarioReport, AppError> {
    let dir = OutputDir::create(out, &scenario.name).map_err(AppError::io(format!(
        "{}: cannot create output",
        out.display()
    )))?;
    let sweep_points = scenario
        .variants
        .iter()
        .map(|v| v.sweep.is_some())
        .collect();
    let names = scenario.variants.iter().map(|v| v.name.clone()).collect();
    let buckets = scenario
        .variants
        .iter()
        .map(|v| {
            let c = &v.config;
            (
                c.duration,
                report::bucket_width(c.duration, c.scrape_interval),
            )
        })
        .collect();
    let sinks = CsvSinks::new(
        dir.parts(),
        names,
        scenario.timeseries_replicas,
        sweep_points,
        buckets,
    );
    let results = runner::run_scenario(scenario, &sinks, options).map_err(AppError::io(
        format!("{}: writing run output", scenario.name),
    ))?;
    let runs: Vec<(usize, u32)> = results.iter().map(|r| (r.variant, r.replica)).collect();
    let shard = options
        .shard
        .map(|(index, count)| ShardMeta { index, count });
    let meta = RunMeta::new(scenario, shard);
    let write = || -> io::Result<String> {
        for (file, header, part) in [
            (
                "timeseries.csv",
                report::TIMESERIES_HEADER,
                CsvSinks::timeseries_part as fn(&CsvSinks, usize, u32) -> PathBuf,
            ),
            ("slo.csv", report::SLO_HEADER, CsvSinks::slo_part),
            ("events.csv", report::EVENTS_HEADER, CsvSinks::events_part),
            ("memory.csv", report::MEMORY_HEADER, CsvSinks::memory_part),
        ] {
            dir.join_parts(file, header, runs.iter().map(|&(v, r)| part(&sinks, v, r)))?;
        }
        let summary = report::summary_csv(scenario, &results);
        let containers = report::containers_csv(scenario, &results);
        dir.write("summary.csv", &summary)?;
        dir.write("containers.csv", &containers)?;
        dir.write("run.json", &meta.to_json())?;
        write_analysis(&dir, &meta, &summary, &containers)
    };
    let comparison =
        write().map_err(AppError::io(format!("{}: writing outputs", scenario.name)))?;
    // A shard's charts would show a slice of the replicas: they are drawn on merge.
    if options.shard.is_none() {
        report::write_report(dir.path()).map_err(AppError::io(format!(
            "{}: drawing the report",
            scenario.name
        )))?;
    }
    let dir = dir.commit().map_err(AppError::io(format!(
        "{}: moving outputs into place",
        scenario.name
    )))?;
    Ok(ScenarioReport {
        dir,
        results,
        comparison,
    })
}

/// The files of a scenario's output folder, in (variant, replica) order.
const MERGED: [&str; 6] = [
    "timeseries.csv",
    "slo.csv",
    "events.csv",
    "memory.csv",
    "summary.csv",
    "containers.csv",
];

/// Joins shard outputs in `inputs` (folders holding `<scenario>/run.json`, or scenario
/// folders themselves) into `out/<scenario>/`, exactly as one whole run writes them.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Vec<(String, ScenarioReport)>, AppError> {
    let mut groups: std::collections::BTreeMap<String, Vec<(PathBuf, RunMeta)>> =
        Default::default();
    for input in inputs {
        for dir in scenario_dirs(input)? {
            let meta = read_meta(&dir)?;
            groups
                .entry(meta.scenario.clone())
                .or_default()
                .push((dir, meta));
        }
    }
    if groups.is_empty() {
        return Err(AppError::Usage(
            "no run outputs (run.json) in the given folders".into(),
        ));
    }
    let mut reports = Vec::new();
    for (name, shards) in groups {
        let meta = check_shards(&name, &shards)?;
        let dir = OutputDir::create(out, &name).map_err(AppError::io(format!(
            "{}: cannot create output",
            out.display()
        )))?;
        let write = || -> io::Result<String> {
            let mut kept = std::collections::HashMap::new();
            for file in MERGED {
                let inputs = shards
                    .iter()
                    .map(|(d, _)| std::fs::File::open(d.join(file)).map(io::BufReader::new))
                    .collect::<io::Result<Vec<_>>>()?;
                let mut bytes = Vec::new();
                report::merge_csv(&meta, inputs, &mut bytes)?;
                dir.write(file, &bytes)?;
                kept.insert(file, bytes);
            }
            dir.write("run.json", &meta.to_json())?;
            write_analysis(&dir, &meta, &kept["summary.csv"], &kept["containers.csv"])
        };
        let comparison = write().map_err(AppError::io(format!("{name}: merging")))?;
        report::write_report(dir.path())
            .map_err(AppError::io(format!("{name}: drawing the report")))?;
        let path = dir
            .commit()
            .map_err(AppError::io(format!("{name}: moving outputs into place")))?;
        reports.push((
            name,
            ScenarioReport {
                dir: path,
                results: Vec::new(),
                comparison,
            },
        ));
    }
    Ok(reports)
}

/// The scenario output folders in `input` (itself, or its children with a run.json).
fn scenario_dirs(input: &Path) -> Result<Vec<PathBuf>, AppError> {
    if input.join("run.json").is_file() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(AppError::io(format!("{}: cannot list", input.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("run.json").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn read_meta(dir: &Path) -> Result<RunMeta, AppError> {
    let path = dir.join("run.json");
    let text =
        std::fs::read_to_string(&path).map_err(AppError::io(format!("{}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::Usage(format!("{}: not a meshmem run.json: {e}", path.display())))
}

/// The merged metadata, if `shards` are the complete, consistent slices of one run.
fn check_shards(name: &str, shards: &[(PathBuf, RunMeta)]) -> Result<RunMeta, AppError> {
    let strip = |m: &RunMeta| RunMeta {
        shard: None,
        ..m.clone()
    };
    let whole = strip(&shards[0].1);
    let count = shards[0].1.shard.map_or(1, |s| s.count);
    let mut seen = vec![false; count as usize];
    for (dir, m) in shards {
        if strip(m) != whole {
            return Err(AppError::Usage(format!(
                "{}: not a shard of the same run of `{name}` (scenario, seed, replicas or version differ)",
                dir.display()
            )));
        }
        let s = m.shard.unwrap_or(ShardMeta { index: 0, count: 1 });
        if s.count != count
            || s.index >= count
            || std::mem::replace(&mut seen[s.index as usize], true)
        {
            return Err(AppError::Usage(format!(
                "{}: shard {}/{} does not fit the others",
                dir.display(),
                s.index,
                s.count
            )));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(AppError::Usage(format!(
            "`{name}`: shard {missing}/{count} is missing"
        )));
    }
    Ok(whole)
}

/// What `meshmem plan` is asked.
pub struct PlanArgs {
    /// Scenario file.
    pub path: PathBuf,
    /// `workload/container`.
    pub container: String,
    /// Acceptable probability of an OOM kill within the horizon.
    pub risk: f64,
    /// The horizon.
    pub within: crate::engine::SimDuration,
    /// Variant to plan for (default baseline).
    pub variant: Option<String>,
    /// Candidate limits are multiples of this.
    pub step: crate::model::Bytes,
    /// Runs per candidate: first batch and maximum.
    pub min_runs: u32,
    /// See `min_runs`.
    pub max_runs: u32,
    /// Output folder (`OUT/<scenario>/plan-<workload>-<container>.csv`).
    pub out: PathBuf,
}

/// Plans a memory limit and writes the judged candidates as CSV; returns the report text.
pub fn plan(args: &PlanArgs) -> Result<String, AppError> {
    use crate::runner::plan::{PlanRequest, plan};
    let s = scenario::load(&args.path)?;
    let v = match &args.variant {
        None => 0,
        Some(name) => s
            .variants
            .iter()
            .position(|x| &x.name == name)
            .ok_or_else(|| AppError::Usage(format!("no variant `{name}` in {}", s.name)))?,
    };
    let (workload, container) = args.container.split_once('/').ok_or_else(|| {
        AppError::Usage(format!("`{}` is not WORKLOAD/CONTAINER", args.container))
    })?;
    let req = PlanRequest {
        config: s.variants[v].config.clone(),
        seed: s.seed,
        workload: workload.to_string(),
        container: container.to_string(),
        risk: args.risk,
        within: args.within,
        step: args.step,
        min_runs: args.min_runs,
        max_runs: args.max_runs,
    };
    let p = plan(&req).map_err(|e| AppError::Usage(e.to_string()))?;
    let question = report::PlanQuestion {
        scenario: &s.name,
        variant: &s.variants[v].name,
        container: &args.container,
        risk: args.risk,
        within_s: args.within.as_secs(),
    };
    let dir = args.out.join(&s.name);
    let file = dir.join(format!("plan-{workload}-{container}.csv"));
    let tmp = dir.join(format!(".plan-{}.tmp", std::process::id()));
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&tmp, report::plan_csv(&question, &p)))
        .and_then(|_| std::fs::rename(&tmp, &file))
        .map_err(AppError::io(format!("{}: writing", file.display())))?;
    let within = crate::model::backoff::go_duration(args.within);
    let mut out = report::plan_text(&question, &within, &p);
    out += &format!("  candidates            {}\n", file.display());
    // Beside a run's outputs, the plan joins its report.
    if dir.join("run.json").is_file() {
        let page = report::write_report(&dir).map_err(AppError::io(format!(
            "{}: drawing the report",
            dir.display()
        )))?;
        out += &format!("  report                {}\n", page.display());
    }
    Ok(out)
}
