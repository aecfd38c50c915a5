//! Service dependencies: the calls a workload's requests make to other services — a
//! Redis (cache-aside: GET, on a miss the database, then SET), a database — each first
//! resolving a name through cluster DNS unless the client has it cached.
//!
//! The subsystem keeps, per caller, the rate its pods serve (from routing) and what its
//! dependencies look like (announced by `redis`, `database` and `dns`), computes the flow
//! of its requests through them (see [`flow`]) and announces what follows for the
//! others: the load on each Redis, database and on cluster DNS, and how long requests
//! wait on their calls — which the kernel turns into in-flight memory. Requests that fail
//! in the application are counted by kind: 5xx, timeouts, DNS failures.
//!
//! A client cache of resolved names (a JVM's `networkaddress.cache.ttl`, a pooled
//! connection that outlives its lookup) with TTL `τ` answers a share `xτ/(1 + xτ)` of
//! calls made `x` times a second per pod; when lookups start failing, what it holds runs
//! out over `τ`. glibc itself caches nothing.

pub mod flow;

use crate::engine::{EventKey, SimDuration, SimTime};
use crate::model::cluster::ContainerRef;
use crate::model::cluster::pod::PodKey;
use crate::model::database::Mmc;
use crate::model::dns::NameView;
use crate::model::redis::CacheView;
use crate::model::redis::keyspace::Load;
use crate::model::routing::{AppError, RequestTally};
use crate::model::world::{Cx, Signal};
use flow::{Flow, Inputs};

/// What a call goes to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Redis workload (index into the configuration's Redis list).
    Redis(usize),
    /// A database (index into the configuration's databases).
    Database(usize),
}

/// On a cache miss: read the database, then SET the value back.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MissSpec {
    /// The database.
    pub database: usize,
    /// How long the caller waits for it.
    pub timeout: SimDuration,
    /// Its name, if DNS is modelled (index into the DNS names).
    pub host: Option<usize>,
}

/// One kind of call each request makes.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSpec {
    /// The service called.
    pub target: Target,
    /// Calls per request (fan-out; may be fractional: a share of requests).
    pub per_request: f64,
    /// How long the caller waits for the service.
    pub timeout: SimDuration,
    /// Round trip of one Redis command.
    pub latency: SimDuration,
    /// The name resolved, if DNS is modelled (index into the DNS names).
    pub host: Option<usize>,
    /// Share of Redis calls that are writes (SET) rather than GETs.
    pub write_share: f64,
    /// A refused write fails the request (an unhandled client error) rather than being
    /// ignored.
    pub write_errors_fail: bool,
    /// Cache-aside: what a missed GET does.
    pub on_miss: Option<MissSpec>,
}

/// A workload whose requests call other services.
#[derive(Clone, Debug, PartialEq)]
pub struct CallerSpec {
    /// The calling workload.
    pub workload: usize,
    /// Its calls, in order.
    pub calls: Vec<CallSpec>,
    /// TTL of the client's cache of resolved names (None: no cache).
    pub dns_cache: Option<SimDuration>,
}

/// The callers' timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// Re-evaluate caller `i` while its cached names run out.
    Tick(usize),
    /// Re-evaluate caller `i` once its pods' new rates have all arrived (routing announces
    /// them one pod at a time, at one instant).
    Rates(usize),
}

#[derive(Default)]
struct Caller {
    rates: Vec<(PodKey, f64)>,
    flow: Flow,
    tick: Option<EventKey>,
    pending: bool,
}

/// Every caller's flows and failures.
pub(crate) struct Calls {
    callers: Vec<Caller>,
    caches: Vec<(CacheView, u32)>,
    dbs: Vec<(Mmc, f64)>,
    dns: Vec<NameView>,
    failing_since: Vec<Option<SimTime>>,
    sent_cache: Vec<(Load, Load)>,
    tally: RequestTally,
    accounted: SimTime,
}

impl Calls {
    /// The callers of `cfg`, their dependencies as they are before anything runs.
    pub(crate) fn new(cfg: &crate::model::SimConfig) -> Self {
        let names = cfg.dns.as_ref().map_or(0, |d| d.names.len());
        let up = CacheView {
            available: 0.0,
            hit: 0.0,
            accept: 1.0,
        };
        Calls {
            callers: cfg.callers.iter().map(|_| Caller::default()).collect(),
            caches: cfg.redis.iter().map(|r| (up, r.shards)).collect(),
            dbs: cfg.databases.iter().map(|d| (d.queue(), 0.0)).collect(),
            dns: vec![NameView::default(); names],
            failing_since: vec![None; names],
            sent_cache: vec![(Load::default(), Load::default()); cfg.redis.len()],
            tally: RequestTally::default(),
            accounted: SimTime::ZERO,
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Tick(i) => {
                self.callers[i].tick = None;
                self.recompute(cx, i);
            }
            Event::Rates(i) => {
                self.callers[i].pending = false;
                self.recompute(cx, i);
            }
        }
    }

