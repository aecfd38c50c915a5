//! `meshmem run`: every scenario's replicas and variants, into `OUT/<scenario>/`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{AppError, ScenarioReport, discover, load_all, print_pages, write_analysis};
use crate::cli::RunArgs;
use crate::report::{self, CsvSinks, OutputDir, RunMeta, ShardMeta};
use crate::runner::{self, RunOptions};
use crate::scenario::Scenario;

/// Runs the scenarios `args` names and prints a table for each, then the reports' paths.
pub fn execute(args: &RunArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let files = discover(&args.paths)?;
    let mut scenarios = load_all(&files)?;
    let options = RunOptions {
        threads: args.threads.map(|t| t as usize),
        progress: !args.quiet && std::io::stderr().is_terminal(),
        shard: args.shard,
    };
    for s in &mut scenarios {
        s.seed = args.seed.unwrap_or(s.seed);
        s.replicas = args.replicas.unwrap_or(s.replicas);
    }
    let mut pages = Vec::new();
    for s in &scenarios {
        let done = run_scenario(s, &args.out, &options)?;
        let duration =
            report::human_time(crate::engine::SimTime::ZERO + s.variants[0].config.duration);
        let _ = writeln!(
            out,
            "{} — {} replicas × {duration}, seed {} → {}",
            s.name,
            s.replicas,
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
    print_pages(out, &pages);
    Ok(())
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
            ("redis.csv", report::REDIS_HEADER, CsvSinks::redis_part),
            ("db.csv", report::DB_HEADER, CsvSinks::db_part),
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
