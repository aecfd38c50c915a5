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
//! Where the limit cannot change what happens before the container's first OOM kill —
//! nothing reads it but the cgroup (see [`feedback`]) — one set of runs with the limit
//! lifted answers every candidate at once: a run is killed under limit L exactly when
//! its peak working set within the horizon reaches L, so P(OOM at L) is the share of
//! those runs whose peak reaches L. The candidates are judged on the same replicas and
//! by the same rules as the search, so the answer is the same, from one set of runs
//! instead of one per candidate. Where something reads the limit (a JVM sizing its heap
//! from the cgroup, a pod-level limit, a VPA, requests above a candidate, an alert that
//! acts, node pressure choosing a victim by QoS), each candidate is run as it is.
//!
//! For comparison, a VPA-style recommendation: the 90th percentile of the container's
//! peak usage in runs without a limit, plus 15 % (at least 250 MB), and its own P(OOM).

use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::{RngStreams, SimDuration};
use crate::model::autoscaling::vpa;
use crate::model::config::{Action, Trigger};
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
    /// Run every candidate as it is, never reading them off runs with the limit lifted.
    pub search_only: bool,
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
    /// Runs with the limit lifted that judged the candidates (None: each candidate was
    /// run as it is, for the reason in `feedback`).
    pub lifted_runs: Option<u32>,
    /// What reads the limit before the first kill, if anything.
    pub feedback: Option<&'static str>,
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

/// Why `container` of workload `w`'s limit could change a run before that container's
/// first OOM kill; `None` when only its cgroup reads it.
pub fn feedback(cfg: &SimConfig, w: usize, container: &str) -> Option<&'static str> {
    let template = &cfg.workloads[w].template;
    let spec = template.containers.iter().find(|c| c.name == container)?;
    if spec.jvm.is_some() {
        return Some("a JVM sizes its heap from the limit");
    }
    if template.memory_limit.is_some() {
        return Some("a pod-level limit: the OOM killer ranks the pod's processes by QoS");
    }
    if cfg.vpa.iter().any(|v| v.workload == w) {
        return Some("a VPA reads and rewrites the limit");
    }
    if cfg.hpa.iter().any(|h| h.workload == w) {
        return Some("an HPA scales on utilisation of requests, which a limit caps");
    }
    if cfg
        .actions
        .iter()
        .any(|a| matches!(a.trigger, Some(Trigger::AlertFiring(_))))
    {
        return Some("an alert on memory can trigger an action");
    }
    None
}

/// One run, as the planner reads it.
#[derive(Copy, Clone, Debug)]
struct RunResult {
    /// The container was OOM-killed.
    oom: bool,
    /// Its peak working set within the horizon (bytes).
    peak: f64,
    /// Something other than a container's own cgroup killed a process (node pressure,
    /// a pod cgroup).
    outside: bool,
}

/// Runs replicas `from..to` of `req`'s scenario as `cfg`, reading its container.
fn runs(cfg: &SimConfig, req: &PlanRequest, from: u32, to: u32) -> Vec<RunResult> {
    (from..to)
        .into_par_iter()
        .map(|r| {
            let (o, _) = World::new(cfg, RngStreams::new(req.seed, u64::from(r)), Discard).run();
            let (oom, peak) = o
                .container(&req.workload, &req.container)
                .map_or((false, 0.0), |t| (t.oom_kills > 0, t.peak_bytes));
            let outside = o.containers.iter().any(|t| t.oom_kills_outside > 0);
            RunResult { oom, peak, outside }
        })
        .collect()
}

/// Runs with the limit lifted, shared by every candidate of the fast path: per replica,
/// the container's peak within the horizon, and whether anything but its own cgroup
/// killed a process (node pressure, a pod cgroup: the limit's QoS would matter).
struct Lifted {
    cfg: SimConfig,
    peaks: Vec<f64>,
    pressure: bool,
}

impl Lifted {
    fn new(req: &PlanRequest, w: usize) -> Self {
        Lifted {
            cfg: with_limit(&req.config, w, &req.container, None, req.within),
            peaks: Vec::new(),
            pressure: false,
        }
    }

    /// Extends the runs to replicas `0..n`.
    fn extend_to(&mut self, req: &PlanRequest, n: u32) {
        let from = self.peaks.len() as u32;
        if n <= from {
            return;
        }
        for run in runs(&self.cfg, req, from, n) {
            self.peaks.push(run.peak);
            self.pressure |= run.outside;
        }
    }
}

