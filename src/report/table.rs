//! The table `meshmem run` prints: per variant and container, what the runs amount to.

use super::format::human_time;
use crate::runner::ReplicaResult;
use crate::scenario::Scenario;

/// Mean of `xs` (0 for none).
fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

const COLUMNS: usize = 12;

const HEADER: [&str; COLUMNS] = [
    "variant",
    "container",
    "OOM kills/run",
    "runs with OOM",
    "first OOM (median)",
    "restarts/run",
    "OOM kills after",
    "503s/run",
    "503 ratio",
    "peak burn 1h",
    "burn after 5m/1h",
    "policy",
];

/// The variant-level cells (shown on a variant's first row).
fn variant_cells(name: &str, runs: &[&ReplicaResult]) -> [String; 6] {
    let errors = mean(runs.iter().map(|r| r.outcome.requests.total_503()));
    let requests = mean(runs.iter().map(|r| r.outcome.requests.requests));
    let ratio = if requests > 0.0 {
        100.0 * errors / requests
    } else {
        0.0
    };
    let burn = mean(runs.iter().map(|r| r.outcome.peak_burn.burn_1h));
    let after_5m = mean(runs.iter().map(|r| r.outcome.after.peak_burn.burn_5m));
    let after_1h = mean(runs.iter().map(|r| r.outcome.after.peak_burn.burn_1h));
    let violation = runs.iter().any(|r| r.outcome.policy_violations > 0);
    [
        name.to_string(),
        format!("{errors:.0}"),
        format!("{ratio:.3}%"),
        format!("{burn:.1}×"),
        format!("{after_5m:.1}× / {after_1h:.1}×"),
        if violation { "VIOLATION" } else { "ok" }.to_string(),
    ]
}

/// A plain-text table of the results of one scenario. "After" columns count from the
/// scenario's `evaluateAfter` (the whole run when it is 0); peak burns are means over
/// replicas of each replica's peak.
pub fn table(scenario: &Scenario, results: &[ReplicaResult]) -> String {
    let mut rows: Vec<[String; COLUMNS]> = vec![HEADER.map(String::from)];
    for (v, variant) in scenario.variants.iter().enumerate() {
        let runs: Vec<&ReplicaResult> = results.iter().filter(|r| r.variant == v).collect();
        let n = runs.len();
        let mut names: Vec<(String, String)> = Vec::new();
        for r in &runs {
            for c in &r.outcome.containers {
                let key = (c.workload.clone(), c.container.clone());
                if !names.contains(&key) {
                    names.push(key);
                }
            }
        }
        let cells = variant_cells(&variant.name, &runs);
        for (i, (w, c)) in names.iter().enumerate() {
            let tallies: Vec<_> = runs
                .iter()
                .filter_map(|r| r.outcome.container(w, c))
                .collect();
            let mut firsts: Vec<_> = tallies.iter().filter_map(|t| t.first_oom).collect();
            firsts.sort();
            let median = firsts
                .get(firsts.len().saturating_sub(1) / 2)
                .map_or("-".to_string(), |&t| human_time(t));
            let per_run = |f: fn(&crate::model::ContainerTally) -> u32| {
                format!("{:.1}", mean(tallies.iter().map(|t| f64::from(f(t)))))
            };
            let [name, errors, ratio, burn, after, policy] = if i == 0 {
                cells.clone()
            } else {
                Default::default()
            };
            rows.push([
                name,
                format!("{w}/{c}"),
                per_run(|t| t.oom_kills),
                format!("{}/{n}", firsts.len()),
                median,
                per_run(|t| t.restarts),
                per_run(|t| t.oom_kills_after),
                errors,
                ratio,
                burn,
                after,
                policy,
            ]);
        }
    }
    super::format::columns(&rows, 2)
}
