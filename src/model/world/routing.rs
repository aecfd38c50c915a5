//! Traffic: service rates, endpoints as clients see them, and request outcomes.
//!
//! A service's ready pods form its endpoints; clients' proxies learn of a change only
//! `endpoint_propagation` later (the EDS push). Clients spread the rate evenly over the
//! endpoints they know (Envoy's round-robin). A request to a known endpoint that is no
//! longer ready fails with 503 UF (connection refused); requests in flight on a pod whose
//! container is killed fail with 503 UC (connection reset); with no endpoint known at
//! all, 503 UH.
//!
//! Fluid fidelity integrates these rates over time; per-request fidelity draws Poisson
//! arrivals at the same rate and sends each to the next known endpoint in turn.

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, Exp, StandardNormal};

use super::{ContainerRef, Event, World, container_in};
use crate::engine::{EventKey, RngStreams, SimDuration, SimRng, SimTime};
use crate::model::config::Fidelity;
use crate::model::pod::PodKey;
use crate::model::record::Recorder;
use crate::model::traffic::{Noise, RequestTally, ResponseFlag, ServiceTraffic};

/// A service's live traffic state.
pub(super) struct Service {
    workload: usize,
    noise: Noise,
    arrivals: SimRng,
    route: SimRng,
    /// Current rate, requests per second.
    rate: f64,
    /// Ready pods, in creation order (the EndpointSlice).
    endpoints: Vec<PodKey>,
    /// The endpoints clients route to: the EndpointSlice as it was a propagation ago.
    view: Vec<PodKey>,
    /// Endpoint snapshots on their way to the clients, with their arrival instants.
    in_transit: VecDeque<(SimTime, Vec<PodKey>)>,
    /// Rate of requests sent to known endpoints that are not ready (fluid).
    failing_rate: f64,
    next_endpoint: usize,
    accounted: SimTime,
    arrival: Option<EventKey>,
    pub(super) tally: RequestTally,
}

impl Service {
    pub(super) fn new(t: &ServiceTraffic, name: &str, streams: &RngStreams) -> Self {
        Service {
            workload: t.workload,
            noise: Noise::new(t.noise, streams.stream(&format!("traffic/{name}/noise"))),
            arrivals: streams.stream(&format!("traffic/{name}/arrivals")),
            route: streams.stream(&format!("traffic/{name}/route")),
            rate: 0.0,
            endpoints: Vec::new(),
            view: Vec::new(),
            in_transit: VecDeque::new(),
            failing_rate: 0.0,
            next_endpoint: 0,
            accounted: SimTime::ZERO,
            arrival: None,
            tally: RequestTally::default(),
        }
    }
}

