//! What the charts and the HTML report show, read back from a scenario's output folder.
//!
//! Charts are drawn from the files as written, never from the runs in memory, so a
//! merge of shards draws exactly what one whole run draws. Every series here is bounded
//! by the number of chart buckets and replicas, not by simulated time.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::report::metadata::RunMeta;
use crate::stats::quantile_sorted;

/// Bytes per MiB, the unit of every memory axis.
pub const MIB: f64 = 1024.0 * 1024.0;

/// One variant's memory for one container.
#[derive(Clone, Debug, Default)]
pub struct MemoryPanel {
    /// Variant name.
    pub variant: String,
    /// Replicas that ran it.
    pub replicas: usize,
    /// Bucket starts, seconds.
    pub time_s: Vec<f64>,
    /// Peak working set per bucket across replicas, MiB: 5th percentile, median, 95th.
    pub p5: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 95th percentile.
    pub p95: Vec<f64>,
    /// The representative replica: the one whose first OOM kill of this container is the
    /// median across replicas (replica 0 when none is killed).
    pub representative: u32,
    /// Its peak working set per bucket: (seconds, MiB).
    pub rep_peak: Vec<(f64, f64)>,
    /// Its limit per bucket: (seconds, MiB); empty when unlimited.
    pub rep_limit: Vec<(f64, f64)>,
    /// Its OOM kills: (bucket start, seconds; kills in the bucket).
    pub rep_kills: Vec<(f64, u32)>,
    /// Its restarts: (bucket start, seconds; restarts in the bucket).
    pub rep_restarts: Vec<(f64, u32)>,
    /// Its kills that came from the pod's or the node's memory running out, not the
    /// container's own limit (events.csv's `cgroup`): (bucket start, seconds; kills).
    pub rep_outside_kills: Vec<(f64, u32)>,
    /// OOM kills across all replicas.
    pub kills_total: u64,
}

/// One container's memory, per charted variant.
#[derive(Clone, Debug)]
pub struct ContainerMemory {
    /// Workload name.
    pub workload: String,
    /// Container name.
    pub container: String,
    /// One panel per charted variant.
    pub panels: Vec<MemoryPanel>,
}

/// Requests and 503s of one variant, pooled over the replicas with time series.
#[derive(Clone, Debug, Default)]
pub struct SloPanel {
    /// Variant name.
    pub variant: String,
    /// Replicas pooled.
    pub replicas: usize,
    /// Bucket starts, seconds.
    pub time_s: Vec<f64>,
    /// 503 ratio per bucket by flag (UH, UF, UC, NR), as a fraction of requests.
    pub ratio: [Vec<f64>; 4],
    /// Peak 5-minute burn per bucket.
    pub burn_5m: Vec<f64>,
    /// Peak 1-hour burn per bucket.
    pub burn_1h: Vec<f64>,
}

/// A variant's per-run time to the first OOM kill (of any container).
#[derive(Clone, Debug)]
pub struct Ttfo {
    /// Variant name.
    pub variant: String,
    /// Seconds per run; `None` for a run without an OOM kill (censored at its end).
    pub times: Vec<Option<f64>>,
    /// The times count from the evaluation window's start, not the run's.
    pub windowed: bool,
}

/// A figure with its 95 % interval.
#[derive(Copy, Clone, Debug, Default)]
pub struct Estimate {
    /// Point estimate.
    pub mean: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// One row of `comparison.csv`.
#[derive(Clone, Debug, Default)]
pub struct ComparisonRow {
    /// Variant name.
    pub variant: String,
    /// `run` or `workload/container`.
    pub scope: String,
    /// Runs.
    pub runs: usize,
    /// P(at least one OOM kill).
    pub p_oom: Estimate,
    /// OOM kills per run.
    pub oom_kills: Estimate,
    /// Time to first OOM, seconds: p5, median, p95 (Kaplan–Meier; `None` if not reached).
    pub ttfo: [Option<f64>; 3],
    /// Restarts per run.
    pub restarts: Estimate,
    /// 503s per run (scope `run` only).
    pub errors_503: Option<Estimate>,
    /// 503s per run by flag UH, UF, UC, NR (scope `run` only).
    pub errors_by_flag: [f64; 4],
    /// Peak 1 h burn (scope `run` only).
    pub peak_burn_1h: Option<Estimate>,
    /// Paired difference from the baseline: OOM kills, 503s, peak burn.
    pub diff: [Option<Estimate>; 3],
}

/// One grid point of a sweep.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    /// Value per axis, as written.
    pub values: Vec<String>,
    /// Runs.
    pub runs: usize,
    /// P(OOM) and its interval.
    pub p_oom: Estimate,
}

