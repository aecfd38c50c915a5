//! What a drill keeps of a run: events, scrapes and traffic buckets, owned, through the
//! model's [`Recorder`] — and whether the decision trigger has happened yet.
//!
//! The counters a trigger needs are kept as events arrive, so that the stop test
//! [`World::step_until`](crate::model::World::step_until) makes after every event is O(1).

use crate::engine::SimTime;
use crate::model::{EventKind, EventRecord, Recorder, Sample, SloSample};
use crate::scenario::compile::drill::{DecisionPoint, Trigger};

/// An event, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Ev {
    /// When.
    pub time: SimTime,
    /// Node, empty when none.
    pub node: String,
    /// Workload, empty for cluster-wide events.
    pub workload: String,
    /// Pod, empty for cluster-wide events.
    pub pod: String,
    /// Container, empty for pod-level events.
    pub container: String,
    /// The container's memory limit then, bytes.
    pub limit: Option<u64>,
    /// What happened.
    pub kind: EventKind,
    /// Reason.
    pub reason: String,
    /// Exit code of a termination.
    pub exit_code: Option<i32>,
    /// The model's message.
    pub message: String,
    /// For OOM kills: the cgroup that ran out.
    pub cgroup: String,
    /// For OOM kills: the container that grew.
    pub grew: String,
}

/// One scrape of one container.
#[derive(Clone, Debug, PartialEq)]
pub struct Scrape {
    /// When.
    pub time: SimTime,
    /// Workload.
    pub workload: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// Working set, bytes.
    pub working_set: u64,
    /// Limit, bytes.
    pub limit: Option<u64>,
}

/// Keeps a run's records for a drill.
#[derive(Clone, Debug)]
pub struct DrillRecorder {
    /// Every event, in order.
    pub events: Vec<Ev>,
    /// Scrapes (only when asked for: the session and the charted runs).
    pub scrapes: Vec<Scrape>,
    /// Traffic buckets.
    pub slo: Vec<SloSample>,
    /// Per (workload, container): the highest working set scraped from the judged
    /// window's start on, and the limit at that scrape.
    pub peaks: Vec<Peak>,
    keep_scrapes: bool,
    decision: Option<DecisionPoint>,
    count: u32,
    fired: bool,
    /// Peaks count from here (`NEVER` until a trigger fires).
    peaks_from: SimTime,
}

/// The highest working set of a container (any of its pods) in the judged window.
#[derive(Clone, Debug, PartialEq)]
pub struct Peak {
    /// Workload.
    pub workload: String,
    /// Container.
    pub container: String,
    /// Highest working set, bytes.
    pub bytes: u64,
    /// Its limit at that scrape, bytes.
    pub limit: Option<u64>,
}

impl DrillRecorder {
    /// A recorder that watches for `decision` (if any) and keeps scrapes if asked.
    /// Peaks count from `peaks_from`, or from the trigger when it is `None`.
    pub fn new(
        decision: Option<DecisionPoint>,
        keep_scrapes: bool,
        peaks_from: Option<SimTime>,
    ) -> Self {
        DrillRecorder {
            events: Vec::new(),
            scrapes: Vec::new(),
            slo: Vec::new(),
            peaks: Vec::new(),
            keep_scrapes,
            decision,
            count: 0,
            fired: false,
            peaks_from: peaks_from.unwrap_or(SimTime::NEVER),
        }
    }

    fn fire(&mut self, at: SimTime) {
        self.fired = true;
        self.peaks_from = self.peaks_from.min(at);
    }

    /// The trigger has happened (always false for a fixed instant).
    pub fn triggered(&self) -> bool {
        self.fired
    }

    fn watch(&mut self, time: SimTime, kind: EventKind, container: &str, reason: &str) {
        let Some(DecisionPoint::Trigger {
            trigger,
            container: only,
            not_before,
        }) = &self.decision
        else {
            return;
        };
        if self.fired || time < *not_before {
            return;
        }
        let mine = only.as_deref().is_none_or(|c| c == container);
        match trigger {
            Trigger::OomKills(n) if kind == EventKind::OomKilled && mine => {
                self.count += 1;
                if self.count >= *n {
                    self.fire(time);
                }
            }
            Trigger::Restarts(n) if kind == EventKind::Restarted && mine => {
                self.count += 1;
                if self.count >= *n {
                    self.fire(time);
                }
            }
            Trigger::AlertFiring(name) if kind == EventKind::AlertFiring && reason == name => {
                self.fire(time);
            }
            _ => {}
        }
    }
}

impl Recorder for DrillRecorder {
    fn sample(&mut self, s: &Sample<'_>) {
        if s.time >= self.peaks_from {
            match self
                .peaks
                .iter_mut()
                .find(|p| p.workload == s.workload && p.container == s.container)
            {
                Some(p) if p.bytes < s.working_set => {
                    p.bytes = s.working_set;
                    p.limit = s.limit;
                }
                Some(_) => {}
                None => self.peaks.push(Peak {
                    workload: s.workload.to_string(),
                    container: s.container.to_string(),
                    bytes: s.working_set,
                    limit: s.limit,
                }),
            }
        }
        if self.keep_scrapes {
            self.scrapes.push(Scrape {
                time: s.time,
                workload: s.workload.to_string(),
                pod: s.pod.to_string(),
                container: s.container.to_string(),
                working_set: s.working_set,
                limit: s.limit,
            });
        }
    }

    fn event(&mut self, e: &EventRecord<'_>) {
        self.watch(e.time, e.kind, e.container, e.reason);
        self.events.push(Ev {
            time: e.time,
            node: e.node.to_string(),
            workload: e.workload.to_string(),
            pod: e.pod.to_string(),
            container: e.container.to_string(),
            limit: e.limit,
            kind: e.kind,
            reason: e.reason.to_string(),
            exit_code: e.exit_code,
            message: e.message.to_string(),
            cgroup: e.cgroup.to_string(),
            grew: e.grew.to_string(),
        });
    }

    fn slo(&mut self, s: &SloSample) {
        if let Some(DecisionPoint::Trigger {
            trigger: Trigger::BurnRate { hour, above },
            not_before,
            ..
        }) = &self.decision
        {
            let burn = if *hour { s.burn_1h } else { s.burn_5m };
            if !self.fired && s.time >= *not_before && burn > *above {
                self.fire(s.time);
            }
        }
        self.slo.push(*s);
    }
}
