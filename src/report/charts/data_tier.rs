//! The data tier's charts, drawn from `redis.csv`, `db.csv` and `slo.csv` as written:
//!
//! - `redis`: per variant, `used_memory` against `maxmemory`, keys evicted and writes
//!   refused per second, and the hit ratio — the median across the replicas with time
//!   series (a counter that falls is a server that restarted);
//! - `dependencies`: per variant, each database's utilisation and latency (median) and
//!   the share of requests the application failed, by kind (pooled).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use plotters::style::RGBColor;

use super::data::{MIB, ReportData};
use super::series::{Panel, Series, SeriesChart};
use crate::stats::quantile_sorted;

/// At most this many points per line.
const POINTS: f64 = 300.0;

const USED: RGBColor = RGBColor(31, 119, 180);
const LIMIT: RGBColor = RGBColor(0, 0, 0);
const EVICTED: RGBColor = RGBColor(255, 127, 14);
const REFUSED: RGBColor = RGBColor(214, 39, 40);
const HIT: RGBColor = RGBColor(44, 160, 44);
const KINDS: [(&str, &str, RGBColor); 4] = [
    ("errors_5xx", "5xx (refused calls)", RGBColor(214, 39, 40)),
    ("timeouts", "timeouts", RGBColor(255, 127, 14)),
    ("dns_failures", "DNS failures", RGBColor(148, 103, 189)),
    ("errors_503", "503s (mesh)", RGBColor(127, 127, 127)),
];

fn bad(file: &str, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{file}: {what}"))
}

/// Rows of `file` in `dir` with named columns; `None` if the file is absent.
fn rows(dir: &Path, file: &str, cols: &[&str]) -> io::Result<Option<Vec<Vec<String>>>> {
    let f = match std::fs::File::open(dir.join(file)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut r = csv::Reader::from_reader(io::BufReader::new(f));
    let headers = r.headers().map_err(|e| bad(file, e))?.clone();
    let idx: Vec<usize> = cols
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| bad(file, format!("no column {c}")))
        })
        .collect::<io::Result<_>>()?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(file, e))?;
        out.push(idx.iter().map(|&i| rec[i].to_string()).collect());
    }
    Ok(Some(out))
}

fn num(file: &str, s: &str) -> io::Result<f64> {
    s.parse()
        .map_err(|_| bad(file, format!("`{s}` is not a number")))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    quantile_sorted(&xs, 0.5)
}

/// Per variant, per time bucket, per replica: a value accumulated over a bucket.
type Buckets = BTreeMap<usize, BTreeMap<u64, BTreeMap<u32, Vec<f64>>>>;

fn width(data: &ReportData) -> f64 {
    (data.duration_s() / POINTS).max(1.0)
}

/// Every chart the data tier's files support.
pub fn charts(data: &ReportData, out: &Path) -> io::Result<Vec<SeriesChart>> {
    let mut charts = Vec::new();
    if let Some(c) = redis(data, out)? {
        charts.push(c);
    }
    if let Some(c) = dependencies(data, out)? {
        charts.push(c);
    }
    Ok(charts)
}

fn variant_of(data: &ReportData, file: &str, name: &str) -> io::Result<Option<usize>> {
    let v = data
        .meta
        .variant_index(name)
        .ok_or_else(|| bad(file, format!("unknown variant {name}")))?;
    Ok(data.charted.contains(&v).then_some(v))
}

