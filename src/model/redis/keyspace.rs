//! One Redis server's keyspace as a fluid: keys grouped by popularity (as
//! `memory::cache` groups an application cache's keys), each group with the share of
//! its keys cached, and the rules of docs/reference.md#redis-memory-and-eviction for
//! what happens when `used_memory` reaches `maxmemory`.
//!
//! Per group `b` with `K` keys of `B` bytes each, `g` GETs and `w` direct writes per key
//! per second, a miss followed by a SET with probability `f`, a TTL `τ` (keys written
//! with one), and the share `c` cached:
//!
//! ```text
//! dc/dt = α (g f + w)(1 − c) − c/τ − μ c
//! ```
//!
//! - below `maxmemory` (or without one) every write is accepted (`α = 1`) and nothing is
//!   evicted (`μ = 0`): the exact exponential solution is followed along chords;
//! - at `maxmemory`, with keys the policy may evict: evictions free exactly what writes
//!   add, so `used_memory` stays at the limit; the policy sets how `μ` falls on the
//!   groups (see [`super::policy`]): LRU `μ = a e^(−aT)/(1 − e^(−aT))` (a key is dropped
//!   `T` after its last access; `a` its access rate), uniform `μ = 1/T`, LFU from the least
//!   popular group present; `T` is solved so evictions balance writes;
//! - at `maxmemory` with nothing evictable: Redis checks before each command, so writes
//!   go through only while expiries have brought memory back under the limit — the share
//!   `α` that expiries make room for; the rest are refused with `-OOM`. Reads work.
//!
//! Redis' counters (`keyspace_hits`, `keyspace_misses`, `evicted_keys`, `expired_keys`,
//! and the writes refused) are integrated exactly along each chord. A restart empties the
//! keyspace and zeroes the counters, as `INFO stats` does.
//!
//! Left out: expired keys that active expiry has not reclaimed yet (it samples 20 keys
//! with a TTL per loop and repeats while over 10 % were expired, so they stay a small
//! share), eviction's CPU cost in the command path, lazy freeing.

use std::sync::Arc;

use super::eviction::{self, Candidate};
use super::policy::MaxmemoryPolicy;
use crate::engine::{SimDuration, SimTime};

/// Keys of one popularity and kind, on one server.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct KeyClass {
    /// Keys in the group.
    pub keys: f64,
    /// Probability that one command of this server is for one given key of the group.
    pub per_key: f64,
    /// Keys written with a TTL (candidates for `volatile-*`).
    pub volatile: bool,
    /// `used_memory` of one key (see [`super::sizing::key_bytes`]).
    pub bytes: f64,
}

/// What the callers send one server.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Load {
    /// GETs per second.
    pub gets: f64,
    /// Probability that a missed GET is followed by a SET of that key (the value came
    /// back from the database in time).
    pub fill: f64,
    /// Direct writes (SET) per second.
    pub writes: f64,
}

/// Redis' `INFO stats` counters, since the process started.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Counters {
    /// `keyspace_hits`.
    pub hits: f64,
    /// `keyspace_misses`.
    pub misses: f64,
    /// `evicted_keys`.
    pub evicted: f64,
    /// `expired_keys`.
    pub expired: f64,
    /// Writes refused with `-OOM`.
    pub rejected: f64,
}

/// What holds along the current chord.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Regime {
    /// Under the limit: everything accepted.
    Free,
    /// At the limit, evicting.
    Evicting,
    /// At the limit, refusing writes.
    Refusing,
}

const MIN_STEP: f64 = 1.0;
const MAX_STEP: f64 = 600.0;
/// A chord may move at most this share of the keys.
const STEP_SHARE: f64 = 0.005;

/// One server's keyspace.
#[derive(Clone, Debug)]
pub struct Keyspace {
    classes: Arc<[KeyClass]>,
    ttl: Option<f64>,
    startup: f64,
    maxmemory: f64,
    policy: MaxmemoryPolicy,
    load: Load,
    cached: Vec<f64>,
    slopes: Vec<f64>,
    hazard: Vec<f64>,
    /// The last LRU horizon solved (a warm start for the next).
    lru_t: f64,
    accept: f64,
    regime: Regime,
    updated: SimTime,
    step_end: SimTime,
    /// Counters since the process started.
    pub counters: Counters,
}

