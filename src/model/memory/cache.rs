//! `cache`: an application cache over a universe of keys.
//!
//! Each request looks up `lookups_per_request` keys drawn by popularity (Zipf with
//! exponent `zipf`, uniform at 0); a miss inserts the key. Without eviction the cache
//! grows toward the whole universe; with a TTL (expire after write) each key stays about
//! `ttl` after each miss; with an LRU bound it levels off at `max_entries`. Keys are
//! grouped by popularity rank into bins; in each bin the cached fraction follows
//!
//! ```text
//! dc/dt = a (1 − c) − c / ttl,     a = lookups/s × (probability of one key of the bin)
//! ```
//!
//! whose exact solution is exponential. The law moves along chords of that solution:
//! exact at the end of each step (a step lasts until about 1 % of the universe could
//! have changed), linear in between, so the container can still compute its limit
//! crossing exactly. With a warm-up the cache is rebuilt at start, linearly over the
//! warm-up, with what it held before the restart — at most `warmup_entries`, the most
//! popular (seed 002: "Building in-memory cache for payment methods"). A pod that was
//! already running when the scenario begins starts with the cache its age implies.
//!
//! In fluid fidelity the lookups of each step follow the step's draw of arrivals (see
//! `Container`), so the cache fills with the spread of real traffic. In per-request
//! fidelity each request looks up its keys one by one: a key drawn by popularity, a miss
//! inserting it; expiry still follows the TTL's rate.

use std::sync::Arc;

use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::{Duration, Location, Memory, Problem};
use super::{Law, LawYaml, MemoryLaw};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::cpu::Load;
use crate::model::units::Bytes;

/// Keys of similar popularity.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct KeyBin {
    /// Keys in the bin.
    pub keys: f64,
    /// Probability that one lookup is for one given key of the bin.
    pub per_key: f64,
}

/// Splits `keys` ranked keys with Zipf exponent `zipf` into bins of growing width.
pub fn zipf_bins(keys: u64, zipf: f64) -> Vec<KeyBin> {
    let mass = |a: u64, b: u64| -> f64 {
        if b - a < 64 {
            (a..=b).map(|k| (k as f64).powf(-zipf)).sum()
        } else if (zipf - 1.0).abs() < 1e-9 {
            ((b as f64 + 0.5) / (a as f64 - 0.5)).ln()
        } else {
            let f = |x: f64| x.powf(1.0 - zipf) / (1.0 - zipf);
            f(b as f64 + 0.5) - f(a as f64 - 0.5)
        }
    };
    let mut bins = Vec::new();
    let mut start = 1u64;
    while start <= keys {
        let end = start.saturating_add((start / 4).max(1) - 1).min(keys);
        let m = mass(start, end);
        bins.push(KeyBin {
            keys: (end - start + 1) as f64,
            per_key: m / (end - start + 1) as f64,
        });
        start = end + 1;
    }
    let total: f64 = bins.iter().map(|b| b.keys * b.per_key).sum();
    for b in &mut bins {
        b.per_key /= total;
    }
    bins
}

/// Cache parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Key popularity bins (see [`zipf_bins`]).
    pub bins: Arc<[KeyBin]>,
    /// Memory per entry.
    pub entry_size: Bytes,
    /// Lookups per request.
    pub lookups_per_request: f64,
    /// LRU bound on entries.
    pub max_entries: Option<u64>,
    /// Expire after write.
    pub ttl: Option<SimDuration>,
    /// Rebuild at start, over this long, what the cache held before.
    pub warmup: Option<SimDuration>,
    /// At most this many entries are rebuilt — the most popular (default: all).
    pub warmup_entries: Option<u64>,
}

/// `cache:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Cache")]
pub struct CacheYaml {
    /// Distinct keys that can be requested.
    pub keys: u64,
    /// Zipf exponent of key popularity (0 = uniform; default 0).
    #[serde(default)]
    pub zipf: Option<f64>,
    /// Memory per entry.
    pub entry_size: Memory,
    /// Cache lookups per request (default 1).
    #[serde(default)]
    pub lookups_per_request: Option<f64>,
    /// LRU bound on entries (default: none).
    #[serde(default)]
    pub max_entries: Option<u64>,
    /// Expire after write (default: never).
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// At start the cache is rebuilt, over this long, with the entries it held before
    /// the restart (a warm-up from the database); default: starts empty.
    #[serde(default)]
    pub warmup: Option<Duration>,
    /// At most this many entries are rebuilt by the warm-up, the most popular.
    #[serde(default)]
    pub warmup_entries: Option<u64>,
}

/// The most keys a cache may have: 2^53, the largest count the model's floating-point
/// arithmetic holds exactly (and far beyond any real key space).
const MAX_CACHE_KEYS: u64 = 1 << 53;