    fn caller_of(cx: &Cx<'_>, pod: PodKey) -> Option<usize> {
        let w = cx.cluster.pod(pod)?.workload;
        cx.cfg.callers.iter().position(|c| c.workload == w)
    }

    /// Routing sends pod `pod` `rps` requests per second.
    pub(crate) fn load_changed(&mut self, cx: &mut Cx<'_>, pod: PodKey, rps: f64) {
        let Some(i) = Self::caller_of(cx, pod) else {
            return;
        };
        let rates = &mut self.callers[i].rates;
        match rates.iter_mut().find(|(k, _)| *k == pod) {
            Some(r) if r.1 == rps => return,
            Some(r) => r.1 = rps,
            None => rates.push((pod, rps)),
        }
        rates.retain(|&(k, r)| r > 0.0 || k == pod);
        if !self.callers[i].pending {
            // Requests were still served at the old rates until now: count them first.
            self.account(cx.now);
            self.callers[i].pending = true;
            cx.schedule(cx.now, Event::Rates(i));
        }
    }

    /// A pod is gone: it serves nothing any more.
    pub(crate) fn pod_removed(&mut self, cx: &mut Cx<'_>, pod: PodKey) {
        for i in 0..self.callers.len() {
            let before = self.callers[i].rates.len();
            self.callers[i].rates.retain(|&(k, _)| k != pod);
            if self.callers[i].rates.len() != before {
                self.recompute(cx, i);
            }
        }
    }

    /// A caller's container started: its requests wait on their calls as the others do.
    pub(crate) fn container_started(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        if let Some(i) = Self::caller_of(cx, c.pod) {
            let secs = self.callers[i].flow.wait;
            cx.signal(Signal::DependencyWait { pod: c.pod, secs });
        }
    }

    /// A Redis workload's view changed.
    pub(crate) fn cache_view(&mut self, cx: &mut Cx<'_>, r: usize, view: CacheView) {
        self.caches[r].0 = view;
        self.recompute_all(cx);
    }

    /// A database's total load changed (callers already solved their share of it; a
    /// change within rounding is only recorded).
    pub(crate) fn db_load(&mut self, cx: &mut Cx<'_>, d: usize, qps: f64) {
        let moved = differs(qps, self.dbs[d].1);
        self.dbs[d].1 = qps;
        if moved {
            self.recompute_all(cx);
        }
    }

    /// What lookups cost changed.
    pub(crate) fn dns_view(&mut self, cx: &mut Cx<'_>, view: Vec<NameView>) {
        for (h, v) in view.iter().enumerate() {
            match (v.p_fail > 0.0, self.failing_since[h]) {
                (true, None) => self.failing_since[h] = Some(cx.now),
                (false, Some(_)) => self.failing_since[h] = None,
                _ => {}
            }
        }
        self.dns = view;
        self.recompute_all(cx);
    }

    fn recompute_all(&mut self, cx: &mut Cx<'_>) {
        for i in 0..self.callers.len() {
            self.recompute(cx, i);
        }
    }

    /// Application failures so far, counted up to now.
    pub(crate) fn total(&mut self, cx: &Cx<'_>) -> RequestTally {
        self.account(cx.now);
        self.tally
    }

    fn account(&mut self, now: SimTime) {
        let dt = now.since(self.accounted).as_secs_f64();
        for c in &self.callers {
            for (k, kind) in AppError::ALL.into_iter().enumerate() {
                self.tally.fail_app(kind, c.flow.fail[k] * dt);
            }
        }
        self.accounted = now;
    }

    /// Share of calls to name `h` answered from caller `i`'s cache, at `per_pod` calls
    /// per second per pod.
    fn cached(&self, cx: &Cx<'_>, i: usize, h: usize, per_pod: f64) -> f64 {
        let Some(ttl) = cx.cfg.callers[i].dns_cache else {
            return 0.0;
        };
        let tau = ttl.as_secs_f64();
        let steady = per_pod * tau / (1.0 + per_pod * tau);
        match self.failing_since[h] {
            Some(t) => steady * (1.0 - cx.now.since(t).as_secs_f64() / tau).clamp(0.0, 1.0),
            None => steady,
        }
    }

