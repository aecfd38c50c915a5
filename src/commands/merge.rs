//! `meshmem merge`: shard outputs joined into exactly the files one whole run writes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{AppError, ScenarioReport, print_pages, write_analysis};
use crate::cli::MergeArgs;
use crate::report::{self, OutputDir, RunMeta, ShardMeta};

/// Merges the shard folders `args` names and prints each scenario's comparison.
pub fn execute(args: &MergeArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let mut pages = Vec::new();
    for (name, done) in merge(&args.dirs, &args.out)? {
        let _ = writeln!(out, "{name} → {}", done.dir.display());
        let _ = writeln!(out, "{}", done.comparison);
        pages.push(done.dir.join("report.html"));
    }
    print_pages(out, &pages);
    Ok(())
}

/// The files of a scenario's output folder, in (variant, replica) order.
const MERGED: [&str; 8] = [
    "timeseries.csv",
    "slo.csv",
    "redis.csv",
    "db.csv",
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
