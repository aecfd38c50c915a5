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

use super::policy::{MaxmemoryPolicy, Ranking};
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

    /// Sets `hazard` so that evictions free `need` bytes per second.
    fn solve_hazard(&mut self, need: f64) {
        let cand: Vec<usize> = (0..self.classes.len())
            .filter(|&i| self.candidate(i))
            .collect();
        let mass = |i: usize| self.classes[i].keys * self.classes[i].bytes * self.cached[i];
        match self.policy.ranking() {
            Some(Ranking::Uniform) => {
                let total: f64 = cand.iter().map(|&i| mass(i)).sum();
                for &i in &cand {
                    self.hazard[i] = need / total;
                }
            }
            Some(Ranking::Lfu) => {
                // The least popular group present carries the evictions.
                if let Some(&i) = cand.iter().min_by(|&&a, &&b| {
                    let (pa, pb) = (self.classes[a].per_key, self.classes[b].per_key);
                    pa.total_cmp(&pb).then(b.cmp(&a))
                }) {
                    self.hazard[i] = need / mass(i);
                }
            }
            Some(Ranking::Lru) => {
                let access: Vec<f64> = cand
                    .iter()
                    .map(|&i| self.rates(&self.classes[i]).1)
                    .collect();
                let freed = |t: f64| -> f64 {
                    cand.iter()
                        .zip(&access)
                        .map(|(&i, &a)| mass(i) * lru_hazard(a, t))
                        .sum()
                };
                let t = bisect_decreasing(freed, need, self.lru_t);
                self.lru_t = t;
                for (&i, &a) in cand.iter().zip(&access) {
                    self.hazard[i] = lru_hazard(a, t);
                }
            }
            None => {}
        }
    }

    /// Evicts `excess` bytes at once (a `CONFIG SET` that lowered the limit), as the
    /// policy would pick them; what it cannot evict stays (writes are then refused).
    fn trim(&mut self, excess: f64) {
        let cand: Vec<usize> = (0..self.classes.len())
            .filter(|&i| self.candidate(i))
            .collect();
        let mass = |ks: &Self, i: usize| ks.classes[i].keys * ks.classes[i].bytes * ks.cached[i];
        let total: f64 = cand.iter().map(|&i| mass(self, i)).sum();
        if total <= 0.0 {
            return;
        }
        let mut share = vec![0.0; self.classes.len()];
        match self.policy.ranking() {
            Some(Ranking::Uniform) => {
                let f = (excess / total).min(1.0);
                cand.iter().for_each(|&i| share[i] = f);
            }
            Some(Ranking::Lfu) => {
                let mut order = cand.clone();
                order.sort_by(|&a, &b| {
                    let (pa, pb) = (self.classes[a].per_key, self.classes[b].per_key);
                    pa.total_cmp(&pb).then(b.cmp(&a))
                });
                let mut left = excess;
                for i in order {
                    let m = mass(self, i);
                    let take = m.min(left);
                    share[i] = if m > 0.0 { take / m } else { 0.0 };
                    left -= take;
                    if left <= 0.0 {
                        break;
                    }
                }
            }
            Some(Ranking::Lru) => {
                // Keys idle longer than θ go: a share e^(−aθ) of each group.
                let access: Vec<f64> = cand
                    .iter()
                    .map(|&i| self.rates(&self.classes[i]).1)
                    .collect();
                let theta = if total <= excess {
                    0.0
                } else {
                    let idle = |th: f64| -> f64 {
                        cand.iter()
                            .zip(&access)
                            .map(|(&i, &a)| mass(self, i) * (-a * th).exp())
                            .sum()
                    };
                    bisect_decreasing(idle, excess, 1.0)
                };
                for (&i, &a) in cand.iter().zip(&access) {
                    share[i] = (-a * theta).exp();
                }
            }
            None => return,
        }
        for (i, f) in share.into_iter().enumerate() {
            let gone = self.cached[i] * f;
            self.counters.evicted += self.classes[i].keys * gone;
            self.cached[i] -= gone;
        }
    }
}

/// The LRU eviction hazard of a cached key accessed `a` times a second when keys go `t`
/// seconds after their last access: `a e^(−at) / (1 − e^(−at))` (1/t as `a` → 0).
fn lru_hazard(a: f64, t: f64) -> f64 {
    let x = a * t;
    if x < 1e-9 { 1.0 / t } else { a / x.exp_m1() }
}

