//! Capacity planning: the smallest memory limit whose probability of an OOM kill within
//! a horizon is at most a risk, at 95 % confidence.
//!
//! Each candidate limit is judged on runs of the scenario (replicas 0, 1, 2, … — the
//! same random streams for every candidate) with only that container's limit changed:
//! it passes when the Wilson upper bound of P(OOM) is at most the risk, fails when the
//! lower bound is above it, and otherwise gets twice the runs, up to a maximum (still
//! undecided then counts as a failure: not shown to be safe). Candidates are multiples
//! of a step; a bisection finds the smallest that passes, assuming P(OOM) falls as the
//! limit rises.
//!
//! For comparison, a VPA-style recommendation: the 90th percentile of the container's
//! peak usage in runs without a limit, plus 15 % (at least 250 MB), and its own P(OOM).

use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::{RngStreams, SimDuration};
use crate::model::autoscaling::vpa;
use crate::model::config::Action;
use crate::model::pod::PodTemplate;
use crate::model::units::Bytes;
use crate::model::{Discard, SimConfig, World};
use crate::stats::{Proportion, wilson};

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The configuration to plan for (a scenario's variant).
    pub config: SimConfig,
    /// The scenario's seed.
    pub seed: u64,
    /// Workload name.
    pub workload: String,
    /// Container name.
    pub container: String,
    /// Highest acceptable probability of an OOM kill within the horizon.
    pub risk: f64,
    /// The horizon.
    pub within: SimDuration,
    /// Granularity of candidate limits.
    pub step: Bytes,
    /// Runs per candidate to start with.
    pub min_runs: u32,
    /// Most runs per candidate.
    pub max_runs: u32,
}

/// A candidate's verdict.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// P(OOM) ≤ risk at 95 % confidence.
    Pass,
    /// P(OOM) > risk at 95 % confidence.
    Fail,
    /// Undecided at the maximum number of runs (treated as a failure).
    Uncertain,
}

/// One judged candidate.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct PlanPoint {
    /// The limit.
    pub limit: Bytes,
    /// Runs.
    pub runs: u32,
    /// Runs with an OOM kill of the container.
    pub oom_runs: u32,
    /// P(OOM) and its interval.
    pub p: Proportion,
    /// Verdict.
    pub verdict: Verdict,
}

/// The planner's answer.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The smallest passing limit, if any was found.
    pub limit: Option<PlanPoint>,
    /// The candidate one step below it, as judged.
    pub below: Option<PlanPoint>,
    /// Every candidate judged, by limit.
    pub points: Vec<PlanPoint>,
    /// VPA-style recommendation and its judgement.
    pub recommendation: PlanPoint,
    /// The workload's replicas (for the node-memory cost).
    pub replicas: u32,
    /// The container's current limit.
    pub current: Option<Bytes>,
}

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The workload or container does not exist.
    #[error("{0}")]
    NotFound(String),
}

fn workload_index(cfg: &SimConfig, name: &str) -> Option<usize> {
    cfg.workloads.iter().position(|w| w.name == name)
}

/// `cfg` with `container` of workload `w` limited to `limit` (None: unlimited) in every
/// template revision, requests capped at the limit, run for `within`.
fn with_limit(
    cfg: &SimConfig,
    w: usize,
    container: &str,
    limit: Option<Bytes>,
    within: SimDuration,
) -> SimConfig {
    let patch = |t: &Arc<PodTemplate>| -> Arc<PodTemplate> {
        let mut t = (**t).clone();
        for c in &mut t.containers {
            if c.name == container {
                let mut spec = (**c).clone();
                let r = &mut spec.resources;
                r.limits.memory = limit;
                if let (Some(l), Some(req)) = (limit, r.requests.memory) {
                    r.requests.memory = Some(req.min(l));
                }
                *c = Arc::new(spec);
            }
        }
        Arc::new(t)
    };
    let mut out = cfg.clone();
    out.duration = within;
    out.workloads[w].template = patch(&out.workloads[w].template);
    for a in &mut out.actions {
        if let Action::Rollout {
            workload, template, ..
        } = &mut a.action
            && *workload == w
        {
            *template = patch(template);
        }
    }
    out
}

