//! What `meshmem plan` writes and prints: every candidate limit judged, as
//! `plan-<workload>-<container>.csv`, and the answer in words.

use std::fmt::Write;
use std::io;

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
pub fn plan_csv(q: &PlanQuestion<'_>, p: &Plan) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(PLAN_HEADER.split(','))?;
    let chosen = p.limit.map(|l| l.limit);
    for pt in p.points.iter().chain([&p.recommendation]) {
        let verdict = match pt.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Uncertain => "uncertain",
        };
        let is_rec = std::ptr::eq(pt, &p.recommendation);
        let is_chosen = !is_rec && chosen == Some(pt.limit);
        w.write_record([
            q.container.to_string(),
            pt.limit.0.to_string(),
            pt.runs.to_string(),
            pt.oom_runs.to_string(),
            format!("{:.4}", pt.p.p),
            format!("{:.4}", pt.p.lo),
            format!("{:.4}", pt.p.hi),
            verdict.to_string(),
            q.risk.to_string(),
            q.within_s.to_string(),
            is_chosen.to_string(),
            is_rec.to_string(),
        ])?;
    }
    // An error here is a row of the wrong width.
    w.into_inner().map_err(|e| e.into_error())
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
                "  node memory           {} replica{} × {} = {total} (reserved if requests are set to the limit)",
                p.replicas,
                if p.replicas == 1 { "" } else { "s" },
                l.limit
            );
        }
        (None, _) => {
            out += "  no limit found that meets the risk (the container keeps growing?)\n";
        }
    }
    if let Some(c) = p.current {
        let _ = writeln!(out, "  current limit         {c}");
    }
    match (p.lifted_runs, p.feedback) {
        (Some(n), _) => {
            let _ = writeln!(
                out,
                "  judged from           {n} runs with the limit lifted (nothing reads it before the first kill)"
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(
                out,
                "  judged by             running each candidate ({why})"
            );
        }
        (None, None) => {}
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