/// One sweep's grid.
#[derive(Clone, Debug)]
pub struct SweepGrid {
    /// Sweep name.
    pub name: String,
    /// Value path per axis.
    pub axes: Vec<String>,
    /// Points in grid order.
    pub points: Vec<SweepPoint>,
}

/// One candidate of a plan.
#[derive(Clone, Debug)]
pub struct PlanCandidate {
    /// Limit, MiB.
    pub limit_mib: f64,
    /// Runs.
    pub runs: usize,
    /// P(OOM) and its interval.
    pub p_oom: Estimate,
    /// `pass`, `fail` or `uncertain`.
    pub verdict: String,
    /// The limit the plan chose.
    pub chosen: bool,
    /// The VPA-style recommendation.
    pub vpa: bool,
}

/// A `plan-<workload>-<container>.csv`.
#[derive(Clone, Debug)]
pub struct PlanCurve {
    /// `workload-container` as in the file name.
    pub target: String,
    /// `workload/container`.
    pub container: String,
    /// The acceptable risk.
    pub risk: f64,
    /// The horizon, seconds.
    pub within_s: u64,
    /// Candidates.
    pub candidates: Vec<PlanCandidate>,
}

/// Everything the charts and report of one output folder need.
#[derive(Clone, Debug)]
pub struct ReportData {
    /// `run.json`.
    pub meta: RunMeta,
    /// Indices (into `meta.variants`) of the variants charted: all but sweep points.
    pub charted: Vec<usize>,
    /// Memory per container.
    pub memory: Vec<ContainerMemory>,
    /// 503s and burn per charted variant.
    pub slo: Vec<SloPanel>,
    /// Time to first OOM per charted variant.
    pub ttfo: Vec<Ttfo>,
    /// `comparison.csv`.
    pub comparison: Vec<ComparisonRow>,
    /// `sweep.csv`, per sweep.
    pub sweeps: Vec<SweepGrid>,
    /// `plan-*.csv`.
    pub plans: Vec<PlanCurve>,
}

fn bad(file: &str, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{file}: {what}"))
}

/// A CSV file's rows with named column access.
struct Table {
    file: String,
    reader: csv::Reader<io::BufReader<std::fs::File>>,
    headers: csv::StringRecord,
}

impl Table {
    fn open(dir: &Path, file: &str) -> io::Result<Option<Table>> {
        let f = match std::fs::File::open(dir.join(file)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut reader = csv::Reader::from_reader(io::BufReader::with_capacity(1 << 16, f));
        let headers = reader.headers().map_err(|e| bad(file, e))?.clone();
        Ok(Some(Table {
            file: file.to_string(),
            reader,
            headers,
        }))
    }

    fn col(&self, name: &str) -> io::Result<usize> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(&self.file, format!("no column {name}")))
    }

    /// Calls `f` on every row.
    fn rows(mut self, mut f: impl FnMut(&csv::StringRecord) -> io::Result<()>) -> io::Result<()> {
        let mut rec = csv::StringRecord::new();
        while self
            .reader
            .read_record(&mut rec)
            .map_err(|e| bad(&self.file, e))?
        {
            f(&rec)?;
        }
        Ok(())
    }
}

/// A finite number: `inf` and `NaN` parse as floats but would hang a log axis or draw
/// nothing, so they are refused like any other garbage.
fn num(file: &str, s: &str) -> io::Result<f64> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(file, format!("`{s}` is not a finite number")))
}

fn opt_num(file: &str, s: &str) -> io::Result<Option<f64>> {
    if s.is_empty() {
        Ok(None)
    } else {
        num(file, s).map(Some)
    }
}