impl LawYaml for CacheYaml {
    type Spec = CacheSpec;
    fn build(&self) -> Result<CacheSpec, Problem> {
        let zipf = self.zipf.unwrap_or(0.0);
        if self.keys == 0 || self.keys > MAX_CACHE_KEYS || !(0.0..=4.0).contains(&zipf) {
            return Err(Problem::new(
                Location::UNKNOWN,
                format!("cache with {} keys and Zipf exponent {zipf}", self.keys),
                "keys from 1 to 2^53 and a Zipf exponent from 0 (uniform) to 4",
            ));
        }
        Ok(CacheSpec {
            bins: zipf_bins(self.keys, zipf).into(),
            entry_size: self.entry_size.0,
            lookups_per_request: self.lookups_per_request.unwrap_or(1.0),
            max_entries: self.max_entries,
            ttl: self.ttl.map(|d| d.0).filter(|d| !d.is_zero()),
            warmup: self.warmup.map(|d| d.0),
            warmup_entries: self.warmup_entries,
        })
    }
}

impl CacheSpec {
    fn universe(&self) -> f64 {
        self.bins.iter().map(|b| b.keys).sum()
    }
}

/// The law's state: the cached fraction of each popularity bin and its chord.
#[derive(Clone, Debug)]
pub(crate) struct Cache {
    spec: CacheSpec,
    /// Cached fraction per bin.
    cached: Vec<f64>,
    /// Change per second per bin over the current step.
    slopes: Vec<f64>,
    step_end: SimTime,
    lookups: f64,
    /// What the cache held before the last restart (for a warm-up).
    saved: Vec<f64>,
    warming_until: SimTime,
    /// Seconds of history still to apply (a warm start), at the first load.
    history: f64,
}

const MIN_STEP: f64 = 1.0;
const MAX_STEP: f64 = 600.0;

impl Law for Cache {
    type Spec = CacheSpec;
    const NAME: &'static str = "cache";
    fn from_spec(spec: &CacheSpec) -> Self {
        Cache::new(spec.clone())
    }
}

impl Cache {
    pub(crate) fn new(spec: CacheSpec) -> Self {
        let n = spec.bins.len();
        Cache {
            spec,
            cached: vec![0.0; n],
            slopes: vec![0.0; n],
            step_end: SimTime::NEVER,
            lookups: 0.0,
            saved: Vec::new(),
            warming_until: SimTime::NEVER,
            history: 0.0,
        }
    }

    fn entries(&self) -> f64 {
        self.spec
            .bins
            .iter()
            .zip(&self.cached)
            .map(|(b, c)| b.keys * c)
            .sum()
    }

    fn entries_slope(&self) -> f64 {
        self.spec
            .bins
            .iter()
            .zip(&self.slopes)
            .map(|(b, s)| b.keys * s)
            .sum()
    }

    /// The exact cached fraction of bin `b` after `h` seconds from `c`.
    fn evolve(&self, b: &KeyBin, c: f64, h: f64) -> f64 {
        let a = self.lookups * b.per_key;
        let decay = self.spec.ttl.map_or(0.0, |t| 1.0 / t.as_secs_f64());
        let k = a + decay;
        if k <= 0.0 {
            return c;
        }
        let target = a / k;
        target + (c - target) * (-k * h).exp()
    }

    /// Trims `saved` to the `cap` most popular entries (bins are in popularity order).
    fn keep_most_popular(&mut self, cap: f64) {
        let mut left = cap;
        for (c, b) in self.saved.iter_mut().zip(self.spec.bins.iter()) {
            let have = *c * b.keys;
            let keep = have.min(left);
            *c = keep / b.keys;
            left -= keep;
        }
    }

    fn at_bound(&self) -> bool {
        self.spec
            .max_entries
            .is_some_and(|m| self.entries() >= m as f64 - 0.5)
    }

    /// Starts a new step at `now`: chords toward the exact solution a step later.
    fn new_step(&mut self, now: SimTime) {
        if self.warming_until != SimTime::NEVER {
            return;
        }
        let growth: f64 = self
            .spec
            .bins
            .iter()
            .zip(&self.cached)
            .map(|(b, &c)| b.keys * (self.evolve(b, c, 1.0) - c).abs())
            .sum();
        let h = if growth > 0.0 {
            (0.01 * self.spec.universe() / growth).clamp(MIN_STEP, MAX_STEP)
        } else {
            MAX_STEP
        };
        for (i, b) in self.spec.bins.iter().enumerate() {
            let c = self.cached[i];
            self.slopes[i] = (self.evolve(b, c, h) - c) / h;
        }
        if self.at_bound() && self.entries_slope() > 0.0 {
            self.slopes.iter_mut().for_each(|s| *s = 0.0);
        }
        self.step_end = now + SimDuration::from_secs_f64_ceil(h);
    }

    /// When the LRU bound is reached along the current chord.
    fn reaches_bound(&self, now: SimTime) -> SimTime {
        let (Some(m), slope) = (self.spec.max_entries, self.entries_slope()) else {
            return SimTime::NEVER;
        };
        let left = m as f64 - self.entries();
        if slope <= 0.0 {
            return SimTime::NEVER;
        }
        if left <= 0.0 {
            // Reached (rounding can carry it a hair past): stop growing now.
            return now;
        }
        now + SimDuration::from_secs_f64_ceil(left / slope)
    }
}

