//! Routing: each Service's load, its endpoints as clients see them, and what becomes of
//! every request.
//!
//! A service's rate is `profile(t) × noise(t)`. The profile (constant, steps, ramps,
//! spikes, diurnal) is deterministic; the noise is a mean-one log-normal
//! Ornstein–Uhlenbeck process drawn on a fixed grid, so a variant that adds a spike still
//! draws the same noise as its baseline. The rate is held constant between updates
//! (grid points and the profile's own discontinuities): ramps and the diurnal wave are
//! followed at the grid's resolution (10 s by default).
//!
//! A service's ready pods form its endpoints; clients' proxies learn of a change only
//! `endpoint_propagation` later (the EDS push). Clients spread the rate over the
//! endpoints they know, each pod by its weight. A request to a known endpoint that is no
//! longer ready fails with 503 UF (connection refused); requests in flight on a pod whose
//! container is killed fail with 503 UC (connection reset); with no endpoint known at
//! all, 503 UH.
//!
//! Fluid fidelity integrates these rates over time; per-request fidelity draws Poisson
//! arrivals at the same rate and sends each to an endpoint drawn by weight.

pub mod calls;
mod noise;
mod outcome;
mod profile;

pub use noise::{Noise, NoiseSpec};
pub use outcome::{AppError, RequestTally, ResponseFlag};
pub use profile::{Diurnal, LoadProfile, Ramp, Spike, Step};

use std::collections::VecDeque;

use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Distribution, Exp, StandardNormal};

use crate::engine::{EventKey, RngStreams, SimDuration, SimRng, SimTime};
use crate::model::cluster::pod::PodKey;
use crate::model::world::{Cx, Signal};

/// The traffic of one service (a workload's Service).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTraffic {
    /// Index of the workload whose pods back the service.
    pub workload: usize,
    /// Deterministic load profile.
    pub profile: LoadProfile,
    /// Random fluctuation around it.
    pub noise: NoiseSpec,
    /// Spread of the load between pods: each pod draws a fixed weight, log-normal with
    /// mean 1 and this standard deviation of its log (0: perfectly even). Real balancing
    /// is uneven — keep-alive connections pin clients to pods, clients differ.
    pub imbalance: f64,
}

/// Routing's timers, per service.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A noise grid point.
    TrafficGrid(usize),
    /// A discontinuity of the load profile.
    TrafficBreak(usize),
    /// Per-request fidelity: a request arrives.
    Arrival(usize),
    /// An endpoint change reaches the clients.
    EndpointsPropagated(usize),
}

/// A service's live traffic state.
struct Service {
    workload: usize,
    noise: Noise,
    arrivals: SimRng,
    route: SimRng,
    /// Current rate, requests per second.
    rate: f64,
    /// The endpoints clients route to: the EndpointSlice as it was a propagation ago.
    view: Vec<PodKey>,
    /// Endpoint snapshots on their way to the clients, with their arrival instants.
    in_transit: VecDeque<(SimTime, Vec<PodKey>)>,
    /// Rate of requests sent to known endpoints that are not ready (fluid).
    failing_rate: f64,
    accounted: SimTime,
    /// The noise's next resample (`SimTime::NEVER` before the first).
    next_grid: SimTime,
    arrival: Option<EventKey>,
    tally: RequestTally,
    /// The back of `in_transit` was announced before traffic started and is filled in
    /// when it starts (the endpoints cannot change in between).
    unfilled: bool,
    /// Per-request fidelity's draw over `view` by weight (Walker's alias method: one
    /// step a draw, where a search of running sums took one per halving); rebuilt on the
    /// first draw after a change. `None` while no weight is positive.
    picker: Option<WeightedAliasIndex<f64>>,
    picker_stale: bool,
}