impl ReportData {
    /// Reads the output folder `dir` (as written by a run or a merge).
    pub fn load(dir: &Path) -> io::Result<ReportData> {
        let meta: RunMeta = serde_json::from_slice(&std::fs::read(dir.join("run.json"))?)
            .map_err(|e| bad("run.json", e))?;
        let charted: Vec<usize> = (0..meta.variants.len())
            .filter(|&v| meta.variants[v].sweep.is_none())
            .collect();
        let comparison = load_comparison(dir)?;
        let representative = representatives(dir, &meta)?;
        let mut memory = load_memory(dir, &meta, &charted, &representative)?;
        mark_outside_kills(dir, &meta, &mut memory)?;
        let slo = load_slo(dir, &meta, &charted)?;
        let ttfo = load_ttfo(dir, &meta, &charted)?;
        let sweeps = load_sweeps(dir)?;
        let plans = load_plans(dir)?;
        Ok(ReportData {
            meta,
            charted,
            memory,
            slo,
            ttfo,
            comparison,
            sweeps,
            plans,
        })
    }

    /// The comparison row of `variant` for `scope`.
    pub fn row(&self, variant: &str, scope: &str) -> Option<&ComparisonRow> {
        self.comparison
            .iter()
            .find(|r| r.variant == variant && r.scope == scope)
    }

    /// The longest charted run, seconds.
    pub fn duration_s(&self) -> f64 {
        self.charted
            .iter()
            .map(|&v| self.meta.variants[v].duration_s)
            .max()
            .unwrap_or(0) as f64
    }
}

/// Per (variant, workload/container): the replica with the median first OOM kill.
fn representatives(dir: &Path, meta: &RunMeta) -> io::Result<BTreeMap<(usize, String), u32>> {
    let mut firsts: BTreeMap<(usize, String), Vec<(f64, u32)>> = BTreeMap::new();
    if let Some(t) = Table::open(dir, "containers.csv")? {
        let (v, r, w, c, f) = (
            t.col("variant")?,
            t.col("replica")?,
            t.col("workload")?,
            t.col("container")?,
            t.col("first_oom_s")?,
        );
        t.rows(|rec| {
            let Some(variant) = meta.variant_index(&rec[v]) else {
                return Err(bad(
                    "containers.csv",
                    format!("unknown variant {}", &rec[v]),
                ));
            };
            let replica = num("containers.csv", &rec[r])? as u32;
            let first = opt_num("containers.csv", &rec[f])?.unwrap_or(f64::INFINITY);
            firsts
                .entry((variant, format!("{}/{}", &rec[w], &rec[c])))
                .or_default()
                .push((first, replica));
            Ok(())
        })?;
    }
    Ok(firsts
        .into_iter()
        .map(|(k, mut runs)| {
            runs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let pick = if runs.iter().all(|r| r.0.is_infinite()) {
                runs.iter().map(|r| r.1).min().unwrap_or(0)
            } else {
                runs[(runs.len() - 1) / 2].1
            };
            (k, pick)
        })
        .collect())
}

/// Marks the representative replicas' kill buckets whose OOM kill was decided by a pod
/// or node cgroup (events.csv), so the chart does not draw them as reaching the
/// container's limit.
fn mark_outside_kills(
    dir: &Path,
    meta: &RunMeta,
    memory: &mut [ContainerMemory],
) -> io::Result<()> {
    const F: &str = "events.csv";
    let Some(t) = Table::open(dir, F)? else {
        return Ok(());
    };
    let [v, r, time, pod, c, event, cgroup] = [
        "variant",
        "replica",
        "time_s",
        "pod",
        "container",
        "event",
        "cgroup",
    ]
    .map(|c| t.col(c));
    let (v, r, time, pod, c, event, cgroup) = (v?, r?, time?, pod?, c?, event?, cgroup?);
    t.rows(|rec| {
        if &rec[event] != "OOMKilled" || rec[cgroup].is_empty() || &rec[cgroup] == "container" {
            return Ok(());
        }
        let variant = &meta.variants[meta
            .variant_index(&rec[v])
            .ok_or_else(|| bad(F, format!("unknown variant {}", &rec[v])))?]
        .name;
        let replica = num(F, &rec[r])? as u32;
        let at = num(F, &rec[time])?;
        for m in memory.iter_mut() {
            let mine = rec[pod].starts_with(&format!("{}-", m.workload)) && rec[c] == m.container;
            if !mine {
                continue;
            }
            for p in m.panels.iter_mut() {
                if &p.variant != variant || p.representative != replica {
                    continue;
                }
                if let Some(&(b, _)) = p.rep_kills.iter().rev().find(|(b, _)| *b <= at) {
                    match p.rep_outside_kills.iter_mut().find(|x| x.0 == b) {
                        Some(x) => x.1 += 1,
                        None => p.rep_outside_kills.push((b, 1)),
                    }
                }
            }
        }
        Ok(())
    })
}

