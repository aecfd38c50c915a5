//! The table `meshmem run` prints: per variant and container, what the runs amount to.

use std::fmt::Write;

use super::format::human_time;
use crate::runner::ReplicaResult;
use crate::scenario::Scenario;

/// Mean of `xs` (0 for none).
fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// A plain-text table of the results of one scenario.
pub fn table(scenario: &Scenario, results: &[ReplicaResult]) -> String {
    let mut rows: Vec<[String; 8]> = vec![[
        "variant".into(),
        "container".into(),
        "OOM kills/run".into(),
        "runs with OOM".into(),
        "first OOM (median)".into(),
        "restarts/run".into(),
        "503s/run".into(),
        "503 ratio".into(),
    ]];
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
        let errors = mean(runs.iter().map(|r| r.outcome.requests.total_503()));
        let requests = mean(runs.iter().map(|r| r.outcome.requests.requests));
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
            let (name, e, ratio) = if i == 0 {
                let ratio = if requests > 0.0 {
                    100.0 * errors / requests
                } else {
                    0.0
                };
                (
                    variant.name.clone(),
                    format!("{errors:.0}"),
                    format!("{ratio:.3}%"),
                )
            } else {
                (String::new(), String::new(), String::new())
            };
            rows.push([
                name,
                format!("{w}/{c}"),
                format!(
                    "{:.1}",
                    mean(tallies.iter().map(|t| f64::from(t.oom_kills)))
                ),
                format!("{}/{n}", firsts.len()),
                median,
                format!("{:.1}", mean(tallies.iter().map(|t| f64::from(t.restarts)))),
                e,
                ratio,
            ]);
        }
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i < 2 {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