/// How a candidate's runs are had.
enum Runs<'a> {
    /// Read off the runs with the limit lifted.
    Lifted(&'a mut Lifted),
    /// The candidate run as it is.
    Run(Box<SimConfig>),
}

/// Judges one candidate, adding runs while undecided: from the lifted runs when given
/// (a run fails at `limit` when its peak reaches it, as the kernel's check does), else by
/// running the candidate.
fn judge(req: &PlanRequest, w: usize, limit: Bytes, lifted: Option<&mut Lifted>) -> PlanPoint {
    let mut how = match lifted {
        Some(l) => Runs::Lifted(l),
        None => Runs::Run(Box::new(with_limit(
            &req.config,
            w,
            &req.container,
            Some(limit),
            req.within,
        ))),
    };
    let mut ooms: Vec<bool> = Vec::new();
    let mut n = req.min_runs.max(1);
    loop {
        let from = ooms.len() as u32;
        match &mut how {
            Runs::Lifted(l) => {
                l.extend_to(req, n);
                let peaks = &l.peaks[from as usize..n as usize];
                ooms.extend(peaks.iter().map(|&p| p + 0.5 >= limit.as_f64()));
            }
            Runs::Run(cfg) => ooms.extend(runs(cfg, req, from, n).into_iter().map(|r| r.oom)),
        }
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

/// The bisection over multiples of `step`, from a bracket just above `top` (the highest
/// unlimited peak): every judged candidate by limit, and the smallest passing multiple if
/// any. Candidates at or above `request` (below it a limit caps the request, which the
/// scheduler reads) are read off `lifted` when given.
fn search(
    req: &PlanRequest,
    w: usize,
    step: u64,
    top: f64,
    request: u64,
    mut lifted: Option<&mut Lifted>,
) -> (Vec<PlanPoint>, Option<u64>) {
    let mut points: Vec<PlanPoint> = Vec::new();
    let mut judged = |k: u64, points: &mut Vec<PlanPoint>| -> PlanPoint {
        if let Some(p) = points.iter().find(|p| p.limit.0 == k * step) {
            return *p;
        }
        let limit = Bytes(k * step);
        let from_lifted = lifted.as_deref_mut().filter(|_| limit.0 >= request);
        let p = judge(req, w, limit, from_lifted);
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
    points.sort_by_key(|p| p.limit);
    (points, found.then_some(hi))
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
    let request = spec.resources.requests.memory.map_or(0, |b| b.0);
    let step = req.step.0.max(1);
    // Without a limit: how high the container goes, and what a VPA would recommend.
    let mut lifted = Lifted::new(req, w);
    lifted.extend_to(req, req.min_runs.max(1));
    let mut peaks = lifted.peaks.clone();
    peaks.sort_by(f64::total_cmp);
    let p90 = peaks[((peaks.len() as f64 * 0.9).ceil() as usize).clamp(1, peaks.len()) - 1];
    let recommended = Bytes(((p90 * (1.0 + vpa::SAFETY_MARGIN)).max(vpa::POD_MIN_MEMORY)) as u64);
    let top = peaks.last().copied().unwrap_or(0.0);
    let mut feedback = if req.search_only {
        Some("--search-only")
    } else {
        feedback(&req.config, w, &req.container)
    };
    let mut found = search(
        req,
        w,
        step,
        top,
        request,
        feedback.is_none().then_some(&mut lifted),
    );
    if feedback.is_none() && lifted.pressure {
        // Some run killed by node or pod-cgroup pressure: the victim depends on QoS,
        // which the limit sets. Judge every candidate as it is.
        feedback = Some("node or pod-cgroup pressure chose a victim: QoS reads the limit");
        found = search(req, w, step, top, request, None);
    }
    let (points, hi) = found;
    let found = hi.is_some();
    let hi = hi.unwrap_or(0);
    let fast = feedback.is_none() && recommended.0 >= request;
    let rec = judge(req, w, recommended, fast.then_some(&mut lifted));
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
        lifted_runs: feedback.is_none().then_some(lifted.peaks.len() as u32),
        feedback,
        recommendation: rec,
        replicas: req.config.workloads[w].replicas,
        current,
    })
}
