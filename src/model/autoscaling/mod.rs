//! Autoscaling: the Vertical Pod Autoscaler — its recommender watches usage and OOM
//! kills (see [`vpa`] for the histogram), its admission controller applies the target to
//! new pods, and in Auto mode its updater evicts pods whose requests fall outside the
//! recommended bounds (one per minute) — and the HorizontalPodAutoscaler, which sets a
//! Deployment's replicas from its pods' CPU or memory utilisation every 15 s (see
//! [`hpa`]).

pub mod hpa;
pub mod vpa;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::SimDuration;
use crate::model::cluster::container::ContainerSpec;
use crate::model::cluster::pod::PodKey;
use crate::model::config::VpaMode;
use crate::model::record::EventKind;
use crate::model::units::Bytes;
use crate::model::world::{Cx, Note, Signal};
use vpa::{MemoryHistogram, Recommendation};

/// The recommender and updater loops run every minute (`--recommender-interval`,
/// `--updater-interval`).
pub(crate) const VPA_INTERVAL: SimDuration = SimDuration::from_secs(60);

/// The autoscalers' timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// VPA `v`'s recommender and updater loops.
    VpaTick(usize),
    /// HPA `h`'s sync.
    HpaTick(usize),
}

/// One VPA's live state: a histogram and a recommendation per container name.
#[derive(Default)]
struct VpaState {
    histograms: BTreeMap<String, MemoryHistogram>,
    recommended: BTreeMap<String, Recommendation>,
}

/// Every VPA and HPA of the run.
pub(crate) struct Autoscaling {
    vpas: Vec<VpaState>,
    hpas: Vec<hpa::HpaState>,
}

impl Autoscaling {
    /// One state per configured VPA and HPA.
    pub(crate) fn new(vpas: usize, hpas: usize) -> Self {
        Autoscaling {
            vpas: (0..vpas).map(|_| VpaState::default()).collect(),
            hpas: vec![hpa::HpaState::default(); hpas],
        }
    }