fn redis(data: &ReportData, out: &Path) -> io::Result<Option<SeriesChart>> {
    const F: &str = "redis.csv";
    let cols = [
        "variant",
        "replica",
        "time_s",
        "pod",
        "used_memory_bytes",
        "maxmemory_bytes",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
        "rejected_writes",
    ];
    let Some(rows) = rows(out, F, &cols)? else {
        return Ok(None);
    };
    if rows.is_empty() {
        return Ok(None);
    }
    let w = width(data);
    // [used, max, evicted/s, refused/s, hits, misses] per bucket and replica (summed
    // over servers, averaged over the bucket's scrapes).
    type Slot = ([f64; 6], f64, f64);
    let mut acc: BTreeMap<usize, BTreeMap<u64, BTreeMap<u32, Slot>>> = BTreeMap::new();
    let mut last: BTreeMap<(usize, u32, String), (f64, [f64; 4])> = BTreeMap::new();
    for r in &rows {
        let Some(v) = variant_of(data, F, &r[0])? else {
            continue;
        };
        let replica = num(F, &r[1])? as u32;
        let t = num(F, &r[2])?;
        let counters = [
            num(F, &r[6])?,
            num(F, &r[9])?,
            num(F, &r[7])?,
            num(F, &r[8])?,
        ];
        let key = (v, replica, r[3].clone());
        let mut d = [0.0; 4];
        let mut dt = 0.0;
        if let Some((t0, c0)) = last.get(&key) {
            dt = t - t0;
            for i in 0..4 {
                // A counter that fell belongs to a server that restarted.
                d[i] = if counters[i] >= c0[i] {
                    counters[i] - c0[i]
                } else {
                    counters[i]
                };
            }
        }
        last.insert(key, (t, counters));
        let slot = acc
            .entry(v)
            .or_default()
            .entry((t / w).floor() as u64)
            .or_default()
            .entry(replica)
            .or_insert(([0.0; 6], 0.0, -1.0));
        slot.0[0] += num(F, &r[4])?;
        slot.0[1] += num(F, &r[5])?;
        if dt > 0.0 {
            slot.0[2] += d[0] / dt;
            slot.0[3] += d[1] / dt;
        }
        slot.0[4] += d[2];
        slot.0[5] += d[3];
        if slot.2 != t {
            // Rows of one scrape (one per server) share its time.
            slot.1 += 1.0;
            slot.2 = t;
        }
    }
    let mut out_rows = Vec::new();
    for (v, buckets) in acc {
        let name = &data.meta.variants[v].name;
        let mut s: [Vec<(f64, f64)>; 5] = Default::default();
        for (b, per_replica) in buckets {
            let t = b as f64 * w;
            let pick = |i: usize| -> Vec<f64> {
                per_replica
                    .values()
                    .map(|(x, n, _)| x[i] / n.max(1.0))
                    .collect()
            };
            s[0].push((t, median(pick(0)) / MIB));
            s[1].push((t, median(pick(1)) / MIB));
            s[2].push((t, median(pick(2))));
            s[3].push((t, median(pick(3))));
            let (hits, all) = per_replica
                .values()
                .fold((0.0, 0.0), |(h, a), (x, _, _)| (h + x[4], a + x[4] + x[5]));
            if all > 0.0 {
                s[4].push((t, hits / all));
            }
        }
        let [used, max, evicted, refused, hit] = s;
        let line = |label: &str, colour, dashed, points| Series {
            label: label.to_string(),
            colour,
            dashed,
            points,
        };
        out_rows.push(vec![
            Panel {
                caption: format!("{name} — memory"),
                y_desc: "MiB".into(),
                series: vec![
                    line("used_memory", USED, false, used),
                    line("maxmemory", LIMIT, true, max),
                ],
            },
            Panel {
                caption: format!("{name} — evictions and refusals"),
                y_desc: "per second".into(),
                series: vec![
                    line("evicted keys/s", EVICTED, false, evicted),
                    line("writes refused (-OOM)/s", REFUSED, false, refused),
                ],
            },
            Panel {
                caption: format!("{name} — hit ratio"),
                y_desc: "keyspace hits ÷ lookups".into(),
                series: vec![line("hit ratio", HIT, false, hit)],
            },
        ]);
    }
    Ok(Some(SeriesChart {
        stem: "redis".into(),
        title: format!("{}: Redis memory, evictions and hits", data.meta.scenario),
        caption: "Per variant: used_memory of every Redis server summed, against maxmemory \
                  (dashed); keys evicted and writes refused with -OOM per second; the share \
                  of GETs that hit. Medians across the replicas with time series (hits \
                  pooled). Evictions start only once used_memory reaches maxmemory."
            .into(),
        duration_s: data.duration_s(),
        rows: out_rows,
    }))
}

