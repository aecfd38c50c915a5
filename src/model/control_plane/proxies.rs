//! The mesh's proxies, in cohorts that move together: which istiod each is connected to,
//! how much of the mesh's clusters it holds, and how it reconnects when its istiod goes.
//!
//! When an istiod dies its proxies keep their last config and reconnect with Envoy's
//! jittered exponential back-off to an address of the istiod Service as kube-proxy has
//! it — which still lists the dead pod until kube-proxy catches up. Gateway traffic
//! through proxies that lack a destination's cluster fails 503 NR.

use rand::RngExt;

use super::{ChurnSpec, ControlPlane, ControlPlaneSpec, Event};
use crate::engine::{EventKey, RngStreams, SimDuration, SimRng, SimTime};
use crate::model::cluster::pod::PodKey;
use crate::model::record::EventKind;
use crate::model::routing::ResponseFlag;
use crate::model::world::{Cx, Note};

/// Proxies that move together.
pub(super) struct Cohort {
    pub(super) proxies: u32,
    pub(super) connected: Option<PodKey>,
    /// Share of the mesh's clusters the proxies hold.
    pub(super) known: f64,
    pub(super) attempt: u32,
    pub(super) retry: Option<EventKey>,
    pub(super) rng: SimRng,
    /// Since when the cohort has lacked clusters.
    pub(super) missing_since: Option<SimTime>,
}

/// A churn burst in progress.
pub(super) struct Churn {
    spec: ChurnSpec,
    left: u32,
    until: SimTime,
}

/// The mesh's proxies, `spec.cohort_size` to a cohort, each with its own stream.
pub(super) fn cohorts(spec: &ControlPlaneSpec, streams: &RngStreams) -> Vec<Cohort> {
    let size = spec.cohort_size.max(1);
    let n = spec.proxies.div_ceil(size) as usize;
    (0..n)
        .map(|i| Cohort {
            proxies: size.min(spec.proxies - i as u32 * size),
            connected: None,
            known: 1.0,
            attempt: 0,
            retry: None,
            rng: streams.stream(&format!("xds/cohort/{i}")),
            missing_since: None,
        })
        .collect()
}

impl ControlPlane {
    /// Integrates gateway traffic and its 503 NR up to `now`.
    pub(super) fn account(&mut self, now: SimTime) {
        let dt = now.since(self.accounted).as_secs_f64();
        self.accounted = now;
        let n = (self.spec.gateway_rps * dt).max(0.0);
        if n == 0.0 {
            return;
        }
        let total = f64::from(self.spec.proxies.max(1));
        let missing: f64 = self
            .cohorts
            .iter()
            .map(|c| f64::from(c.proxies) / total * (1.0 - c.known))
            .sum();
        self.tally.requests += n;
        self.tally.fail(ResponseFlag::Nr, n * missing);
    }

    /// At the start of the run, proxies are spread over the istiod replicas.
    pub(crate) fn connect_initial(&mut self, cx: &mut Cx<'_>) {
        let pods: Vec<PodKey> = self.procs.iter().map(|p| p.pod).collect();
        self.kube_proxy.view = pods.clone();
        if pods.is_empty() {
            return;
        }
        for c in 0..self.cohorts.len() {
            let pod = pods[c % pods.len()];
            self.cohorts[c].connected = Some(pod);
            if let Some(i) = self.proc(pod) {
                self.procs[i].connected.push(c);
            }
        }
        for pod in pods {
            self.memory(cx, pod);
        }
    }

    /// Proxies of cohort `c` notice their stream closed and retry after a jittered
    /// back-off.
    pub(super) fn disconnected(&mut self, cx: &mut Cx<'_>, c: usize) {
        let cohort = &mut self.cohorts[c];
        cohort.connected = None;
        cohort.attempt = 0;
        let wait = jitter(&mut cohort.rng, self.spec.reconnect_initial);
        let key = cx.schedule(cx.now + wait, Event::XdsReconnect(c as u32));
        self.cohorts[c].retry = Some(key);
    }