impl MemoryLaw for Cache {
    fn start(&mut self, now: SimTime, warm: Option<SimDuration>, _rng: &mut SimRng) {
        self.history = warm.map_or(0.0, |age| age.as_secs_f64());
        let empty = vec![0.0; self.spec.bins.len()];
        self.saved = std::mem::replace(&mut self.cached, empty);
        if let Some(cap) = self.spec.warmup_entries {
            self.keep_most_popular(cap as f64);
        }
        self.warming_until = SimTime::NEVER;
        match self.spec.warmup {
            Some(w) if warm.is_none() && !w.is_zero() && self.saved.iter().any(|&c| c > 0.0) => {
                let secs = w.as_secs_f64();
                self.slopes = self.saved.iter().map(|c| c / secs).collect();
                self.warming_until = now + w;
                self.step_end = self.warming_until;
            }
            _ => self.new_step(now),
        }
    }
    fn bytes(&self) -> f64 {
        self.entries() * self.spec.entry_size.as_f64()
    }
    fn slope(&self) -> f64 {
        self.entries_slope() * self.spec.entry_size.as_f64()
    }
    fn advance(&mut self, dt: f64) {
        for (c, s) in self.cached.iter_mut().zip(&self.slopes) {
            *c = (*c + s * dt).clamp(0.0, 1.0);
        }
    }
    fn next_change(&self, now: SimTime) -> SimTime {
        self.step_end.min(self.reaches_bound(now))
    }
    fn on_change(&mut self, now: SimTime) {
        if now >= self.warming_until {
            if self.warming_until != SimTime::NEVER {
                self.cached.clone_from(&self.saved);
            }
            self.warming_until = SimTime::NEVER;
        }
        self.new_step(now);
    }
    fn set_load(&mut self, _now: SimTime, load: &Load) {
        self.lookups = load.rps * self.spec.lookups_per_request;
        if self.history > 0.0 && self.lookups > 0.0 {
            // A warm start: the cache has seen this load for as long as the pod has run.
            for i in 0..self.cached.len() {
                self.cached[i] = self.evolve(&self.spec.bins[i], 0.0, self.history);
            }
            self.history = 0.0;
            if let Some(max) = self.spec.max_entries {
                // An LRU cache at its bound holds about the most popular keys.
                self.saved = std::mem::take(&mut self.cached);
                self.keep_most_popular(max as f64);
                self.cached = std::mem::take(&mut self.saved);
            }
        }
        // What drives the chords: this step's arrivals (fluid), or nothing but expiry
        // when requests come one by one.
        self.lookups = if load.fluid { load.arrivals } else { 0.0 } * self.spec.lookups_per_request;
        // A new chord must start now: a change "due" at once makes the container wake
        // at this instant and call `on_change`.
        if self.warming_until == SimTime::NEVER {
            self.step_end = SimTime::ZERO;
        }
    }
    fn uses_arrivals(&self) -> bool {
        self.spec.lookups_per_request > 0.0
    }
    fn on_request(&mut self, _now: SimTime, rng: &mut SimRng) -> Option<f64> {
        let whole = self.spec.lookups_per_request.floor();
        let extra = rng.random_bool((self.spec.lookups_per_request - whole).clamp(0.0, 1.0));
        for _ in 0..(whole as u64 + u64::from(extra)) {
            self.lookup(rng);
        }
        // A miss changes what expires, hence the slope: the sums start afresh.
        None
    }
}

impl Cache {
    /// One lookup of a key drawn by popularity; a miss inserts it (per-request fidelity).
    fn lookup(&mut self, rng: &mut SimRng) {
        let mut x: f64 = rng.random();
        let bins = self.spec.bins.clone();
        for (i, b) in bins.iter().enumerate() {
            let mass = b.keys * b.per_key;
            if x < mass || i + 1 == bins.len() {
                let c = self.cached[i];
                let miss = rng.random_bool((1.0 - c).clamp(0.0, 1.0));
                if miss && !self.at_bound() && self.warming_until == SimTime::NEVER {
                    self.cached[i] = (c + 1.0 / b.keys).min(1.0);
                }
                return;
            }
            x -= mass;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_bins_sum_to_one_and_favour_the_head() {
        let bins = zipf_bins(1_000_000, 0.9);
        let total: f64 = bins.iter().map(|b| b.keys * b.per_key).sum();
        let keys: f64 = bins.iter().map(|b| b.keys).sum();
        assert!((total - 1.0).abs() < 1e-9 && keys == 1_000_000.0);
        assert!(bins[0].per_key > 100.0 * bins.last().unwrap().per_key);
        assert!(bins.len() < 80, "{} bins", bins.len());
    }
}
