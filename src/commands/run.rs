//! `meshmem run`: every scenario's replicas and variants, into `OUT/<scenario>/`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{
    AppError, ScenarioReport, discover, load_all, print_pages, write_analysis, write_meta,
};
use crate::cli::{OutputFormat, RunArgs};
use crate::report::{self, CsvSinks, OutputDir, RunMeta, ShardMeta};
use crate::runner::{self, RunOptions};
use crate::scenario::{Limits, LoadOptions, Scenario};

/// Runs the scenarios `args` names and prints a table for each, then the reports' paths.
pub fn execute(args: &RunArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let files = discover(&args.paths)?;
    let scenarios = load_all(
        &files,
        &LoadOptions {
            limits: Limits::new(args.allow_large),
            seed: args.seed,
            replicas: args.replicas,
            shard: args.shard,
        },
    )?;
    let options = RunOptions {
        threads: args.threads.map(|t| t as usize),
        progress: !args.quiet && std::io::stderr().is_terminal(),
        shard: args.shard,
    };
    let mut pages = Vec::new();
    let mut summaries = Vec::new();
    for s in &scenarios {
        let done = run_scenario(s, &args.out, &options)?;
        if args.format == OutputFormat::Json {
            summaries.push(summary_json(s, &done));
            continue;
        }
        let duration =
            report::human_time(crate::engine::SimTime::ZERO + s.variants[0].config.duration);
        let _ = writeln!(
            out,
            "{} — {} replica{} × {duration}, seed {} → {}",
            s.name,
            s.replicas,
            if s.replicas == 1 { "" } else { "s" },
            s.seed,
            done.dir.display()
        );
        let _ = writeln!(out, "{}", report::table(s, &done.results));
        if s.variants.len() > 1 {
            let _ = writeln!(out, "{}", done.comparison);
        }
        let page = done.dir.join("report.html");
        if page.is_file() {
            pages.push(page);
        }
    }
    if args.format == OutputFormat::Json {
        let doc = serde_json::json!({ "scenarios": summaries });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
        return Ok(());
    }
    print_pages(out, &pages);
    Ok(())
}

/// One scenario's outputs for programs: where they are, and every row of
/// `comparison.csv` as an object (numbers as numbers, empty cells as null).
fn summary_json(s: &Scenario, done: &super::ScenarioReport) -> serde_json::Value {
    let mut rows = Vec::new();
    if let Ok(mut r) = csv::Reader::from_path(done.dir.join("comparison.csv")) {
        let headers = r.headers().cloned().unwrap_or_default();
        for row in r.records().flatten() {
            let obj: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| {
                    let value = if v.is_empty() {
                        serde_json::Value::Null
                    } else if let Ok(n) = v.parse::<f64>() {
                        serde_json::json!(n)
                    } else {
                        serde_json::json!(v)
                    };
                    (h.to_string(), value)
                })
                .collect();
            rows.push(serde_json::Value::Object(obj));
        }
    }
    let page = done.dir.join("report.html");
    serde_json::json!({
        "scenario": s.name,
        "dir": done.dir.display().to_string(),
        "report": page.is_file().then(|| page.display().to_string()),
        "seed": s.seed,
        "replicas": s.replicas,
        "variants": s.variants.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
        "comparison": rows,
    })
}

/// `plan-*.csv` files a `meshmem plan` left in `dir`: a later run of the scenario keeps
/// them (and their chart in the report) instead of wiping them with the old outputs.
fn kept_plans(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut plans: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let plan = name.starts_with("plan-") && name.ends_with(".csv");
            plan.then(|| std::fs::read(e.path()).ok().map(|b| (name, b)))
                .flatten()
        })
        .collect();
    plans.sort();
    plans
}

/// Runs `scenario` (or its shard, per `options`) and writes its outputs under
/// `out/<name>/`.
pub fn run_scenario(
    scenario: &Scenario,
    out: &Path,
    options: &RunOptions,
) -> Result<ScenarioReport, AppError> {
    let plans = kept_plans(&out.join(&scenario.name));
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
        scenario.pod_timeseries,
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
                report::WORKLOAD_SERIES_HEADER,
                CsvSinks::timeseries_part as fn(&CsvSinks, usize, u32) -> PathBuf,
            ),
            (
                "pod-timeseries.csv",
                report::POD_TIMESERIES_HEADER,
                CsvSinks::pod_timeseries_part,
            ),
            ("slo.csv", report::SLO_HEADER, CsvSinks::slo_part),
            ("redis.csv", report::REDIS_HEADER, CsvSinks::redis_part),
            ("db.csv", report::DB_HEADER, CsvSinks::db_part),
            ("events.csv", report::EVENTS_HEADER, CsvSinks::events_part),
            ("memory.csv", report::MEMORY_HEADER, CsvSinks::memory_part),
        ] {
            dir.join_parts(file, header, runs.iter().map(|&(v, r)| part(&sinks, v, r)))?;
        }
        let summary = report::summary_csv(scenario, &results)?;
        let containers = report::containers_csv(scenario, &results)?;
        dir.write("summary.csv", &summary)?;
        dir.write("containers.csv", &containers)?;
        if options.shard.is_none() {
            for (name, bytes) in &plans {
                dir.write(name, bytes)?;
            }
        }
        let table = write_analysis(&dir, &meta, &summary, &containers)?;
        write_meta(&dir, &meta)?;
        Ok(table)
    };
    let comparison =
        write().map_err(AppError::io(format!("{}: writing outputs", scenario.name)))?;
    // A shard's charts would show a slice of the replicas: they are drawn on merge.
    if options.shard.is_none() {
        report::write_report(&dir).map_err(AppError::io(format!(
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
