//! Vertical pod autoscaling: the recommender watches usage and OOM kills, the admission
//! controller applies its target to new pods, and in Auto mode the updater evicts pods
//! whose requests fall outside the recommended bounds (one per minute).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Event, Note, World};
use crate::engine::{SimDuration, SimTime};
use crate::model::config::VpaMode;
use crate::model::container::ContainerSpec;
use crate::model::pod::PodKey;
use crate::model::record::{EventKind, Recorder};
use crate::model::units::Bytes;
use crate::model::vpa::{MemoryHistogram, Recommendation};

/// The recommender and updater loops run every minute (`--recommender-interval`,
/// `--updater-interval`).
pub(super) const VPA_INTERVAL: SimDuration = SimDuration::from_secs(60);

/// One VPA's live state: a histogram and a recommendation per container name.
#[derive(Default)]
pub(super) struct VpaState {
    histograms: BTreeMap<String, MemoryHistogram>,
    recommended: BTreeMap<String, Recommendation>,
}

impl<R: Recorder> World<'_, R> {
    fn vpa_of(&self, w: usize) -> Option<usize> {
        self.cfg.vpa.iter().position(|v| v.workload == w)
    }

    pub(super) fn on_vpa_tick(&mut self, now: SimTime, v: usize) {
        self.queue.schedule(now + VPA_INTERVAL, Event::VpaTick(v));
        let cfg = &self.cfg.vpa[v];
        let w = cfg.workload;
        let pods: Vec<PodKey> = self.workloads[w].pods.clone();
        let mut seen = Vec::new();
        for p in pods.iter().filter_map(|&k| self.pod(k)) {
            for c in p
                .containers
                .iter()
                .filter(|c| cfg.covers(c.name()) && c.is_running())
            {
                seen.push((c.name().to_string(), c.usage_at(now)));
            }
        }
        for (name, usage) in seen {
            self.vpas[v]
                .histograms
                .entry(name)
                .or_default()
                .observe(now, usage);
        }
        let names: Vec<String> = self.vpas[v].histograms.keys().cloned().collect();
        for name in names {
            let Some(rec) = self.vpas[v].histograms[&name].recommend() else {
                continue;
            };
            let old = self.vpas[v].recommended.insert(name.clone(), rec);
            let moved = old.is_none_or(|o| {
                (o.target.as_f64() - rec.target.as_f64()).abs() > 0.05 * o.target.as_f64()
            });
            if moved {
                let msg = format!(
                    "{}/{name}: target {} (lower {}, upper {})",
                    self.cfg.workloads[w].name, rec.target, rec.lower, rec.upper
                );
                self.emit(
                    now,
                    None,
                    None,
                    Note::new(EventKind::Recommendation, "VPA", &msg),
                );
            }
        }
        if self.cfg.vpa[v].mode == VpaMode::Auto {
            self.vpa_update(now, v, &pods);
        }
    }

    /// The updater: evict the oldest pod whose requests are outside the bounds.
    fn vpa_update(&mut self, now: SimTime, v: usize, pods: &[PodKey]) {
        let victim = pods.iter().copied().find(|&k| {
            self.pod(k).is_some_and(|p| {
                !p.terminating
                    && p.containers.iter().any(|c| {
                        let req = c.spec.resources.memory_request();
                        self.vpas[v]
                            .recommended
                            .get(c.name())
                            .is_some_and(|r| req < r.lower || req > r.upper)
                    })
            })
        });
        let Some(key) = victim else { return };
        let msg = "Pod was evicted by the VPA Updater to apply its recommendation";
        self.emit(
            now,
            Some(key),
            None,
            Note::new(EventKind::Evicted, "EvictedByVPA", msg),
        );
        let w = self.cfg.vpa[v].workload;
        self.evict(now, key);
        self.reconcile(now, w);
    }

    /// An OOM kill is a signal for the recommender.
    pub(super) fn vpa_oom(&mut self, now: SimTime, w: usize, container: &str, used: f64) {
        let Some(v) = self.vpa_of(w) else { return };
        if !self.cfg.vpa[v].covers(container) {
            return;
        }
        self.vpas[v]
            .histograms
            .entry(container.to_string())
            .or_default()
            .oom(now, used);
    }

    /// The admission controller: a new pod's containers get the recommended requests,
    /// limits scaled to keep their ratio.
    pub(super) fn vpa_admit(&self, w: usize, spec: &Arc<ContainerSpec>) -> Arc<ContainerSpec> {
        let Some(v) = self.vpa_of(w) else {
            return spec.clone();
        };
        let cfg = &self.cfg.vpa[v];
        let rec = self.vpas[v].recommended.get(&spec.name);
        let (Some(rec), true) = (rec, cfg.mode != VpaMode::Off && cfg.covers(&spec.name)) else {
            return spec.clone();
        };
        let mut s = (**spec).clone();
        let r = &mut s.resources;
        let ratio = match (r.requests.memory, r.limits.memory) {
            (Some(req), Some(lim)) if req.0 > 0 => Some(lim.as_f64() / req.as_f64()),
            _ => None,
        };
        r.requests.memory = Some(rec.target);
        if let Some(ratio) = ratio {
            r.limits.memory = Some(Bytes((rec.target.as_f64() * ratio) as u64));
        }
        Arc::new(s)
    }
}
