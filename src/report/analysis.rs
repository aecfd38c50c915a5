//! Statistics per variant and paired comparisons against the baseline, computed from
//! `summary.csv` and `containers.csv` as written — so that a run and a merge of its
//! shards analyse the very same numbers and write the same bytes.
//!
//! - Per variant (scope `run`) and per container (scope `workload/container`): OOM kills
//!   per run (mean, 95 % t interval), the probability of at least one OOM kill (Wilson
//!   interval), time to first OOM as Kaplan–Meier quantiles (runs without an OOM are
//!   censored at the run's end, not counted as zero), restarts.
//! - Per variant: 503s (all and by flag) and peak 1 h burn.
//! - Against the baseline: differences paired by replica (same random streams), with a
//!   95 % t interval.

use std::collections::BTreeMap;

use super::metadata::RunMeta;
use crate::stats::{MeanCi, Proportion, km_quantile, mean_ci, wilson};

/// The figures of one run (or one container in one run) over one span: the evaluation
/// window or the whole run.
#[derive(Clone, Debug, Default)]
struct Span {
    oom_kills: f64,
    /// Time to the first OOM kill from the span's start.
    first_oom: Option<f64>,
    restarts: f64,
    errors: [f64; 5],
    peak_burn_1h: f64,
}

/// One run (or one container in one run): judged over its evaluation window, and over
/// the whole run.
#[derive(Clone, Debug, Default)]
struct Run {
    window: Span,
    whole: Span,
    /// When the window started (None: its trigger never came).
    window_start: Option<f64>,
}

/// What one scope of one variant amounts to.
struct Figures {
    runs: usize,
    p_oom: Proportion,
    kills: MeanCi,
    ttfo: [Option<f64>; 3],
    ttfo_median_ci: [Option<f64>; 2],
    restarts: MeanCi,
    errors: Option<[MeanCi; 5]>,
    burn: Option<MeanCi>,
}

/// Per scope (`run` or `workload/container`), per variant, per replica.
type Runs = BTreeMap<String, Vec<BTreeMap<u32, Run>>>;

fn parse(csv_bytes: &[u8], meta: &RunMeta, scoped: bool, runs: &mut Runs) -> Result<(), String> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| col(name).ok_or_else(|| format!("missing column {name}"));
    let (v, rep) = (need("variant")?, need("replica")?);
    let (kills, first, restarts) = (need("oom_kills")?, need("first_oom_s")?, need("restarts")?);
    let (kills_after, first_after) = (col("oom_kills_after"), col("first_oom_after_s"));
    let flags = ["", "_uh", "_uf", "_uc", "_nr"];
    let errors: Vec<Option<usize>> = flags
        .iter()
        .map(|f| col(&format!("errors_503{f}")))
        .collect();
    let errors_after: Vec<Option<usize>> = flags
        .iter()
        .map(|f| col(&format!("errors_503{f}_after")))
        .collect();
    let (burn, burn_after) = (col("peak_burn_1h"), col("peak_burn_1h_after"));
    let window_start = col("window_start_s");
    let scope = (col("workload"), col("container"));
    for row in r.records() {
        let row = row.map_err(|e| e.to_string())?;
        let num = |i: usize| row.get(i).and_then(|x| x.parse::<f64>().ok());
        let variant = meta
            .variant_index(&row[v])
            .ok_or_else(|| format!("unknown variant {}", &row[v]))?;
        let replica: u32 = row[rep].parse().map_err(|_| "bad replica".to_string())?;
        let key = match (scoped, scope) {
            (true, (Some(w), Some(c))) => format!("{}/{}", &row[w], &row[c]),
            _ => "run".to_string(),
        };
        let mut whole = Span {
            oom_kills: num(kills).unwrap_or(0.0),
            first_oom: num(first),
            restarts: num(restarts).unwrap_or(0.0),
            peak_burn_1h: burn.and_then(num).unwrap_or(0.0),
            ..Span::default()
        };
        for (slot, c) in whole.errors.iter_mut().zip(&errors) {
            *slot = c.and_then(num).unwrap_or(0.0);
        }
        let mut window = Span {
            oom_kills: kills_after.and_then(num).unwrap_or(0.0),
            first_oom: first_after.and_then(num),
            restarts: whole.restarts,
            peak_burn_1h: burn_after.and_then(num).unwrap_or(0.0),
            ..Span::default()
        };
        for (slot, c) in window.errors.iter_mut().zip(&errors_after) {
            *slot = c.and_then(num).unwrap_or(0.0);
        }
        let run = Run {
            window,
            whole,
            window_start: window_start.and_then(num),
        };
        let per_variant = runs
            .entry(key)
            .or_insert_with(|| vec![BTreeMap::new(); meta.variants.len()]);
        per_variant[variant].insert(replica, run);
    }
    Ok(())
}