impl Keyspace {
    /// An empty keyspace of `classes`, TTL `ttl` on volatile keys, `startup` bytes of an
    /// empty server, under `maxmemory` (0: none) and `policy`.
    pub fn new(
        classes: Arc<[KeyClass]>,
        ttl: Option<SimDuration>,
        startup: f64,
        maxmemory: f64,
        policy: MaxmemoryPolicy,
    ) -> Self {
        let n = classes.len();
        Keyspace {
            classes,
            ttl: ttl.map(|t| t.as_secs_f64()),
            startup,
            maxmemory,
            policy,
            load: Load::default(),
            cached: vec![0.0; n],
            slopes: vec![0.0; n],
            hazard: vec![0.0; n],
            lru_t: 3600.0,
            accept: 1.0,
            regime: Regime::Free,
            updated: SimTime::ZERO,
            step_end: SimTime::NEVER,
            counters: Counters::default(),
        }
    }

    /// The process (re)starts at `now`: no keys, counters at zero.
    pub fn restart(&mut self, now: SimTime, maxmemory: f64, policy: MaxmemoryPolicy) {
        self.cached.iter_mut().for_each(|c| *c = 0.0);
        self.counters = Counters::default();
        self.maxmemory = maxmemory;
        self.policy = policy;
        self.updated = now;
        self.new_step(now);
    }

    /// `used_memory` at the last update, bytes.
    pub fn used(&self) -> f64 {
        self.startup + self.dataset()
    }

    fn dataset(&self) -> f64 {
        self.classes
            .iter()
            .zip(&self.cached)
            .map(|(k, c)| k.keys * k.bytes * c)
            .sum()
    }

    /// Growth of `used_memory` along the current chord, bytes per second.
    pub fn used_slope(&self) -> f64 {
        self.classes
            .iter()
            .zip(&self.slopes)
            .map(|(k, s)| k.keys * k.bytes * s)
            .sum()
    }

    /// Keys held now.
    pub fn keys(&self) -> f64 {
        self.classes
            .iter()
            .zip(&self.cached)
            .map(|(k, c)| k.keys * c)
            .sum()
    }

    /// Share of GETs that hit, at the last update.
    pub fn hit_ratio(&self) -> f64 {
        let (mut hit, mut all) = (0.0, 0.0);
        for (k, c) in self.classes.iter().zip(&self.cached) {
            hit += k.keys * k.per_key * c;
            all += k.keys * k.per_key;
        }
        if all > 0.0 { hit / all } else { 0.0 }
    }

    /// Share of writes accepted along the current chord.
    pub fn accept(&self) -> f64 {
        self.accept
    }

    /// The regime of the current chord.
    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// `maxmemory` in bytes (0: none).
    pub fn maxmemory(&self) -> f64 {
        self.maxmemory
    }

    /// The policy in force.
    pub fn policy(&self) -> MaxmemoryPolicy {
        self.policy
    }

    /// When the current chord ends.
    pub fn step_end(&self) -> SimTime {
        self.step_end
    }

    /// A server that has in fact been running `secs` seconds under `load` before `now`
    /// (a pod of the scenario's initial state): its keyspace and counters as that
    /// history left them.
    pub fn warm_up(&mut self, now: SimTime, secs: f64, load: Load) {
        self.load = load;
        self.new_step(SimTime::ZERO);
        let end = SimTime::ZERO + SimDuration::from_secs_f64_ceil(secs);
        while self.step_end < end {
            let t = self.step_end;
            self.step(t);
        }
        self.advance(end);
        self.new_step(now);
    }

    /// The callers now send `load`.
    pub fn set_load(&mut self, now: SimTime, load: Load) {
        self.advance(now);
        self.load = load;
        self.new_step(now);
    }

    /// `CONFIG SET maxmemory` / `maxmemory-policy`: a lower limit evicts at once what no
    /// longer fits (as far as the policy can).
    pub fn configure(&mut self, now: SimTime, maxmemory: f64, policy: MaxmemoryPolicy) {
        self.advance(now);
        self.maxmemory = maxmemory;
        self.policy = policy;
        self.new_step(now);
    }

    /// Moves to `now` along the chord and starts the next one.
    pub fn step(&mut self, now: SimTime) {
        self.advance(now);
        self.new_step(now);
    }

    /// Per key of class `k`: (GETs/s, accesses/s, write attempts/s on an absent key).
    fn rates(&self, k: &KeyClass) -> (f64, f64, f64) {
        let g = self.load.gets * k.per_key;
        let w = self.load.writes * k.per_key;
        (g, g + w, g * self.load.fill + w)
    }