    /// Starts the loops (at the start of the run).
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        for v in 0..self.vpas.len() {
            cx.schedule(cx.now + VPA_INTERVAL, Event::VpaTick(v));
        }
        for h in 0..self.hpas.len() {
            cx.schedule(cx.now + cx.cfg.hpa[h].sync_period, Event::HpaTick(h));
        }
    }

    /// Handles an autoscaler's timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::VpaTick(v) => self.on_vpa_tick(cx, v),
            Event::HpaTick(h) => self.on_hpa_tick(cx, h),
        }
    }

    /// One sync of HPA `h`: measure, recommend, normalise, scale.
    fn on_hpa_tick(&mut self, cx: &mut Cx<'_>, h: usize) {
        let spec = &cx.cfg.hpa[h];
        cx.schedule(cx.now + spec.sync_period, Event::HpaTick(h));
        let w = spec.workload;
        let current = cx.cluster.deployments[w].desired;
        if current == 0 && spec.min_replicas != 0 {
            return; // scaled to zero by hand: the HPA is disabled
        }
        let Some(pods) = hpa_metrics(cx, spec) else {
            return;
        };
        let Some((desired, util)) = hpa::recommend(spec, current, &pods) else {
            return;
        };
        let new = self.hpas[h].normalise(spec, cx.now, current, desired);
        if new == current {
            return;
        }
        // The controller's own wording (`horizontal.go`): "<metric> above target" on the
        // way up, "All metrics below target" on the way down.
        let reason = if new > current {
            format!(
                "{} resource utilization (percentage of request) above target",
                spec.metric.as_str()
            )
        } else {
            "All metrics below target".to_string()
        };
        let msg = format!(
            "{}: New size: {new}; reason: {reason} (measured {util} %, target {} %)",
            cx.cfg.workloads[w].name, spec.target
        );
        cx.emit(
            None,
            None,
            Note::new(EventKind::Rescaled, "SuccessfulRescale", &msg),
        );
        cx.signal(Signal::Scale {
            workload: w,
            replicas: new,
        });
    }

    fn vpa_of(cx: &Cx<'_>, w: usize) -> Option<usize> {
        cx.cfg.vpa.iter().position(|v| v.workload == w)
    }

    fn on_vpa_tick(&mut self, cx: &mut Cx<'_>, v: usize) {
        cx.schedule(cx.now + VPA_INTERVAL, Event::VpaTick(v));
        let cfg = &cx.cfg.vpa[v];
        let w = cfg.workload;
        let pods: Vec<PodKey> = cx.cluster.deployments[w].pods.clone();
        let mut seen = Vec::new();
        for p in pods.iter().filter_map(|&k| cx.cluster.pod(k)) {
            for c in p
                .containers
                .iter()
                .filter(|c| cfg.covers(c.name()) && c.is_running())
            {
                seen.push((c.name().to_string(), c.usage_at(cx.now)));
            }
        }
        for (name, usage) in seen {
            self.vpas[v]
                .histograms
                .entry(name)
                .or_default()
                .observe(cx.now, usage);
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
                    cx.cfg.workloads[w].name, rec.target, rec.lower, rec.upper
                );
                cx.emit(
                    None,
                    None,
                    Note::new(EventKind::Recommendation, "VPA", &msg),
                );
            }
        }
        if cx.cfg.vpa[v].mode == VpaMode::Auto {
            self.update(cx, v, &pods);
        }
    }

    /// The updater: evict the oldest pod whose requests are outside the bounds.
    fn update(&mut self, cx: &mut Cx<'_>, v: usize, pods: &[PodKey]) {
        let state = &self.vpas[v];
        let victim = pods.iter().copied().find(|&k| {
            cx.cluster.pod(k).is_some_and(|p| {
                !p.terminating
                    && p.containers.iter().any(|c| {
                        let req = c.spec.resources.memory_request();
                        state
                            .recommended
                            .get(c.name())
                            .is_some_and(|r| req < r.lower || req > r.upper)
                    })
            })
        });
        let Some(key) = victim else { return };
        let msg = "Pod was evicted by the VPA Updater to apply its recommendation";
        cx.emit(
            Some(key),
            None,
            Note::new(EventKind::Evicted, "EvictedByVPA", msg),
        );
        cx.signal(Signal::Evict(key));
    }

    /// An OOM kill of a container of workload `w` that was using `used` bytes is a
    /// signal for the recommender.
    pub(crate) fn oom(&mut self, cx: &Cx<'_>, w: usize, container: &str, used: f64) {
        let Some(v) = Self::vpa_of(cx, w) else {
            return;
        };
        if !cx.cfg.vpa[v].covers(container) {
            return;
        }
        self.vpas[v]
            .histograms
            .entry(container.to_string())
            .or_default()
            .oom(cx.now, used);
    }

    /// The admission controller: a new pod's containers get the recommended requests,
    /// limits scaled to keep their ratio.
    pub(crate) fn admit(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(w) = cx.cluster.pod(key).map(|p| p.workload) else {
            return;
        };
        let Some(v) = Self::vpa_of(cx, w) else {
            return;
        };
        let cfg = &cx.cfg.vpa[v];
        if cfg.mode == VpaMode::Off {
            return;
        }
        let Some(pod) = cx.cluster.pod_mut(key) else {
            return;
        };
        for c in &mut pod.containers {
            let rec = self.vpas[v].recommended.get(c.name());
            if let (Some(rec), true) = (rec, cfg.covers(c.name())) {
                c.respec(resized(&c.spec, rec));
            }
        }
    }
}

/// What the metrics pipeline reports for HPA `spec`'s pods; `None` when a container has
/// no request for the resource (the controller then cannot compute utilisation).
fn hpa_metrics(cx: &Cx<'_>, spec: &hpa::HpaSpec) -> Option<Vec<hpa::PodMetric>> {
    let now = cx.now;
    let d = &cx.cluster.deployments[spec.workload];
    let mut out = Vec::new();
    for p in d.pods.iter().filter_map(|&k| cx.cluster.pod(k)) {
        let mut request = 0.0;
        let mut usage: Option<f64> = None;
        for c in &p.containers {
            let r = &c.spec.resources;
            let (req, used) = match spec.metric {
                hpa::HpaMetric::Memory => (r.memory_request().as_f64(), c.usage_at(now)),
                hpa::HpaMetric::Cpu => {
                    let demand = c.spec.cpu.per_request.as_secs_f64() * c.load().rps;
                    let cap = c.spec.cpu_limit_cores().unwrap_or(f64::INFINITY);
                    (
                        r.requests.cpu.map_or(0.0, |m| m.as_cores()),
                        demand.min(cap),
                    )
                }
            };
            if req <= 0.0 {
                return None;
            }
            request += req;
            if c.is_running() {
                *usage.get_or_insert(0.0) += used;
            }
        }
        let placed = p.node.is_some();
        out.push(hpa::PodMetric {
            usage,
            request,
            ready: match spec.metric {
                hpa::HpaMetric::Memory => placed,
                hpa::HpaMetric::Cpu => placed && p.ready,
            },
        });
    }
    Some(out)
}

/// `spec` with the recommended memory request, its limit scaled to keep the ratio.
fn resized(spec: &Arc<ContainerSpec>, rec: &Recommendation) -> Arc<ContainerSpec> {
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
