//! What `meshmem plan` writes and prints: every candidate limit judged, as
//! `plan-<workload>-<container>.csv`, and the answer in words.

use std::fmt::Write;

use crate::model::Bytes;
use crate::runner::plan::{Plan, PlanPoint, Verdict};

/// Column headers of `plan-<workload>-<container>.csv`.
pub const PLAN_HEADER: &str = "container,limit_bytes,runs,oom_runs,p_oom,p_oom_lo,p_oom_hi,verdict,risk,within_s,chosen,vpa_recommendation";

/// What the plan was asked, for the record.
#[derive(Clone, Debug)]
pub struct PlanQuestion<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Variant planned for.
    pub variant: &'a str,
    /// `workload/container`.
    pub container: &'a str,
    /// Acceptable P(OOM).
    pub risk: f64,
    /// Horizon, seconds.
    pub within_s: u64,
}

/// The candidates, by limit, then the VPA-style recommendation.
pub fn plan_csv(q: &PlanQuestion<'_>, p: &Plan) -> String {
    let mut csv = format!("{PLAN_HEADER}\n");
    let chosen = p.limit.map(|l| l.limit);
    for pt in p.points.iter().chain([&p.recommendation]) {
        let verdict = match pt.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Uncertain => "uncertain",
        };
        let is_rec = std::ptr::eq(pt, &p.recommendation);
        let is_chosen = !is_rec && chosen == Some(pt.limit);
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.4},{:.4},{:.4},{verdict},{},{},{is_chosen},{is_rec}",
            q.container,
            pt.limit.0,
            pt.runs,
            pt.oom_runs,
            pt.p.p,
            pt.p.lo,
            pt.p.hi,
            q.risk,
            q.within_s
        );
    }
    csv
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn describe(pt: &PlanPoint) -> String {
    format!(
        "{}: P(OOM) {} [{}, {}] over {} runs",
        pt.limit,
        pct(pt.p.p),
        pct(pt.p.lo),
        pct(pt.p.hi),
        pt.runs
    )
}

/// The answer as `meshmem plan` prints it; `within` is the horizon as written.
pub fn plan_text(q: &PlanQuestion<'_>, within: &str, p: &Plan) -> String {
    let mut out = format!(
        "plan: {} in {} ({}), P(OOM within {within}) ≤ {} at 95 % confidence\n",
        q.container,
        q.scenario,
        q.variant,
        pct(q.risk)
    );
    match (p.limit, p.below) {
        (Some(l), below) => {
            let _ = writeln!(out, "  smallest safe limit   {}", describe(&l));
            if let Some(b) = below {
                let _ = writeln!(out, "  one step below        {} — not safe", describe(&b));
            }
            let total = Bytes(l.limit.0 * u64::from(p.replicas));
            let _ = writeln!(
                out,
                "  node memory           {} replicas × {} = {total} (reserved if requests are set to the limit)",
                p.replicas, l.limit
            );
        }
        (None, _) => {
            out += "  no limit found that meets the risk (the container keeps growing?)\n";
        }
    }
    if let Some(c) = p.current {
        let _ = writeln!(out, "  current limit         {c}");
    }
    let rec = &p.recommendation;
    let verdict = if rec.verdict == Verdict::Pass {
        "meets the risk"
    } else {
        "does not meet the risk"
    };
    let _ = writeln!(out, "  VPA-style p90 + 15 %  {} — {verdict}", describe(rec));
    out
}
