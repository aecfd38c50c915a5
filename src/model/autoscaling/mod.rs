//! Autoscaling: the Vertical Pod Autoscaler — its recommender watches usage and OOM
//! kills (see [`vpa`] for the histogram), its admission controller applies the target to
//! new pods, and in Auto mode its updater evicts pods to apply it.
//!
//! The updater follows kubernetes/autoscaler `vertical-pod-autoscaler/pkg/updater/`
//! (commit 55c37cd; docs/reference.md#vpa-updater-and-admission): every minute it ranks
//! the pods it may update — a request outside [lower, upper], a container OOM-killed
//! within 10 min of its start ("quick OOM", unless nothing would change), or a pod older
//! than 12 h whose requests are ≥ 10 % off the target (`update_priority_calculator.go`)
//! — scale-ups first, then by how far off (`PodPriority.Less`), and evicts them while the
//! workload keeps `configured − ⌊configured × 0.5⌋` pods running; a workload with fewer
//! than 2 live pods is never evicted (`--min-replicas`, `--eviction-tolerance`,
//! `pods_eviction_restriction.go`). The admission controller sets requests to the
//! target; with `RequestsAndLimits` the limit keeps its ratio to the request, with
//! `RequestsOnly` it stays, and every value is capped at it (`capping.go`).
//!
//! It also runs the HorizontalPodAutoscaler, which sets a Deployment's replicas from its
//! pods' CPU or memory utilisation every 15 s (see [`hpa`]).

pub mod hpa;
pub mod vpa;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::SimDuration;
use crate::model::cluster::container::ContainerSpec;
use crate::model::cluster::container::Termination;
use crate::model::cluster::pod::PodKey;
use crate::model::config::{ControlledValues, VpaMode};
use crate::model::record::EventKind;
use crate::model::units::Bytes;
use crate::model::world::{Cx, Note, Signal};
use vpa::{MemoryHistogram, Recommendation};

