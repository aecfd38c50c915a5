//! `dependencies.csv`: what the services a workload calls did to it, per variant — the
//! application's failures by kind (whole run and from `evaluateAfter` on) and the data
//! tier's totals — each as a mean per run with its 95 % interval, and the errors' paired
//! differences from the baseline (same random streams). Read from `summary.csv` as
//! written, so a merge of shards writes the same bytes; written only for scenarios whose
//! runs had any of it.

use std::collections::BTreeMap;

use super::metadata::RunMeta;
use crate::stats::{MeanCi, mean_ci};

/// Per-run figures, by `summary.csv` column.
const FIGURES: [&str; 10] = [
    "errors_5xx",
    "timeouts",
    "dns_failures",
    "errors_5xx_after",
    "timeouts_after",
    "dns_failures_after",
    "redis_evicted_keys",
    "redis_rejected_writes",
    "redis_hit_ratio",
    "db_peak_utilisation",
];

/// The figures compared with the baseline run by run.
const PAIRED: [usize; 6] = [0, 1, 2, 3, 4, 5];

/// The comparison: `dependencies.csv` and a table for the terminal, or `None` when no
/// run of the scenario called another service.
pub struct Dependencies {
    /// `dependencies.csv`.
    pub csv: Vec<u8>,
    /// The table.
    pub table: String,
}

type Runs = Vec<BTreeMap<u32, [Option<f64>; 10]>>;

fn read(meta: &RunMeta, summary: &[u8]) -> Result<Runs, String> {
    let mut r = csv::Reader::from_reader(summary);
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (v, rep) = (
        col("variant").ok_or("missing column variant")?,
        col("replica").ok_or("missing column replica")?,
    );
    let cols: Vec<Option<usize>> = FIGURES.iter().map(|f| col(f)).collect();
    let mut runs: Runs = vec![BTreeMap::new(); meta.variants.len()];
    for row in r.records() {
        let row = row.map_err(|e| e.to_string())?;
        let variant = meta
            .variant_index(&row[v])
            .ok_or_else(|| format!("unknown variant {}", &row[v]))?;
        let replica: u32 = row[rep].parse().map_err(|_| "bad replica".to_string())?;
        let mut figs = [None; 10];
        for (slot, c) in figs.iter_mut().zip(&cols) {
            *slot = c
                .and_then(|c| row.get(c))
                .and_then(|x| x.parse::<f64>().ok());
        }
        runs[variant].insert(replica, figs);
    }
    Ok(runs)
}

fn three(c: Option<MeanCi>) -> [String; 3] {
    c.map_or_else(Default::default, |c| {
        [c.mean, c.lo, c.hi].map(|x| format!("{x:.4}"))
    })
}

/// The dependencies comparison of a run described by `meta`, from its `summary.csv`.
pub fn dependencies(meta: &RunMeta, summary: &[u8]) -> Result<Option<Dependencies>, String> {
    let runs = read(meta, summary)?;
    let touched = |i: usize| {
        runs.iter()
            .flat_map(|v| v.values())
            .any(|f| f[i].is_some_and(|x| x != 0.0))
    };
    if !(0..FIGURES.len()).any(touched) {
        return Ok(None);
    }
    let mut header = vec!["variant".to_string(), "runs".to_string()];
    for f in FIGURES {
        header.extend(["mean", "lo", "hi"].map(|s| format!("{f}_{s}")));
    }
    for &i in &PAIRED {
        header.extend(["", "_lo", "_hi"].map(|s| format!("diff_{}{s}", FIGURES[i])));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).map_err(|e| e.to_string())?;
    let mut table = vec![
        [
            "variant",
            "5xx/run [CI]",
            "timeouts/run [CI]",
            "DNS failures/run [CI]",
            "evicted keys/run",
            "hit ratio",
            "DB peak util.",
            "Δ failures after [CI]",
        ]
        .map(String::from),
    ];
    for (v, variant) in meta.variants.iter().enumerate() {
        let mine = &runs[v];
        if mine.is_empty() {
            continue;
        }
        let stat = |i: usize| -> Option<MeanCi> {
            let xs: Vec<f64> = mine.values().filter_map(|f| f[i]).collect();
            (!xs.is_empty()).then(|| mean_ci(&xs))
        };
        let diff = |i: usize| -> Option<MeanCi> {
            if v == 0 {
                return None;
            }
            let d: Vec<f64> = mine
                .iter()
                .filter_map(|(r, f)| Some(f[i]? - runs[0].get(r)?[i]?))
                .collect();
            (!d.is_empty()).then(|| mean_ci(&d))
        };
        let mut row = vec![variant.name.clone(), mine.len().to_string()];
        for i in 0..FIGURES.len() {
            row.extend(three(stat(i)));
        }
        for &i in &PAIRED {
            row.extend(three(diff(i)));
        }
        w.write_record(&row).map_err(|e| e.to_string())?;
        if variant.sweep.is_some() {
            continue;
        }
        let range = |c: Option<MeanCi>| {
            c.map_or("-".into(), |c| {
                format!("{:.0} [{:.0}, {:.0}]", c.mean, c.lo, c.hi)
            })
        };
        let after: Option<MeanCi> = if v == 0 {
            None
        } else {
            let d: Vec<f64> = mine
                .iter()
                .filter_map(|(r, f)| {
                    let b = runs[0].get(r)?;
                    let sum =
                        |x: &[Option<f64>; 10]| -> Option<f64> { Some(x[3]? + x[4]? + x[5]?) };
                    Some(sum(f)? - sum(b)?)
                })
                .collect();
            (!d.is_empty()).then(|| mean_ci(&d))
        };
        table.push([
            variant.name.clone(),
            range(stat(0)),
            range(stat(1)),
            range(stat(2)),
            stat(6).map_or("-".into(), |c| format!("{:.0}", c.mean)),
            stat(8).map_or("-".into(), |c| format!("{:.3}", c.mean)),
            stat(9).map_or("-".into(), |c| format!("{:.2}", c.mean)),
            range(after),
        ]);
    }
    Ok(Some(Dependencies {
        csv: w.into_inner().map_err(|e| e.to_string())?,
        table: super::format::columns(&table, 1),
    }))
}