impl Service {
    fn new(t: &ServiceTraffic, name: &str, streams: &RngStreams) -> Self {
        Service {
            workload: t.workload,
            noise: Noise::new(t.noise, streams.stream(&format!("traffic/{name}/noise"))),
            arrivals: streams.stream(&format!("traffic/{name}/arrivals")),
            route: streams.stream(&format!("traffic/{name}/route")),
            rate: 0.0,
            view: Vec::new(),
            in_transit: VecDeque::new(),
            failing_rate: 0.0,
            accounted: SimTime::ZERO,
            next_grid: SimTime::NEVER,
            arrival: None,
            tally: RequestTally::default(),
            unfilled: false,
            picker: None,
            picker_stale: true,
        }
    }
}

/// Every service's traffic.
pub(crate) struct Routing {
    services: Vec<Service>,
    /// Traffic has started. Before, every rate is zero and so is every pod's load:
    /// spreading would change nothing, and is skipped (start-up stays linear in pods).
    started: bool,
    /// Scratch of `spread`: per pod slot, the pass in which the pod was found serving.
    seen: Vec<u64>,
    pass: u64,
    /// Scratch of `spread`: the loads it announces.
    shares: Vec<(PodKey, f64)>,
}

impl Routing {
    /// The services of `traffic`, their streams from `streams`.
    pub(crate) fn new(
        traffic: &[ServiceTraffic],
        names: impl Fn(usize) -> String,
        streams: &RngStreams,
    ) -> Self {
        Routing {
            services: traffic
                .iter()
                .map(|t| Service::new(t, &names(t.workload), streams))
                .collect(),
            started: false,
            seen: Vec::new(),
            pass: 0,
            shares: Vec::new(),
        }
    }