fn dependencies(data: &ReportData, out: &Path) -> io::Result<Option<SeriesChart>> {
    let w = width(data);
    let mut db: Buckets = BTreeMap::new();
    let mut lat: Buckets = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    if let Some(rows) = rows(
        out,
        "db.csv",
        &[
            "variant",
            "replica",
            "time_s",
            "database",
            "utilisation",
            "latency_ms",
        ],
    )? {
        for r in &rows {
            let Some(v) = variant_of(data, "db.csv", &r[0])? else {
                continue;
            };
            let d = match names.iter().position(|n| *n == r[3]) {
                Some(i) => i,
                None => {
                    names.push(r[3].clone());
                    names.len() - 1
                }
            };
            let replica = num("db.csv", &r[1])? as u32;
            let b = (num("db.csv", &r[2])? / w).floor() as u64;
            // One slot per (database, replica): index by database × 10⁶ + replica.
            let k = d as u32 * 1_000_000 + replica;
            db.entry(v)
                .or_default()
                .entry(b)
                .or_default()
                .entry(k)
                .or_default()
                .push(num("db.csv", &r[4])?);
            lat.entry(v)
                .or_default()
                .entry(b)
                .or_default()
                .entry(k)
                .or_default()
                .push(num("db.csv", &r[5])?);
        }
    }
    let mut errs: BTreeMap<usize, BTreeMap<u64, [f64; 5]>> = BTreeMap::new();
    let mut any_error = false;
    if let Some(rows) = rows(
        out,
        "slo.csv",
        &[
            "variant",
            "time_s",
            "requests",
            "errors_5xx",
            "timeouts",
            "dns_failures",
            "errors_503",
        ],
    )? {
        for r in &rows {
            let Some(v) = variant_of(data, "slo.csv", &r[0])? else {
                continue;
            };
            let t = num("slo.csv", &r[1])?;
            let b = ((t - 1e-9).max(0.0) / w).floor() as u64;
            let e = errs.entry(v).or_default().entry(b).or_insert([0.0; 5]);
            e[0] += num("slo.csv", &r[2])?;
            for i in 0..4 {
                let x = num("slo.csv", &r[3 + i])?;
                any_error |= i < 3 && x > 0.0;
                e[1 + i] += x;
            }
        }
    }
    if db.is_empty() && !any_error {
        return Ok(None);
    }
    let palette = |d: usize| super::colour(d);
    let mut out_rows = Vec::new();
    for &v in &data.charted {
        let name = &data.meta.variants[v].name;
        let mut panels = Vec::new();
        if !names.is_empty() {
            let per_db = |src: &Buckets, d: usize| -> Vec<(f64, f64)> {
                src.get(&v).map_or_else(Vec::new, |buckets| {
                    buckets
                        .iter()
                        .filter_map(|(&b, reps)| {
                            let xs: Vec<f64> = reps
                                .iter()
                                .filter(|(k, _)| **k / 1_000_000 == d as u32)
                                .map(|(_, x)| x.iter().sum::<f64>() / x.len() as f64)
                                .collect();
                            (!xs.is_empty()).then(|| (b as f64 * w, median(xs)))
                        })
                        .collect()
                })
            };
            let mut util = Vec::new();
            let mut latency = Vec::new();
            for (d, n) in names.iter().enumerate() {
                util.push(Series {
                    label: format!("{n} utilisation"),
                    colour: palette(d),
                    dashed: false,
                    points: per_db(&db, d),
                });
                latency.push(Series {
                    label: format!("{n} mean latency"),
                    colour: palette(d),
                    dashed: false,
                    points: per_db(&lat, d),
                });
            }
            util.push(Series {
                label: "capacity".into(),
                colour: LIMIT,
                dashed: true,
                points: vec![(0.0, 1.0), (data.duration_s(), 1.0)],
            });
            panels.push(Panel {
                caption: format!("{name} — database load"),
                y_desc: "offered load ÷ capacity".into(),
                series: util,
            });
            panels.push(Panel {
                caption: format!("{name} — database latency"),
                y_desc: "ms".into(),
                series: latency,
            });
        }
        let share = |k: usize| -> Vec<(f64, f64)> {
            errs.get(&v).map_or_else(Vec::new, |buckets| {
                buckets
                    .iter()
                    .filter(|(_, e)| e[0] > 0.0)
                    .map(|(&b, e)| (b as f64 * w, 100.0 * e[k + 1] / e[0]))
                    .collect()
            })
        };
        panels.push(Panel {
            caption: format!("{name} — failed requests"),
            y_desc: "% of requests".into(),
            series: KINDS
                .iter()
                .enumerate()
                .map(|(k, (_, label, colour))| Series {
                    label: (*label).to_string(),
                    colour: *colour,
                    dashed: false,
                    points: share(k),
                })
                .collect(),
        });
        out_rows.push(panels);
    }
    Ok(Some(SeriesChart {
        stem: "dependencies".into(),
        title: format!("{}: the services requests call", data.meta.scenario),
        caption: "Per variant: each database's offered load over its capacity and its mean \
                  response time (M/M/c; over capacity the queue has no steady state), the \
                  medians across the replicas with time series; and the share of requests \
                  that failed, by kind — the application's 5xx, timeouts and DNS failures \
                  next to the mesh's 503s — pooled over those replicas."
            .into(),
        duration_s: data.duration_s(),
        rows: out_rows,
    }))
}
