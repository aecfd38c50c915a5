//! `memory.csv`: every container's peak working set per chart bucket, with the OOM kills
//! and restarts in that bucket, for every replica.
//!
//! `timeseries.csv` keeps every scrape of a few replicas; the charts also need the spread
//! across *all* replicas (median and p5–p95), which would not fit in memory or on disk at
//! scrape resolution. A run is cut into at most [`CHART_BUCKETS`] buckets (each a whole
//! number of scrape intervals) and each container keeps one peak per bucket, so a run's
//! record is bounded whatever its simulated length, and shards merge by concatenation
//! like every other per-run file.

use std::io::Write;

use crate::engine::SimDuration;
use crate::model::{EventKind, EventRecord, Sample};

/// Column headers of `memory.csv`.
pub const MEMORY_HEADER: &str = "variant,replica,time_s,workload,container,peak_working_set_bytes,limit_bytes,oom_kills,restarts";

/// Buckets per run: about a pixel column every 3 px on a 1000 px wide chart.
pub const CHART_BUCKETS: u64 = 300;

/// The bucket width for a run of `duration` scraped every `scrape`: a whole number of
/// scrape intervals, so every bucket holds the same number of scrapes.
pub fn bucket_width(duration: SimDuration, scrape: SimDuration) -> SimDuration {
    let per = duration.as_nanos().div_ceil(CHART_BUCKETS).max(1);
    let s = scrape.as_nanos().max(1);
    SimDuration::from_nanos(per.div_ceil(s) * s)
}

#[derive(Copy, Clone, Debug, Default)]
struct Bucket {
    peak: u64,
    limit: Option<u64>,
    oom_kills: u32,
    restarts: u32,
    seen: bool,
}

/// One run's buckets, per workload/container.
#[derive(Debug)]
pub struct MemoryBuckets {
    width: u64,
    count: usize,
    series: Vec<(String, String, Vec<Bucket>)>,
    last: usize,
}

impl MemoryBuckets {
    /// Buckets of `width` covering a run of `duration`.
    pub fn new(duration: SimDuration, width: SimDuration) -> Self {
        let width = width.as_nanos().max(1);
        MemoryBuckets {
            width,
            count: duration.as_nanos().div_ceil(width).max(1) as usize,
            series: Vec::new(),
            last: 0,
        }
    }

    fn series(&mut self, workload: &str, container: &str) -> usize {
        let hit = |(w, c, _): &(String, String, Vec<Bucket>)| w == workload && c == container;
        let i = if self.series.get(self.last).is_some_and(hit) {
            self.last
        } else if let Some(i) = self.series.iter().position(hit) {
            i
        } else {
            self.series.push((
                workload.to_string(),
                container.to_string(),
                vec![Bucket::default(); self.count],
            ));
            self.series.len() - 1
        };
        self.last = i;
        i
    }

    fn index(&self, nanos: u64) -> usize {
        ((nanos / self.width) as usize).min(self.count - 1)
    }

    /// Takes one scrape of one container.
    pub fn sample(&mut self, s: &Sample<'_>) {
        let i = self.index(s.time.as_nanos());
        let k = self.series(s.workload, s.container);
        let b = &mut self.series[k].2[i];
        b.peak = b.peak.max(s.working_set);
        b.limit = b.limit.max(s.limit);
        b.seen = true;
    }

    /// Counts OOM kills and restarts.
    pub fn event(&mut self, e: &EventRecord<'_>) {
        if e.workload.is_empty() || e.container.is_empty() {
            return;
        }
        let kill = match e.kind {
            EventKind::OomKilled => true,
            EventKind::Restarted => false,
            _ => return,
        };
        let i = self.index(e.time.as_nanos());
        let k = self.series(e.workload, e.container);
        let b = &mut self.series[k].2[i];
        if kill {
            b.oom_kills += 1;
            // Killed by its own cgroup: the working set reached the limit at that instant,
            // however briefly, even if no scrape saw it.
            if e.cgroup == "container"
                && let Some(l) = e.limit
            {
                b.peak = b.peak.max(l);
                b.limit = b.limit.max(Some(l));
            }
        } else {
            b.restarts += 1;
        }
    }

    /// Writes the run's rows (by workload, container, time), headerless.
    pub fn write<W: Write>(
        &mut self,
        variant: &str,
        replica: &str,
        w: &mut csv::Writer<W>,
    ) -> csv::Result<()> {
        self.series.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        for (workload, container, buckets) in &self.series {
            for (i, b) in buckets.iter().enumerate() {
                if !b.seen && b.oom_kills == 0 && b.restarts == 0 {
                    continue;
                }
                let start = crate::engine::SimTime::from_nanos(i as u64 * self.width);
                w.write_record([
                    variant,
                    replica,
                    &start.secs_millis().to_string(),
                    workload,
                    container,
                    &b.peak.to_string(),
                    &b.limit.map_or_else(String::new, |l| l.to_string()),
                    &b.oom_kills.to_string(),
                    &b.restarts.to_string(),
                ])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;

    #[test]
    fn a_bucket_is_a_whole_number_of_scrapes() {
        let w = bucket_width(SimDuration::from_secs(86_400), SimDuration::from_secs(15));
        assert_eq!(w, SimDuration::from_secs(300)); // 288 buckets of 20 scrapes
        let w = bucket_width(SimDuration::from_secs(7_200), SimDuration::from_secs(15));
        assert_eq!(w, SimDuration::from_secs(30)); // 240 buckets
    }

    #[test]
    fn keeps_the_peak_and_counts_kills_in_their_bucket() {
        // The kill at 19 s is by the container's own cgroup: it reached its limit (10)
        // between scrapes, so the bucket's peak is the limit, not the 9 scraped.
        let mut m = MemoryBuckets::new(SimDuration::from_secs(100), SimDuration::from_secs(10));
        for (t, ws) in [(10, 5), (15, 9), (19, 7), (20, 3)] {
            m.sample(&Sample {
                time: SimTime::from_secs(t),
                workload: "api",
                pod: "api-1",
                container: "istio-proxy",
                working_set: ws,
                limit: Some(10),
            });
        }
        m.event(&EventRecord {
            time: SimTime::from_secs(19),
            workload: "api",
            node: "n",
            pod: "api-1",
            container: "istio-proxy",
            limit: Some(10),
            kind: EventKind::OomKilled,
            reason: "OOMKilled",
            exit_code: Some(137),
            message: "",
            cgroup: "container",
            grew: "istio-proxy",
        });
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        m.write("baseline", "0", &mut w).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "baseline,0,10.000,api,istio-proxy,10,10,1,0\nbaseline,0,20.000,api,istio-proxy,3,10,0,0\n"
        );
    }
}
