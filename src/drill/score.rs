//! Scoring: every option run from the decision point on the baseline's random streams,
//! replica by replica, and ranked by the simulation — never by the author.
//!
//! For each replica the drill's world is stepped until the decision (a fixed instant or
//! the first event that satisfies the trigger; each replica has its own instant), the
//! option's actions are injected there, and the world runs to the end of the judged
//! window. A counterfactual option (a variant that sets values) runs its variant from
//! the start on the same streams and is judged over the same window. Doing nothing is
//! scored too, as the reference.
//!
//! Terms per replica, over the judged window (lower is better): the mean error-budget
//! burn (failed requests — 503s and application errors — ÷ (requests × (1 − SLO))), OOM kills and heap crashes, minutes until
//! recovery (the last bucket burning at 1× or more, or the last kill, provided a whole
//! `recoveryWindow` of quiet follows before the window ends; a run that never recovers
//! counts the whole window), and policy violations. The score is their weighted sum. The best option has
//! the lowest mean score; an option whose paired difference to it (same replicas:
//! common random numbers) has a 95 % interval containing 0 is tied with it.

use rayon::prelude::*;

use super::record::{DrillRecorder, Peak};
use crate::engine::SimTime;
use crate::model::{EventKind, SloSample};
use crate::runner;
use crate::scenario::Scenario;
use crate::scenario::compile::drill::{DecisionPoint, DrillConfig, OptionPlan};
use crate::stats::{MeanCi, mean_ci};

/// Names of the score terms, in weight order.
pub const TERMS: [&str; 4] = [
    "error_budget",
    "oom_kills",
    "recovery_minutes",
    "policy_violations",
];

/// One option in one replica.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaScore {
    /// Replica index.
    pub replica: u32,
    /// The decision instant (`None`: the trigger never happened; nothing was applied).
    pub decided_at: Option<SimTime>,
    /// Start and end of the judged window.
    pub window: (SimTime, SimTime),
    /// The terms, as [`TERMS`].
    pub terms: [f64; 4],
    /// Weighted sum.
    pub score: f64,
    /// Recovered within the window.
    pub recovered: bool,
    /// 503s in the window.
    pub errors_503: f64,
    /// OOM kills in the window, per (workload, container).
    pub kills: Vec<(String, String, u32)>,
    /// Highest working sets in the window.
    pub peaks: Vec<Peak>,
}

/// An option's result over every replica.
#[derive(Clone, Debug)]
pub struct OptionResult {
    /// The option's name (`A`), or `-` for doing nothing.
    pub name: String,
    /// What it does.
    pub text: String,
    /// Runs its variant from the start.
    pub counterfactual: bool,
    /// Per replica, in replica order.
    pub replicas: Vec<ReplicaScore>,
    /// Mean and 95 % interval of each term.
    pub terms: [MeanCi; 4],
    /// Mean and 95 % interval of the score.
    pub score: MeanCi,
    /// Paired difference of the score to the best option's (this − best).
    pub diff_to_best: MeanCi,
    /// Tied with the best (the paired interval contains 0), or the best itself.
    pub tied_with_best: bool,
}

/// Every option ranked.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The options, in the drill's order.
    pub options: Vec<OptionResult>,
    /// Doing nothing, for reference (not an option).
    pub nothing: OptionResult,
    /// Index of the best option.
    pub best: usize,
    /// Replicas in which the decision point was reached.
    pub decided: usize,
    /// Replicas per option.
    pub replicas: u32,
}

impl Verdict {
    /// Option indices from best to worst (by mean score, then file order).
    pub fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.options.len()).collect();
        order.sort_by(|&a, &b| {
            self.options[a]
                .score
                .mean
                .total_cmp(&self.options[b].score.mean)
                .then(a.cmp(&b))
        });
        order
    }

    /// The index of option `name` (case-insensitive).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.options
            .iter()
            .position(|o| o.name.eq_ignore_ascii_case(name))
    }
}

/// How a run gets to its decision instant.
fn decide(
    world: &mut crate::model::World<'_, DrillRecorder>,
    decision: &DecisionPoint,
) -> Option<SimTime> {
    match decision {
        DecisionPoint::At(t) => Some(world.run_until(*t)),
        DecisionPoint::Trigger { .. } => {
            let end = world.end();
            let t = world.step_until(end, |rec| rec.triggered());
            world.recorder().triggered().then_some(t)
        }
    }
}

/// The world of the drill, stepped to its decision instant: (world, decision instant,
/// index of the first event after the decision).
pub fn to_decision<'s>(
    scenario: &'s Scenario,
    drill: &DrillConfig,
    replica: u32,
    keep_scrapes: bool,
) -> (
    crate::model::World<'s, DrillRecorder>,
    Option<SimTime>,
    usize,
) {
    let peaks_from = match drill.decision {
        DecisionPoint::At(t) => Some(t),
        DecisionPoint::Trigger { .. } => None,
    };
    let peaks_from = if drill.scoring.from_start {
        Some(SimTime::ZERO)
    } else {
        peaks_from
    };
    let rec = DrillRecorder::new(Some(drill.decision.clone()), keep_scrapes, peaks_from);
    let mut world = runner::world(scenario, drill.variant, replica, rec);
    let t = decide(&mut world, &drill.decision);
    let mark = world.recorder().events.len();
    (world, t, mark)
}