/// The `t` in [1 µs, 10⁹ s] where the decreasing `f(t)` equals `target` (bisection on
/// log t, starting from a bracket around `guess`, the previous answer; the bound if it
/// is out of range). Precision: a part in 10⁷ of `t`.
fn bisect_decreasing(f: impl Fn(f64) -> f64, target: f64, guess: f64) -> f64 {
    let (min, max) = (1e-6f64.ln(), 1e9f64.ln());
    let g = guess.clamp(1e-6, 1e9).ln();
    let (mut lo, mut hi) = ((g - 1.0).max(min), (g + 1.0).min(max));
    while lo > min && f(lo.exp()) <= target {
        lo = (lo - 4.0).max(min);
    }
    while hi < max && f(hi.exp()) >= target {
        hi = (hi + 4.0).min(max);
    }
    if f(lo.exp()) <= target {
        return lo.exp();
    }
    if f(hi.exp()) >= target {
        return hi.exp();
    }
    while hi - lo > 1e-7 {
        let mid = 0.5 * (lo + hi);
        if f(mid.exp()) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::memory::zipf_bins;

    fn classes(keys: u64, zipf: f64, volatile: bool) -> Arc<[KeyClass]> {
        zipf_bins(keys, zipf)
            .into_iter()
            .map(|b| KeyClass {
                keys: b.keys,
                per_key: b.per_key,
                volatile,
                bytes: 100.0,
            })
            .collect()
    }

    fn run(ks: &mut Keyspace, until: u64) {
        let end = SimTime::from_secs(until);
        while ks.step_end() < end {
            let t = ks.step_end();
            ks.step(t);
        }
        ks.advance(end);
    }

    const LOAD: Load = Load {
        gets: 1000.0,
        fill: 1.0,
        writes: 0.0,
    };

    #[test]
    fn nothing_is_evicted_until_used_memory_reaches_maxmemory() {
        // 100 000 keys of 100 B = 10 MB of data; a 5 MB limit.
        let mut ks = Keyspace::new(
            classes(100_000, 0.8, false),
            None,
            1e6,
            5e6,
            MaxmemoryPolicy::AllKeysLru,
        );
        ks.set_load(SimTime::ZERO, LOAD);
        let mut t = 0;
        while ks.used() < 5e6 - 1.0 {
            assert_eq!(ks.counters.evicted, 0.0, "evicted before the limit at {t}s");
            t += 10;
            run(&mut ks, t);
        }
        run(&mut ks, t + 3600);
        assert!(ks.counters.evicted > 1000.0);
        assert!((ks.used() - 5e6).abs() < 1e3, "used {}", ks.used());
        assert_eq!(ks.regime(), Regime::Evicting);
    }

    #[test]
    fn at_the_limit_lru_keeps_the_popular_keys_better_than_random() {
        let hit = |p: MaxmemoryPolicy| {
            let mut ks = Keyspace::new(classes(100_000, 0.8, false), None, 1e6, 5e6, p);
            ks.set_load(SimTime::ZERO, LOAD);
            run(&mut ks, 20_000);
            ks.hit_ratio()
        };
        let (lru, lfu, random) = (
            hit(MaxmemoryPolicy::AllKeysLru),
            hit(MaxmemoryPolicy::AllKeysLfu),
            hit(MaxmemoryPolicy::AllKeysRandom),
        );
        assert!(
            lfu > lru && lru > random,
            "lfu {lfu} lru {lru} random {random}"
        );
    }

    #[test]
    fn noeviction_refuses_writes_and_evicts_nothing() {
        let mut ks = Keyspace::new(
            classes(100_000, 0.8, false),
            None,
            1e6,
            5e6,
            MaxmemoryPolicy::NoEviction,
        );
        ks.set_load(SimTime::ZERO, LOAD);
        run(&mut ks, 20_000);
        assert_eq!(ks.counters.evicted, 0.0);
        assert!(ks.counters.rejected > 1000.0);
        assert_eq!(ks.accept(), 0.0);
        assert!(ks.used() <= 5e6 + 1.0);
    }

    #[test]
    fn with_ttls_noeviction_accepts_what_expiry_makes_room_for() {
        let mut ks = Keyspace::new(
            classes(100_000, 0.8, true),
            Some(SimDuration::from_secs(600)),
            1e6,
            3e6,
            MaxmemoryPolicy::NoEviction,
        );
        ks.set_load(SimTime::ZERO, LOAD);
        run(&mut ks, 20_000);
        assert!(ks.accept() > 0.0 && ks.accept() < 1.0, "{}", ks.accept());
        assert!(ks.counters.expired > 0.0 && ks.counters.evicted == 0.0);
    }

    #[test]
    fn volatile_policies_without_ttl_keys_refuse_like_noeviction() {
        let mut ks = Keyspace::new(
            classes(100_000, 0.8, false),
            None,
            1e6,
            5e6,
            MaxmemoryPolicy::VolatileLru,
        );
        ks.set_load(SimTime::ZERO, LOAD);
        run(&mut ks, 20_000);
        assert_eq!(ks.counters.evicted, 0.0);
        assert_eq!(ks.regime(), Regime::Refusing);
    }

    #[test]
    fn lowering_maxmemory_evicts_at_once_and_raising_it_lets_memory_grow() {
        let mut ks = Keyspace::new(
            classes(100_000, 0.8, false),
            None,
            1e6,
            8e6,
            MaxmemoryPolicy::AllKeysLru,
        );
        ks.set_load(SimTime::ZERO, LOAD);
        run(&mut ks, 20_000);
        let before = ks.counters.evicted;
        ks.configure(SimTime::from_secs(20_000), 4e6, MaxmemoryPolicy::AllKeysLru);
        assert!(ks.used() <= 4e6 + 1.0 && ks.counters.evicted > before + 30_000.0);
        ks.configure(SimTime::from_secs(20_001), 2e7, MaxmemoryPolicy::AllKeysLru);
        run(&mut ks, 30_000);
        assert!(ks.used() > 8e6);
    }
}