#[derive(Default)]
struct MemAcc {
    buckets: BTreeMap<u64, Vec<f64>>,
    replicas: std::collections::BTreeSet<u32>,
    rep_peak: Vec<(f64, f64)>,
    rep_limit: Vec<(f64, f64)>,
    rep_kills: Vec<(f64, u32)>,
    rep_restarts: Vec<(f64, u32)>,
    kills_total: u64,
}

fn load_memory(
    dir: &Path,
    meta: &RunMeta,
    charted: &[usize],
    representative: &BTreeMap<(usize, String), u32>,
) -> io::Result<Vec<ContainerMemory>> {
    const F: &str = "memory.csv";
    let Some(t) = Table::open(dir, F)? else {
        return Ok(Vec::new());
    };
    let cols = [
        "variant",
        "replica",
        "time_s",
        "workload",
        "container",
        "peak_working_set_bytes",
        "limit_bytes",
        "oom_kills",
        "restarts",
    ]
    .map(|c| t.col(c));
    let [v, r, time, w, c, peak, limit, kills, restarts] = cols;
    let (v, r, time, w, c, peak, limit, kills, restarts) =
        (v?, r?, time?, w?, c?, peak?, limit?, kills?, restarts?);
    let mut acc: BTreeMap<(String, String), BTreeMap<usize, MemAcc>> = BTreeMap::new();
    t.rows(|rec| {
        let variant = meta
            .variant_index(&rec[v])
            .ok_or_else(|| bad(F, format!("unknown variant {}", &rec[v])))?;
        if !charted.contains(&variant) {
            return Ok(());
        }
        let replica = num(F, &rec[r])? as u32;
        let t_s = num(F, &rec[time])?;
        let key = (rec[w].to_string(), rec[c].to_string());
        let scope = format!("{}/{}", key.0, key.1);
        let a = acc.entry(key).or_default().entry(variant).or_default();
        let peak_mib = num(F, &rec[peak])? / MIB;
        let k = num(F, &rec[kills])? as u32;
        a.buckets
            .entry((t_s * 1000.0).round() as u64)
            .or_default()
            .push(peak_mib);
        a.replicas.insert(replica);
        a.kills_total += u64::from(k);
        if representative.get(&(variant, scope)).copied().unwrap_or(0) == replica {
            a.rep_peak.push((t_s, peak_mib));
            if let Some(l) = opt_num(F, &rec[limit])? {
                a.rep_limit.push((t_s, l / MIB));
            }
            if k > 0 {
                a.rep_kills.push((t_s, k));
            }
            let rs = num(F, &rec[restarts])? as u32;
            if rs > 0 {
                a.rep_restarts.push((t_s, rs));
            }
        }
        Ok(())
    })?;
    Ok(acc
        .into_iter()
        .map(|((workload, container), per_variant)| {
            let scope = format!("{workload}/{container}");
            let panels = per_variant
                .into_iter()
                .map(|(variant, a)| {
                    let mut p = MemoryPanel {
                        variant: meta.variants[variant].name.clone(),
                        replicas: a.replicas.len(),
                        representative: representative
                            .get(&(variant, scope.clone()))
                            .copied()
                            .unwrap_or(0),
                        rep_peak: a.rep_peak,
                        rep_limit: a.rep_limit,
                        rep_kills: a.rep_kills,
                        rep_restarts: a.rep_restarts,
                        kills_total: a.kills_total,
                        ..MemoryPanel::default()
                    };
                    for (t_ms, mut xs) in a.buckets {
                        // A replica whose pods were all down in a bucket has no row:
                        // count it as zero so the band is across every replica.
                        xs.resize(p.replicas.max(xs.len()), 0.0);
                        xs.sort_by(f64::total_cmp);
                        p.time_s.push(t_ms as f64 / 1000.0);
                        p.p5.push(quantile_sorted(&xs, 0.05));
                        p.p50.push(quantile_sorted(&xs, 0.5));
                        p.p95.push(quantile_sorted(&xs, 0.95));
                    }
                    p
                })
                .collect();
            ContainerMemory {
                workload,
                container,
                panels,
            }
        })
        .collect())
}