/// The mean and t interval of a quantity that cannot be negative (a count, a burn rate):
/// the interval is clipped at 0, where the quantity's support begins.
fn count_ci(xs: &[f64]) -> MeanCi {
    let c = mean_ci(xs);
    MeanCi {
        lo: c.lo.max(0.0),
        ..c
    }
}

/// Which span of a run is judged.
type Judged = fn(&Run) -> &Span;

fn figures(runs: &BTreeMap<u32, Run>, run_scope: bool, span: Judged) -> Figures {
    let all: Vec<&Span> = runs.values().map(span).collect();
    let col = |f: fn(&Span) -> f64| all.iter().map(|r| f(r)).collect::<Vec<f64>>();
    let firsts: Vec<Option<f64>> = all.iter().map(|r| r.first_oom).collect();
    let errors = run_scope.then(|| {
        std::array::from_fn(|i| count_ci(&all.iter().map(|r| r.errors[i]).collect::<Vec<_>>()))
    });
    Figures {
        runs: all.len(),
        p_oom: wilson(all.iter().filter(|r| r.oom_kills > 0.0).count(), all.len()),
        kills: count_ci(&col(|r| r.oom_kills)),
        ttfo: [0.05, 0.5, 0.95].map(|q| km_quantile(&firsts, q)),
        ttfo_median_ci: median_ci(&firsts),
        restarts: count_ci(&col(|r| r.restarts)),
        errors,
        burn: run_scope.then(|| count_ci(&col(|r| r.peak_burn_1h))),
    }
}

/// A distribution-free 95 % interval for the median time to an event, from the order
/// statistics of the runs (`None` at an end the runs did not reach: every run without
/// the event ended after every event seen, so the censoring is at the end).
fn median_ci(times: &[Option<f64>]) -> [Option<f64>; 2] {
    let n = times.len() as f64;
    if n < 1.0 {
        return [None, None];
    }
    let mut events: Vec<f64> = times.iter().flatten().copied().collect();
    events.sort_by(f64::total_cmp);
    let half = 0.98 * n.sqrt();
    let lo = ((n / 2.0 - half).floor() as usize).max(1);
    let hi = ((n / 2.0 + 1.0 + half).ceil() as usize).min(times.len());
    [events.get(lo - 1).copied(), events.get(hi - 1).copied()]
}

/// Paired differences `variant − baseline` over the replicas both have.
fn paired(
    a: &BTreeMap<u32, Run>,
    base: &BTreeMap<u32, Run>,
    span: Judged,
    f: fn(&Span) -> f64,
) -> MeanCi {
    let d: Vec<f64> = a
        .iter()
        .filter_map(|(r, run)| base.get(r).map(|b| f(span(run)) - f(span(b))))
        .collect();
    mean_ci(&d)
}

/// A mean and its interval with one number of decimals for all three, chosen by their
/// magnitude (`474 [461, 488]`, `36.2 [35.8, 36.5]`, `0.45 [0.31, 0.59]`), so every
/// column of the table reads the same way.
fn interval(c: MeanCi) -> String {
    let m = c.mean.abs().max(c.lo.abs()).max(c.hi.abs());
    let d = if m >= 100.0 {
        0
    } else if m >= 10.0 {
        1
    } else {
        2
    };
    format!("{:.d$} [{:.d$}, {:.d$}]", c.mean, c.lo, c.hi)
}

fn num(x: f64) -> String {
    format!("{x:.4}")
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v:.3}"))
}

fn ci(c: Option<MeanCi>) -> [String; 3] {
    c.map_or_else(Default::default, |c| [num(c.mean), num(c.lo), num(c.hi)])
}

