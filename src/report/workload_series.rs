//! `timeseries.csv`: each scrape's working sets summed up per workload and container.
//!
//! A row per pod and scrape grows with the mesh: 1,000 pods for a day at 15 s scrapes is
//! ~800 MB per replica. What a capacity planner reads off a time series is the
//! workload's: how many pods, their mean and largest working set against the limit —
//! what `container_memory_working_set_bytes` aggregated by `container` and the
//! Deployment gives in Prometheus. So `timeseries.csv` keeps one row per scrape,
//! workload and container, and the per-pod rows go to `pod-timeseries.csv` only when a
//! scenario asks (`output.podTimeseries: true`).

use crate::engine::SimTime;
use crate::model::Sample;

/// Column headers of `timeseries.csv`.
pub const WORKLOAD_SERIES_HEADER: &str = "variant,replica,time_s,workload,container,pods,working_set_mean_bytes,working_set_max_bytes,limit_bytes";

/// One workload/container at one scrape.
#[derive(Clone, Debug)]
struct Row {
    workload: String,
    container: String,
    pods: u64,
    sum: u128,
    max: u64,
    limit: Option<u64>,
}

/// The rows of the scrape being read.
#[derive(Debug, Default)]
pub struct WorkloadSeries {
    time: Option<SimTime>,
    rows: Vec<Row>,
}

impl WorkloadSeries {
    /// Adds one container's scrape; a scrape at a new instant first hands the finished
    /// one's rows to `emit` (stopping at its first error).
    pub fn sample<E>(
        &mut self,
        s: &Sample<'_>,
        emit: impl FnMut(SeriesRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.time != Some(s.time) {
            self.flush(emit)?;
            self.time = Some(s.time);
        }
        let i = match self
            .rows
            .iter()
            .position(|r| r.workload == s.workload && r.container == s.container)
        {
            Some(i) => i,
            None => {
                self.rows.push(Row {
                    workload: s.workload.to_string(),
                    container: s.container.to_string(),
                    pods: 0,
                    sum: 0,
                    max: 0,
                    limit: None,
                });
                self.rows.len() - 1
            }
        };
        let r = &mut self.rows[i];
        r.pods += 1;
        r.sum += u128::from(s.working_set);
        r.max = r.max.max(s.working_set);
        r.limit = r.limit.max(s.limit);
        Ok(())
    }

    /// Hands the current scrape's rows to `emit`, in the order first seen (stopping at
    /// its first error).
    pub fn flush<E>(
        &mut self,
        mut emit: impl FnMut(SeriesRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(time) = self.time.take() else {
            return Ok(());
        };
        for r in self.rows.drain(..) {
            emit(SeriesRow {
                time,
                workload: &r.workload,
                container: &r.container,
                pods: r.pods,
                mean: (r.sum / u128::from(r.pods.max(1))) as u64,
                max: r.max,
                limit: r.limit,
            })?;
        }
        Ok(())
    }
}

/// A finished row of `timeseries.csv`.
#[derive(Copy, Clone, Debug)]
pub struct SeriesRow<'a> {
    /// Scrape instant.
    pub time: SimTime,
    /// Workload name.
    pub workload: &'a str,
    /// Container name.
    pub container: &'a str,
    /// Pods scraped (a container that is down counts, with working set 0).
    pub pods: u64,
    /// Mean working set over them, bytes (rounded down).
    pub mean: u64,
    /// Largest working set, bytes.
    pub max: u64,
    /// Largest limit among them (pods of two revisions may differ).
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn s(t: u64, w: &'static str, pod: &'static str, ws: u64) -> Sample<'static> {
        Sample {
            time: SimTime::ZERO + SimDuration::from_secs(t),
            workload: w,
            pod,
            container: "app",
            working_set: ws,
            limit: Some(100),
        }
    }

    #[test]
    fn one_row_per_scrape_and_workload() {
        let mut series = WorkloadSeries::default();
        let mut out = Vec::new();
        let mut emit = |r: SeriesRow<'_>| -> Result<(), ()> {
            out.push((r.time, r.workload.to_string(), r.pods, r.mean, r.max));
            Ok(())
        };
        for x in [
            s(0, "a", "a-1", 10),
            s(0, "a", "a-2", 31),
            s(0, "b", "b-1", 5),
            s(15, "a", "a-1", 20),
        ] {
            series.sample(&x, &mut emit).unwrap();
        }
        series.flush(&mut emit).unwrap();
        let t = |x| SimTime::ZERO + SimDuration::from_secs(x);
        assert_eq!(
            out,
            vec![
                (t(0), "a".into(), 2, 20, 31),
                (t(0), "b".into(), 1, 5, 5),
                (t(15), "a".into(), 1, 20, 20),
            ]
        );
    }
}
