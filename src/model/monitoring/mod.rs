//! Monitoring: what Prometheus would see — scrapes of every container's working set
//! (cAdvisor), request and 503 counts bucketed per scrape interval with the error
//! budget's burn rates (see [`slo`]), and alert rules evaluated at every scrape (see
//! [`alerts`]).
//!
//! Observing never changes a run: scrapes evaluate usage without advancing any state.

pub mod alerts;
pub mod slo;

use crate::engine::SimTime;
use crate::model::cluster::container::Termination;
use crate::model::cluster::pod::PodKey;
use crate::model::config::Trigger;
use crate::model::record::{EventKind, Sample, SloSample};
use crate::model::routing::RequestTally;
use crate::model::world::{Cx, Note, Signal};
use alerts::{AlertExpr, Transition};
use slo::BurnWindows;

/// Monitoring's timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// Scrape every container.
    Scrape,
    /// End of a traffic bucket: error-budget burn, alert rules.
    SloTick,
    /// The evaluation window starts.
    EvaluationStart,
}

/// Prometheus' state over a run.
pub(crate) struct Monitoring {
    pub(crate) burn: BurnWindows,
    /// Request totals at the last bucket boundary and at the evaluation start.
    at_last_bucket: RequestTally,
    pub(crate) at_evaluation: RequestTally,
    /// The first alert to fire, and when.
    pub(crate) first_alert: Option<(SimTime, String)>,
    /// When the evaluation window started.
    pub(crate) window_start: Option<SimTime>,
}

impl Monitoring {
    /// Monitoring for a run configured by `cx.cfg`.
    pub(crate) fn new(cfg: &crate::model::SimConfig) -> Self {
        Monitoring {
            burn: BurnWindows::new(
                cfg.slo_target,
                cfg.scrape_interval,
                // A triggered window has not started until its trigger.
                if cfg.evaluate_on.is_some() {
                    SimTime::NEVER
                } else {
                    cfg.evaluate_after
                },
            ),
            at_last_bucket: RequestTally::default(),
            at_evaluation: RequestTally::default(),
            first_alert: None,
            window_start: None,
        }
    }

    /// Starts the loops (at the start of the run).
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        if cx.wants_samples() {
            cx.schedule(cx.now, Event::Scrape);
        }
        cx.schedule(cx.now + cx.cfg.scrape_interval, Event::SloTick);
        if cx.cfg.evaluate_on.is_none() {
            cx.schedule(cx.cfg.evaluate_after, Event::EvaluationStart);
        }
    }

    /// Handles a timer; `total` gives the requests and 503s of the whole mesh so far.
    pub(crate) fn handle(
        &mut self,
        event: Event,
        cx: &mut Cx<'_>,
        total: &mut dyn FnMut(&Cx<'_>) -> RequestTally,
    ) {
        match event {
            Event::Scrape => self.scrape(cx),
            Event::SloTick => {
                cx.schedule(cx.now + cx.cfg.scrape_interval, Event::SloTick);
                let total = total(cx);
                self.slo_tick(cx, total);
            }
            Event::EvaluationStart => self.start_evaluation(cx, total(cx)),
        }
    }

    /// The evaluation window starts now, with `total` requests so far.
    pub(crate) fn start_evaluation(&mut self, cx: &mut Cx<'_>, total: RequestTally) {
        if cx.cluster.evaluating {
            return;
        }
        cx.cluster.evaluating = true;
        self.window_start = Some(cx.now);
        self.at_evaluation = total;
        self.burn.evaluate_from(cx.now);
    }

    /// Whether `trigger` (just seen) starts the evaluation window.
    pub(crate) fn starts_evaluation(&self, cx: &Cx<'_>, trigger: &Trigger) -> bool {
        !cx.cluster.evaluating
            && cx.now >= cx.cfg.evaluate_after
            && cx.cfg.evaluate_on.as_ref() == Some(trigger)
    }

    fn slo_tick(&mut self, cx: &mut Cx<'_>, total: RequestTally) {
        let bucket = total.since(&self.at_last_bucket);
        self.at_last_bucket = total;
        // The SLO counts every failed request: the mesh's 503s and the application's own
        // failures (5xx, timeouts, DNS) when a service it calls fails.
        let burn = self
            .burn
            .push(cx.now, bucket.requests, bucket.total_errors());
        self.evaluate_alerts(cx);
        if cx.wants_samples() {
            let now = cx.now;
            cx.recorder().slo(&SloSample {
                time: now,
                requests: bucket.requests,
                errors_503: bucket.errors_503,
                app_errors: bucket.app,
                burn_5m: burn.burn_5m,
                burn_1h: burn.burn_1h,
            });
        }
    }

    /// Every container's working set and limit, like cAdvisor read by Prometheus.
    fn scrape(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        cx.schedule(now + cx.cfg.scrape_interval, Event::Scrape);
        let (cfg, cluster, rec) = cx.observe();
        for pod in cluster.pods() {
            if pod.node.is_none() {
                continue;
            }
            let workload = cfg.workloads[pod.workload].name.as_str();
            for c in &pod.containers {
                let limit = c.limit();
                rec.sample(&Sample {
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

    /// Evaluates every rule for every container now.
    fn evaluate_alerts(&mut self, cx: &mut Cx<'_>) {
        let rules = &cx.cfg.alerts;
        if rules.is_empty() {
            return;
        }
        let now = cx.now;
        let mut transitions: Vec<(PodKey, u16, usize, Transition, String)> = Vec::new();
        for key in cx.cluster.pod_keys() {
            let Some(pod) = cx.cluster.pod_mut(key) else {
                continue;
            };
            for (idx, c) in pod.containers.iter_mut().enumerate() {
                c.alerts.resize_with(rules.len(), Default::default);
                for (r, rule) in rules.iter().enumerate() {
                    let (holds, value) = match rule.expr {
                        AlertExpr::MemoryNearLimit { ratio } => {
                            let v = c.usage_at(now) / c.limit();
                            (v > ratio, format!("usage/limit {v:.2}"))
                        }
                        AlertExpr::RestartRate { window, above } => {
                            let v = c.restart_history.rate(now, c.restart_count, window);
                            (v > above, format!("restart rate {v:.4}/s"))
                        }
                        AlertExpr::LastTerminatedOomKilled => (
                            c.last_termination == Some(Termination::OomKilled),
                            "last terminated: OOMKilled".to_string(),
                        ),
                    };
                    if let Some(t) = c.alerts[r].eval(now, holds, rule.hold_for) {
                        transitions.push((key, idx as u16, r, t, value));
                    }
                }
            }
        }
        for (key, idx, r, t, value) in transitions {
            let name = cx.cfg.alerts[r].name.clone();
            let kind = match t {
                Transition::Fired => {
                    if self.first_alert.is_none() {
                        self.first_alert = Some((now, name.clone()));
                    }
                    cx.signal(Signal::Triggered(Trigger::AlertFiring(name.clone())));
                    EventKind::AlertFiring
                }
                Transition::Resolved => EventKind::AlertResolved,
            };
            cx.emit(Some(key), Some(idx), Note::new(kind, &name, &value));
        }
    }
}