const HEADER: &str = "variant,scope,runs,p_oom,p_oom_lo,p_oom_hi,oom_kills_mean,oom_kills_lo,oom_kills_hi,\
ttfo_p5_s,ttfo_median_s,ttfo_p95_s,restarts_mean,restarts_lo,restarts_hi,\
errors_503_mean,errors_503_lo,errors_503_hi,errors_503_uh_mean,errors_503_uf_mean,errors_503_uc_mean,errors_503_nr_mean,\
peak_burn_1h_mean,peak_burn_1h_lo,peak_burn_1h_hi,\
diff_oom_kills,diff_oom_kills_lo,diff_oom_kills_hi,diff_errors_503,diff_errors_503_lo,diff_errors_503_hi,\
diff_peak_burn_1h,diff_peak_burn_1h_lo,diff_peak_burn_1h_hi,\
ttfo_median_lo_s,ttfo_median_hi_s,judged_from,\
p_oom_run,p_oom_run_lo,p_oom_run_hi,oom_kills_run_mean,ttfo_median_run_s,errors_503_run_mean,peak_burn_1h_run_mean";

/// The analysis of one scenario's outputs.
pub struct Analysis {
    /// `comparison.csv`.
    pub comparison_csv: Vec<u8>,
    /// `sweep.csv`, when the scenario has sweeps.
    pub sweep_csv: Option<Vec<u8>>,
    /// The comparison, as a table for the terminal.
    pub table: String,
}

/// Analyses `summary.csv` and `containers.csv` of a run described by `meta`.
pub fn analyse(meta: &RunMeta, summary: &[u8], containers: &[u8]) -> Result<Analysis, String> {
    let mut runs = Runs::new();
    parse(summary, meta, false, &mut runs)?;
    parse(containers, meta, true, &mut runs)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER.split(','))
        .map_err(|e| e.to_string())?;
    let mut table = vec![
        [
            "variant",
            "P(OOM) [95 % CI]",
            "OOM kills/run [CI]",
            "first OOM p50",
            "503s/run",
            "peak burn 1h",
            "Δ OOM kills vs baseline [CI]",
            "Δ 503s [CI]",
            "whole run: P(OOM) / 503s",
        ]
        .map(String::from),
    ];
    let mut sweep_rows = Vec::new();
    // Judged over the evaluation window when the scenario has one (a start after 0, or a
    // trigger); over the whole run otherwise.
    let starts: Vec<Option<f64>> = runs
        .get("run")
        .map(|per| {
            per.iter()
                .flat_map(|m| m.values())
                .map(|r| r.window_start)
                .collect()
        })
        .unwrap_or_default();
    let windowed = starts.iter().any(|s| s.is_none_or(|s| s > 0.0));
    let span: Judged = if windowed {
        |r| &r.window
    } else {
        |r| &r.whole
    };
    let judged_from = if windowed { "window" } else { "start" };
    for (v, variant) in meta.variants.iter().enumerate() {
        for (scope, per_variant) in &runs {
            let mine = &per_variant[v];
            if mine.is_empty() {
                continue;
            }
            let run_scope = scope == "run";
            let f = figures(mine, run_scope, span);
            let whole = figures(mine, run_scope, |r| &r.whole);
            let base = &per_variant[0];
            let diff = |g: fn(&Span) -> f64| (v > 0).then(|| paired(mine, base, span, g));
            let d_kills = diff(|r| r.oom_kills);
            let d_err = if run_scope {
                diff(|r| r.errors[0])
            } else {
                None
            };
            let d_burn = if run_scope {
                diff(|r| r.peak_burn_1h)
            } else {
                None
            };
            let e = f.errors;
            let mut row = vec![
                variant.name.clone(),
                scope.clone(),
                f.runs.to_string(),
                num(f.p_oom.p),
                num(f.p_oom.lo),
                num(f.p_oom.hi),
            ];
            row.extend(ci(Some(f.kills)));
            row.extend(f.ttfo.map(opt));
            row.extend(ci(Some(f.restarts)));
            row.extend(ci(e.map(|e| e[0])));
            row.extend((1..5).map(|i| e.map_or_else(String::new, |e| num(e[i].mean))));
            row.extend(ci(f.burn));
            row.extend(ci(d_kills));
            row.extend(ci(d_err));
            row.extend(ci(d_burn));
            row.extend(f.ttfo_median_ci.map(opt));
            row.push(judged_from.to_string());
            row.extend([num(whole.p_oom.p), num(whole.p_oom.lo), num(whole.p_oom.hi)]);
            row.push(num(whole.kills.mean));
            row.push(opt(whole.ttfo[1]));
            row.push(whole.errors.map_or_else(String::new, |e| num(e[0].mean)));
            row.push(whole.burn.map_or_else(String::new, |b| num(b.mean)));
            out.write_record(&row).map_err(|e| e.to_string())?;
            if run_scope {
                if variant.sweep.is_some() {
                    sweep_rows.push((v, f));
                    continue;
                }
                let pct = |p: f64| format!("{:.1}%", 100.0 * p);
                let time = |t: Option<f64>| {
                    t.map_or("-".into(), |t| {
                        super::human_time(crate::engine::SimTime::from_nanos((t * 1e9) as u64))
                    })
                };
                let range = interval;
                table.push([
                    variant.name.clone(),
                    format!(
                        "{} [{}, {}]",
                        pct(f.p_oom.p),
                        pct(f.p_oom.lo),
                        pct(f.p_oom.hi)
                    ),
                    range(f.kills),
                    time(f.ttfo[1]),
                    e.map_or(String::new(), |e| format!("{:.0}", e[0].mean)),
                    f.burn.map_or(String::new(), |b| format!("{:.1}×", b.mean)),
                    d_kills.map_or("-".into(), range),
                    d_err.map_or("-".into(), interval),
                    format!(
                        "{} / {:.0}",
                        pct(whole.p_oom.p),
                        whole.errors.map_or(0.0, |e| e[0].mean)
                    ),
                ]);
            }
        }
    }
    let caption = if windowed {
        let known: Vec<f64> = starts.iter().flatten().copied().collect();
        let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
        format!(
            "judged over the evaluation window (from {} on average; {} of {} runs reached it); \
             the last column is the whole run\n",
            super::human_time(crate::engine::SimTime::from_nanos((mean * 1e9) as u64)),
            known.len(),
            starts.len()
        )
    } else {
        String::new()
    };
    // The whole-run column only says something when a window is judged.
    let rendered = if windowed {
        super::format::columns(&table, 1)
    } else {
        let short: Vec<[String; 8]> = table
            .iter()
            .map(|r| std::array::from_fn(|i| r[i].clone()))
            .collect();
        super::format::columns(&short, 1)
    };
    Ok(Analysis {
        comparison_csv: out.into_inner().map_err(|e| e.to_string())?,
        sweep_csv: sweep_csv(meta, &sweep_rows),
        table: caption + &rendered,
    })
}