    fn expiry(&self, k: &KeyClass) -> f64 {
        match (k.volatile, self.ttl) {
            (true, Some(t)) if t > 0.0 => 1.0 / t,
            _ => 0.0,
        }
    }

    /// `used_memory` and the counters at `now` (not past the chord's end), without
    /// changing anything: what a scrape reads.
    pub fn at(&self, now: SimTime) -> (f64, Counters) {
        let dt = now.since(self.updated).as_secs_f64();
        let rates = self.counter_rates(dt);
        let c = &self.counters;
        let counters = Counters {
            hits: c.hits + rates.hits * dt,
            misses: c.misses + rates.misses * dt,
            evicted: c.evicted + rates.evicted * dt,
            expired: c.expired + rates.expired * dt,
            rejected: c.rejected + rates.rejected * dt,
        };
        (self.used() + self.used_slope() * dt, counters)
    }

    /// Mean rates of the counters over the next `dt` seconds of the chord.
    fn counter_rates(&self, dt: f64) -> Counters {
        let mut c = Counters::default();
        for (i, k) in self.classes.iter().enumerate() {
            let (g, _, ins) = self.rates(k);
            let mid = (self.cached[i] + 0.5 * self.slopes[i] * dt).clamp(0.0, 1.0);
            let w = self.load.writes * k.per_key;
            c.hits += k.keys * g * mid;
            c.misses += k.keys * g * (1.0 - mid);
            c.expired += k.keys * self.expiry(k) * mid;
            c.evicted += k.keys * self.hazard[i] * mid;
            c.rejected += (1.0 - self.accept) * k.keys * (ins * (1.0 - mid) + w * mid);
        }
        c
    }

    /// Integrates the counters and moves the keyspace to `now` along the chord.
    pub fn advance(&mut self, now: SimTime) {
        if now <= self.updated {
            return;
        }
        let dt = (now - self.updated).as_secs_f64();
        let c = self.counter_rates(dt);
        self.counters.hits += c.hits * dt;
        self.counters.misses += c.misses * dt;
        self.counters.expired += c.expired * dt;
        self.counters.evicted += c.evicted * dt;
        self.counters.rejected += c.rejected * dt;
        for (c, s) in self.cached.iter_mut().zip(&self.slopes) {
            *c = (*c + s * dt).clamp(0.0, 1.0);
        }
        self.updated = now;
    }

    /// At `maxmemory`, within a part per million (a chord's rounding).
    fn at_limit(&self) -> bool {
        self.maxmemory > 0.0 && self.used() >= self.maxmemory * (1.0 - 1e-6)
    }

    fn over_limit(&self) -> bool {
        self.maxmemory > 0.0 && self.used() > self.maxmemory * (1.0 + 1e-6)
    }

    fn candidate(&self, i: usize) -> bool {
        self.policy.may_evict(self.classes[i].volatile) && self.cached[i] > 0.0
    }

    /// Starts a chord at `now`.
    fn new_step(&mut self, now: SimTime) {
        self.updated = now;
        if self.over_limit() {
            self.trim(self.used() - self.maxmemory);
        }
        let need: f64 = self
            .classes
            .iter()
            .zip(&self.cached)
            .map(|(k, &c)| {
                let (_, _, ins) = self.rates(k);
                k.keys * k.bytes * (ins * (1.0 - c) - self.expiry(k) * c)
            })
            .sum();
        self.hazard.iter_mut().for_each(|h| *h = 0.0);
        self.accept = 1.0;
        let evictable = (0..self.classes.len()).any(|i| self.candidate(i));
        let h = if !self.at_limit() || need <= 0.0 {
            self.regime = Regime::Free;
            self.free_chords()
        } else if evictable {
            self.regime = Regime::Evicting;
            self.solve_hazard(need);
            self.derivative_chords()
        } else {
            self.regime = Regime::Refusing;
            self.accept = self.refused_share();
            self.derivative_chords()
        };
        self.step_end = now + SimDuration::from_secs_f64_ceil(h);
    }