/// The recommender and updater loops run every minute (`--recommender-interval`,
/// `--updater-interval`).
pub(crate) const VPA_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// The updater leaves a workload with fewer live pods alone (`--min-replicas`).
const MIN_REPLICAS: usize = 2;
/// Share of the configured replicas the updater may have evicted at once
/// (`--eviction-tolerance`).
const EVICTION_TOLERANCE: f64 = 0.5;
/// A pod within its bounds is updated only after this long
/// (`--in-recommendation-bounds-eviction-lifetime-threshold`).
const POD_LIFETIME_UPDATE_THRESHOLD: SimDuration = SimDuration::from_secs(12 * 3600);
/// Smallest relative change worth an eviction (`--pod-update-threshold`).
const MIN_CHANGE_PRIORITY: f64 = 0.1;
/// An OOM kill this soon after the container started is a "quick OOM"
/// (`evictAfterOOMThreshold`).
const QUICK_OOM_THRESHOLD: SimDuration = SimDuration::from_secs(600);

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
        let min = vpa::POD_MIN_MEMORY / names.len().max(1) as f64;
        for name in names {
            let Some(rec) = self.vpas[v].histograms[&name].recommend(min) else {
                continue;
            };
            let rec = rec.capped(cfg.min_allowed, cfg.max_allowed, None);
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

    /// The updater: evict, in priority order, the pods it may update, as long as the
    /// workload keeps enough running.
    fn update(&mut self, cx: &mut Cx<'_>, v: usize, pods: &[PodKey]) {
        let cfg = &cx.cfg.vpa[v];
        let state = &self.vpas[v];
        let live: Vec<&crate::model::cluster::pod::Pod> = pods
            .iter()
            .filter_map(|&k| cx.cluster.pod(k))
            .filter(|p| !p.terminating)
            .collect();
        if live.len() < MIN_REPLICAS {
            return;
        }
        let configured = cx.cluster.deployments[cfg.workload].desired as usize;
        let tolerance = (configured as f64 * EVICTION_TOLERANCE) as usize;
        let running = live.iter().filter(|p| p.node.is_some()).count();
        let mut ranked: Vec<(PodKey, Priority, bool)> = live
            .iter()
            .filter_map(|p| {
                let age = cx.now - p.created + p.age_at_creation;
                priority(p, cfg, &state.recommended, age, cx.now)
                    .map(|pr| (p.key, pr, p.node.is_none()))
            })
            .collect();
        // Scale-ups first, then the largest change (a stable sort keeps pod order).
        ranked.sort_by(|a, b| {
            b.1.scale_up
                .cmp(&a.1.scale_up)
                .then(b.1.diff.total_cmp(&a.1.diff))
        });
        let mut evicted = 0;
        for (key, _, pending) in ranked {
            let alive = running.saturating_sub(evicted);
            let disruptable = alive + tolerance > configured
                || (configured == running && tolerance == 0 && evicted == 0);
            if !(pending || disruptable) {
                continue;
            }
            evicted += usize::from(!pending);
            let msg = "Pod was evicted by the VPA Updater to apply resource recommendation.";
            cx.emit(
                Some(key),
                None,
                Note::new(EventKind::Evicted, "EvictedByVPA", msg),
            );
            cx.signal(Signal::Evict(key));
        }
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
                c.respec(resized(&c.spec, rec, cfg));
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

/// Why the updater would update a pod (`PodPriority`).
struct Priority {
    /// Some container's target is above its request.
    scale_up: bool,
    /// |requests − targets| / requests, summed over the pod's covered containers.
    diff: f64,
}

/// The pod's update priority, or None when the updater leaves it alone
/// (`UpdatePriorityCalculator.AddPod`).
fn priority(
    pod: &crate::model::cluster::pod::Pod,
    cfg: &crate::model::VpaConfig,
    recommended: &BTreeMap<String, Recommendation>,
    age: SimDuration,
    now: crate::engine::SimTime,
) -> Option<Priority> {
    let (mut requested, mut target) = (0.0, 0.0);
    let (mut scale_up, mut outside, mut quick_oom) = (false, false, false);
    for c in pod.containers.iter().filter(|c| cfg.covers(c.name())) {
        let Some(rec) = recommended.get(c.name()) else {
            continue;
        };
        let rec = applied(rec, cfg, &c.spec);
        let req = c.spec.resources.memory_request();
        requested += req.as_f64();
        target += rec.target.as_f64();
        scale_up |= rec.target > req;
        outside |= req < rec.lower || req > rec.upper;
        quick_oom |= c.last_termination == Some(Termination::OomKilled)
            && c.last_run
                .is_some_and(|(start, end)| end - start < QUICK_OOM_THRESHOLD);
    }
    let base = requested.max(1.0);
    let diff = (base - target).abs() / base;
    if !outside && !quick_oom {
        let _ = now;
        if age < POD_LIFETIME_UPDATE_THRESHOLD || diff < MIN_CHANGE_PRIORITY {
            return None;
        }
    }
    if quick_oom && diff == 0.0 {
        return None;
    }
    Some(Priority { scale_up, diff })
}

/// The recommendation as applied to a container of `spec`: with `RequestsOnly`, capped
/// at its limit.
fn applied(
    rec: &Recommendation,
    cfg: &crate::model::VpaConfig,
    spec: &ContainerSpec,
) -> Recommendation {
    let limit = match cfg.controlled_values {
        ControlledValues::RequestsOnly => spec.resources.limits.memory,
        ControlledValues::RequestsAndLimits => None,
    };
    rec.capped(None, None, limit)
}

/// `spec` with the recommended memory request; with `RequestsAndLimits` its limit
/// scaled to keep the ratio (`GetProportionalLimit`), with `RequestsOnly` left as is.
fn resized(
    spec: &Arc<ContainerSpec>,
    rec: &Recommendation,
    cfg: &crate::model::VpaConfig,
) -> Arc<ContainerSpec> {
    let rec = applied(rec, cfg, spec);
    let mut s = (**spec).clone();
    let r = &mut s.resources;
    let ratio = match (r.requests.memory, r.limits.memory) {
        (Some(req), Some(lim)) if req.0 > 0 => Some(lim.as_f64() / req.as_f64()),
        _ => None,
    };
    r.requests.memory = Some(rec.target);
    if let (Some(ratio), ControlledValues::RequestsAndLimits) = (ratio, cfg.controlled_values) {
        r.limits.memory = Some(Bytes((rec.target.as_f64() * ratio) as u64));
    }
    Arc::new(s)
}
