//! `meshmem merge`: shard outputs joined into exactly the files one whole run writes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{AppError, ScenarioReport, print_pages, write_analysis, write_meta};
use crate::cli::MergeArgs;
use crate::report::{self, OutputDir, RunMeta, shards};

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

/// Joins shard outputs in `inputs` (folders holding `<scenario>/run.json`, or scenario
/// folders themselves) into `out/<scenario>/`, exactly as one whole run writes them.
/// Everything is verified first (see `report::shards`): a damaged or foreign shard is
/// bad input (exit 2) and nothing is written.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Vec<(String, ScenarioReport)>, AppError> {
    let mut groups: BTreeMap<String, Vec<(PathBuf, RunMeta)>> = BTreeMap::new();
    for input in inputs {
        for dir in scenario_dirs(input)? {
            let meta = read_meta(&dir)?;
            shards::check_names(&dir, &meta).map_err(AppError::Usage)?;
            groups
                .entry(meta.scenario.clone())
                .or_default()
                .push((dir, meta));
        }
    }
    let mut merged = Vec::new();
    for (name, group) in &groups {
        let meta = shards::combine(name, group).map_err(AppError::Usage)?;
        for (dir, m) in group {
            shards::check_files(dir, m).map_err(AppError::Usage)?;
            shards::check_replicas(dir, m).map_err(AppError::Usage)?;
        }
        merged.push((name, meta));
    }
    let mut reports = Vec::new();
    for ((name, meta), group) in merged.into_iter().zip(groups.values()) {
        let dir = OutputDir::create(out, name).map_err(AppError::io(format!(
            "{}: cannot create output",
            out.display()
        )))?;
        let comparison = write(&dir, &meta, group).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => AppError::Usage(format!("`{name}`: {e}")),
            _ => AppError::Io {
                context: format!("{name}: merging"),
                source: e,
            },
        })?;
        report::write_report(&dir).map_err(AppError::io(format!("{name}: drawing the report")))?;
        let path = dir
            .commit()
            .map_err(AppError::io(format!("{name}: moving outputs into place")))?;
        reports.push((
            name.clone(),
            ScenarioReport {
                dir: path,
                results: Vec::new(),
                comparison,
            },
        ));
    }
    Ok(reports)
}

/// Writes the merged files of `shards` into `dir`, then the analysis and run.json.
fn write(dir: &OutputDir, meta: &RunMeta, shards: &[(PathBuf, RunMeta)]) -> io::Result<String> {
    let mut kept = std::collections::HashMap::new();
    for file in shards::MERGED {
        let inputs = shards
            .iter()
            .map(|(d, _)| std::fs::File::open(d.join(file)).map(io::BufReader::new))
            .collect::<io::Result<Vec<_>>>()?;
        let mut bytes = Vec::new();
        report::merge_csv(meta, inputs, &mut bytes)
            .map_err(|e| io::Error::new(e.kind(), format!("{file}: {e}")))?;
        dir.write(file, &bytes)?;
        kept.insert(file, bytes);
    }
    let table = write_analysis(dir, meta, &kept["summary.csv"], &kept["containers.csv"])?;
    write_meta(dir, meta)?;
    Ok(table)
}

/// The scenario output folders in `input`: itself, or its children with a run.json
/// (hidden ones, such as a killed run's staging, excluded). A folder with neither is
/// an error, not silently skipped.
fn scenario_dirs(input: &Path) -> Result<Vec<PathBuf>, AppError> {
    if input.join("run.json").is_file() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(AppError::io(format!("{}: cannot list", input.display())))?
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.join("run.json").is_file())
        .collect();
    if dirs.is_empty() {
        return Err(AppError::Usage(format!(
            "{}: no run outputs (run.json) in this folder",
            input.display()
        )));
    }
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
