//! Many runs: every variant × replica of a scenario, in parallel.
//!
//! Each run is a pure function of (variant configuration, scenario seed, replica index):
//! its random streams come from `RngStreams::new(seed, replica)`, with no variant in the
//! seed, so every variant replays its baseline's random numbers. Runs execute on rayon's
//! pool and their results are collected in (variant, replica) order, so outputs do not
//! depend on the number of threads. Records stream to one sink per run, opened through a
//! [`SinkFactory`], so memory does not grow with the number of runs or simulated time.

use std::io;

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::engine::RngStreams;
use crate::model::{Recorder, RunOutcome, World};
use crate::scenario::Scenario;

pub mod plan;

/// Opens a recorder per run and closes it when the run ends.
pub trait SinkFactory: Sync {
    /// The recorder type.
    type Sink: Recorder + Send;
    /// A recorder for run (`variant`, `replica`).
    fn open(&self, variant: usize, replica: u32) -> io::Result<Self::Sink>;
    /// Finishes a run's recorder (flush, report write errors).
    fn close(&self, sink: Self::Sink) -> io::Result<()>;
}

/// Sinks that keep nothing: for benchmarks and searches that need only outcomes.
#[derive(Copy, Clone, Debug, Default)]
pub struct DiscardSinks;

impl SinkFactory for DiscardSinks {
    type Sink = crate::model::Discard;
    fn open(&self, _variant: usize, _replica: u32) -> io::Result<Self::Sink> {
        Ok(crate::model::Discard)
    }
    fn close(&self, _sink: Self::Sink) -> io::Result<()> {
        Ok(())
    }
}

/// One run's identity and outcome.
#[derive(Clone, Debug)]
pub struct ReplicaResult {
    /// Index into the scenario's variants.
    pub variant: usize,
    /// Replica index.
    pub replica: u32,
    /// What happened.
    pub outcome: RunOutcome,
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; `None` uses rayon's default (all cores, or `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Run only replicas `r` with `r % count == index`: (index, count).
    pub shard: Option<(u32, u32)>,
}

/// Runs one replica of one variant.
pub fn run_one<R: Recorder>(
    scenario: &Scenario,
    variant: usize,
    replica: u32,
    rec: R,
) -> (RunOutcome, R) {
    world(scenario, variant, replica, rec).run()
}

/// The world of one replica of one variant, not started: step it with
/// [`World::run_until`], look at it with [`World::snapshot`], finish with [`World::run`].
pub fn world<R: Recorder>(
    scenario: &Scenario,
    variant: usize,
    replica: u32,
    rec: R,
) -> World<'_, R> {
    let streams = RngStreams::new(scenario.seed, u64::from(replica));
    World::new(&scenario.variants[variant].config, streams, rec)
}

/// Runs every variant × replica of `scenario`, results in (variant, replica) order.
pub fn run_scenario<F: SinkFactory>(
    scenario: &Scenario,
    sinks: &F,
    options: &RunOptions,
) -> io::Result<Vec<ReplicaResult>> {
    let mine = |r: &u32| options.shard.is_none_or(|(i, n)| r % n == i);
    let jobs: Vec<(usize, u32)> = (0..scenario.variants.len())
        .flat_map(|v| (0..scenario.replicas).filter(mine).map(move |r| (v, r)))
        .collect();
    let bar = progress_bar(options.progress, jobs.len(), &scenario.name);
    let work = || {
        (0..jobs.len())
            .into_par_iter()
            .progress_with(bar.clone())
            .map(|i| {
                let (variant, replica) = jobs[i];
                let sink = sinks.open(variant, replica)?;
                let (outcome, sink) = run_one(scenario, variant, replica, sink);
                sinks.close(sink)?;
                Ok(ReplicaResult {
                    variant,
                    replica,
                    outcome,
                })
            })
            .collect::<io::Result<Vec<_>>>()
    };
    let results = match options.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(io::Error::other)?
            .install(work),
        None => work(),
    };
    bar.finish_and_clear();
    results
}

fn progress_bar(show: bool, len: usize, name: &str) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_string());
    bar
}
