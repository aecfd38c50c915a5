//! Alert rules, evaluated at every scrape like Prometheus does.

use super::{Note, World};
use crate::engine::SimTime;
use crate::model::alerts::{AlertExpr, Transition};
use crate::model::container::Termination;
use crate::model::pod::PodKey;
use crate::model::record::{EventKind, Recorder};

impl<R: Recorder> World<'_, R> {
    /// Evaluates every rule for every container at `now`.
    pub(super) fn evaluate_alerts(&mut self, now: SimTime) {
        let rules = &self.cfg.alerts;
        if rules.is_empty() {
            return;
        }
        let keys: Vec<PodKey> = self.pods.iter().flatten().map(|p| p.key).collect();
        let mut transitions = Vec::new();
        for key in keys {
            let Some(pod) = self.pod_mut(key) else {
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
            let name = self.cfg.alerts[r].name.clone();
            let kind = match t {
                Transition::Fired => {
                    if self.first_alert.is_none() {
                        self.first_alert = Some((now, name.clone()));
                    }
                    EventKind::AlertFiring
                }
                Transition::Resolved => EventKind::AlertResolved,
            };
            self.emit(now, Some(key), Some(idx), Note::new(kind, &name, &value));
        }
    }
}