/// Buckets per SLO chart: as many as memory.csv has.
const SLO_BUCKETS: f64 = crate::report::CHART_BUCKETS as f64;

#[derive(Default)]
struct SloAcc {
    replicas: std::collections::BTreeSet<u32>,
    buckets: BTreeMap<u64, ([f64; 5], f64, f64)>,
}

fn load_slo(dir: &Path, meta: &RunMeta, charted: &[usize]) -> io::Result<Vec<SloPanel>> {
    const F: &str = "slo.csv";
    let Some(t) = Table::open(dir, F)? else {
        return Ok(Vec::new());
    };
    let (v, r, time, req) = (
        t.col("variant")?,
        t.col("replica")?,
        t.col("time_s")?,
        t.col("requests")?,
    );
    let flags = [
        t.col("errors_503_uh")?,
        t.col("errors_503_uf")?,
        t.col("errors_503_uc")?,
        t.col("errors_503_nr")?,
    ];
    let (b5, b1) = (t.col("burn_5m")?, t.col("burn_1h")?);
    let mut acc: BTreeMap<usize, SloAcc> = BTreeMap::new();
    t.rows(|rec| {
        let variant = meta
            .variant_index(&rec[v])
            .ok_or_else(|| bad(F, format!("unknown variant {}", &rec[v])))?;
        if !charted.contains(&variant) {
            return Ok(());
        }
        let width = (meta.variants[variant].duration_s as f64 / SLO_BUCKETS).max(1.0);
        let t_s = num(F, &rec[time])?;
        // A scrape row closes the interval before it: bucket it by its start.
        let bucket = ((t_s - 1e-9).max(0.0) / width).floor() as u64;
        let a = acc.entry(variant).or_default();
        a.replicas.insert(num(F, &rec[r])? as u32);
        let e = a.buckets.entry(bucket).or_insert(([0.0; 5], 0.0, 0.0));
        e.0[0] += num(F, &rec[req])?;
        for (i, &c) in flags.iter().enumerate() {
            e.0[i + 1] += num(F, &rec[c])?;
        }
        e.1 = e.1.max(num(F, &rec[b5])?);
        e.2 = e.2.max(num(F, &rec[b1])?);
        Ok(())
    })?;
    Ok(acc
        .into_iter()
        .map(|(variant, a)| {
            let width = (meta.variants[variant].duration_s as f64 / SLO_BUCKETS).max(1.0);
            let mut p = SloPanel {
                variant: meta.variants[variant].name.clone(),
                replicas: a.replicas.len(),
                ..SloPanel::default()
            };
            for (b, (sums, burn5, burn1)) in a.buckets {
                p.time_s.push(b as f64 * width);
                for i in 0..4 {
                    let ratio = if sums[0] > 0.0 {
                        sums[i + 1] / sums[0]
                    } else {
                        0.0
                    };
                    p.ratio[i].push(ratio);
                }
                p.burn_5m.push(burn5);
                p.burn_1h.push(burn1);
            }
            p
        })
        .collect())
}

