//! `meshmem`: the command line. Parse arguments, call the library, print.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use meshmem::app::{self, AppError};
use meshmem::report;
use meshmem::runner::RunOptions;

/// Prints to stdout, ignoring a closed pipe (`meshmem run | head`): the outputs on disk
/// matter more than the table, and a closed reader is no reason to stop or panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// [`say!`] with a newline.
macro_rules! sayln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Simulate memory in a Kubernetes service mesh: OOM kills, restarts and 503s, and what
/// each mitigation changes.
#[derive(Parser)]
#[command(version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a command, `meshmem [OPTIONS] [PATH...]` is `meshmem run`.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios and write their outputs (the default: every file in scenarios/).
    Run(RunArgs),
    /// Validate scenarios without running them.
    Check {
        /// Scenario files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Find the smallest memory limit whose OOM risk within a horizon is acceptable.
    Plan {
        /// Scenario file.
        path: PathBuf,
        /// The container to size, as WORKLOAD/CONTAINER.
        #[arg(long)]
        container: String,
        /// Acceptable probability of an OOM kill within the horizon (1% or 0.01).
        #[arg(long, value_parser = parse_risk, default_value = "1%")]
        risk: f64,
        /// The horizon (e.g. 24h).
        #[arg(long, value_parser = parse_duration, default_value = "24h")]
        within: meshmem::engine::SimDuration,
        /// Plan for this variant instead of the baseline.
        #[arg(long)]
        variant: Option<String>,
        /// Candidate limits are multiples of this (e.g. 8Mi).
        #[arg(long, value_parser = parse_bytes, default_value = "8Mi")]
        step: meshmem::model::Bytes,
        /// Runs per candidate before adding more.
        #[arg(long, default_value_t = 100)]
        min_runs: u32,
        /// Most runs per candidate.
        #[arg(long, default_value_t = 1600)]
        max_runs: u32,
        /// Output folder.
        #[arg(long, default_value = "output")]
        out: PathBuf,
    },
    /// Join the outputs of `run --shard I/N` into the files one whole run writes.
    Merge {
        /// Output folders of the shards.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged outputs.
        #[arg(long, default_value = "output")]
        out: PathBuf,
    },
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

fn parse_duration(s: &str) -> Result<meshmem::engine::SimDuration, String> {
    meshmem::scenario::duration::parse_duration(s)
}

fn parse_bytes(s: &str) -> Result<meshmem::model::Bytes, String> {
    meshmem::scenario::quantity::parse_bytes(s).map_err(|e| e.to_string())
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

#[derive(Args, Default)]
struct RunArgs {
    /// Scenario files or folders [default: scenarios/].
    paths: Vec<PathBuf>,
    /// Override every scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override every scenario's replica count.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    replicas: Option<u32>,
    /// Output folder.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Run only shard I of N (replicas r with r mod N = I); join with `meshmem merge`.
    #[arg(long, value_parser = parse_shard, value_name = "I/N")]
    shard: Option<(u32, u32)>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Reports keep their lines whole when read by a program or a log, wrapped on a terminal.
    let wrap = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(wrap).build())
    }));
    let result = match cli.command.unwrap_or(Command::Run(cli.run)) {
        Command::Run(args) => run(args),
        Command::Check { paths } => check(&paths),
        Command::Merge { dirs, out } => merge(&dirs, &out),
        Command::Plan {
            path,
            container,
            risk,
            within,
            variant,
            step,
            min_runs,
            max_runs,
            out,
        } => app::plan(&app::PlanArgs {
            path,
            container,
            risk,
            within,
            variant,
            step,
            min_runs,
            max_runs,
            out,
        })
        .map(|text| say!("{text}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(code as u8)
        }
    }
}

fn run(args: RunArgs) -> Result<(), AppError> {
    let files = app::discover(&args.paths)?;
    let mut scenarios = app::load_all(&files)?;
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
        let done = app::run_scenario(s, &args.out, &options)?;
        let duration =
            report::human_time(meshmem::engine::SimTime::ZERO + s.variants[0].config.duration);
        sayln!(
            "{} — {} replicas × {duration}, seed {} → {}",
            s.name,
            s.replicas,
            s.seed,
            done.dir.display()
        );
        sayln!("{}", report::table(s, &done.results));
        if s.variants.len() > 1 {
            sayln!("{}", done.comparison);
        }
        let page = done.dir.join("report.html");
        if page.is_file() {
            pages.push(page);
        }
    }
    print_pages(&pages);
    Ok(())
}

/// The reports written, last, where a terminal's scrollback ends.
fn print_pages(pages: &[PathBuf]) {
    if !pages.is_empty() {
        sayln!("reports (charts and tables; open in a browser):");
        for p in pages {
            sayln!("  {}", p.display());
        }
    }
}

fn merge(dirs: &[PathBuf], out: &std::path::Path) -> Result<(), AppError> {
    let mut pages = Vec::new();
    for (name, done) in app::merge(dirs, out)? {
        sayln!("{name} → {}", done.dir.display());
        sayln!("{}", done.comparison);
        pages.push(done.dir.join("report.html"));
    }
    print_pages(&pages);
    Ok(())
}

fn check(paths: &[PathBuf]) -> Result<(), AppError> {
    let files = app::discover(paths)?;
    for s in app::load_all(&files)? {
        sayln!(
            "{}: ok ({}, {} variant{})",
            s.file.display(),
            s.name,
            s.variants.len(),
            if s.variants.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