/// Runs option `option` (`None`: doing nothing) in `replica`; `decided` is the decision
/// instant the drill's own world reached in that replica (for counterfactuals).
pub fn run_option(
    scenario: &Scenario,
    drill: &DrillConfig,
    option: Option<usize>,
    replica: u32,
    decided: Option<SimTime>,
    keep_scrapes: bool,
) -> Result<(ReplicaScore, Option<DrillRecorder>), String> {
    let cfg_end = SimTime::ZERO + scenario.variants[drill.variant].config.duration;
    let plan = option.map(|o| &drill.options[o].plan);
    let (mut world, t, mark) = match plan {
        Some(OptionPlan::Counterfactual { variant }) => {
            let from = if drill.scoring.from_start {
                Some(SimTime::ZERO)
            } else {
                Some(decided.unwrap_or(cfg_end))
            };
            let rec = DrillRecorder::new(None, keep_scrapes, from);
            let mut world = runner::world(scenario, *variant, replica, rec);
            let mark = match decided {
                Some(t) if !drill.scoring.from_start => {
                    world.run_until(t);
                    world.recorder().events.len()
                }
                _ => 0,
            };
            (world, decided, mark)
        }
        _ => {
            let (mut world, t, mark) = to_decision(scenario, drill, replica, keep_scrapes);
            if let (Some(o), Some(t)) = (option, t) {
                for a in drill
                    .actions_at(o, t)
                    .map_err(|p| format!("option {}: {}", drill.options[o].name, p.message))?
                {
                    world.inject(a.at, &a.name, a.action);
                }
            }
            (world, t, mark)
        }
    };
    let mark = if drill.scoring.from_start { 0 } else { mark };
    let start = if drill.scoring.from_start {
        SimTime::ZERO
    } else {
        t.unwrap_or(cfg_end)
    };
    let end = drill
        .scoring
        .horizon
        .map_or(cfg_end, |h| (start + h).min(cfg_end));
    world.run_until(end);
    let target = scenario.variants[drill.variant].config.slo_target;
    let score = judge(
        world.recorder(),
        drill,
        replica,
        t,
        (start, end),
        mark,
        target,
    );
    Ok((score, keep_scrapes.then(|| world.recorder().clone())))
}

/// The terms of one run over `window`, counting events from index `mark` on.
#[allow(clippy::too_many_arguments)]
fn judge(
    rec: &DrillRecorder,
    drill: &DrillConfig,
    replica: u32,
    decided_at: Option<SimTime>,
    window: (SimTime, SimTime),
    mark: usize,
    slo_target: f64,
) -> ReplicaScore {
    let (start, end) = window;
    let budget = (1.0 - slo_target).max(f64::MIN_POSITIVE);
    let buckets: Vec<_> = rec
        .slo
        .iter()
        .filter(|b| b.time > start && b.time <= end)
        .collect();
    let requests: f64 = buckets.iter().map(|b| b.requests).sum();
    // A failed request burns budget whatever failed it: the mesh's 503s and the
    // application's own failures (500s, timeouts, failed lookups) of calls it makes.
    let failed =
        |b: &SloSample| b.errors_503.iter().sum::<f64>() + b.app_errors.iter().sum::<f64>();
    let errors: f64 = buckets.iter().map(|b| failed(b)).sum();
    let burn = if requests > 0.0 {
        errors / requests / budget
    } else {
        0.0
    };
    let after: Vec<_> = rec.events[mark.min(rec.events.len())..]
        .iter()
        .filter(|e| e.time <= end)
        .collect();
    let dies = |k: EventKind| k == EventKind::OomKilled || k == EventKind::Crashed;
    let mut kills: Vec<(String, String, u32)> = Vec::new();
    for e in after.iter().filter(|e| dies(e.kind)) {
        match kills
            .iter_mut()
            .find(|k| k.0 == e.workload && k.1 == e.container)
        {
            Some(k) => k.2 += 1,
            None => kills.push((e.workload.clone(), e.container.clone(), 1)),
        }
    }
    let oom_kills = kills.iter().map(|k| k.2).sum::<u32>();
    let violations = after
        .iter()
        .filter(|e| e.kind == EventKind::PolicyViolation)
        .count();
    // Instants at which the cluster was visibly in trouble: ends of buckets burning at
    // 1× or more (the bucket covers the interval before), kills and crashes.
    let mut bad: Vec<SimTime> = buckets
        .iter()
        .filter(|b| b.requests > 0.0 && failed(b) / b.requests >= budget)
        .map(|b| b.time)
        .chain(after.iter().filter(|e| dies(e.kind)).map(|e| e.time))
        .collect();
    bad.sort();
    // Recovered from the last sign of trouble on, if the quiet that follows lasts a
    // whole recovery window before the judged window ends (a relapse resets it).
    let need = drill.scoring.recovery_window;
    let last = bad.last().map_or(start, |b| (*b).max(start));
    let recovered = (end.since(last) >= need).then_some(last);
    let recovery = recovered.map_or(end.since(start), |r| r.since(start));
    let terms = [
        burn,
        f64::from(oom_kills),
        recovery.as_secs_f64() / 60.0,
        violations as f64,
    ];
    let score = terms
        .iter()
        .zip(drill.scoring.weights)
        .map(|(t, w)| t * w)
        .sum();
    ReplicaScore {
        replica,
        decided_at,
        window,
        terms,
        score,
        recovered: recovered.is_some(),
        errors_503: errors,
        kills,
        peaks: rec.peaks.clone(),
    }
}