fn sweep_csv(meta: &RunMeta, rows: &[(usize, Figures)]) -> Option<Vec<u8>> {
    if rows.is_empty() {
        return None;
    }
    let mut axes: Vec<String> = Vec::new();
    for (v, _) in rows {
        for (path, _) in &meta.variants[*v].sweep.as_ref()?.values {
            if !axes.contains(path) {
                axes.push(path.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["sweep".to_string(), "point".to_string()];
    header.extend(axes.iter().cloned());
    header.extend(
        [
            "runs",
            "p_oom",
            "p_oom_lo",
            "p_oom_hi",
            "ttfo_median_s",
            "oom_kills_mean",
            "errors_503_mean",
            "peak_burn_1h_mean",
        ]
        .map(String::from),
    );
    w.write_record(&header).ok()?;
    for (v, f) in rows {
        let s = meta.variants[*v].sweep.as_ref()?;
        let mut row = vec![s.name.clone(), meta.variants[*v].name.clone()];
        for a in &axes {
            row.push(
                s.values
                    .iter()
                    .find(|(p, _)| p == a)
                    .map_or(String::new(), |x| x.1.clone()),
            );
        }
        row.extend([
            f.runs.to_string(),
            num(f.p_oom.p),
            num(f.p_oom.lo),
            num(f.p_oom.hi),
            opt(f.ttfo[1]),
            num(f.kills.mean),
            f.errors.map_or(String::new(), |e| num(e[0].mean)),
            f.burn.map_or(String::new(), |b| num(b.mean)),
        ]);
        w.write_record(&row).ok()?;
    }
    w.into_inner().ok()
}
