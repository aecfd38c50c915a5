//! Which keys go when Redis evicts, as hazards on the keyspace's popularity groups
//! (see [`super::policy`] for the rules and [`super::keyspace`] for the groups).
//!
//! Evictions free exactly what writes add while `used_memory` sits at `maxmemory`; the
//! policy's ranking sets how that falls on the groups:
//!
//! - LRU: keys idle longer than a horizon `T` go, so a cached key accessed `a` times a
//!   second is evicted at `a e^(−aT) / (1 − e^(−aT))` per second (Che's approximation of
//!   LRU); `T` is solved so the total matches;
//! - LFU: the least popular group present goes first;
//! - uniform (random, soonest expiry under one TTL): every cached key alike.
//!
//! A limit lowered below `used_memory` evicts at once: LRU the keys idle longer than a
//! threshold `θ` (a share `e^(−aθ)` of each group), LFU the coldest first, uniform an
//! equal share of each.

use super::policy::Ranking;

/// A group the policy may evict.
#[derive(Copy, Clone, Debug)]
pub(super) struct Candidate {
    /// Its index in the keyspace.
    pub(super) index: usize,
    /// Bytes it holds now.
    pub(super) mass: f64,
    /// Accesses per second of one of its keys.
    pub(super) access: f64,
    /// Popularity of one of its keys.
    pub(super) per_key: f64,
}

/// The least popular candidate first (ties: the later group, i.e. the colder bin).
fn coldest_first(cands: &[Candidate]) -> Vec<Candidate> {
    let mut order = cands.to_vec();
    order.sort_by(|a, b| a.per_key.total_cmp(&b.per_key).then(b.index.cmp(&a.index)));
    order
}

/// Eviction hazards (per cached key per second), by group index, that free `need`
/// bytes per second; `lru_t` carries the LRU horizon from one solve to the next.
pub(super) fn hazards(
    ranking: Ranking,
    cands: &[Candidate],
    need: f64,
    lru_t: &mut f64,
) -> Vec<(usize, f64)> {
    match ranking {
        Ranking::Uniform => {
            let total: f64 = cands.iter().map(|c| c.mass).sum();
            cands.iter().map(|c| (c.index, need / total)).collect()
        }
        Ranking::Lfu => coldest_first(cands)
            .first()
            .map(|c| vec![(c.index, need / c.mass)])
            .unwrap_or_default(),
        Ranking::Lru => {
            let freed =
                |t: f64| -> f64 { cands.iter().map(|c| c.mass * lru_hazard(c.access, t)).sum() };
            let t = bisect_decreasing(freed, need, *lru_t);
            *lru_t = t;
            cands
                .iter()
                .map(|c| (c.index, lru_hazard(c.access, t)))
                .collect()
        }
    }
}

/// Shares of each group to evict at once to free `excess` bytes, by group index.
pub(super) fn trim_shares(ranking: Ranking, cands: &[Candidate], excess: f64) -> Vec<(usize, f64)> {
    let total: f64 = cands.iter().map(|c| c.mass).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    match ranking {
        Ranking::Uniform => {
            let f = (excess / total).min(1.0);
            cands.iter().map(|c| (c.index, f)).collect()
        }
        Ranking::Lfu => {
            let mut left = excess;
            let mut out = Vec::new();
            for c in coldest_first(cands) {
                if left <= 0.0 {
                    break;
                }
                let take = c.mass.min(left);
                out.push((c.index, if c.mass > 0.0 { take / c.mass } else { 0.0 }));
                left -= take;
            }
            out
        }
        Ranking::Lru => {
            let theta = if total <= excess {
                0.0
            } else {
                let idle = |th: f64| -> f64 {
                    cands.iter().map(|c| c.mass * (-c.access * th).exp()).sum()
                };
                bisect_decreasing(idle, excess, 1.0)
            };
            cands
                .iter()
                .map(|c| (c.index, (-c.access * theta).exp()))
                .collect()
        }
    }
}

/// The LRU eviction hazard of a cached key accessed `a` times a second when keys go `t`
/// seconds after their last access: `a e^(−at) / (1 − e^(−at))` (1/t as `a` → 0).
pub(super) fn lru_hazard(a: f64, t: f64) -> f64 {
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
