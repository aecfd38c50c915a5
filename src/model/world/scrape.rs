//! Scrapes: every container's working set and limit, like cAdvisor read by Prometheus.
//!
//! A scrape evaluates usage without advancing any state, so sampling (or not) never
//! changes a run's outcome.

use super::{Event, World};
use crate::engine::SimTime;
use crate::model::record::{Recorder, Sample};

impl<R: Recorder> World<'_, R> {
    pub(super) fn on_scrape(&mut self, now: SimTime) {
        self.queue
            .schedule(now + self.cfg.scrape_interval, Event::Scrape);
        for pod in self.pods.iter().flatten() {
            if pod.node.is_none() {
                continue;
            }
            let workload = self.cfg.workloads[pod.workload].name.as_str();
            for c in &pod.containers {
                let limit = c.limit();
                self.rec.sample(&Sample {
                    time: now,
                    workload,
                    pod: pod.name(),
                    container: c.name(),
                    working_set: c.usage_at(now).max(0.0) as u64,
                    limit: limit.is_finite().then_some(limit as u64),
                });
            }
        }
    }
}
