//! The command line, as clap types derived once.
//!
//! Each command's arguments are the options its module in [`crate::commands`] takes:
//! nothing is copied field by field into another struct. Values are parsed here into
//! model units (`SimDuration`, `Bytes`, a probability), so a command only ever sees
//! valid settings; a bad value is clap's usage error (exit 2).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::SimDuration;
use crate::model::Bytes;

/// Simulate memory in a Kubernetes service mesh: OOM kills, restarts and 503s, and what
/// each mitigation changes.
#[derive(Parser, Debug)]
#[command(name = "meshmem", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// The command; none is `run`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a command, `meshmem [OPTIONS] [PATH...]` is `meshmem run`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenarios and write their outputs (the default: every file in scenarios/).
    Run(RunArgs),
    /// Validate scenarios without running them.
    Check(CheckArgs),
    /// Find the smallest memory limit whose OOM risk within a horizon is acceptable.
    Plan(PlanArgs),
    /// Join the outputs of `run --shard I/N` into the files one whole run writes.
    Merge(MergeArgs),
    /// Run a scenario's incident drill: the page, the cluster as kubectl shows it, a
    /// decision, and a debrief in which the simulation scores every option.
    Drill(DrillArgs),
    /// Write a scenario from Kubernetes manifests, calibrated on Prometheus metrics.
    Import(ImportArgs),
    /// Print the scenario format as JSON Schema (for editors) or as its Markdown reference.
    Schema(SchemaArgs),
    /// Describe a key of the scenario format, like `kubectl explain`.
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

/// `meshmem schema`.
#[derive(Args, Debug, Clone)]
pub struct SchemaArgs {
    /// `json` (JSON Schema) or `markdown` (the page docs/scenario-format.md holds).
    #[arg(long, value_enum, default_value = "json")]
    pub format: SchemaFormat,
}

/// What `meshmem schema` prints.
#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SchemaFormat {
    /// JSON Schema, draft 2020-12.
    Json,
    /// The format reference as Markdown.
    Markdown,
}

/// `meshmem explain`.
#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// A key path such as `workloads.containers.memory.leak` (none: the top level).
    #[arg(value_name = "PATH.TO.KEY", default_value = "")]
    pub path: String,
}

/// `meshmem completions`.
#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `meshmem run`.
#[derive(Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Scenario files or folders [default: scenarios/].
    pub paths: Vec<PathBuf>,
    /// Override every scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override every scenario's replica count.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicas: Option<u32>,
    /// Output folder: each scenario's outputs go to OUT/SCENARIO/ (SCENARIO: its name).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Worker threads [default: all cores; at most 1024].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS))]
    pub threads: Option<u32>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard I of N (replicas r with r mod N = I); join with `meshmem merge`.
    #[arg(long, value_parser = parse_shard, value_name = "I/N")]
    pub shard: Option<(u32, u32)>,
    /// Raise the limits on runs, events, output size, nodes, pods and rates a
    /// hundredfold (see `meshmem check`).
    #[arg(long)]
    pub allow_large: bool,
    /// What to print: tables for people, or one JSON summary for programs.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

/// What `run` and `plan` print on stdout.
#[derive(clap::ValueEnum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Tables for people.
    #[default]
    Text,
    /// One JSON document (the figures of comparison.csv, or the plan).
    Json,
}

/// More worker threads than this only cost memory and start-up time: each needs a stack,
/// and no machine meshmem runs on has more cores.
pub const MAX_THREADS: i64 = 1024;

/// `meshmem check`.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Scenario files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Raise the limits on runs, events, output size, nodes, pods and rates a
    /// hundredfold.
    #[arg(long)]
    pub allow_large: bool,
}