    /// Free regime: chords of the exact solution; the step ends early where the chord
    /// reaches `maxmemory`.
    fn free_chords(&mut self) -> f64 {
        let universe: f64 = self.classes.iter().map(|k| k.keys).sum();
        let evolve = |ks: &Self, k: &KeyClass, c: f64, h: f64| {
            let (_, _, ins) = ks.rates(k);
            let rate = ins + ks.expiry(k);
            if rate <= 0.0 {
                return c;
            }
            let target = ins / rate;
            target + (c - target) * (-rate * h).exp()
        };
        let moved: f64 = (0..self.classes.len())
            .map(|i| {
                let k = &self.classes[i];
                k.keys * (evolve(self, k, self.cached[i], 1.0) - self.cached[i]).abs()
            })
            .sum();
        let mut h = if moved > 0.0 {
            (STEP_SHARE * universe / moved).clamp(MIN_STEP, MAX_STEP)
        } else {
            MAX_STEP
        };
        for i in 0..self.classes.len() {
            let k = self.classes[i];
            self.slopes[i] = (evolve(self, &k, self.cached[i], h) - self.cached[i]) / h;
        }
        let slope = self.used_slope();
        if self.maxmemory > 0.0 && slope > 0.0 {
            let left = self.maxmemory - self.used();
            if left > 0.0 {
                h = h.min(left / slope);
            }
        }
        h.max(1e-6)
    }

    /// At the limit: the derivative at the chord's start, held for a step that moves
    /// few keys and ends before any group with more than a sliver of memory left to
    /// gain or lose empties or fills (a sliver may clamp at 0 or 1 within the step; what
    /// that leaves off the limit is at most its size, under a part per million).
    fn derivative_chords(&mut self) -> f64 {
        let universe: f64 = self.classes.iter().map(|k| k.keys).sum();
        let sliver = 1e-6 * self.maxmemory.max(1.0);
        let mut moved = 0.0;
        let mut h = MAX_STEP;
        for i in 0..self.classes.len() {
            let k = self.classes[i];
            let (_, _, ins) = self.rates(&k);
            let c = self.cached[i];
            let mut s = self.accept * ins * (1.0 - c) - (self.expiry(&k) + self.hazard[i]) * c;
            if (c <= 0.0 && s < 0.0) || (c >= 1.0 && s > 0.0) {
                s = 0.0;
            }
            self.slopes[i] = s;
            moved += k.keys * s.abs();
            let room = if s < 0.0 { c } else { 1.0 - c };
            if s != 0.0 && k.keys * k.bytes * room > sliver {
                h = h.min(room / s.abs());
            }
        }
        if moved > 0.0 {
            h = h.min((STEP_SHARE * universe / moved).max(MIN_STEP));
        }
        h.max(1e-3)
    }

    /// The share of writes accepted at the limit with nothing evictable: what expiries
    /// free over what writes would add (none while still over the limit).
    fn refused_share(&self) -> f64 {
        if self.over_limit() {
            return 0.0;
        }
        let (mut freed, mut added) = (0.0, 0.0);
        for (k, &c) in self.classes.iter().zip(&self.cached) {
            let (_, _, ins) = self.rates(k);
            freed += k.keys * k.bytes * self.expiry(k) * c;
            added += k.keys * k.bytes * ins * (1.0 - c);
        }
        if added > 0.0 {
            (freed / added).min(1.0)
        } else {
            1.0
        }
    }

    /// The groups the policy may evict now, with what eviction needs to know.
    fn candidates(&self) -> Vec<Candidate> {
        (0..self.classes.len())
            .filter(|&i| self.candidate(i))
            .map(|i| {
                let k = &self.classes[i];
                Candidate {
                    index: i,
                    mass: k.keys * k.bytes * self.cached[i],
                    access: self.rates(k).1,
                    per_key: k.per_key,
                }
            })
            .collect()
    }

    /// Sets `hazard` so that evictions free `need` bytes per second.
    fn solve_hazard(&mut self, need: f64) {
        let Some(ranking) = self.policy.ranking() else {
            return;
        };
        let cands = self.candidates();
        for (i, h) in eviction::hazards(ranking, &cands, need, &mut self.lru_t) {
            self.hazard[i] = h;
        }
    }

    /// Evicts `excess` bytes at once (a `CONFIG SET` that lowered the limit), as the
    /// policy would pick them; what it cannot evict stays (writes are then refused).
    fn trim(&mut self, excess: f64) {
        let Some(ranking) = self.policy.ranking() else {
            return;
        };
        let cands = self.candidates();
        for (i, f) in eviction::trim_shares(ranking, &cands, excess) {
            let gone = self.cached[i] * f;
            self.counters.evicted += self.classes[i].keys * gone;
            self.cached[i] -= gone;
        }
    }
}