    /// Caller `i`'s flow from its current rate and dependencies; announces what changed.
    ///
    /// A database's load depends on its own latency (a request that times out makes no
    /// further calls), so the caller's share is solved as a fixed point: the load `x` at
    /// which the others' load plus this caller's load at `x` is `x` (this caller's load
    /// falls as `x` rises, so the root is unique; regula falsi).
    fn recompute(&mut self, cx: &mut Cx<'_>, i: usize) {
        self.account(cx.now);
        let spec = &cx.cfg.callers[i];
        let rate: f64 = self.callers[i].rates.iter().map(|r| r.1).sum();
        let pods = self.callers[i].rates.iter().filter(|r| r.1 > 0.0).count();
        let cached = |h: usize, per_pod: f64| self.cached(cx, i, h, per_pod);
        let old_db = &self.callers[i].flow.db;
        let mut dbs = self.dbs.clone();
        for (d, q) in dbs.iter_mut().enumerate() {
            q.1 = (q.1 - old_db.get(d).copied().unwrap_or(0.0)).max(0.0);
        }
        let others: Vec<f64> = dbs.iter().map(|q| q.1).collect();
        let eval = |dbs: &[(Mmc, f64)]| {
            flow::flow(
                &spec.calls,
                &Inputs {
                    rate,
                    pods: pods as f64,
                    caches: &self.caches,
                    dbs,
                    dns: &self.dns,
                    cached: &cached,
                },
            )
        };
        let rounds = if dbs.len() > 1 { 3 } else { 1 };
        for _ in 0..rounds {
            for d in 0..dbs.len() {
                let mine_at = |x: f64, dbs: &mut Vec<(Mmc, f64)>| {
                    dbs[d].1 = x;
                    eval(dbs).db[d]
                };
                let lo = others[d];
                let top = mine_at(lo, &mut dbs);
                if top <= 0.0 {
                    dbs[d].1 = lo;
                    continue;
                }
                // g(x) = others + mine(x) − x falls from `top` at `lo` to ≤ 0 at
                // `lo + top`: regula falsi (Illinois) finds its root in a few steps.
                let (mut a, mut ga) = (lo, top);
                let mut b = lo + top;
                let mut gb = others[d] + mine_at(b, &mut dbs) - b;
                let mut side = 0;
                let mut x = b;
                for _ in 0..40 {
                    if gb.abs() <= 1e-10 * b.max(1.0) || (b - a).abs() <= 1e-12 * b.max(1.0) {
                        x = b;
                        break;
                    }
                    x = (a * gb - b * ga) / (gb - ga);
                    let gx = others[d] + mine_at(x, &mut dbs) - x;
                    if gx * gb < 0.0 {
                        (a, ga) = (b, gb);
                        side = 0;
                    } else {
                        if side == 1 {
                            ga *= 0.5;
                        }
                        side = 1;
                    }
                    (b, gb) = (x, gx);
                }
                dbs[d].1 = x;
            }
        }
        let new = eval(&dbs);
        let old = std::mem::replace(&mut self.callers[i].flow, new);
        let new = &self.callers[i].flow;
        if new.wait != old.wait {
            for &(pod, _) in &self.callers[i].rates {
                cx.signal(Signal::DependencyWait {
                    pod,
                    secs: new.wait,
                });
            }
        }
        for (d, (&q, &was)) in new.db.iter().zip(&old.db).enumerate() {
            if differs(q, was) {
                cx.signal(Signal::DbLoad {
                    db: d,
                    caller: i,
                    qps: q,
                });
            }
        }
        if new.lookups != old.lookups && !new.lookups.is_empty() {
            cx.signal(Signal::DnsLoad {
                caller: i,
                lookups: new.lookups.clone(),
            });
        }
        self.send_cache_loads(cx);
        self.schedule_tick(cx, i);
    }

    /// Every Redis workload's load per shard, summed over the callers.
    fn send_cache_loads(&mut self, cx: &mut Cx<'_>) {
        for r in 0..self.sent_cache.len() {
            let mut load = Load::default();
            let mut nominal = Load::default();
            let mut misses = 0.0;
            for c in &self.callers {
                if let (Some(l), Some(m), Some(n)) = (
                    c.flow.cache.get(r),
                    c.flow.misses.get(r),
                    c.flow.nominal.get(r),
                ) {
                    load.gets += l.gets;
                    load.writes += l.writes;
                    load.fill += l.fill;
                    misses += m;
                    nominal.gets += n.gets;
                    nominal.writes += n.writes;
                }
            }
            load.fill = if misses > 0.0 {
                load.fill / misses
            } else {
                1.0
            };
            nominal.fill = 1.0;
            let (was, _) = self.sent_cache[r];
            if differs(load.gets, was.gets)
                || differs(load.writes, was.writes)
                || differs(load.fill, was.fill)
            {
                self.sent_cache[r] = (load, nominal);
                cx.signal(Signal::CacheLoad {
                    redis: r,
                    load,
                    nominal,
                });
            }
        }
    }

    /// While a name caller `i` resolves is failing and its cache still holds it,
    /// re-evaluate as the cache runs out.
    fn schedule_tick(&mut self, cx: &mut Cx<'_>, i: usize) {
        let Some(ttl) = cx.cfg.callers[i].dns_cache else {
            return;
        };
        let decaying = self
            .failing_since
            .iter()
            .flatten()
            .any(|&t| cx.now < t + ttl);
        if decaying && self.callers[i].tick.is_none() {
            let step = SimDuration::from_secs_f64_ceil((ttl.as_secs_f64() / 20.0).clamp(0.5, 5.0));
            self.callers[i].tick = Some(cx.schedule(cx.now + step, Event::Tick(i)));
        }
    }
}

/// `true` when `a` and `b` differ by more than rounding (a part in 10⁹): what solving a
/// fixed point leaves is not a change worth announcing.
fn differs(a: f64, b: f64) -> bool {
    (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1e-9)
}
