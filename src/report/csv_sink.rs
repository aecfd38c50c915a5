//! Streams each run's samples and events to CSV part files.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;

use super::format::{burn, count, counts_503};
use super::memory_buckets::MemoryBuckets;
use super::workload_series::{SeriesRow, WorkloadSeries};
use crate::engine::SimDuration;
use crate::model::{DbSample, EventRecord, Recorder, RedisSample, Sample, SloSample};
use crate::runner::SinkFactory;

/// Column headers of `pod-timeseries.csv`.
pub const POD_TIMESERIES_HEADER: &str =
    "variant,replica,time_s,pod,container,working_set_bytes,limit_bytes";
/// Column headers of `events.csv`.
pub const EVENTS_HEADER: &str =
    "variant,replica,time_s,node,pod,container,event,reason,exit_code,cgroup,grew,message";

/// Column headers of `slo.csv`.
pub const SLO_HEADER: &str = "variant,replica,time_s,requests,errors_503,errors_503_uh,errors_503_uf,errors_503_uc,errors_503_nr,burn_5m,burn_1h,errors_5xx,timeouts,dns_failures";

/// Column headers of `redis.csv`.
pub const REDIS_HEADER: &str = "variant,replica,time_s,pod,used_memory_bytes,maxmemory_bytes,evicted_keys,expired_keys,keyspace_hits,keyspace_misses,rejected_writes";

/// Column headers of `db.csv`.
pub const DB_HEADER: &str = "variant,replica,time_s,database,qps,utilisation,latency_ms";

/// Opens part files in a staging folder, one set per run.
pub struct CsvSinks {
    parts: PathBuf,
    variants: Vec<String>,
    timeseries_replicas: u32,
    pod_series: bool,
    sweep_points: Vec<bool>,
    buckets: Vec<(SimDuration, SimDuration)>,
}

impl CsvSinks {
    /// Sinks writing into `parts`, for runs of `variants`, keeping time series for the
    /// first `timeseries_replicas` replicas of each variant that is not a sweep point
    /// (`sweep_points[v]`): sweeps are read from their summaries. Every replica of the
    /// other variants keeps its chart buckets (`memory.csv`), of `buckets[v]` =
    /// (run duration, bucket width). `pod_series` also keeps a row per pod and scrape.
    pub fn new(
        parts: PathBuf,
        variants: Vec<String>,
        timeseries_replicas: u32,
        pod_series: bool,
        sweep_points: Vec<bool>,
        buckets: Vec<(SimDuration, SimDuration)>,
    ) -> Self {
        CsvSinks {
            parts,
            variants,
            timeseries_replicas,
            pod_series,
            sweep_points,
            buckets,
        }
    }