impl<R: Recorder> World<'_, R> {
    fn traffic(&self, s: usize) -> &ServiceTraffic {
        &self.cfg.traffic[s]
    }

    fn fluid(&self) -> bool {
        self.cfg.fidelity == Fidelity::Fluid
    }

    pub(super) fn start_service(&mut self, now: SimTime, s: usize) {
        let ready = self.ready_pods(self.services[s].workload);
        self.services[s].endpoints = ready.clone();
        self.services[s].view = ready;
        self.queue.schedule(now, Event::TrafficGrid(s));
        let b = self.traffic(s).profile.next_breakpoint(now);
        if b != SimTime::NEVER {
            self.queue.schedule(b, Event::TrafficBreak(s));
        }
    }

    fn ready_pods(&self, w: usize) -> Vec<PodKey> {
        self.workloads[w]
            .pods
            .iter()
            .copied()
            .filter(|&k| self.pod(k).is_some_and(|p| p.ready))
            .collect()
    }

    pub(super) fn on_traffic_grid(&mut self, now: SimTime, s: usize) {
        if now > SimTime::ZERO {
            self.services[s].noise.step();
        }
        let next = now + self.traffic(s).noise.resample;
        self.queue.schedule(next, Event::TrafficGrid(s));
        self.update_rate(now, s);
    }

    pub(super) fn on_traffic_break(&mut self, now: SimTime, s: usize) {
        let b = self.traffic(s).profile.next_breakpoint(now);
        if b != SimTime::NEVER {
            self.queue.schedule(b, Event::TrafficBreak(s));
        }
        self.update_rate(now, s);
    }

    fn update_rate(&mut self, now: SimTime, s: usize) {
        self.account(now, s);
        let rate = self.traffic(s).profile.rate_at(now) * self.services[s].noise.factor();
        self.services[s].rate = rate;
        self.spread(now, s);
        if !self.fluid() {
            self.next_arrival(now, s);
        }
    }

    /// Integrates requests and failures up to `now` (fluid fidelity).
    pub(super) fn account(&mut self, now: SimTime, s: usize) {
        let fluid = self.fluid();
        let svc = &mut self.services[s];
        if fluid {
            let dt = (now - svc.accounted).as_secs_f64();
            svc.tally.requests += svc.rate * dt;
            if svc.view.is_empty() {
                svc.tally.fail(ResponseFlag::Uh, svc.rate * dt);
            } else {
                svc.tally.fail(ResponseFlag::Uf, svc.failing_rate * dt);
            }
        }
        svc.accounted = now;
    }

    /// A workload's ready pods changed: update its services' endpoints, which reach the
    /// clients a propagation delay later.
    pub(super) fn endpoints_changed(&mut self, now: SimTime, w: usize) {
        if self
            .cfg
            .control_plane
            .as_ref()
            .is_some_and(|cp| cp.istiod.workload == w)
        {
            let ready = self.ready_pods(w);
            self.istiod_endpoints_changed(now, ready);
        }
        let delay = self.cfg.endpoint_propagation;
        for s in 0..self.services.len() {
            if self.services[s].workload != w {
                continue;
            }
            self.account(now, s);
            let ready = self.ready_pods(w);
            self.services[s].endpoints = ready.clone();
            if delay.is_zero() {
                self.services[s].view = ready;
            } else {
                self.services[s].in_transit.push_back((now + delay, ready));
                self.queue
                    .schedule(now + delay, Event::EndpointsPropagated(s));
            }
            self.spread(now, s);
        }
    }

    pub(super) fn on_endpoints_propagated(&mut self, now: SimTime, s: usize) {
        self.account(now, s);
        let svc = &mut self.services[s];
        while svc.in_transit.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, view)) = svc.in_transit.pop_front() {
                svc.view = view;
            }
        }
        self.spread(now, s);
    }

    /// Requests in flight on `pod` fail with 503 UC: its container was killed.
    pub(super) fn reset_in_flight(&mut self, pod: PodKey) {
        let Some(p) = self.pod(pod) else { return };
        let latency = p
            .containers
            .iter()
            .map(|c| c.request_latency())
            .fold(0.0, f64::max);
        let lost = p.rps * latency;
        let w = p.workload;
        for svc in self.services.iter_mut().filter(|s| s.workload == w) {
            svc.tally.fail(ResponseFlag::Uc, lost);
        }
    }

    /// A new pod's share of its workload's load: a log-normal weight with mean 1 drawn
    /// from the pod's own stream, or 1 when the service is balanced evenly.
    pub(super) fn load_weight(&self, w: usize, ordinal: u32) -> f64 {
        let sigma = self
            .cfg
            .traffic
            .iter()
            .find(|t| t.workload == w)
            .map_or(0.0, |t| t.imbalance);
        if sigma <= 0.0 {
            return 1.0;
        }
        let name = &self.cfg.workloads[w].name;
        let mut rng = self.streams.stream(&format!("pod/{name}/{ordinal}/weight"));
        let z: f64 = StandardNormal.sample(&mut rng);
        (sigma * z - sigma * sigma / 2.0).exp()
    }

    /// `true` when `key` answers requests: ready, or draining after deletion.
    fn serves(&self, key: PodKey) -> bool {
        self.pod(key).is_some_and(|p| p.ready || p.terminating)
    }

    /// A pod's weight (1 for a pod that is gone).
    fn weight(&self, key: PodKey) -> f64 {
        self.pod(key).map_or(1.0, |p| p.weight)
    }

    /// Each known endpoint gets its weighted share: live ones serve it, the others fail.
    pub(super) fn spread(&mut self, now: SimTime, s: usize) {
        let svc = &self.services[s];
        let total: f64 = svc.view.iter().map(|&k| self.weight(k)).sum();
        let per_weight = if total > 0.0 { svc.rate / total } else { 0.0 };
        let (serving, failing): (Vec<PodKey>, Vec<PodKey>) =
            svc.view.iter().partition(|&&k| self.serves(k));
        let failing_weight: f64 = failing.iter().map(|&k| self.weight(k)).sum();
        self.services[s].failing_rate = per_weight * failing_weight;
        let others: Vec<PodKey> = self.workloads[self.services[s].workload]
            .pods
            .iter()
            .copied()
            .filter(|k| !serving.contains(k))
            .collect();
        for key in serving {
            let share = per_weight * self.weight(key);
            self.set_pod_rps(now, key, share);
        }
        for key in others {
            self.set_pod_rps(now, key, 0.0);
        }
    }

    fn set_pod_rps(&mut self, now: SimTime, key: PodKey, rps: f64) {
        let fluid = self.fluid();
        let Some(pod) = self.pod_mut(key) else { return };
        if pod.rps == rps {
            return;
        }
        pod.rps = rps;
        for idx in 0..pod.containers.len() as u16 {
            let Some(pod) = self.pod_mut(key) else { return };
            let c = &mut pod.containers[usize::from(idx)];
            if c.is_running() {
                c.advance(now);
                c.note_peak();
                c.set_rps(rps, fluid);
            }
            self.rewake(now, ContainerRef { pod: key, idx });
        }
    }

    /// Per-request fidelity: draws the next arrival at the current rate.
    fn next_arrival(&mut self, now: SimTime, s: usize) {
        let svc = &mut self.services[s];
        if let Some(k) = svc.arrival.take() {
            self.queue.cancel(k);
        }
        if let Ok(exp) = Exp::new(svc.rate) {
            let gap: f64 = exp.sample(&mut svc.arrivals);
            let at = now + SimDuration::from_secs_f64_ceil(gap);
            svc.arrival = Some(self.queue.schedule(at, Event::Arrival(s)));
        }
    }

    pub(super) fn on_arrival(&mut self, now: SimTime, s: usize) {
        let svc = &mut self.services[s];
        svc.arrival = None;
        svc.tally.requests += 1.0;
        if svc.view.is_empty() {
            svc.tally.fail(ResponseFlag::Uh, 1.0);
        } else {
            let key = self.pick_endpoint(s);
            if self.serves(key) {
                self.deliver(now, key);
            } else {
                self.services[s].tally.fail(ResponseFlag::Uf, 1.0);
            }
        }
        self.next_arrival(now, s);
    }

    /// The endpoint a request goes to: round-robin when the load is even, otherwise a
    /// draw weighted by the pods' shares.
    fn pick_endpoint(&mut self, s: usize) -> PodKey {
        let weights: Vec<f64> = self.services[s]
            .view
            .iter()
            .map(|&k| self.weight(k))
            .collect();
        let svc = &mut self.services[s];
        if weights.iter().all(|&w| w == 1.0) {
            let key = svc.view[svc.next_endpoint % svc.view.len()];
            svc.next_endpoint = svc.next_endpoint.wrapping_add(1);
            return key;
        }
        let total: f64 = weights.iter().sum();
        let mut x = svc.route.random::<f64>() * total;
        for (&key, w) in svc.view.iter().zip(&weights) {
            if x < *w {
                return key;
            }
            x -= w;
        }
        *svc.view.last().expect("a non-empty view")
    }

    /// One request reaches every running container of pod `key`.
    fn deliver(&mut self, now: SimTime, key: PodKey) {
        let Some(pod) = self.pod(key) else { return };
        for idx in 0..pod.containers.len() as u16 {
            let c = ContainerRef { pod: key, idx };
            let Some(container) = container_in(&mut self.pods, c) else {
                return;
            };
            if container.is_running() {
                container.advance(now);
                container.on_request(now);
                self.after_jump(now, c);
            }
        }
    }
}