fn load_ttfo(dir: &Path, meta: &RunMeta, charted: &[usize]) -> io::Result<Vec<Ttfo>> {
    const F: &str = "summary.csv";
    let mut out: Vec<Ttfo> = charted
        .iter()
        .map(|&v| Ttfo {
            variant: meta.variants[v].name.clone(),
            times: Vec::new(),
            windowed: false,
        })
        .collect();
    let Some(t) = Table::open(dir, F)? else {
        return Ok(out);
    };
    let (v, f) = (t.col("variant")?, t.col("first_oom_s")?);
    let (after, start) = (t.col("first_oom_after_s")?, t.col("window_start_s")?);
    let mut windowed = false;
    let mut both = vec![Vec::new(); out.len()];
    t.rows(|rec| {
        let variant = meta
            .variant_index(&rec[v])
            .ok_or_else(|| bad(F, format!("unknown variant {}", &rec[v])))?;
        // As the comparison: judged over the window when a run's starts after 0 or
        // never comes (a trigger).
        windowed |= opt_num(F, &rec[start])?.is_none_or(|s| s > 0.0);
        if let Some(i) = charted.iter().position(|&c| c == variant) {
            both[i].push((opt_num(F, &rec[f])?, opt_num(F, &rec[after])?));
        }
        Ok(())
    })?;
    for (o, b) in out.iter_mut().zip(both) {
        o.times = b
            .into_iter()
            .map(|(whole, window)| if windowed { window } else { whole })
            .collect();
        o.windowed = windowed;
    }
    Ok(out)
}

fn estimate(
    rec: &csv::StringRecord,
    cols: &[usize; 3],
    file: &str,
) -> io::Result<Option<Estimate>> {
    let vals = cols
        .iter()
        .map(|&c| opt_num(file, &rec[c]))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(match vals[..] {
        [Some(mean), Some(lo), Some(hi)] => Some(Estimate { mean, lo, hi }),
        _ => None,
    })
}

fn load_comparison(dir: &Path) -> io::Result<Vec<ComparisonRow>> {
    const F: &str = "comparison.csv";
    let Some(t) = Table::open(dir, F)? else {
        return Ok(Vec::new());
    };
    let three = |t: &Table, base: &str| -> io::Result<[usize; 3]> {
        Ok([
            t.col(&format!("{base}_mean"))?,
            t.col(&format!("{base}_lo"))?,
            t.col(&format!("{base}_hi"))?,
        ])
    };
    let (v, scope, runs) = (t.col("variant")?, t.col("scope")?, t.col("runs")?);
    let p_oom = [t.col("p_oom")?, t.col("p_oom_lo")?, t.col("p_oom_hi")?];
    let kills = three(&t, "oom_kills")?;
    let restarts = three(&t, "restarts")?;
    let errors = three(&t, "errors_503")?;
    let burn = three(&t, "peak_burn_1h")?;
    let ttfo = [
        t.col("ttfo_p5_s")?,
        t.col("ttfo_median_s")?,
        t.col("ttfo_p95_s")?,
    ];
    let flags = [
        t.col("errors_503_uh_mean")?,
        t.col("errors_503_uf_mean")?,
        t.col("errors_503_uc_mean")?,
        t.col("errors_503_nr_mean")?,
    ];
    let diff = |base: &str| -> io::Result<[usize; 3]> {
        Ok([
            t.col(&format!("diff_{base}"))?,
            t.col(&format!("diff_{base}_lo"))?,
            t.col(&format!("diff_{base}_hi"))?,
        ])
    };
    let diffs = [
        diff("oom_kills")?,
        diff("errors_503")?,
        diff("peak_burn_1h")?,
    ];
    let mut rows = Vec::new();
    t.rows(|rec| {
        let mut flag_means = [0.0; 4];
        for (m, &c) in flag_means.iter_mut().zip(&flags) {
            *m = opt_num(F, &rec[c])?.unwrap_or(0.0);
        }
        rows.push(ComparisonRow {
            variant: rec[v].to_string(),
            scope: rec[scope].to_string(),
            runs: num(F, &rec[runs])? as usize,
            p_oom: estimate(rec, &p_oom, F)?.unwrap_or_default(),
            oom_kills: estimate(rec, &kills, F)?.unwrap_or_default(),
            ttfo: [
                opt_num(F, &rec[ttfo[0]])?,
                opt_num(F, &rec[ttfo[1]])?,
                opt_num(F, &rec[ttfo[2]])?,
            ],
            restarts: estimate(rec, &restarts, F)?.unwrap_or_default(),
            errors_503: estimate(rec, &errors, F)?,
            errors_by_flag: flag_means,
            peak_burn_1h: estimate(rec, &burn, F)?,
            diff: [
                estimate(rec, &diffs[0], F)?,
                estimate(rec, &diffs[1], F)?,
                estimate(rec, &diffs[2], F)?,
            ],
        });
        Ok(())
    })?;
    Ok(rows)
}