    /// A proxy cohort tries to (re)connect to an address kube-proxy gives it.
    pub(super) fn on_xds_reconnect(&mut self, cx: &mut Cx<'_>, c: usize) {
        let now = cx.now;
        let cohort = &mut self.cohorts[c];
        cohort.retry = None;
        let view = &self.kube_proxy.view;
        if cohort.connected.is_some() || view.is_empty() {
            if cohort.connected.is_none() {
                self.retry_later(cx, c);
            }
            return;
        }
        let target = view[cohort.rng.random_range(0..view.len())];
        let gate = self.spec.istiod.sync_gate;
        let accepts = self.proc(target).is_some_and(|i| {
            let p = &self.procs[i];
            // Istio ≥ 1.8 serves once its informers have synced and its push context has
            // caught up with them, or once the gate's maximum wait is over.
            let caught_up = now >= p.synced_at && p.context_known >= 1.0 - 1e-9;
            let gate_open = match gate {
                None => true,
                Some(max) => caught_up || now >= p.listening_at + max,
            };
            now >= p.listening_at && gate_open
        });
        let Some(i) = self.proc(target).filter(|_| accepts) else {
            self.retry_later(cx, c);
            return;
        };
        self.cohorts[c].connected = Some(target);
        self.cohorts[c].attempt = 0;
        self.procs[i].connected.push(c);
        self.procs[i].queue.push_back((c, true));
        let known = self.procs[i].known_at(now, self.spec.istiod.informer_sync);
        let msg = format!(
            "{} proxies reconnected; istiod has {:.1} % of the mesh synced",
            self.cohorts[c].proxies,
            100.0 * known
        );
        cx.emit(
            Some(target),
            None,
            Note::new(EventKind::XdsConnected, "Connected", &msg),
        );
        self.pump(cx, target);
    }

    fn retry_later(&mut self, cx: &mut Cx<'_>, c: usize) {
        let cohort = &mut self.cohorts[c];
        cohort.attempt += 1;
        let ceiling = self
            .spec
            .reconnect_initial
            .saturating_mul(1u64 << cohort.attempt.min(20))
            .min(self.spec.reconnect_max);
        let wait = jitter(&mut cohort.rng, ceiling);
        let key = cx.schedule(cx.now + wait, Event::XdsReconnect(c as u32));
        self.cohorts[c].retry = Some(key);
    }

    /// A churn burst starts.
    pub(crate) fn start_churn(&mut self, cx: &mut Cx<'_>, spec: ChurnSpec) {
        self.churns.push(Churn {
            spec,
            left: spec.events,
            until: cx.now + spec.over,
        });
        self.next_churn(cx, self.churns.len() - 1);
    }

    fn next_churn(&mut self, cx: &mut Cx<'_>, i: usize) {
        let ch = &self.churns[i];
        if ch.left == 0 || cx.now >= ch.until {
            return;
        }
        let rate = f64::from(ch.spec.events) / ch.spec.over.as_secs_f64().max(1e-9);
        let gap = -(1.0 - self.rng.random::<f64>()).ln() / rate;
        let at = cx.now + SimDuration::from_secs_f64_ceil(gap);
        cx.schedule(at, Event::Churn(i as u32));
    }

    pub(super) fn on_churn(&mut self, cx: &mut Cx<'_>, i: usize) {
        let full = self.rng.random::<f64>() < self.churns[i].spec.full_share;
        self.churns[i].left -= 1;
        let pods: Vec<PodKey> = self
            .procs
            .iter()
            .filter(|p| p.listening_at <= cx.now)
            .map(|p| p.pod)
            .collect();
        for pod in pods {
            let Some(j) = self.proc(pod) else { continue };
            let step = self.procs[j].debouncer.on_event(cx.now, full);
            self.debounce_step(cx, pod, step);
        }
        self.next_churn(cx, i);
    }
}

/// A uniform wait in [0, `ceiling`] (full jitter).
fn jitter(rng: &mut SimRng, ceiling: SimDuration) -> SimDuration {
    SimDuration::from_secs_f64_ceil(ceiling.as_secs_f64() * rng.random::<f64>())
}