/// Runs replicas `from..to` of `cfg`; per run, the container's OOM and its peak (bytes).
fn runs(cfg: &SimConfig, seed: u64, from: u32, to: u32, w: &str, c: &str) -> Vec<(bool, f64)> {
    (from..to)
        .into_par_iter()
        .map(|r| {
            let (o, _) = World::new(cfg, RngStreams::new(seed, u64::from(r)), Discard).run();
            o.container(w, c)
                .map_or((false, 0.0), |t| (t.oom_kills > 0, t.peak_bytes))
        })
        .collect()
}

/// Judges one candidate, adding runs while undecided.
fn judge(req: &PlanRequest, w: usize, limit: Bytes) -> PlanPoint {
    let cfg = with_limit(&req.config, w, &req.container, Some(limit), req.within);
    let mut ooms: Vec<bool> = Vec::new();
    let mut n = req.min_runs.max(1);
    loop {
        let from = ooms.len() as u32;
        ooms.extend(
            runs(&cfg, req.seed, from, n, &req.workload, &req.container)
                .into_iter()
                .map(|r| r.0),
        );
        let k = ooms.iter().filter(|&&o| o).count();
        let p = wilson(k, ooms.len());
        let verdict = if p.hi <= req.risk {
            Verdict::Pass
        } else if p.lo > req.risk {
            Verdict::Fail
        } else if n >= req.max_runs {
            Verdict::Uncertain
        } else {
            n = (n * 2).min(req.max_runs);
            continue;
        };
        return PlanPoint {
            limit,
            runs: ooms.len() as u32,
            oom_runs: k as u32,
            p,
            verdict,
        };
    }
}

/// Finds the smallest limit that meets the risk.
pub fn plan(req: &PlanRequest) -> Result<Plan, PlanError> {
    let w = workload_index(&req.config, &req.workload)
        .ok_or_else(|| PlanError::NotFound(format!("no workload `{}`", req.workload)))?;
    let spec = req.config.workloads[w]
        .template
        .containers
        .iter()
        .find(|c| c.name == req.container);
    let spec = spec.ok_or_else(|| {
        PlanError::NotFound(format!(
            "workload `{}` has no container `{}`",
            req.workload, req.container
        ))
    })?;
    let current = spec.resources.limits.memory;
    let step = req.step.0.max(1);
    // Without a limit: how high the container goes, and what a VPA would recommend.
    let free = with_limit(&req.config, w, &req.container, None, req.within);
    let mut peaks: Vec<f64> = runs(
        &free,
        req.seed,
        0,
        req.min_runs.max(1),
        &req.workload,
        &req.container,
    )
    .into_iter()
    .map(|r| r.1)
    .collect();
    peaks.sort_by(f64::total_cmp);
    let p90 = peaks[((peaks.len() as f64 * 0.9).ceil() as usize).clamp(1, peaks.len()) - 1];
    let recommended = Bytes(((p90 * (1.0 + vpa::SAFETY_MARGIN)).max(vpa::POD_MIN_MEMORY)) as u64);
    let top = peaks.last().copied().unwrap_or(0.0);
    let mut points = Vec::new();
    let judged = |k: u64, points: &mut Vec<PlanPoint>| -> PlanPoint {
        if let Some(p) = points.iter().find(|p: &&PlanPoint| p.limit.0 == k * step) {
            return *p;
        }
        let p = judge(req, w, Bytes(k * step));
        points.push(p);
        p
    };
    // An upper bracket: just above the highest unlimited peak, doubled until it passes.
    let mut hi = ((top * 1.05) as u64).div_ceil(step).max(1);
    let mut found = false;
    for _ in 0..8 {
        if judged(hi, &mut points).verdict == Verdict::Pass {
            found = true;
            break;
        }
        hi *= 2;
    }
    let mut lo = 0u64;
    if found {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if judged(mid, &mut points).verdict == Verdict::Pass {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        if lo > 0 {
            judged(lo, &mut points);
        }
    }
    let rec = judge(req, w, recommended);
    points.sort_by_key(|p| p.limit);
    // The bisection judged `hi` last when it found a limit.
    let limit = found
        .then(|| points.iter().find(|p| p.limit.0 == hi * step).copied())
        .flatten();
    let below = found
        .then(|| {
            points
                .iter()
                .find(|p| p.limit.0 + step == hi * step)
                .copied()
        })
        .flatten();
    Ok(Plan {
        limit,
        below,
        points,
        recommendation: rec,
        replicas: req.config.workloads[w].replicas,
        current,
    })
}