fn load_sweeps(dir: &Path) -> io::Result<Vec<SweepGrid>> {
    const F: &str = "sweep.csv";
    let Some(t) = Table::open(dir, F)? else {
        return Ok(Vec::new());
    };
    let (name, point, runs) = (t.col("sweep")?, t.col("point")?, t.col("runs")?);
    let p = [t.col("p_oom")?, t.col("p_oom_lo")?, t.col("p_oom_hi")?];
    let axis_cols: Vec<usize> = (point + 1..runs).collect();
    let axes: Vec<String> = axis_cols
        .iter()
        .map(|&c| t.headers[c].to_string())
        .collect();
    let mut grids: Vec<SweepGrid> = Vec::new();
    t.rows(|rec| {
        let values: Vec<String> = axis_cols.iter().map(|&c| rec[c].to_string()).collect();
        let pt = SweepPoint {
            runs: num(F, &rec[runs])? as usize,
            p_oom: estimate(rec, &p, F)?.unwrap_or_default(),
            values,
        };
        match grids.iter_mut().find(|g| g.name == rec[name]) {
            Some(g) => g.points.push(pt),
            None => grids.push(SweepGrid {
                name: rec[name].to_string(),
                axes: axes.clone(),
                points: vec![pt],
            }),
        }
        Ok(())
    })?;
    // Several sweeps share the file's columns: keep, per sweep, the axes it varies.
    for g in &mut grids {
        let keep: Vec<usize> = (0..g.axes.len())
            .filter(|&i| g.points.iter().any(|p| !p.values[i].is_empty()))
            .collect();
        g.axes = keep.iter().map(|&i| g.axes[i].clone()).collect();
        for p in &mut g.points {
            p.values = keep.iter().map(|&i| p.values[i].clone()).collect();
        }
    }
    Ok(grids)
}

fn load_plans(dir: &Path) -> io::Result<Vec<PlanCurve>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("plan-") && n.ends_with(".csv"))
        })
        .collect();
    files.sort();
    let mut plans = Vec::new();
    for path in files {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(t) = Table::open(dir, file)? else {
            continue;
        };
        let target = file
            .trim_start_matches("plan-")
            .trim_end_matches(".csv")
            .to_string();
        let container = t.col("container")?;
        let (limit, runs, verdict, risk, within, chosen, vpa) = (
            t.col("limit_bytes")?,
            t.col("runs")?,
            t.col("verdict")?,
            t.col("risk")?,
            t.col("within_s")?,
            t.col("chosen")?,
            t.col("vpa_recommendation")?,
        );
        let p = [t.col("p_oom")?, t.col("p_oom_lo")?, t.col("p_oom_hi")?];
        let mut curve = PlanCurve {
            target,
            container: String::new(),
            risk: 0.0,
            within_s: 0,
            candidates: Vec::new(),
        };
        t.rows(|rec| {
            curve.risk = num(file, &rec[risk])?;
            curve.container = rec[container].to_string();
            curve.within_s = num(file, &rec[within])? as u64;
            curve.candidates.push(PlanCandidate {
                limit_mib: num(file, &rec[limit])? / MIB,
                runs: num(file, &rec[runs])? as usize,
                p_oom: estimate(rec, &p, file)?.unwrap_or_default(),
                verdict: rec[verdict].to_string(),
                chosen: &rec[chosen] == "true",
                vpa: &rec[vpa] == "true",
            });
            Ok(())
        })?;
        plans.push(curve);
    }
    Ok(plans)
}