    /// Handles one of routing's timers.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::TrafficGrid(s) => {
                if cx.now > SimTime::ZERO {
                    self.services[s].noise.step();
                }
                let next = cx.now + cx.cfg.traffic[s].noise.resample;
                cx.schedule(next, Event::TrafficGrid(s));
                self.services[s].next_grid = next;
                self.update_rate(cx, s);
            }
            Event::TrafficBreak(s) => {
                let b = cx.cfg.traffic[s].profile.next_breakpoint(cx.now);
                if b != SimTime::NEVER {
                    cx.schedule(b, Event::TrafficBreak(s));
                }
                self.update_rate(cx, s);
            }
            Event::Arrival(s) => self.on_arrival(cx, s),
            Event::EndpointsPropagated(s) => self.on_endpoints_propagated(cx, s),
        }
    }

    /// Starts every service's traffic (at the start of the run).
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        self.started = true;
        for s in 0..self.services.len() {
            let ready = cx.cluster.ready_pods(self.services[s].workload);
            let svc = &mut self.services[s];
            if svc.unfilled {
                svc.unfilled = false;
                if let Some((_, view)) = svc.in_transit.back_mut() {
                    view.clone_from(&ready);
                }
            }
            svc.view = ready;
            svc.picker_stale = true;
            cx.schedule(cx.now, Event::TrafficGrid(s));
            let b = cx.cfg.traffic[s].profile.next_breakpoint(cx.now);
            if b != SimTime::NEVER {
                cx.schedule(b, Event::TrafficBreak(s));
            }
        }
    }

    fn update_rate(&mut self, cx: &mut Cx<'_>, s: usize) {
        self.account(cx, s);
        let rate = cx.cfg.traffic[s].profile.rate_at(cx.now) * self.services[s].noise.factor();
        self.services[s].rate = rate;
        self.spread(cx, s);
        if !cx.fluid() {
            self.next_arrival(cx, s);
        }
    }

    /// Integrates requests and failures of service `s` up to now (fluid fidelity).
    fn account(&mut self, cx: &Cx<'_>, s: usize) {
        let fluid = cx.fluid();
        let svc = &mut self.services[s];
        if fluid {
            let dt = (cx.now - svc.accounted).as_secs_f64();
            svc.tally.requests += svc.rate * dt;
            if svc.view.is_empty() {
                svc.tally.fail(ResponseFlag::Uh, svc.rate * dt);
            } else {
                svc.tally.fail(ResponseFlag::Uf, svc.failing_rate * dt);
            }
        }
        svc.accounted = cx.now;
    }

    /// Requests and failures of every service so far.
    pub(crate) fn total(&mut self, cx: &Cx<'_>) -> RequestTally {
        let mut total = RequestTally::default();
        for s in 0..self.services.len() {
            self.account(cx, s);
            total.add(&self.services[s].tally);
        }
        total
    }

    /// Workload `w`'s ready pods changed: its services' endpoints change, and reach the
    /// clients a propagation delay later. Changes at one instant travel together: the
    /// clients see the last of them (one snapshot and one event, not one per pod).
    pub(crate) fn endpoints_changed(&mut self, cx: &mut Cx<'_>, w: usize) {
        let delay = cx.cfg.endpoint_propagation;
        let at = cx.now + delay;
        for s in 0..self.services.len() {
            if self.services[s].workload != w {
                continue;
            }
            self.account(cx, s);
            if !self.started {
                // The initial pods: the endpoints are read once, when traffic starts.
                let svc = &mut self.services[s];
                if !delay.is_zero() && !svc.unfilled {
                    svc.unfilled = true;
                    svc.in_transit.push_back((at, Vec::new()));
                    cx.schedule(at, Event::EndpointsPropagated(s));
                }
                continue;
            }
            let ready = cx.cluster.ready_pods(w);
            let svc = &mut self.services[s];
            if delay.is_zero() {
                svc.view = ready;
            } else {
                match svc.in_transit.back_mut() {
                    Some((t, view)) if *t == at => *view = ready,
                    _ => {
                        svc.in_transit.push_back((at, ready));
                        cx.schedule(at, Event::EndpointsPropagated(s));
                    }
                }
            }
            self.spread(cx, s);
        }
    }

    fn on_endpoints_propagated(&mut self, cx: &mut Cx<'_>, s: usize) {
        self.account(cx, s);
        let svc = &mut self.services[s];
        while svc.in_transit.front().is_some_and(|(t, _)| *t <= cx.now) {
            if let Some((_, view)) = svc.in_transit.pop_front() {
                svc.view = view;
            }
        }
        self.spread(cx, s);
    }

    /// A container of a pod of workload `w` was killed: the `lost` requests it held in
    /// flight fail with 503 UC.
    pub(crate) fn container_stopped(&mut self, w: usize, lost: f64) {
        for svc in self.services.iter_mut().filter(|s| s.workload == w) {
            svc.tally.fail(ResponseFlag::Uc, lost);
        }
    }

    /// A pod left the cluster: every service spreads its load again.
    pub(crate) fn pod_removed(&mut self, cx: &mut Cx<'_>) {
        for s in 0..self.services.len() {
            self.account(cx, s);
            self.spread(cx, s);
        }
    }

    /// A new pod's share of its workload's load: a log-normal weight with mean 1 drawn
    /// from the pod's own stream, or 1 when the service is balanced evenly.
    pub(crate) fn weigh(&mut self, cx: &mut Cx<'_>, key: PodKey) {
        let Some(pod) = cx.cluster.pod(key) else {
            return;
        };
        let (w, ordinal) = (pod.workload, pod.ordinal);
        let sigma = cx
            .cfg
            .traffic
            .iter()
            .find(|t| t.workload == w)
            .map_or(0.0, |t| t.imbalance);
        if sigma <= 0.0 {
            return;
        }
        let name = &cx.cfg.workloads[w].name;
        let mut rng = cx.streams.stream(&format!("pod/{name}/{ordinal}/weight"));
        let z: f64 = StandardNormal.sample(&mut rng);
        if let Some(pod) = cx.cluster.pod_mut(key) {
            pod.weight = (sigma * z - sigma * sigma / 2.0).exp();
        }
    }

    /// Each known endpoint gets its weighted share: live ones serve it, the others fail.
    /// Linear in the endpoints and the workload's pods.
    fn spread(&mut self, cx: &mut Cx<'_>, s: usize) {
        if !self.started {
            return;
        }
        self.pass += 1;
        let pass = self.pass;
        let cluster = &*cx.cluster;
        let weight = |k: PodKey| cluster.pod(k).map_or(1.0, |p| p.weight);
        let svc = &mut self.services[s];
        svc.picker_stale = true;
        let total: f64 = svc.view.iter().map(|&k| weight(k)).sum();
        let per_weight = if total > 0.0 { svc.rate / total } else { 0.0 };
        self.shares.clear();
        let mut failing_weight = 0.0;
        for &k in &svc.view {
            match cluster.pod(k) {
                Some(p) if p.ready || p.terminating => {
                    let slot = k.slot as usize;
                    if self.seen.len() <= slot {
                        self.seen.resize(slot + 1, 0);
                    }
                    self.seen[slot] = pass;
                    self.shares.push((k, per_weight * p.weight));
                }
                _ => failing_weight += weight(k),
            }
        }
        // A live pod has a slot of its own: its mark is its own.
        let seen = &self.seen;
        let others = cluster.deployments[svc.workload]
            .pods
            .iter()
            .filter(|k| seen.get(k.slot as usize) != Some(&pass));
        self.shares.extend(others.map(|&k| (k, 0.0)));
        svc.failing_rate = per_weight * failing_weight;
        // The rate is set again at the noise's next resample (when there is noise) or
        // the profile's next breakpoint, whichever comes first.
        let traffic = &cx.cfg.traffic[s];
        let resample = if traffic.noise.sd > 0.0 {
            svc.next_grid
        } else {
            SimTime::NEVER
        };
        let until = resample.min(traffic.profile.next_breakpoint(cx.now));
        for &(pod, rps) in &self.shares {
            cx.signal(Signal::LoadChanged { pod, rps, until });
        }
    }

    /// Per-request fidelity: draws the next arrival at the current rate.
    fn next_arrival(&mut self, cx: &mut Cx<'_>, s: usize) {
        let svc = &mut self.services[s];
        if let Some(k) = svc.arrival.take() {
            cx.cancel(k);
        }
        if let Ok(exp) = Exp::new(svc.rate) {
            let gap: f64 = exp.sample(&mut svc.arrivals);
            let at = cx.now + SimDuration::from_secs_f64_ceil(gap);
            svc.arrival = Some(cx.schedule(at, Event::Arrival(s)));
        }
    }

    fn on_arrival(&mut self, cx: &mut Cx<'_>, s: usize) {
        let svc = &mut self.services[s];
        svc.arrival = None;
        svc.tally.requests += 1.0;
        if svc.view.is_empty() {
            svc.tally.fail(ResponseFlag::Uh, 1.0);
        } else if let Some(key) = self.pick_endpoint(cx, s) {
            let serves = cx
                .cluster
                .pod(key)
                .is_some_and(|p| p.ready || p.terminating);
            if serves {
                cx.signal(Signal::Request(key));
            } else {
                self.services[s].tally.fail(ResponseFlag::Uf, 1.0);
            }
        }
        self.next_arrival(cx, s);
    }

    /// The endpoint a request goes to: a draw weighted by the pods' shares. Many
    /// clients, each balancing on its own, make each endpoint's arrivals a thinned
    /// Poisson stream — independent between pods — not the near-regular sequence one
    /// global round-robin would give. `None` when the service has no endpoints.
    fn pick_endpoint(&mut self, cx: &Cx<'_>, s: usize) -> Option<PodKey> {
        let svc = &mut self.services[s];
        if svc.picker_stale {
            let cluster = &*cx.cluster;
            let weights = svc.view.iter();
            let weights = weights.map(|&k| cluster.pod(k).map_or(1.0, |p| p.weight));
            svc.picker = WeightedAliasIndex::new(weights.collect()).ok();
            svc.picker_stale = false;
        }
        let last = svc.view.len().checked_sub(1)?;
        let i = svc
            .picker
            .as_ref()
            .map_or(last, |p| p.sample(&mut svc.route));
        svc.view.get(i.min(last)).copied()
    }
}