    /// The part file of one run's time series (per workload).
    pub fn timeseries_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts.join(format!("ts-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's per-pod time series.
    pub fn pod_timeseries_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts
            .join(format!("pts-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's traffic and burn.
    pub fn slo_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts
            .join(format!("slo-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's Redis scrapes.
    pub fn redis_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts
            .join(format!("redis-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's database scrapes.
    pub fn db_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts.join(format!("db-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's chart buckets.
    pub fn memory_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts
            .join(format!("mem-{variant:04}-{replica:07}.csv"))
    }

    /// The part file of one run's events.
    pub fn events_part(&self, variant: usize, replica: u32) -> PathBuf {
        self.parts.join(format!("ev-{variant:04}-{replica:07}.csv"))
    }
}

/// Writes one row of `timeseries.csv`.
fn write_series_row(
    w: &mut csv::Writer<BufWriter<File>>,
    variant: &str,
    replica: &str,
    r: SeriesRow<'_>,
) -> csv::Result<()> {
    let limit = r.limit.map(|l| l.to_string()).unwrap_or_default();
    w.write_record([
        variant,
        replica,
        &r.time.secs_millis().to_string(),
        r.workload,
        r.container,
        &r.pods.to_string(),
        &r.mean.to_string(),
        &r.max.to_string(),
        &limit,
    ])
}

fn writer(path: PathBuf) -> io::Result<csv::Writer<BufWriter<File>>> {
    let file = BufWriter::with_capacity(1 << 16, File::create(path)?);
    Ok(csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(file))
}

/// One run's CSV writers. Write errors are kept and reported when the run is closed.
pub struct CsvSink {
    variant: String,
    replica: String,
    timeseries: Option<(WorkloadSeries, csv::Writer<BufWriter<File>>)>,
    pod_timeseries: Option<csv::Writer<BufWriter<File>>>,
    slo: Option<csv::Writer<BufWriter<File>>>,
    redis: Option<csv::Writer<BufWriter<File>>>,
    db: Option<csv::Writer<BufWriter<File>>>,
    events: csv::Writer<BufWriter<File>>,
    memory: Option<(MemoryBuckets, PathBuf)>,
    /// Where this run's Redis and database scrapes go, if it keeps time series.
    series: Option<(PathBuf, PathBuf)>,
    error: Option<io::Error>,
    buf: [String; 4],
}

impl CsvSink {
    /// The writer `slot` of this run, opened at `path` on first use; `None` when the run
    /// keeps no time series (or the file cannot be opened: the error is kept).
    fn lazy(
        &mut self,
        path: fn(&(PathBuf, PathBuf)) -> &PathBuf,
        slot: fn(&mut CsvSink) -> &mut Option<csv::Writer<BufWriter<File>>>,
    ) -> Option<&mut csv::Writer<BufWriter<File>>> {
        let p = path(self.series.as_ref()?).clone();
        if slot(self).is_none() {
            match writer(p) {
                Ok(w) => *slot(self) = Some(w),
                Err(e) => {
                    self.error.get_or_insert(e);
                    return None;
                }
            }
        }
        slot(self).as_mut()
    }

    fn keep(&mut self, r: csv::Result<()>) {
        if let Err(e) = r
            && self.error.is_none()
        {
            self.error = Some(io::Error::other(e));
        }
    }
}

impl SinkFactory for CsvSinks {
    type Sink = CsvSink;

    fn open(&self, variant: usize, replica: u32) -> io::Result<CsvSink> {
        let series = replica < self.timeseries_replicas && !self.sweep_points[variant];
        let (timeseries, slo) = if series {
            (
                Some((
                    WorkloadSeries::default(),
                    writer(self.timeseries_part(variant, replica))?,
                )),
                Some(writer(self.slo_part(variant, replica))?),
            )
        } else {
            (None, None)
        };
        let pod_timeseries = if series && self.pod_series {
            Some(writer(self.pod_timeseries_part(variant, replica))?)
        } else {
            None
        };
        // Opened lazily: most scenarios have no Redis or database.
        let (redis, db) = (None, None);
        let memory = (!self.sweep_points[variant]).then(|| {
            let (duration, width) = self.buckets[variant];
            (
                MemoryBuckets::new(duration, width),
                self.memory_part(variant, replica),
            )
        });
        Ok(CsvSink {
            variant: self.variants[variant].clone(),
            replica: replica.to_string(),
            timeseries,
            pod_timeseries,
            slo,
            redis,
            db,
            series: series.then(|| {
                (
                    self.redis_part(variant, replica),
                    self.db_part(variant, replica),
                )
            }),
            events: writer(self.events_part(variant, replica))?,
            memory,
            error: None,
            buf: Default::default(),
        })
    }

    fn close(&self, mut sink: CsvSink) -> io::Result<()> {
        if let Some((mut series, mut w)) = sink.timeseries.take() {
            let r = series.flush(|r| write_series_row(&mut w, &sink.variant, &sink.replica, r));
            sink.keep(r);
            w.flush()?;
        }
        if let Some(e) = sink.error {
            return Err(e);
        }
        for mut w in [sink.pod_timeseries, sink.slo, sink.redis, sink.db]
            .into_iter()
            .flatten()
        {
            w.flush()?;
        }
        if let Some((mut buckets, path)) = sink.memory {
            let mut w = writer(path)?;
            buckets
                .write(&sink.variant, &sink.replica, &mut w)
                .map_err(io::Error::other)?;
            w.flush()?;
        }
        let mut ev = sink.events;
        ev.flush()
    }
}

impl Recorder for CsvSink {
    fn wants_samples(&self) -> bool {
        self.timeseries.is_some() || self.memory.is_some()
    }

    fn sample(&mut self, s: &Sample<'_>) {
        if let Some((m, _)) = self.memory.as_mut() {
            m.sample(s);
        }
        if let Some((series, w)) = self.timeseries.as_mut() {
            let r = series.sample(s, |r| write_series_row(w, &self.variant, &self.replica, r));
            self.keep(r);
        }
        let Some(w) = self.pod_timeseries.as_mut() else {
            return;
        };
        use std::fmt::Write;
        let [time, ws, limit, _] = &mut self.buf;
        time.clear();
        ws.clear();
        limit.clear();
        let _ = write!(time, "{}", s.time.secs_millis());
        let _ = write!(ws, "{}", s.working_set);
        if let Some(l) = s.limit {
            let _ = write!(limit, "{l}");
        }
        let r = w.write_record([
            self.variant.as_str(),
            self.replica.as_str(),
            time,
            s.pod,
            s.container,
            ws,
            limit,
        ]);
        self.keep(r);
    }

    fn slo(&mut self, s: &SloSample) {
        let Some(w) = self.slo.as_mut() else { return };
        let (total, flags) = counts_503(s.errors_503);
        let mut row = vec![
            self.variant.clone(),
            self.replica.clone(),
            s.time.secs_millis().to_string(),
            count(s.requests),
            total,
        ];
        row.extend(flags);
        row.extend([burn(s.burn_5m), burn(s.burn_1h)]);
        row.extend(s.app_errors.iter().map(|&e| count(e)));
        let r = w.write_record(&row);
        self.keep(r);
    }

    fn redis(&mut self, s: &RedisSample<'_>) {
        let row = [
            self.variant.clone(),
            self.replica.clone(),
            s.time.secs_millis().to_string(),
            s.pod.to_string(),
            s.used_memory.to_string(),
            s.maxmemory.to_string(),
            s.evicted_keys.to_string(),
            s.expired_keys.to_string(),
            s.keyspace_hits.to_string(),
            s.keyspace_misses.to_string(),
            s.rejected_writes.to_string(),
        ];
        let Some(w) = self.lazy(|p| &p.0, |k| &mut k.redis) else {
            return;
        };
        let res = w.write_record(&row);
        self.keep(res);
    }

    fn db(&mut self, s: &DbSample<'_>) {
        let row = [
            self.variant.clone(),
            self.replica.clone(),
            s.time.secs_millis().to_string(),
            s.database.to_string(),
            format!("{:.3}", s.qps),
            format!("{:.4}", s.utilisation),
            format!("{:.3}", s.latency_ms),
        ];
        let Some(w) = self.lazy(|p| &p.1, |k| &mut k.db) else {
            return;
        };
        let res = w.write_record(&row);
        self.keep(res);
    }

    fn event(&mut self, e: &EventRecord<'_>) {
        if let Some((m, _)) = self.memory.as_mut() {
            m.event(e);
        }
        let exit = e.exit_code.map_or_else(String::new, |c| c.to_string());
        let r = self.events.write_record([
            self.variant.as_str(),
            self.replica.as_str(),
            &e.time.secs_millis().to_string(),
            e.node,
            e.pod,
            e.container,
            e.kind.as_str(),
            e.reason,
            &exit,
            e.cgroup,
            e.grew,
            e.message,
        ]);
        self.keep(r);
    }
}
