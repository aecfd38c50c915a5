//! Traffic: service rates, endpoints and request outcomes.
//!
//! Fluid fidelity spreads a service's rate evenly over its ready pods (Envoy's default
//! round-robin balancing) and integrates requests and failures over time. Per-request
//! fidelity draws Poisson arrivals at the same rate and sends each to the next ready pod
//! in turn. A request that finds no ready pod fails with 503 UH.

use rand_distr::{Distribution, Exp};

use super::{ContainerRef, Event, World, container_in};
use crate::engine::{EventKey, RngStreams, SimRng, SimTime};
use crate::model::config::Fidelity;
use crate::model::pod::PodKey;
use crate::model::record::Recorder;
use crate::model::traffic::{Noise, RequestTally, ResponseFlag, ServiceTraffic};

/// A service's live traffic state.
pub(super) struct Service {
    workload: usize,
    noise: Noise,
    arrivals: SimRng,
    /// Current rate, requests per second.
    rate: f64,
    /// Ready endpoints, in pod creation order.
    endpoints: Vec<PodKey>,
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
            rate: 0.0,
            endpoints: Vec::new(),
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

    pub(super) fn start_service(&mut self, now: SimTime, s: usize) {
        self.services[s].endpoints = self.ready_pods(self.services[s].workload);
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
        match self.cfg.fidelity {
            Fidelity::Fluid => self.spread(now, s),
            Fidelity::PerRequest => self.next_arrival(now, s),
        }
    }

    /// Integrates requests and failures up to `now` (fluid fidelity).
    pub(super) fn account(&mut self, now: SimTime, s: usize) {
        let svc = &mut self.services[s];
        if self.cfg.fidelity == Fidelity::Fluid {
            let n = svc.rate * (now - svc.accounted).as_secs_f64();
            svc.tally.requests += n;
            if svc.endpoints.is_empty() {
                svc.tally.fail(ResponseFlag::Uh, n);
            }
        }
        svc.accounted = now;
    }

    /// A workload's ready pods changed: refresh the endpoints of its services.
    pub(super) fn endpoints_changed(&mut self, now: SimTime, w: usize) {
        for s in 0..self.services.len() {
            if self.services[s].workload == w {
                self.account(now, s);
                self.services[s].endpoints = self.ready_pods(w);
                if self.cfg.fidelity == Fidelity::Fluid {
                    self.spread(now, s);
                }
            }
        }
    }

    /// Fluid fidelity: each ready pod gets an equal share, the others none.
    fn spread(&mut self, now: SimTime, s: usize) {
        let svc = &self.services[s];
        let share = svc.rate / svc.endpoints.len().max(1) as f64;
        let pods = self.workloads[svc.workload].pods.clone();
        for key in pods {
            let rps = if self.pod(key).is_some_and(|p| p.ready) {
                share
            } else {
                0.0
            };
            self.set_pod_rps(now, key, rps);
        }
    }

    fn set_pod_rps(&mut self, now: SimTime, key: PodKey, rps: f64) {
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
                c.set_rps(rps);
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
            let at = now + crate::engine::SimDuration::from_secs_f64_ceil(gap);
            svc.arrival = Some(self.queue.schedule(at, Event::Arrival(s)));
        }
    }

    pub(super) fn on_arrival(&mut self, now: SimTime, s: usize) {
        let svc = &mut self.services[s];
        svc.arrival = None;
        svc.tally.requests += 1.0;
        if svc.endpoints.is_empty() {
            svc.tally.fail(ResponseFlag::Uh, 1.0);
        } else {
            let key = svc.endpoints[svc.next_endpoint % svc.endpoints.len()];
            svc.next_endpoint = svc.next_endpoint.wrapping_add(1);
            self.deliver(now, key);
        }
        self.next_arrival(now, s);
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