/// Scores every option over `replicas` replicas on `threads` threads (`None`: rayon's
/// default). Results do not depend on the number of threads.
pub fn score(
    scenario: &Scenario,
    drill: &DrillConfig,
    replicas: u32,
    threads: Option<usize>,
) -> Result<Verdict, String> {
    let work = || -> Result<Verdict, String> {
        let nothing: Vec<ReplicaScore> = (0..replicas)
            .into_par_iter()
            .map(|r| run_option(scenario, drill, None, r, None, false).map(|x| x.0))
            .collect::<Result<_, _>>()?;
        let decided: Vec<Option<SimTime>> = nothing.iter().map(|s| s.decided_at).collect();
        let jobs: Vec<(usize, u32)> = (0..drill.options.len())
            .flat_map(|o| (0..replicas).map(move |r| (o, r)))
            .collect();
        let runs: Vec<ReplicaScore> = jobs
            .par_iter()
            .map(|&(o, r)| {
                run_option(scenario, drill, Some(o), r, decided[r as usize], false).map(|x| x.0)
            })
            .collect::<Result<_, _>>()?;
        let mut per_option: Vec<Vec<ReplicaScore>> = vec![Vec::new(); drill.options.len()];
        for ((o, _), s) in jobs.iter().zip(runs) {
            per_option[*o].push(s);
        }
        Ok(rank(drill, nothing, per_option, replicas))
    };
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| e.to_string())?
            .install(work),
        None => work(),
    }
}

fn summarise(
    name: &str,
    text: &str,
    counterfactual: bool,
    runs: Vec<ReplicaScore>,
) -> OptionResult {
    let col = |i: usize| runs.iter().map(|r| r.terms[i]).collect::<Vec<_>>();
    let scores: Vec<f64> = runs.iter().map(|r| r.score).collect();
    let score = mean_ci(&scores);
    OptionResult {
        name: name.to_string(),
        text: text.to_string(),
        counterfactual,
        terms: [
            mean_ci(&col(0)),
            mean_ci(&col(1)),
            mean_ci(&col(2)),
            mean_ci(&col(3)),
        ],
        score,
        diff_to_best: MeanCi {
            mean: 0.0,
            lo: 0.0,
            hi: 0.0,
        },
        tied_with_best: false,
        replicas: runs,
    }
}

fn rank(
    drill: &DrillConfig,
    nothing: Vec<ReplicaScore>,
    per_option: Vec<Vec<ReplicaScore>>,
    replicas: u32,
) -> Verdict {
    let decided = nothing.iter().filter(|s| s.decided_at.is_some()).count();
    let mut options: Vec<OptionResult> = drill
        .options
        .iter()
        .zip(per_option)
        .map(|(o, runs)| {
            let cf = matches!(o.plan, OptionPlan::Counterfactual { .. });
            summarise(&o.name, &o.text, cf, runs)
        })
        .collect();
    let best = (0..options.len())
        .min_by(|&a, &b| {
            options[a]
                .score
                .mean
                .total_cmp(&options[b].score.mean)
                .then(a.cmp(&b))
        })
        .unwrap_or(0);
    let best_scores: Vec<f64> = options[best].replicas.iter().map(|r| r.score).collect();
    for o in &mut options {
        let diffs: Vec<f64> = o
            .replicas
            .iter()
            .zip(&best_scores)
            .map(|(r, b)| r.score - b)
            .collect();
        o.diff_to_best = mean_ci(&diffs);
        o.tied_with_best = o.diff_to_best.lo <= 0.0 && o.diff_to_best.hi >= 0.0;
    }
    let mut nothing = summarise("-", "do nothing", false, nothing);
    let diffs: Vec<f64> = nothing
        .replicas
        .iter()
        .zip(&best_scores)
        .map(|(r, b)| r.score - b)
        .collect();
    nothing.diff_to_best = mean_ci(&diffs);
    Verdict {
        options,
        nothing,
        best,
        decided,
        replicas,
    }
}