/// `meshmem plan`.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Scenario file.
    pub path: PathBuf,
    /// The container to size, as WORKLOAD/CONTAINER.
    #[arg(long)]
    pub container: String,
    /// Acceptable probability of an OOM kill within the horizon (1% or 0.01).
    #[arg(long, value_parser = parse_risk, default_value = "1%")]
    pub risk: f64,
    /// The horizon (e.g. 24h).
    #[arg(long, value_parser = parse_duration, default_value = "24h")]
    pub within: SimDuration,
    /// Plan for this variant instead of the baseline.
    #[arg(long)]
    pub variant: Option<String>,
    /// Candidate limits are multiples of this (e.g. 8Mi).
    #[arg(long, value_parser = parse_bytes, default_value = "8Mi")]
    pub step: Bytes,
    /// Runs per candidate before adding more (as `run --replicas`).
    #[arg(long, alias = "replicas", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_runs: u32,
    /// Most runs per candidate.
    #[arg(long, default_value_t = 1600)]
    pub max_runs: u32,
    /// Run every candidate as it is, even where one set of runs with the limit lifted
    /// answers them all (same answer, slower: a check of the fast path).
    #[arg(long)]
    pub search_only: bool,
    /// Output folder: the plan goes to OUT/SCENARIO/ (SCENARIO: its name).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Raise the limits on events per run, nodes, pods and rates a hundredfold.
    #[arg(long)]
    pub allow_large: bool,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// No progress indicator.
    #[arg(long, short)]
    pub quiet: bool,
    /// What to print: the plan for people, or as JSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

/// `meshmem merge`.
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// Output folders of the shards.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged outputs: OUT/SCENARIO/ (SCENARIO: its name).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
}

/// `meshmem drill`.
#[derive(Args, Debug, Clone)]
pub struct DrillArgs {
    /// Scenario file with a `drill:` section.
    pub path: PathBuf,
    /// Answer without a session (for trainers, CI, learning platforms): the option's name.
    #[arg(long, value_name = "OPTION")]
    pub answer: Option<String>,
    /// The reason for the answer, kept in the debrief.
    #[arg(long, requires = "answer")]
    pub reason: Option<String>,
    /// Print the debrief as JSON on stdout (nothing else).
    #[arg(long)]
    pub json: bool,
    /// Replay a session: one command a line, the same output as typed.
    #[arg(long, value_name = "FILE")]
    pub commands: Option<PathBuf>,
    /// Print the trainer's key: the evidence timeline and the scored options.
    #[arg(long)]
    pub reveal: bool,
    /// Replicas per option [default: the drill's `scoring.replicas`, else the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicas: Option<u32>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads for scoring [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Output folder: the debrief goes to OUT/drills/SCENARIO/ (SCENARIO: its name).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Write no report.html / debrief.json.
    #[arg(long)]
    pub no_report: bool,
}

/// `meshmem import`.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// Manifests: `helm template` output, `kubectl get -o yaml` (a List), or any
    /// multi-document YAML of Kubernetes objects.
    #[arg(required = true, value_name = "MANIFEST")]
    pub manifests: Vec<PathBuf>,
    /// Prometheus `query_range` responses (JSON) or CSV (`timestamp,<labels>…,value`) of
    /// `container_memory_working_set_bytes` and `rate(istio_requests_total[1m])`.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub metrics: Vec<PathBuf>,
    /// The scenario file to write.
    #[arg(long, value_name = "SCENARIO.yaml")]
    pub out: PathBuf,
    /// Scenario name (also its output folder) [default: the file's stem].
    #[arg(long)]
    pub name: Option<String>,
    /// Monte Carlo runs per variant in the scenario.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicas: u32,
    /// Seed of the scenario's random streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `1%` or `0.01`.
fn parse_risk(s: &str) -> Result<f64, String> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .map_err(|_| format!("`{s}` is not a probability (1% or 0.01)"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("`{s}` must be between 0 and 100 %"))
    }
}

fn parse_duration(s: &str) -> Result<SimDuration, String> {
    crate::scenario::duration::parse_duration(s)
}

fn parse_bytes(s: &str) -> Result<Bytes, String> {
    crate::scenario::quantity::parse_bytes(s).map_err(|e| e.to_string())
}

/// `I/N`: shard I (from 0) of N.
fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
    let (i, n): (u32, u32) = (
        i.trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a shard index"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a shard count"))?,
    );
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: the index must be below the count"));
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn risk_takes_percent_or_fraction() {
        assert_eq!(parse_risk("1%"), Ok(0.01));
        assert_eq!(parse_risk("0.05"), Ok(0.05));
        assert!(parse_risk("100%").is_err());
    }

    #[test]
    fn shard_index_is_below_the_count() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("x").is_err());
    }
}
